// @vitest-environment happy-dom
// BaseDialog holds the keyboard while it is open: the views' shortcuts are silent, Tab goes round
// its controls, Escape closes, Enter with the focus on no control submits; and it lets go on close.
import { afterEach, describe, expect, it } from 'vitest'
import { mount, type VueWrapper } from '@vue/test-utils'
import { h } from 'vue'
import BaseDialog from '../../src/renderer/src/components/base/BaseDialog.vue'
import { dispatchShortcut, type Shortcut } from '../../src/renderer/src/composables/useShortcuts'

let wrapper: VueWrapper | null = null
afterEach(() => {
  wrapper?.unmount()
  wrapper = null
})

function open(autofocus = false): VueWrapper {
  wrapper = mount(BaseDialog, {
    props: { title: 'A dialog', testid: 'd' },
    slots: {
      default: () => [h('input', { type: 'text', 'data-testid': 'field' }), h('p', { 'data-testid': 'plain' }, 'text')],
      actions: () => [
        h('button', { type: 'button', 'data-testid': 'cancel' }, 'Cancel'),
        h('button', { type: 'submit', 'data-testid': 'ok', 'data-autofocus': autofocus || undefined }, 'OK'),
      ],
    },
    attachTo: document.body,
  })
  return wrapper
}
const el = (id: string) => document.querySelector<HTMLElement>(`[data-testid="${id}"]`)!
const press = (target: EventTarget, key: string, init: KeyboardEventInit = {}) => {
  const e = new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true, ...init })
  target.dispatchEvent(e)
  return e
}

describe('BaseDialog', () => {
  it('silences the shortcuts while open and resumes them when closed', () => {
    const runs: string[] = []
    const list: Shortcut[] = [{ keys: 'A', label: 'a', run: () => runs.push('a') }]
    const key = () => new KeyboardEvent('keydown', { key: 'a', code: 'KeyA' })
    open()
    expect(dispatchShortcut(list, key())).toBe(false)
    wrapper!.unmount()
    wrapper = null
    expect(dispatchShortcut(list, key())).toBe(true)
    expect(runs).toEqual(['a'])
  })

  it('focuses the first control, or the one marked data-autofocus', () => {
    open()
    expect(document.activeElement).toBe(el('field'))
    wrapper!.unmount()
    open(true)
    expect(document.activeElement).toBe(el('ok'))
  })

  it('keeps Tab inside the panel, both ways', () => {
    open()
    el('ok').focus()
    expect(press(el('ok'), 'Tab').defaultPrevented).toBe(true)
    expect(document.activeElement).toBe(el('field'))
    expect(press(el('field'), 'Tab', { shiftKey: true }).defaultPrevented).toBe(true)
    expect(document.activeElement).toBe(el('ok'))
    // focus lost to the page: Tab brings it back
    document.body.focus()
    press(document.body, 'Tab')
    expect(document.activeElement).toBe(el('field'))
  })

  it('closes on Escape, from inside the panel or with the focus lost to the page', () => {
    const w = open()
    press(el('field'), 'Escape')
    press(document.body, 'Escape')
    expect(w.emitted('close')).toHaveLength(2)
  })

  it('submits on Enter aimed at no control, not on Enter at a button', () => {
    const w = open()
    press(el('d'), 'Enter')
    press(document.body, 'Enter')
    expect(w.emitted('submit')).toHaveLength(2)
    press(el('cancel'), 'Enter')
    expect(w.emitted('submit')).toHaveLength(2)
  })
})
