// @vitest-environment happy-dom
// The shortcut registry: how key specs match events, that typing never triggers a shortcut, and
// that a focused slider or button does not swallow the view's keys (issue 14, item 8).
import { describe, expect, it } from 'vitest'
import { dispatchShortcut, isTyping, matches, parseKeys, suspendShortcuts, type Shortcut } from '../../src/renderer/src/composables/useShortcuts'

const key = (k: string, o: Partial<KeyboardEventInit> & { code?: string } = {}) =>
  new KeyboardEvent('keydown', { key: k, cancelable: true, bubbles: true, ...o })
const hit = (spec: string, e: KeyboardEvent) => parseKeys(spec).some((c) => matches(c, e))

describe('key specs', () => {
  it('letters need their modifiers exactly; Ctrl also means Cmd', () => {
    expect(hit('B', key('b', { code: 'KeyB' }))).toBe(true)
    expect(hit('B', key('B', { code: 'KeyB', shiftKey: true }))).toBe(false)
    expect(hit('Ctrl+Z', key('z', { code: 'KeyZ', ctrlKey: true }))).toBe(true)
    expect(hit('Ctrl+Z', key('z', { code: 'KeyZ', metaKey: true }))).toBe(true)
    expect(hit('Ctrl+Z', key('Z', { code: 'KeyZ', ctrlKey: true, shiftKey: true }))).toBe(false)
    expect(hit('Ctrl+Shift+Z / Ctrl+Y', key('Z', { code: 'KeyZ', ctrlKey: true, shiftKey: true }))).toBe(true)
    expect(hit('Ctrl+Shift+Z / Ctrl+Y', key('y', { code: 'KeyY', ctrlKey: true }))).toBe(true)
    expect(hit('Z', key('z', { code: 'KeyZ', ctrlKey: true }))).toBe(false)
  })

  it('symbols match whatever Shift the layout needs; ranges and named keys', () => {
    expect(hit('?', key('?', { code: 'Slash', shiftKey: true }))).toBe(true)
    expect(hit('[', key('[', { code: 'BracketLeft' }))).toBe(true)
    expect(hit('1-9', key('7', { code: 'Digit7' }))).toBe(true)
    expect(hit('1-9', key('0', { code: 'Digit0' }))).toBe(false)
    expect(hit('Alt+1-6', key('¡', { code: 'Digit1', altKey: true }))).toBe(true)
    expect(hit('ArrowRight / J', key('ArrowRight'))).toBe(true)
    expect(hit('Escape', key('Escape'))).toBe(true)
    expect(hit('Enter', key('Enter', { shiftKey: true }))).toBe(false)
  })
})

describe('dispatch', () => {
  const calls: string[] = []
  const list: Shortcut[] = [
    { keys: 'A', label: 'accept', run: () => calls.push('a') },
    { keys: 'ArrowRight', label: 'next', run: () => calls.push('next') },
    { keys: 'Wheel', label: 'zoom (listed only)' },
  ]
  function on(target: HTMLElement, e: KeyboardEvent): boolean {
    document.body.appendChild(target)
    target.dispatchEvent(e)
    const r = dispatchShortcut(list, e)
    target.remove()
    return r
  }

  it('never fires while the user types, and fires on a focused slider, preventing its own use of the key', () => {
    calls.length = 0
    const text = document.createElement('input')
    text.type = 'text'
    expect(isTyping(text)).toBe(true)
    expect(on(text, key('a', { code: 'KeyA' }))).toBe(false)
    expect(isTyping(document.createElement('textarea'))).toBe(true)
    expect(isTyping(document.createElement('select'))).toBe(true)
    const slider = document.createElement('input')
    slider.type = 'range'
    expect(isTyping(slider)).toBe(false)
    const right = key('ArrowRight')
    expect(on(slider, right)).toBe(true)
    expect(right.defaultPrevented).toBe(true)
    expect(on(document.createElement('button'), key('a', { code: 'KeyA' }))).toBe(true)
    expect(calls).toEqual(['next', 'a'])
  })

  it('is silent while a dialog holds the keyboard', () => {
    calls.length = 0
    const resume = suspendShortcuts()
    expect(on(document.createElement('div'), key('a', { code: 'KeyA' }))).toBe(false)
    resume()
    resume()
    expect(on(document.createElement('div'), key('a', { code: 'KeyA' }))).toBe(true)
    expect(calls).toEqual(['a'])
  })
})
