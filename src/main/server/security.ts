// Browser mode's gatekeeping, as pure functions over request headers so each rule is tested alone.
//
// The scheme (documented for the renderer's api.ts and for anyone scripting the server):
// - The server binds 127.0.0.1 only and prints `http://127.0.0.1:PORT/?token=TOKEN`, a random
//   per-launch token (32 bytes, base64url).
// - `GET /?token=TOKEN` sets the cookie `lockstep-PORT=TOKEN; HttpOnly; SameSite=Strict; Path=/`
//   and redirects (303) to `/`, so the token leaves the address bar and the history. The cookie
//   name carries the port because cookies are not isolated by port.
// - Every other request (pages, assets, /media/*, the /api WebSocket upgrade) must carry that
//   cookie, or (for scripts) `Authorization: Bearer TOKEN`, or `?token=TOKEN` on the /api upgrade.
// - Every request and upgrade must have `Host: 127.0.0.1:PORT` or `Host: localhost:PORT` (a
//   DNS-rebinding page has its own name in Host), and an Origin, when present, must be
//   `http://` + that same Host (a cross-site page or WebSocket has its own origin). A request a
//   browser marks `Sec-Fetch-Site` other than `same-origin` or `none` (typed URL) is refused too:
//   a page on another local port is same-site, gets the cookie, and sends no Origin on an <img>.
//   All refusals are 403.
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'

export function newToken(): string {
  return randomBytes(32).toString('base64url')
}

export function cookieName(port: number): string {
  return `lockstep-${port}`
}

/** Constant-time comparison; false for anything that is not a non-empty string. */
export function tokenEquals(candidate: unknown, token: string): boolean {
  if (typeof candidate !== 'string' || candidate.length === 0) return false
  const a = Buffer.from(candidate)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>()
  if (!header) return out
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq <= 0) continue
    const name = part.slice(0, eq).trim()
    const value = part.slice(eq + 1).trim()
    if (!out.has(name)) out.set(name, value)
  }
  return out
}

export type Verdict = { ok: true } | { ok: false; reason: string }

const one = (h: string | string[] | undefined): string | undefined => (Array.isArray(h) ? h[0] : h)

/** Host must name this server by loopback address or localhost, with its port; nothing else. */
export function checkHost(headers: IncomingHttpHeaders, port: number): Verdict {
  const host = one(headers.host)
  if (host === `127.0.0.1:${port}` || host === `localhost:${port}`) return { ok: true }
  return { ok: false, reason: `Host ${JSON.stringify(host ?? '')} is not 127.0.0.1:${port} or localhost:${port}` }
}

/** Origin, when sent, must be this very origin; Sec-Fetch-Site must not say cross-site. */
export function checkOrigin(headers: IncomingHttpHeaders): Verdict {
  const origin = one(headers.origin)
  if (origin !== undefined && origin !== `http://${one(headers.host)}`) {
    return { ok: false, reason: `Origin ${JSON.stringify(origin)} is not this server` }
  }
  // Another port on 127.0.0.1 is the same *site* (cookies flow to it) but not the same origin, and
  // browsers send no Origin on a plain <img> or navigation: Sec-Fetch-Site tells them apart.
  const site = one(headers['sec-fetch-site'])
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return { ok: false, reason: `${site} request` }
  return { ok: true }
}

/** The token from the cookie or an Authorization: Bearer header. */
export function hasToken(headers: IncomingHttpHeaders, port: number, token: string): boolean {
  if (tokenEquals(parseCookies(one(headers.cookie)).get(cookieName(port)), token)) return true
  const auth = one(headers.authorization)
  return !!auth && auth.startsWith('Bearer ') && tokenEquals(auth.slice(7), token)
}

export function sessionCookie(port: number, token: string): string {
  return `${cookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`
}
