// Keyboard shortcuts as data: each view registers its list under a scope name, the `?` overlay
// (components/shell/ShortcutsOverlay.vue) lists every registered scope, and one matcher runs them.
//
//   useShortcuts('Inspector', [
//     { keys: 'ArrowRight / J', label: 'Next sample', run: () => step(1) },
//     { keys: 'Ctrl+Shift+Z', label: 'Redo', run: redo },
//     { keys: '1-9', label: 'Pick class 1-9', run: (e) => pick(Number(e.key)) },
//     { keys: 'Wheel', label: 'Zoom at the cursor' },          // listed only (no run)
//   ])
//
// `keys`: alternatives separated by " / "; each is modifiers joined by "+" (Ctrl also matches the
// Mac's Cmd) and one key: a letter, a digit, a range like "1-9", a symbol, or a KeyboardEvent.key
// name (ArrowLeft, Enter, Escape, Backspace, Delete, Tab, Space). Letters need Shift to be named;
// symbols such as ? [ ] match whatever Shift their layout needs.
//
// A shortcut never fires while the user types (text inputs, text areas, selects, editable
// content); on sliders, checkboxes and buttons it does, and the control's own use of the key
// (a slider moved by an arrow) is prevented: the view's keys work whenever the view has focus.
import { reactive, ref } from 'vue'
import { shortcutsSuspended, useViewKeys } from './useViewKeys'

export { shortcutsSuspended, suspendShortcuts } from './useViewKeys'

export interface Shortcut {
  keys: string
  label: string
  run?: (e: KeyboardEvent) => void
}

interface Combo {
  ctrl: boolean
  shift: boolean | null
  alt: boolean
  key: string
  /** inclusive character range ("1-9") */
  range?: [string, string]
}

const registry = reactive(new Map<string, Shortcut[]>())

/** The `?` sheet is open (App.vue shows it; any view may open it). */
export const shortcutSheetOpen = ref(false)
export function showShortcutSheet(open = true): void {
  shortcutSheetOpen.value = open
}

/** Every registered scope with its shortcuts, in registration order. */
export function registeredShortcuts(): { scope: string; list: Shortcut[] }[] {
  return [...registry.entries()].map(([scope, list]) => ({ scope, list }))
}

const NAMES: Record<string, string> = { space: ' ', esc: 'escape', del: 'delete' }

export function parseKeys(keys: string): Combo[] {
  return keys.split(' / ').map((alt) => {
    const parts = alt.trim().split('+')
    // "Ctrl++" names the plus key
    const key = parts.at(-1) === '' ? '+' : parts.at(-1)!
    const mods = parts.slice(0, parts.at(-1) === '' ? -2 : -1).map((m) => m.toLowerCase())
    const lower = key.toLowerCase()
    const range = /^([0-9a-z])-([0-9a-z])$/i.exec(key)
    const letter = /^[a-z]$/i.test(key)
    return {
      ctrl: mods.includes('ctrl') || mods.includes('cmd') || mods.includes('mod'),
      alt: mods.includes('alt'),
      // letters and named keys: Shift must match; symbols: whatever the layout needs
      shift: mods.includes('shift') ? true : letter || key.length > 1 ? false : null,
      key: NAMES[lower] ?? lower,
      range: range ? [range[1].toLowerCase(), range[2].toLowerCase()] : undefined,
    }
  })
}

function keyName(e: KeyboardEvent): string {
  // Alt and Shift change e.key on some layouts: use the physical key for letters and digits then
  if ((e.altKey || e.shiftKey) && /^(Key[A-Z]|Digit[0-9])$/.test(e.code)) return e.code.slice(-1).toLowerCase()
  return e.key.toLowerCase()
}

export function matches(combo: Combo, e: KeyboardEvent): boolean {
  if (combo.ctrl !== (e.ctrlKey || e.metaKey) || combo.alt !== e.altKey) return false
  if (combo.shift !== null && combo.shift !== e.shiftKey) return false
  const k = combo.shift === null ? e.key.toLowerCase() : keyName(e)
  if (combo.range) return k.length === 1 && k >= combo.range[0] && k <= combo.range[1]
  return k === combo.key
}

const TEXT_INPUTS = new Set(['text', 'search', 'email', 'url', 'password', 'number', 'tel', 'date', 'time', 'datetime-local', 'month', 'week'])

/** True when keys typed at `target` are text (or a select's choice), not commands. */
export function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null
  if (!el || !el.tagName) return false
  if (el.isContentEditable || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT') return true
  return el.tagName === 'INPUT' && TEXT_INPUTS.has(((el as HTMLInputElement).type || 'text').toLowerCase())
}

/** Runs the first shortcut of `list` that matches; true when one did. */
export function dispatchShortcut(list: Shortcut[], e: KeyboardEvent): boolean {
  if (shortcutsSuspended() || e.defaultPrevented || isTyping(e.target)) return false
  for (const s of list) {
    if (!s.run) continue
    if (parseKeys(s.keys).some((c) => matches(c, e))) {
      e.preventDefault()
      s.run(e)
      return true
    }
  }
  return false
}

/**
 * Registers `list` under `scope` for the overlay and runs it while the calling component is on
 * screen (views are kept alive: a hidden view stops listening).
 */
export function useShortcuts(scope: string, list: Shortcut[]): void {
  registry.set(scope, list)
  useViewKeys((e) => void dispatchShortcut(list, e))
}
