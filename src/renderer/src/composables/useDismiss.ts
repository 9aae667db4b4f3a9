import { onBeforeUnmount, type Ref } from 'vue'

/**
 * A popup that closes itself: a mouse press outside `root`, or Escape (which then goes no further:
 * a dialog or view underneath does not see it), sets `open` to false. The listeners live as long
 * as the component.
 */
export function useDismiss(open: Ref<boolean>, root: Ref<HTMLElement | null>): void {
  function outside(e: MouseEvent): void {
    if (open.value && root.value && !root.value.contains(e.target as Node)) open.value = false
  }
  function onKey(e: KeyboardEvent): void {
    if (open.value && e.key === 'Escape') {
      open.value = false
      e.stopPropagation()
    }
  }
  window.addEventListener('mousedown', outside, true)
  window.addEventListener('keydown', onKey, true)
  onBeforeUnmount(() => {
    window.removeEventListener('mousedown', outside, true)
    window.removeEventListener('keydown', onKey, true)
  })
}
