// Reads one file for the catalog: its bytes (once), a content hash, and the header through sharp's
// metadata (no pixel decode). Every problem comes back as a SampleError naming the file, never a throw.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import sharp, { type Metadata } from 'sharp'
import type { SampleError } from '../../shared/contract/catalog'
import { MAX_INPUT_PIXELS } from '../io'
import { maskEncodingOf } from '../io/png'
import { canCountLabels, labelHistogram, pngChannels, walkPng, type PngInfo } from './png'

export interface FileProbe {
  hash: string
  bytes: number
  format: string
  /** after EXIF orientation */
  width: number
  height: number
  channels: number
  /** bits per sample */
  depth: number
  orientation: number
  /** PNG palette (mask indices are 8-bit) */
  palette: boolean
  /** masks read on the fast path: class index -> pixels (otherwise the class pass reads them) */
  histogram?: Map<number, number>
  /** a palette mask's own colours ('#rrggbb' by index): they become the colours of new classes */
  paletteColors?: string[]
}

export type ProbeResult = { ok: true; probe: FileProbe } | { ok: false; error: SampleError; hash: string | null; bytes: number | null }

export type Role = 'image' | 'mask'

const READABLE: Record<Role, string[]> = { image: ['jpeg', 'png', 'webp', 'tiff'], mask: ['png', 'tiff'] }
const NAMES: Record<string, string> = { jpeg: 'JPEG', png: 'PNG', webp: 'WebP', tiff: 'TIFF' }

/** The format the bytes claim, from their signature. */
export function sniff(b: Uint8Array): string | undefined {
  const at = (i: number, ...xs: number[]) => xs.every((x, k) => b[i + k] === x)
  if (at(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'png'
  if (at(0, 0xff, 0xd8, 0xff)) return 'jpeg'
  if (at(0, 0x52, 0x49, 0x46, 0x46) && at(8, 0x57, 0x45, 0x42, 0x50)) return 'webp'
  if (at(0, 0x49, 0x49, 0x2a, 0x00) || at(0, 0x4d, 0x4d, 0x00, 0x2a) || at(0, 0x49, 0x49, 0x2b, 0x00) || at(0, 0x4d, 0x4d, 0x00, 0x2b)) return 'tiff'
  if (at(0, 0x47, 0x49, 0x46, 0x38)) return 'gif'
  if (at(0, 0x42, 0x4d)) return 'bmp'
  if (at(4, 0x66, 0x74, 0x79, 0x70)) return 'heif/avif'
  if (at(0, 0x00, 0x00, 0x01, 0x00)) return 'ico'
  if (at(0, 0x3c, 0x73, 0x76, 0x67) || at(0, 0x3c, 0x3f, 0x78, 0x6d, 0x6c)) return 'svg'
  if (at(0, 0x25, 0x50, 0x44, 0x46)) return 'pdf'
  return undefined
}

/** Cheap end-of-stream checks: a file cut short loses its trailer, which a header read never sees. */
function truncation(format: string, b: Uint8Array): string | undefined {
  const n = b.length
  if (format === 'png') {
    return undefined // walkPng checks every chunk
  } else if (format === 'jpeg') {
    const from = Math.max(2, n - 4096)
    let found = false
    for (let i = n - 2; i >= from; i--) {
      if (b[i] === 0xff && b[i + 1] === 0xd9) {
        found = true
        break
      }
    }
    if (!found) return 'the JPEG has no end-of-image marker (truncated)'
  } else if (format === 'webp') {
    const size = (b[4]! | (b[5]! << 8) | (b[6]! << 16)) + b[7]! * 16777216
    if (size + 8 > n) return `the WebP declares ${size + 8} bytes but the file has ${n} (truncated)`
  }
  return undefined
}

function paletteColors(buf: Buffer): string[] | undefined {
  const e = maskEncodingOf(buf)
  const plte = e.ok ? e.encoding.plte : undefined
  if (!plte) return undefined
  const out: string[] = []
  for (let i = 0; i + 2 < plte.length; i += 3) out.push('#' + [plte[i]!, plte[i + 1]!, plte[i + 2]!].map((v) => v.toString(16).padStart(2, '0')).join(''))
  return out
}

function fail(kind: SampleError['kind'], message: string, hash: string | null = null, bytes: number | null = null): ProbeResult {
  return { ok: false, error: { kind, message }, hash, bytes }
}

export interface ProbeOptions {
  /** decompression-bomb guard: more pixels than this is TOO_LARGE (default: the engine's limit) */
  maxPixels?: number
}

export async function probeFile(abs: string, rel: string, role: Role, options: ProbeOptions = {}): Promise<ProbeResult> {
  const label = role === 'image' ? 'Image' : 'Mask'
  let buf: Buffer
  try {
    // A synchronous read is several times cheaper than fs.promises for the small files datasets are
    // made of (no thread-pool round trips for open/stat/read/close); sharp and zlib still overlap.
    buf = readFileSync(abs)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const why = code === 'ENOENT' ? 'it is a broken link or was removed during the scan' : (err as Error).message
    return fail('UNREADABLE', `${label} ${rel} cannot be read (${code ?? 'error'}): ${why}`)
  }
  const hash = createHash('sha1').update(buf).digest('hex')
  const bytes = buf.length
  if (bytes === 0) return fail('CORRUPT', `${label} ${rel} is empty (0 bytes)`, hash, bytes)
  const claimed = sniff(buf)
  if (claimed === undefined) {
    return fail('CORRUPT', `${label} ${rel} is not a valid image: its first bytes match no image format (corrupt or not an image)`, hash, bytes)
  }
  if (!READABLE[role].includes(claimed)) {
    const want = READABLE[role].map((f) => NAMES[f]).join(', ')
    const extra = role === 'mask' && claimed in NAMES ? ' (masks must be lossless so class indices survive)' : ''
    return fail('UNSUPPORTED_FORMAT', `${label} ${rel} is ${claimed.toUpperCase()}; Lockstep reads ${want} ${role === 'mask' ? 'masks' : 'images'}${extra}`, hash, bytes)
  }
  const maxPixels = options.maxPixels ?? MAX_INPUT_PIXELS
  const tooLarge = (w: number, h: number) =>
    fail(
      'TOO_LARGE',
      `${label} ${rel} declares ${w}x${h} = ${(w * h).toLocaleString('en-US')} pixels, over the ${maxPixels.toLocaleString('en-US')}-pixel limit (decompression bomb guard)`,
      hash,
      bytes,
    )
  let png: PngInfo | undefined
  if (claimed === 'png') {
    const walk = walkPng(buf)
    if (!walk.ok) return fail('CORRUPT', `${label} ${rel} is corrupt: ${walk.problem}`, hash, bytes)
    png = walk.info
    if (!png.width || !png.height) return fail('CORRUPT', `${label} ${rel} is corrupt: its header declares a zero size`, hash, bytes)
    if (png.width * png.height > maxPixels) return tooLarge(png.width, png.height)
  } else {
    const cut = truncation(claimed, buf)
    if (cut) return fail('CORRUPT', `${label} ${rel} is corrupt: ${cut}`, hash, bytes)
  }
  if (png && !png.exif) {
    // The fast path: the header is all the PNG needs (no EXIF chunk, so no orientation).
    const probe: FileProbe = {
      hash,
      bytes,
      format: 'png',
      width: png.width,
      height: png.height,
      channels: pngChannels(png.colorType),
      depth: png.bitDepth === 16 ? 16 : 8,
      orientation: 1,
      palette: png.colorType === 3,
    }
    if (role === 'mask' && png.colorType === 3) probe.paletteColors = paletteColors(buf)
    if (role === 'mask' && canCountLabels(png)) {
      try {
        probe.histogram = await labelHistogram(buf, png)
      } catch (err) {
        return fail('CORRUPT', `${label} ${rel} is corrupt: ${(err as Error).message}`, hash, bytes)
      }
    }
    return { ok: true, probe }
  }
  let m: Metadata
  try {
    m = await sharp(buf, { limitInputPixels: false }).metadata()
  } catch (err) {
    return fail('CORRUPT', `${label} ${rel} is corrupt: ${(err as Error).message.trim()}`, hash, bytes)
  }
  if (!m.width || !m.height) return fail('CORRUPT', `${label} ${rel} is corrupt: no dimensions in its header`, hash, bytes)
  if (m.width * m.height > maxPixels) return tooLarge(m.width, m.height)
  const orientation = m.orientation ?? 1
  const swap = orientation >= 5 && orientation <= 8
  const depth = m.depth === 'ushort' || m.depth === 'short' ? 16 : m.depth === 'uchar' || m.depth === 'char' ? 8 : m.depth === 'uint' || m.depth === 'float' ? 32 : 8
  return {
    ok: true,
    probe: {
      hash,
      bytes,
      format: m.format ?? claimed,
      width: swap ? m.height : m.width,
      height: swap ? m.width : m.height,
      channels: m.channels ?? 0,
      depth,
      orientation,
      palette: m.isPalette ?? false,
    },
  }
}
