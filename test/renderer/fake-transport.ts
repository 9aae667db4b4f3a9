// A test double for the transport under api.ts: records every call and answers from handlers.
import type { Reply } from '../../src/shared/wire'
import type { Transport } from '../../src/renderer/src/api'

export type FakeHandler = (input: any) => unknown
export interface FakeTransport extends Transport {
  calls: { channel: string; input: any }[]
  emit(event: string, payload: unknown): void
  callsTo(channel: string): any[]
}

export function fakeTransport(handlers: Record<string, FakeHandler>): FakeTransport {
  const listeners = new Map<string, Set<(p: unknown) => void>>()
  const calls: { channel: string; input: any }[] = []
  return {
    calls,
    mediaBase: '',
    async call(channel: string, input: unknown): Promise<Reply> {
      calls.push({ channel, input: JSON.parse(JSON.stringify(input)) })
      const h = handlers[channel]
      if (!h) return { ok: false, error: { code: 'NOT_FOUND', message: `fake: no handler for ${channel}` } }
      try {
        return { ok: true, result: await h(input) }
      } catch (err) {
        const e = err as { code?: string; message: string; details?: unknown }
        return {
          ok: false,
          error: { code: (e.code ?? 'INTERNAL') as 'INTERNAL', message: e.message, ...(e.details !== undefined ? { details: e.details } : {}) },
        }
      }
    },
    subscribe(event, listener) {
      let set = listeners.get(event)
      if (!set) listeners.set(event, (set = new Set()))
      set.add(listener)
      return () => set.delete(listener)
    },
    emit(event, payload) {
      for (const l of listeners.get(event) ?? []) l(payload)
    },
    callsTo(channel) {
      return calls.filter((c) => c.channel === channel).map((c) => c.input)
    },
  }
}

export const flush = () => new Promise((r) => setTimeout(r, 0))
