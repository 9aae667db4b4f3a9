// Trust before speed: the verdict on a whole file, from its bytes. A JPEG is read to the end of its
// last scan (io/check-jpeg.ts), a PNG's chunks and zlib stream to their ends, bounded by what the
// header allows (io/check-png.ts); a format those checks do not read (WebP, TIFF, arithmetic-coded
// or 12-bit JPEG) is decoded whole by libvips instead. The native addon runs the same checks off
// the main thread (native/decoders check_jpeg.c, check_png_data), with the same verdict in the same
// words; without it the JS references run. A verdict never carries libvips' error text (its error
// buffer is shared between threads: another file's words could end up here), only what these
// checks found, so the same file gets the same message every time, on any worker count.
//
// A partial read (a crop's window: the native region decoders) is allowed only for a file whose
// verdict is known to be sound, or beside a check that must pass before anything made from it is
// kept (export/render.ts). Verdicts are remembered for the process by content hash (sha256); the
// catalog keeps them for a project (file_checks).
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { LockstepError } from '../../shared/errors'
import { checkJpeg } from './check-jpeg'
import { checkPngData, pngDataProblem, pngRows } from './check-png'
import { decodeError, MAX_INPUT_PIXELS, type Role } from './decode-errors'
import { nativeAddon } from './native'
import { idatOf, takeWholeInflate, walkPng, type PngInfo } from './png'
import { loadSharp } from './sharp'

export type Verdict = { ok: true; format: string } | { ok: false; format: string; code: 'CORRUPT' | 'TOO_LARGE' | 'UNSUPPORTED_FORMAT'; problem: string }
export type BadVerdict = Extract<Verdict, { ok: false }>

/**
 * Which checks a verdict came from: a verdict recorded by an older version (a project's
 * file_checks) is taken again when this changes.
 */
export const CHECKER_VERSION = 1

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

export const FORMAT_NAMES: Record<string, string> = { jpeg: 'JPEG', png: 'PNG', webp: 'WebP', tiff: 'TIFF' }

const bad = (format: string, code: BadVerdict['code'], problem: string): BadVerdict => ({ ok: false, format, code, problem })
const tooLarge = (format: string, w: number, h: number, max: number) =>
  bad(format, 'TOO_LARGE', `${w}x${h} = ${(w * h).toLocaleString('en-US')} pixels, over the ${max.toLocaleString('en-US')}-pixel limit`)

/** The verdict on a file's bytes (no memory of earlier verdicts: see verifyBytes). */
export async function checkBytes(b: Buffer, maxPixels = MAX_INPUT_PIXELS): Promise<Verdict> {
  const format = sniff(b)
  if (format === 'jpeg') return checkJpegBytes(b, maxPixels)
  if (format === 'png') return checkPngBytes(b, maxPixels)
  if (format === 'webp' || format === 'tiff') return decodeCheck(b, format, maxPixels)
  return bad(
    format ?? 'unknown',
    'UNSUPPORTED_FORMAT',
    format ? `${format.toUpperCase()} is not a format Lockstep reads (JPEG, PNG, WebP, TIFF)` : 'its first bytes match no image format',
  )
}

async function checkJpegBytes(b: Buffer, maxPixels: number): Promise<Verdict> {
  const addon = nativeAddon()
  let r: { verdict: number; message: string }
  if (addon && maxPixels <= addon.maxPixels) r = await addon.checkJpeg(b, maxPixels)
  else {
    const js = checkJpeg(b, maxPixels)
    r =
      js.ok === true
        ? { verdict: 0, message: '' }
        : js.ok === false
          ? { verdict: js.kind === 'TOO_LARGE' ? 2 : 1, message: js.problem }
          : { verdict: 3, message: js.unsupported }
  }
  if (r.verdict === 0) return { ok: true, format: 'JPEG' }
  if (r.verdict === 1) return bad('JPEG', 'CORRUPT', r.message)
  if (r.verdict === 2) {
    const [w, h] = r.message.split('x').map(Number)
    return tooLarge('JPEG', w, h, maxPixels)
  }
  return decodeCheck(b, 'jpeg', maxPixels)
}

/** Inflated bytes up to which the JS check runs even with the addon. */
const SMALL_PNG = 256 * 1024

async function checkPngBytes(b: Buffer, maxPixels: number): Promise<Verdict> {
  const walk = walkPng(b, true)
  if (!walk.ok) return bad('PNG', 'CORRUPT', walk.problem)
  const info = walk.info
  if (info.width * info.height > maxPixels) return tooLarge('PNG', info.width, info.height, maxPixels)
  const layout = pngRows(info)
  const z = idatOf(b, info)
  // small streams here (a thread-pool hop costs more than inflating them); the same verdict either way
  const addon = layout.expected > SMALL_PNG ? nativeAddon() : null
  const inflated = takeWholeInflate(b)
  const r = addon ? await addon.checkPng(z, layout.rows, layout.strides) : checkPngData(z, layout, inflated)
  const problem = pngDataProblem(r, info, layout, z.length)
  return problem ? bad('PNG', 'CORRUPT', problem) : { ok: true, format: 'PNG' }
}

/**
 * Whether a check of these bytes is still to come (no verdict on this very buffer yet) and would
 * inflate its PNG stream in JS (no addon, or a small stream): a label decode of them then leaves
 * its inflate of the whole stream for that check (io/png.ts decodeLabelRegion's keepForCheck).
 */
export function jsPngCheckFollows(b: Buffer, info: PngInfo): boolean {
  if (byBuffer.has(b)) return false
  return pngRows(info).expected <= SMALL_PNG || !nativeAddon()
}

/** Formats the checks above do not read: libvips decodes every pixel (streaming: no image held). */
async function decodeCheck(b: Buffer, format: string, maxPixels: number): Promise<Verdict> {
  const name = FORMAT_NAMES[format] ?? format.toUpperCase()
  const sharp = await loadSharp()
  let width: number
  let height: number
  try {
    const m = await sharp(b, { limitInputPixels: false }).metadata()
    width = m.width ?? 0
    height = m.height ?? 0
  } catch {
    return bad(name, 'CORRUPT', `its ${name} header cannot be read`)
  }
  if (!width || !height) return bad(name, 'CORRUPT', `its ${name} header holds no size`)
  if (width * height > maxPixels) return tooLarge(name, width, height, maxPixels)
  try {
    await sharp(b, { limitInputPixels: maxPixels, failOn: format === 'jpeg' ? 'warning' : 'error', sequentialRead: true }).stats()
  } catch {
    return bad(name, 'CORRUPT', `the ${name} decoder rejects its data`)
  }
  return { ok: true, format: name }
}

// ---- verdicts remembered by content -------------------------------------------------------------

const REMEMBERED = 50_000
const memo = new Map<string, Promise<Verdict>>()
/** The same bytes object asked about again (an export's render checks what it then decodes): no second hash. */
let byBuffer = new WeakMap<Buffer, { key: string; verdict: Promise<Verdict> }>()

export function sha256Hex(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex')
}

/**
 * The verdict on these bytes, once per content and limit in this process (`sha256`: their hash,
 * when the caller has it). Concurrent calls for the same content share one check.
 */
export function verifyBytes(b: Buffer, sha256?: string, maxPixels = MAX_INPUT_PIXELS): Promise<Verdict> {
  const same = byBuffer.get(b)
  if (same && same.key.endsWith(`:${maxPixels}`) && (!sha256 || same.key.startsWith(sha256))) return same.verdict
  const key = `${sha256 ?? sha256Hex(b)}:${maxPixels}`
  let v = memo.get(key)
  if (v) {
    memo.delete(key)
    memo.set(key, v)
    byBuffer.set(b, { key, verdict: v })
    return v
  }
  v = checkBytes(b, maxPixels)
  memo.set(key, v)
  byBuffer.set(b, { key, verdict: v })
  v.catch(() => memo.delete(key))
  if (memo.size > REMEMBERED) memo.delete(memo.keys().next().value!)
  return v
}

/** Forgets every remembered verdict (tests). */
export function forgetVerdicts(): void {
  memo.clear()
  byBuffer = new WeakMap()
}

/** The error a bad verdict makes, naming the file: `Image a.jpg: corrupt JPEG (truncated: ...)`. */
export function verdictError(v: BadVerdict, file: string, role: Role): LockstepError {
  const who = role === 'mask' ? 'Mask' : 'Image'
  const what =
    v.code === 'CORRUPT'
      ? `corrupt ${v.format} (${v.problem})`
      : v.code === 'TOO_LARGE'
        ? `${v.problem} (decompression bomb guard)`
        : `not a supported image: ${v.problem}`
  return new LockstepError(v.code, `${who} ${file}: ${what}`, { file, role })
}

/** Throws the verdict's error when these bytes are not a sound image. */
export async function requireSound(b: Buffer, file: string, role: Role, sha256?: string): Promise<void> {
  const v = await verifyBytes(b, sha256)
  if (!v.ok) throw verdictError(v, file, role)
}

/** The file's bytes once they are known to be a sound image (else its error, naming the file). */
export async function readSound(file: string, role: Role): Promise<Buffer> {
  let b: Buffer
  try {
    b = await readFile(file)
  } catch (err) {
    throw decodeError(err, file, role)
  }
  await requireSound(b, file, role)
  return b
}
