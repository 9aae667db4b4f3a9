// Browser mode: the built renderer, the whole contract over a WebSocket at /api, and media over
// HTTP at /media/..., on 127.0.0.1 only, behind a per-launch token (rules in ./security.ts).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { WebSocketServer, WebSocket, type RawData } from 'ws'
import type { ServerMessage } from '../../shared/wire'
import { createContext, dispatch, type EventSink, type ServiceContext } from '../services'
import { resolveMedia, type MediaDeps } from '../media'
import { baseHeaders, contentSecurityPolicy } from '../media/headers'
import { readStatic } from '../media/static'
import { acceptsGzip, gzipRuns } from './compress'
import { checkHost, checkOrigin, hasToken, newToken, sessionCookie, tokenEquals } from './security'

export interface ServeOptions {
  /** Folder of the built renderer (out/renderer). */
  rendererDir: string
  /** 0 (default) picks a free port. */
  port?: number
  /** Fixed token (tests); a random one otherwise. */
  token?: string
  /** Called with the context before the server listens (open a project here). */
  setup?: (ctx: ServiceContext) => Promise<void> | void
  mediaDeps?: MediaDeps
  /** Where the recent projects list is kept (none: in memory). */
  userDataDir?: string
  /** Largest WebSocket message accepted, bytes. */
  maxPayload?: number
}

export interface RunningServer {
  url: string
  port: number
  token: string
  ctx: ServiceContext
  close(): Promise<void>
}

const MAX_CALLS_IN_FLIGHT = 64

/** The page's policy: this origin's scripts, its WebSocket and media. */
const pageCsp = (port: number) => contentSecurityPolicy({ connect: [`ws://127.0.0.1:${port}`, `ws://localhost:${port}`], manifest: true })

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const token = options.token ?? newToken()
  const sockets = new Set<WebSocket>()
  const events: EventSink = {
    emit(name, payload) {
      const msg: ServerMessage = { type: 'event', name, payload }
      const text = JSON.stringify(msg)
      for (const ws of sockets) if (ws.readyState === WebSocket.OPEN) ws.send(text)
    },
  }
  const ctx = createContext(events, options.userDataDir ? { userDataDir: options.userDataDir } : {})
  await options.setup?.(ctx)
  let port = 0

  const send = (res: ServerResponse, status: number, contentType: string, body: Buffer | string, headers: Record<string, string> = {}) => {
    const buf = typeof body === 'string' ? Buffer.from(body) : body
    res.writeHead(status, { ...baseHeaders, 'content-type': contentType, 'content-length': String(buf.length), ...headers })
    res.end(res.req.method === 'HEAD' ? undefined : buf)
  }
  const refuse = (res: ServerResponse, why: string) => send(res, 403, 'text/plain; charset=utf-8', `Forbidden: ${why}\n`, { 'cache-control': 'no-store' })

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const host = checkHost(req.headers, port)
    if (!host.ok) return refuse(res, host.reason)
    const origin = checkOrigin(req.headers)
    if (!origin.ok) return refuse(res, origin.reason)
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return send(res, 405, 'text/plain; charset=utf-8', 'Method not allowed\n', { allow: 'GET, HEAD' })
    }
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`)
    const queryToken = url.searchParams.get('token')
    if (queryToken !== null) {
      // The printed URL: trade the token for a cookie and drop it from the address bar.
      if (!tokenEquals(queryToken, token)) return refuse(res, 'wrong token: open the URL printed by `lockstep serve`')
      url.searchParams.delete('token')
      const location = url.pathname + (url.search || '')
      return send(res, 303, 'text/plain; charset=utf-8', '', { location, 'set-cookie': sessionCookie(port, token), 'cache-control': 'no-store' })
    }
    if (!hasToken(req.headers, port, token)) return refuse(res, 'missing or wrong token: open the URL printed by `lockstep serve`')

    if (url.pathname.startsWith('/media/')) {
      const r = await resolveMedia(url.pathname, ctx, options.mediaDeps)
      if (r.compressible && acceptsGzip(req.headers)) {
        return send(res, r.status, r.contentType, await gzipRuns(r.body), { ...r.headers, 'content-encoding': 'gzip', vary: 'accept-encoding' })
      }
      return send(res, r.status, r.contentType, r.body, r.headers)
    }
    const file = await readStatic(options.rendererDir, url.pathname)
    if (!file) return send(res, 404, 'text/plain; charset=utf-8', `Not found: ${url.pathname.slice(0, 200)}\n`, { 'cache-control': 'no-store' })
    const headers: Record<string, string> = file.isHtml
      ? { 'content-security-policy': pageCsp(port), 'cache-control': 'no-store' }
      : { 'cache-control': 'no-cache' }
    return send(res, 200, file.contentType, file.body, headers)
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'Internal error\n')
      else res.destroy()
    })
  })

  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayload ?? 16 * 1024 * 1024 })
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy())
    const deny = (status: number, why: string) => {
      socket.end(`HTTP/1.1 ${status} ${status === 403 ? 'Forbidden' : 'Not Found'}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${why}\n`)
    }
    const host = checkHost(req.headers, port)
    if (!host.ok) return deny(403, host.reason)
    const origin = checkOrigin(req.headers)
    if (!origin.ok) return deny(403, origin.reason)
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`)
    if (url.pathname !== '/api') return deny(404, 'WebSocket endpoint is /api')
    if (!hasToken(req.headers, port, token) && !tokenEquals(url.searchParams.get('token'), token)) {
      return deny(403, 'missing or wrong token')
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req))
  })

  wss.on('connection', (ws: WebSocket) => {
    sockets.add(ws)
    let inFlight = 0
    ws.on('close', () => sockets.delete(ws))
    ws.on('error', () => ws.terminate())
    ws.on('message', (data: RawData, isBinary: boolean) => {
      let id = -1
      const reply = (msg: ServerMessage) => {
        if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg))
      }
      let msg: unknown
      try {
        if (isBinary) throw new Error('binary message')
        msg = JSON.parse(data.toString())
      } catch {
        return reply({
          type: 'reply',
          id,
          ok: false,
          error: { code: 'INVALID_INPUT', message: 'A message must be JSON text: {"type":"call","id":N,"channel":"...","input":{...}}' },
        })
      }
      const m = msg as { type?: unknown; id?: unknown; channel?: unknown; input?: unknown }
      if (m && typeof m === 'object' && typeof m.id === 'number' && Number.isSafeInteger(m.id)) id = m.id
      if (!m || typeof m !== 'object' || m.type !== 'call' || id < 0 || typeof m.channel !== 'string') {
        return reply({
          type: 'reply',
          id,
          ok: false,
          error: { code: 'INVALID_INPUT', message: 'A message must be {"type":"call","id":N (integer >= 0),"channel":"...","input":{...}}' },
        })
      }
      if (inFlight >= MAX_CALLS_IN_FLIGHT) {
        return reply({ type: 'reply', id, ok: false, error: { code: 'BUSY', message: `More than ${MAX_CALLS_IN_FLIGHT} calls in flight on one connection` } })
      }
      inFlight++
      dispatch(m.channel, m.input, ctx).then(
        (r) => {
          inFlight--
          reply({ type: 'reply', id, ...r })
        },
        (err: unknown) => {
          inFlight--
          reply({ type: 'reply', id, ok: false, error: { code: 'INTERNAL', message: String((err as Error)?.message ?? err) } })
        },
      )
    })
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  port = (server.address() as AddressInfo).port

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    ctx,
    close: async () => {
      for (const ws of sockets) ws.terminate()
      wss.close()
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
      ctx.session.close()
    },
  }
}
