import { onActivated, onDeactivated, onMounted, onUnmounted } from 'vue'

/**
 * Listens to window keydown only while the calling view is on screen: views are kept alive, so
 * a hidden view must stop reacting to the keyboard when another takes over and resume when shown.
 */
export function useViewKeys(onKey: (e: KeyboardEvent) => void): void {
  let listening = false
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
