// The two custom protocols of the desktop app, as plain fetch handlers (Request -> Response) so
// they are tested under Node: `lockstep://app/...` serves the built renderer (never remote
// content), `lockstep-media://app/media/...` serves media through the same resolver as browser mode.
import { resolveMedia, type MediaDeps } from '../media'
import { baseHeaders, contentSecurityPolicy } from '../media/headers'
import { readStatic } from '../media/static'
import type { ServiceContext } from '../services'
import { APP_ORIGIN } from '../../shared/ipc-names'

export const APP_SCHEME = 'lockstep'
export const MEDIA_SCHEME = 'lockstep-media'

/** The desktop window's Content-Security-Policy: our files, our media protocol, nothing remote. */
export const electronCsp = contentSecurityPolicy({ img: [`${MEDIA_SCHEME}:`], connect: [`${MEDIA_SCHEME}:`] })

const plain = (status: number, text: string) => new Response(text + '\n', { status, headers: { ...baseHeaders, 'content-type': 'text/plain; charset=utf-8' } })

export function appProtocolHandler(rendererDir: string): (req: Request) => Promise<Response> {
  return async (req) => {
    const url = new URL(req.url)
    if (url.protocol !== `${APP_SCHEME}:` || url.host !== 'app') return plain(404, 'Not found')
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(405, 'Method not allowed')
    const file = await readStatic(rendererDir, url.pathname)
    if (!file) return plain(404, `Not found: ${url.pathname.slice(0, 200)}`)
    const headers: Record<string, string> = { ...baseHeaders, 'content-type': file.contentType }
    if (file.isHtml) headers['content-security-policy'] = electronCsp
    return new Response(req.method === 'HEAD' ? null : new Uint8Array(file.body), { status: 200, headers })
  }
}

export function mediaProtocolHandler(ctx: ServiceContext, deps?: MediaDeps): (req: Request) => Promise<Response> {
  return async (req) => {
    const url = new URL(req.url)
    if (url.protocol !== `${MEDIA_SCHEME}:` || url.host !== 'app') return plain(404, 'Not found')
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(405, 'Method not allowed')
    const r = await resolveMedia(url.pathname, ctx, deps)
    return new Response(req.method === 'HEAD' ? null : new Uint8Array(r.body), {
      status: r.status,
      headers: {
        ...baseHeaders,
        ...r.headers,
        'content-type': r.contentType,
        // The renderer (lockstep://app) reads labels with fetch: a different origin.
        'access-control-allow-origin': APP_ORIGIN,
        'access-control-expose-headers': 'x-lockstep-width, x-lockstep-height, x-lockstep-depth',
        'cross-origin-resource-policy': 'cross-origin',
      },
    })
  }
}
