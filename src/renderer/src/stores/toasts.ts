// Messages for the user: errors say what is wrong (the service's message names the file and problem).
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { isApiError } from '../api'

export interface Toast {
  id: number
  tone: 'error' | 'info' | 'ok'
  title: string
  message: string
  code?: string
}

export const useToastStore = defineStore('toasts', () => {
  const toasts = ref<Toast[]>([])
  let next = 1

  function push(tone: Toast['tone'], title: string, message: string, code?: string, ttlMs = tone === 'error' ? 9000 : 3500): number {
    const id = next++
    toasts.value = [...toasts.value.slice(-4), { id, tone, title, message, code }]
    if (ttlMs > 0) setTimeout(() => dismiss(id), ttlMs)
    return id
  }
  /** Shows an error from a failed call: `what` is the action ("Saving the recipe"), the message is the service's. */
  function error(what: string, err: unknown): void {
    if (isApiError(err)) push('error', `${what} failed`, err.message, err.code)
    else push('error', `${what} failed`, err instanceof Error ? err.message : String(err))
  }
  function info(title: string, message = ''): void {
    push('info', title, message)
  }
  function ok(title: string, message = ''): void {
    push('ok', title, message)
  }
  function dismiss(id: number): void {
    toasts.value = toasts.value.filter((t) => t.id !== id)
  }
  return { toasts, push, error, info, ok, dismiss }
})
