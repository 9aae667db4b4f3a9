import { onActivated, onDeactivated, onMounted, onUnmounted } from 'vue'

let suspended = 0

/**
 * Silences every view's keys (a dialog or the overlay has the keyboard; BaseDialog does it while
 * it is open); call the result to resume. Nested holds count.
 */
export function suspendShortcuts(): () => void {
  suspended++
  let done = false
  return () => {
    if (!done) suspended--
    done = true
  }
}

/** True while a dialog or the overlay holds the keyboard. */
export function shortcutsSuspended(): boolean {
  return suspended > 0
}

/**
 * Listens to window keydown only while the calling view is on screen: views are kept alive, so
 * a hidden view must stop reacting to the keyboard when another takes over and resume when shown.
 * Silent while a dialog holds the keyboard (suspendShortcuts).
 */
export function useViewKeys(handler: (e: KeyboardEvent) => void): void {
  let listening = false
  const onKey = (e: KeyboardEvent): void => {
    if (!shortcutsSuspended()) handler(e)
  }
  const listen = (on: boolean): void => {
    if (on === listening) return
    listening = on
    if (on) window.addEventListener('keydown', onKey)
    else window.removeEventListener('keydown', onKey)
  }
  onMounted(() => listen(true))
  onActivated(() => listen(true))
  onDeactivated(() => listen(false))
  onUnmounted(() => listen(false))
}
