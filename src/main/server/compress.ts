// Compression of raw media bodies for the browser mode's HTTP server. A 4000x3000 label map is
// 12 MB raw and a few tens of KB gzipped: over HTTP the raw body cost the Inspector ~200 ms per
// open (bench:label). zlib's run-length strategy suits label maps (long runs of one index): about
// ten times faster than the default strategy at a smaller size. Electron's in-process protocol
// handler serves the raw bytes (nothing crosses a socket there).
import type { IncomingHttpHeaders } from 'node:http'
import { promisify } from 'node:util'
import { constants, gzip } from 'node:zlib'

const gzipAsync = promisify(gzip)

/** Whether the request's Accept-Encoding allows gzip (absent, or `gzip;q=0`: no). */
export function acceptsGzip(headers: IncomingHttpHeaders): boolean {
  const accept = headers['accept-encoding']
  if (typeof accept !== 'string') return false
  return accept.split(',').some((part) => {
    const [name, ...params] = part.trim().toLowerCase().split(';')
    if (name.trim() !== 'gzip' && name.trim() !== '*') return false
    const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)).find(Boolean)
    return !q || Number(q[1]) > 0
  })
}

/** gzip with zlib's run-length strategy (off the event loop: zlib runs on the thread pool). */
export function gzipRuns(body: Buffer): Promise<Buffer> {
  return gzipAsync(body, { level: 1, strategy: constants.Z_RLE })
}
