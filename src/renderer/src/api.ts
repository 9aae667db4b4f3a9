// The renderer's only caller of the API. Stores import `api`; nothing else talks to a door.
//
// Two transports, one shape:
//  - Electron: the preload's `window.lockstep` (one function per channel, one subscribe per event).
//  - Browser mode (`lockstep serve`): a WebSocket at `/api` on the page's origin, carrying the
//    messages of src/shared/wire.ts, with the per-launch token from the page URL.
// Either way a call resolves to the channel's typed result or rejects with an ApiError
// `{ code, message, details }` that says what went wrong; it never rejects with a bare string.
import type { ChannelName, EventName, InputOf, PayloadOf, ResultOf } from '@shared/contract'
import type { ErrorCode } from '@shared/errors'
import { LabelsHeaders } from '@shared/media'
import type { ClientMessage, Reply, ServerMessage } from '@shared/wire'

/** Codes a service can return, plus the two the transport itself produces. */
export type ApiErrorCode = ErrorCode | 'DISCONNECTED' | 'TIMEOUT'

export class ApiError extends Error {
  readonly code: ApiErrorCode
  readonly details?: unknown
  constructor(code: ApiErrorCode, message: string, details?: unknown) {
    super(message)
    this.name = 'ApiError'
    this.code = code
    this.details = details
  }
}

export function isApiError(x: unknown): x is ApiError {
  return x instanceof ApiError
}

export type ConnectionState = 'connecting' | 'open' | 'closed'

/** What a door looks like to api.ts. Tests inject a fake one with `installTransport`. */
export interface Transport {
  call(channel: string, input: unknown): Promise<Reply>
  subscribe(event: string, listener: (payload: unknown) => void): () => void
  /** Prefix of media paths ('' in browser mode, 'lockstep-media://app' in Electron). */
  mediaBase: string
  /** Appended to media URLs (e.g. `token=...`), or ''. */
  mediaQuery?: string
  onState?(listener: (state: ConnectionState) => void): () => void
  close?(): void
}

// ---------------------------------------------------------------- Electron (preload bridge)

function bridgeTransport(bridge: NonNullable<Window['lockstep']>): Transport {
  const api = bridge.api as unknown as Record<string, (input: unknown) => Promise<Reply>>
  const events = bridge.events as unknown as Record<string, (l: (p: unknown) => void) => () => void>
  return {
    call(channel, input) {
      const fn = api[channel]
      if (!fn) return Promise.resolve({ ok: false, error: { code: 'NOT_FOUND', message: `Unknown channel ${channel}` } })
      return fn(input)
    },
    subscribe(event, listener) {
      const sub = events[event]
      return sub ? sub(listener) : () => {}
    },
    mediaBase: bridge.mediaBase,
    onState(listener) {
      listener('open')
      return () => {}
    },
  }
}

// ---------------------------------------------------------------- Browser mode (WebSocket)

const TOKEN_KEY = 'lockstep.token'

/** The per-launch token: from `?token=` on first load (kept for reloads in this tab). */
export function pageToken(loc: Location = window.location, store: Storage | undefined = safeSessionStorage()): string {
  const fromUrl = new URLSearchParams(loc.search).get('token')
  if (fromUrl) {
    try {
      store?.setItem(TOKEN_KEY, fromUrl)
    } catch {
      /* storage may be disabled */
    }
    return fromUrl
  }
  return store?.getItem(TOKEN_KEY) ?? ''
}

function safeSessionStorage(): Storage | undefined {
  try {
    return window.sessionStorage
  } catch {
    return undefined
  }
}

export interface SocketOptions {
  url: string
  /** Delay before reconnect attempt n (0-based), ms. */
  backoff?: (attempt: number) => number
  /** How long a call may wait for a connection before failing. */
  connectTimeoutMs?: number
  WebSocketImpl?: typeof WebSocket
}

export function socketTransport(opts: SocketOptions, mediaQuery = ''): Transport {
  const WS = opts.WebSocketImpl ?? WebSocket
  const backoff = opts.backoff ?? ((n: number) => Math.min(250 * 2 ** n, 5000))
  const connectTimeoutMs = opts.connectTimeoutMs ?? 15_000
  let ws: WebSocket | null = null
  let state: ConnectionState = 'closed'
  let attempt = 0
  let closedForGood = false
  let nextId = 1
  const pending = new Map<number, { resolve: (r: Reply) => void; channel: string }>()
  const waiting: { msg: ClientMessage; timer: ReturnType<typeof setTimeout> }[] = []
  const listeners = new Map<string, Set<(p: unknown) => void>>()
  const stateListeners = new Set<(s: ConnectionState) => void>()

  const setState = (s: ConnectionState) => {
    state = s
    for (const l of stateListeners) l(s)
  }

  const connect = () => {
    if (closedForGood) return
    setState('connecting')
    const sock = new WS(opts.url)
    ws = sock
    sock.onopen = () => {
      attempt = 0
      setState('open')
      for (const w of waiting.splice(0)) {
        clearTimeout(w.timer)
        sock.send(JSON.stringify(w.msg))
      }
    }
    sock.onmessage = (ev) => {
      let msg: ServerMessage
      try {
        msg = JSON.parse(String(ev.data)) as ServerMessage
      } catch {
        return
      }
      if (msg.type === 'reply') {
        const p = pending.get(msg.id)
        if (!p) return
        pending.delete(msg.id)
        p.resolve(msg.ok ? { ok: true, result: msg.result } : { ok: false, error: msg.error })
      } else if (msg.type === 'event') {
        for (const l of listeners.get(msg.name) ?? []) {
          try {
            l(msg.payload)
          } catch (err) {
            console.error(`lockstep: listener for ${msg.name} failed`, err)
          }
        }
      }
    }
    sock.onclose = () => {
      if (ws !== sock) return
      ws = null
      // A call in flight when the socket dropped may or may not have run; say so rather than hang.
      for (const [id, p] of pending) {
        pending.delete(id)
        p.resolve({
          ok: false,
          error: { code: 'DISCONNECTED' as ErrorCode, message: `Lost the connection to Lockstep during ${p.channel}; it may not have completed` },
        })
      }
      setState('closed')
      if (!closedForGood) setTimeout(connect, backoff(attempt++))
    }
    sock.onerror = () => {
      /* onclose follows */
    }
  }

  return {
    call(channel, input) {
      const id = nextId++
      const msg: ClientMessage = { type: 'call', id, channel, input }
      return new Promise<Reply>((resolve) => {
        pending.set(id, { resolve, channel })
        if (ws && state === 'open') {
          ws.send(JSON.stringify(msg))
        } else {
          const timer = setTimeout(() => {
            const i = waiting.findIndex((w) => w.msg.id === id)
            if (i >= 0) waiting.splice(i, 1)
            pending.delete(id)
            resolve({ ok: false, error: { code: 'TIMEOUT' as ErrorCode, message: `Could not reach Lockstep at ${opts.url} to run ${channel}` } })
          }, connectTimeoutMs)
          waiting.push({ msg, timer })
          if (!ws && state === 'closed' && attempt === 0) connect()
        }
      })
    },
    subscribe(event, listener) {
      let set = listeners.get(event)
      if (!set) listeners.set(event, (set = new Set()))
      set.add(listener)
      if (!ws && state === 'closed' && attempt === 0) connect()
      return () => set.delete(listener)
    },
    mediaBase: '',
    mediaQuery,
    onState(listener) {
      stateListeners.add(listener)
      listener(state)
      return () => stateListeners.delete(listener)
    },
    close() {
      closedForGood = true
      ws?.close()
    },
  }
}

function defaultTransport(): Transport {
  if (typeof window !== 'undefined' && window.lockstep) return bridgeTransport(window.lockstep)
  const token = pageToken()
  const proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:'
  const q = token ? `?token=${encodeURIComponent(token)}` : ''
  // lockstep serve trades the URL token for an HttpOnly same-origin cookie (src/main/server/security.ts),
  // which the browser sends on the /api upgrade and on every media request by itself.
  return socketTransport({ url: `${proto}//${window.location.host}/api${q}` })
}

// ---------------------------------------------------------------- the API

let transport: Transport | null = null
function current(): Transport {
  return (transport ??= defaultTransport())
}

/** Replaces the transport (tests inject a fake; the app uses the default). */
export function installTransport(t: Transport | null): void {
  transport?.close?.()
  transport = t
}

/** Calls a channel: resolves to its result, rejects with an ApiError. */
export async function call<C extends ChannelName>(channel: C, input: InputOf<C>): Promise<ResultOf<C>> {
  let reply: Reply
  try {
    reply = await current().call(channel, input)
  } catch (err) {
    throw new ApiError('DISCONNECTED', `Could not call ${channel}: ${err instanceof Error ? err.message : String(err)}`)
  }
  if (reply.ok) return reply.result as ResultOf<C>
  const e = reply.error
  throw new ApiError(e.code, e.message, e.details)
}

/** Subscribes to an event; returns the unsubscribe. */
export function on<E extends EventName>(event: E, listener: (payload: PayloadOf<E>) => void): () => void {
  return current().subscribe(event, listener as (p: unknown) => void)
}

/** Follows the connection (browser mode reconnects by itself). */
export function onConnection(listener: (state: ConnectionState) => void): () => void {
  const t = current()
  if (t.onState) return t.onState(listener)
  listener('open')
  return () => {}
}

/** A media path (src/shared/media.ts) as a URL the page can load. */
export function mediaUrl(path: string, bust?: string | number): string {
  const t = current()
  const params = [t.mediaQuery ?? '', bust !== undefined ? `v=${encodeURIComponent(String(bust))}` : ''].filter(Boolean).join('&')
  return `${t.mediaBase}${path}${params ? (path.includes('?') ? '&' : '?') + params : ''}`
}

/** Fetches a `labels` media path: raw class indices with their size (see LabelsHeaders). */
export async function fetchLabels(
  path: string,
  signal?: AbortSignal,
): Promise<{ width: number; height: number; depth: 8 | 16; data: Uint8Array | Uint16Array }> {
  const res = await fetch(mediaUrl(path), { signal })
  if (!res.ok) {
    const text = await res.text().catch(() => '')
    throw new ApiError(res.status === 404 ? 'NOT_FOUND' : 'INTERNAL', text || `Could not load ${path}: HTTP ${res.status}`)
  }
  const width = Number(res.headers.get(LabelsHeaders.width))
  const height = Number(res.headers.get(LabelsHeaders.height))
  const depth = Number(res.headers.get(LabelsHeaders.depth)) === 16 ? 16 : 8
  const buf = await res.arrayBuffer()
  const data = depth === 16 ? new Uint16Array(buf.slice(0, width * height * 2)) : new Uint8Array(buf)
  if (data.length < width * height) throw new ApiError('CORRUPT', `Mask data for ${path} is ${data.length} values, expected ${width}x${height}`)
  return { width, height, depth, data }
}

export const api = { call, on, onConnection, mediaUrl, fetchLabels }
export type ApiModule = typeof api
