// Reads the built renderer (out/renderer) for both doors, read-only: only regular files under its real root.
import { realpath, readFile, stat } from 'node:fs/promises'
import { extname, join, sep } from 'node:path'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
}

export interface StaticFile {
  body: Buffer
  contentType: string
  isHtml: boolean
}

/**
 * Maps a URL path (already split from its query) to a file under `root`, or undefined (404).
 * Refuses percent-encoded or literal `..`, backslashes, NUL, and anything whose real path leaves
 * the root (symlinks included).
 */
export async function readStatic(root: string, urlPath: string): Promise<StaticFile | undefined> {
  let decoded: string
  try {
    decoded = decodeURIComponent(urlPath)
  } catch {
    return undefined
  }
  if (!decoded.startsWith('/') || decoded.includes('\0') || decoded.includes('\\')) return undefined
  const parts = decoded.split('/').filter((p) => p !== '')
  if (parts.some((p) => p === '..' || p === '.')) return undefined
  const rel = parts.length === 0 ? 'index.html' : parts.join('/')
  try {
    const realRoot = await realpath(root)
    const file = await realpath(join(realRoot, rel))
    if (!file.startsWith(realRoot + sep)) return undefined
    const st = await stat(file)
    if (!st.isFile()) return undefined
    const ext = extname(file).toLowerCase()
    return { body: await readFile(file), contentType: TYPES[ext] ?? 'application/octet-stream', isHtml: ext === '.html' }
  } catch {
    return undefined
  }
}
