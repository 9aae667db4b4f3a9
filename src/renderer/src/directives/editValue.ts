// v-edit-value="x": the value of an <input> that commits on `change` (a number box, a list typed
// as text), which never overwrites what someone is typing.
//
// A bound `:value` is written back on EVERY render of its component (Vue patches the "value" key
// even when the bound value did not change), so any unrelated re-render while someone types (a
// validation answer, a job's progress, a list arriving) put the stored value back into the box,
// and the typed one was lost: the page set the value itself, so leaving the box fired no change.
// Here the box follows its value when the value itself changes (undo, a recipe opened, a
// normalised commit) or when the box is not focused, and keeps the typed text otherwise.
import type { ObjectDirective } from 'vue'

type Shown = string | number | null | undefined

const text = (v: Shown): string => (v === null || v === undefined ? '' : String(v))

export const vEditValue: ObjectDirective<HTMLInputElement, Shown> = {
  beforeMount(el, { value }) {
    el.value = text(value)
  },
  updated(el, { value, oldValue }) {
    const next = text(value)
    if (next === text(oldValue) && el.ownerDocument.activeElement === el) return
    if (el.value !== next) el.value = next
  },
}
