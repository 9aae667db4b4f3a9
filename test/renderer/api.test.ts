// @vitest-environment happy-dom
// api.ts over the browser-mode WebSocket: calls queue until the socket opens, replies resolve by
// id, service errors reject as typed ApiErrors, a dropped socket fails its calls in flight with
// DISCONNECTED and reconnects by itself, events reach their listeners.
import { afterEach, describe, expect, it } from 'vitest'
import { ApiError, call, installTransport, on, socketTransport } from '../../src/renderer/src/api'

class FakeSocket {
  static all: FakeSocket[] = []
  onopen: (() => void) | null = null
  onmessage: ((ev: { data: string }) => void) | null = null
  onclose: (() => void) | null = null
  onerror: (() => void) | null = null
  sent: any[] = []
  constructor(public url: string) {
    FakeSocket.all.push(this)
  }
  send(data: string) {
    this.sent.push(JSON.parse(data))
  }
  close() {
    this.onclose?.()
  }
  open() {
    this.onopen?.()
  }
  reply(msg: unknown) {
    this.onmessage?.({ data: JSON.stringify(msg) })
  }
}
const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms))

afterEach(() => {
  installTransport(null)
  FakeSocket.all = []
})

describe('api over the WebSocket', () => {
  it('queues, matches replies by id, types errors, survives a drop and reconnects', async () => {
    const t = socketTransport({ url: 'ws://127.0.0.1:1/api', backoff: () => 5, WebSocketImpl: FakeSocket as unknown as typeof WebSocket })
    installTransport(t)
    const a = call('job.list', {})
    const b = call('job.cancel', { id: 'x' })
    await tick()
    const s1 = FakeSocket.all[0]
    expect(s1.url).toBe('ws://127.0.0.1:1/api')
    expect(s1.sent).toEqual([])
    s1.open()
    expect(s1.sent.map((m) => m.channel)).toEqual(['job.list', 'job.cancel'])
    // replies out of order
    s1.reply({ type: 'reply', id: s1.sent[1].id, ok: false, error: { code: 'NOT_FOUND', message: 'No job x' } })
    s1.reply({ type: 'reply', id: s1.sent[0].id, ok: true, result: [] })
    await expect(a).resolves.toEqual([])
    const err = await b.catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err).toMatchObject({ code: 'NOT_FOUND', message: 'No job x' })

    const seen: unknown[] = []
    on('job.progress', (p) => seen.push(p))
    s1.reply({ type: 'event', name: 'job.progress', payload: { id: 'j1' } })
    expect(seen).toEqual([{ id: 'j1' }])

    // a call in flight when the socket drops fails clearly instead of hanging
    const c = call('job.list', {})
    await tick()
    s1.close()
    await expect(c).rejects.toMatchObject({ code: 'DISCONNECTED', message: expect.stringContaining('job.list') })
    await tick(20)
    const s2 = FakeSocket.all[1]
    expect(s2).toBeDefined()
    const d = call('job.list', {})
    s2.open()
    s2.reply({ type: 'reply', id: s2.sent[0].id, ok: true, result: [{ id: 'j2' }] })
    await expect(d).resolves.toEqual([{ id: 'j2' }])
    // listeners survive the reconnect
    s2.reply({ type: 'event', name: 'job.progress', payload: { id: 'j3' } })
    expect(seen).toEqual([{ id: 'j1' }, { id: 'j3' }])
  })

  it('a call that cannot reach the server fails with TIMEOUT naming the channel', async () => {
    installTransport(socketTransport({ url: 'ws://127.0.0.1:1/api', connectTimeoutMs: 20, WebSocketImpl: FakeSocket as unknown as typeof WebSocket }))
    await expect(call('job.list', {})).rejects.toMatchObject({ code: 'TIMEOUT', message: expect.stringContaining('job.list') })
  })
})
