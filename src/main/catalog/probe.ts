// Reads one file for the catalog: its bytes (once), content hashes (sha1, the catalog's; sha256,
// the whole-file check's), the verdict of io/verify's whole-file check (every scan of a JPEG, every
// byte of a PNG's zlib stream, bounded by its header), and the header. Every problem comes back as
// a SampleError naming the file, never a throw.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import sharp, { type Metadata } from 'sharp'
import type { SampleError } from '../../shared/contract/catalog'
import { MAX_INPUT_PIXELS } from '../io'
import { maskEncodingOf } from '../io/png'
import { sniff, verifyBytes } from '../io/verify'
import type { FileCheck } from './file-checks'
import { canCountLabels, labelHistogram, pngChannels, walkPng, type PngInfo } from './png'

export { sniff }

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

/** `check`: the whole-file verdict, for file_checks (absent when the file was not checked: unreadable, empty, not a readable format). */
export type ProbeResult =
  { ok: true; probe: FileProbe; check?: FileCheck } | { ok: false; error: SampleError; hash: string | null; bytes: number | null; check?: FileCheck }

export type Role = 'image' | 'mask'

const READABLE: Record<Role, string[]> = { image: ['jpeg', 'png', 'webp', 'tiff'], mask: ['png', 'tiff'] }
const NAMES: Record<string, string> = { jpeg: 'JPEG', png: 'PNG', webp: 'WebP', tiff: 'TIFF' }

/** WebP's RIFF size against the file's: a file cut short loses its tail, which a header read never sees. */
function truncation(format: string, b: Uint8Array): string | undefined {
  if (format !== 'webp') return undefined
  const n = b.length
  const size = (b[4] | (b[5] << 8) | (b[6] << 16)) + b[7] * 16777216
  return size + 8 > n ? `the WebP declares ${size + 8} bytes but the file has ${n} (truncated)` : undefined
}

function paletteColors(buf: Buffer): string[] | undefined {
  const e = maskEncodingOf(buf)
  const plte = e.ok ? e.encoding.plte : undefined
  if (!plte) return undefined
  const out: string[] = []
  for (let i = 0; i + 2 < plte.length; i += 3) out.push('#' + [plte[i], plte[i + 1], plte[i + 2]].map((v) => v.toString(16).padStart(2, '0')).join(''))
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
    const why = code === 'ENOENT' ? 'it is a broken link or was removed during the scan' : code === 'ELOOP' ? 'it is a symlink loop' : (err as Error).message
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
    return fail(
      'UNSUPPORTED_FORMAT',
      `${label} ${rel} is ${claimed.toUpperCase()}; Lockstep reads ${want} ${role === 'mask' ? 'masks' : 'images'}${extra}`,
      hash,
      bytes,
    )
  }
  const maxPixels = options.maxPixels ?? MAX_INPUT_PIXELS
  // the whole file, checked once: recorded against its sha256 (file_checks) whatever the verdict
  const sha256 = createHash('sha256').update(buf).digest('hex')
  const verdict = await verifyBytes(buf, sha256, maxPixels)
  const check: FileCheck = { sha256, sha1: hash, verdict }
  if (!verdict.ok) {
    const why =
      verdict.code === 'TOO_LARGE'
        ? `declares ${verdict.problem} (decompression bomb guard)`
        : verdict.code === 'CORRUPT'
          ? `is corrupt: ${verdict.problem}`
          : `is not a supported image: ${verdict.problem}`
    return { ...(fail(verdict.code, `${label} ${rel} ${why}`, hash, bytes) as Extract<ProbeResult, { ok: false }>), check }
  }
  const done = (r: ProbeResult): ProbeResult => ({ ...r, check })
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
    if (!walk.ok) return done(fail('CORRUPT', `${label} ${rel} is corrupt: ${walk.problem}`, hash, bytes))
    png = walk.info
    if (!png.width || !png.height) return done(fail('CORRUPT', `${label} ${rel} is corrupt: its header declares a zero size`, hash, bytes))
    if (png.width * png.height > maxPixels) return tooLarge(png.width, png.height)
  } else {
    const cut = truncation(claimed, buf)
    if (cut) return done(fail('CORRUPT', `${label} ${rel} is corrupt: ${cut}`, hash, bytes))
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
        return done(fail('CORRUPT', `${label} ${rel} is corrupt: ${(err as Error).message}`, hash, bytes))
      }
    }
    return done({ ok: true, probe })
  }
  let m: Metadata
  try {
    m = await sharp(buf, { limitInputPixels: false }).metadata()
  } catch {
    return done(fail('CORRUPT', `${label} ${rel} is corrupt: its header cannot be read`, hash, bytes))
  }
  if (!m.width || !m.height) return done(fail('CORRUPT', `${label} ${rel} is corrupt: no dimensions in its header`, hash, bytes))
  if (m.width * m.height > maxPixels) return tooLarge(m.width, m.height)
  const orientation = m.orientation ?? 1
  const swap = orientation >= 5 && orientation <= 8
  const depth =
    m.depth === 'ushort' || m.depth === 'short' ? 16 : m.depth === 'uchar' || m.depth === 'char' ? 8 : m.depth === 'uint' || m.depth === 'float' ? 32 : 8
  return done({
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
  })
}
