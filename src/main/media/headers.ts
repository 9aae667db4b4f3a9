// What both doors put on their responses: the base headers and the page's Content-Security-Policy.

/** Headers on every response. */
export const baseHeaders: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
}

/**
 * The renderer page's Content-Security-Policy: only our own scripts, nothing remote. A door adds
 * where its media and API come from: `img` and `connect` sources, and `manifest` (browser mode).
 */
export function contentSecurityPolicy(door: { img?: string[]; connect?: string[]; manifest?: boolean }): string {
  const sources = (base: string, extra: string[] = []) => [base, ...extra].join(' ')
  return [
    "default-src 'none'",
    "script-src 'self'",
    // Vue and chart libraries set style attributes; no script can come through style-src.
    "style-src 'self' 'unsafe-inline'",
    sources("img-src 'self' data: blob:", door.img),
    "font-src 'self' data:",
    sources("connect-src 'self'", door.connect),
    "worker-src 'self' blob:",
    ...(door.manifest ? ["manifest-src 'self'"] : []),
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ')
}
