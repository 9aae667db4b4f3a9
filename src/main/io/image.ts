// Image decoding with sharp. Every image is EXIF-auto-oriented first (`.rotate()`), converted to
// 8-bit sRGB with 3 channels, and guarded by `limitInputPixels`. JPEG shrink-on-load is never
// used (we never resize in sharp), so a region decode and a full decode see the same pixels.
import type { SharpOptions, Sharp } from 'sharp'
import { loadSharp } from './sharp'
import { decodeError, MAX_INPUT_PIXELS } from './decode-errors'
import { decodeJpegRegion, encodeJpegNative } from './native'
import { readSound, requireSound } from './verify'

export interface Rect {
  left: number
  top: number
  width: number
  height: number
}

export interface RgbImage {
  width: number
  height: number
  /** HxWx3, row-major, 8-bit sRGB */
  data: Buffer
}

const OPTIONS: SharpOptions = { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error', sequentialRead: true }

async function pipeline(file: string | Buffer): Promise<Sharp> {
  return (await loadSharp())(file, OPTIONS).autoOrient().removeAlpha().toColourspace('srgb')
}

/** Oriented size (after EXIF rotation) from the header only. */
export interface ImageHeader {
  width: number
  height: number
  format: string
  /** dots per inch as libvips reports it (72 when the file says nothing) */
  density: number | null
  hasProfile: boolean
}

export async function imageSize(file: string, bytes?: Buffer): Promise<ImageHeader> {
  try {
    const m = await (await loadSharp())(bytes ?? file, OPTIONS).metadata()
    if (!m.width || !m.height) throw new Error('no dimensions in header')
    if (m.width * m.height > MAX_INPUT_PIXELS) throw new Error('Input image exceeds pixel limit')
    const swap = (m.orientation ?? 1) >= 5
    return {
      width: swap ? m.height : m.width,
      height: swap ? m.width : m.height,
      format: m.format ?? 'unknown',
      density: m.density ?? null,
      hasProfile: !!m.hasProfile,
    }
  } catch (err) {
    throw decodeError(err, file, 'image')
  }
}

/**
 * The whole image, oriented, RGB, once the file is known to be sound (io/verify: a remembered
 * verdict or a check now). `bytes`: the file's contents, when the caller already read them.
 */
export async function decodeImage(file: string, given?: Buffer): Promise<RgbImage> {
  let bytes = given
  if (bytes) await requireSound(bytes, file, 'image')
  else bytes = await readSound(file, 'image')
  try {
    const fast = await decodeJpegRegion(bytes)
    if (fast) return fast
    const { data, info } = await (await pipeline(bytes ?? file)).raw().toBuffer({ resolveWithObject: true })
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`)
    return { width: info.width, height: info.height, data }
  } catch (err) {
    throw decodeError(err, file, 'image')
  }
}

/**
 * One region of the oriented image. From bytes of a plain JPEG, libjpeg-turbo decodes just the
 * region's iMCUs (io/native, same bytes); otherwise libvips reads sequentially and stops at
 * the region's last row, so a crop near the top of a large file decodes only that far. A partial
 * read: only for a file known to be sound, or beside a check of the whole (io/verify).
 */
export async function decodeImageRegion(file: string, region: Rect, bytes?: Buffer): Promise<RgbImage> {
  try {
    const fast = await decodeJpegRegion(bytes, region)
    if (fast) return fast
    const { data, info } = await (await pipeline(bytes ?? file)).extract(region).raw().toBuffer({ resolveWithObject: true })
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`)
    return { width: info.width, height: info.height, data }
  } catch (err) {
    throw decodeError(err, file, 'image')
  }
}

export type ImageFormat = 'png' | 'jpeg' | 'webp'

/**
 * A window of the image (maybe mirrored, maybe through one linear a*v + b) encoded as JPEG or
 * WebP in one libvips pipeline from the file: where the native decoders cannot take a JPEG, this
 * costs one pipeline instead of a raw decode, JS loops and a second pipeline. The same bytes as
 * encodeRgb of the same pixels: libvips' linear is what the JS table reproduces (linearLut), and
 * these encoders never copy the file's metadata (render tests pin both).
 */
export async function encodeWindowFromFile(
  file: string,
  bytes: Buffer,
  region: Rect,
  flop: boolean,
  linear: [number, number] | null,
  format: 'jpeg' | 'webp',
  quality?: number,
): Promise<Buffer> {
  try {
    let s = (await pipeline(bytes)).extract(region)
    if (flop) s = s.flop()
    if (linear) s = s.linear(linear[0], linear[1])
    return await encodeWith(s, format, quality)
  } catch (err) {
    throw decodeError(err, file, 'image')
  }
}

/**
 * JPEG encoder settings for every output. Huffman-table optimisation is off, as in libjpeg's,
 * OpenCV's and Pillow's defaults (sharp turns it on): it changes no pixel, saves about 4% of the
 * bytes and costs about 40% of the encode (2.6 ms of 6.3 ms for 512x512 at q90, measured here).
 */
export const jpegOptions = (quality = 90) => ({ quality, optimiseCoding: false })

/**
 * Which encoders wrote an export's bytes, recorded in export.json: replay compares it, and a
 * resume refuses a folder written by other encoders. 2: JPEG without Huffman optimisation, masks
 * by Lockstep's PNG writer (unfiltered, zlib RLE). 1 (exports that record none): sharp's defaults.
 */
export const ENCODERS_VERSION = 2

/** Encodes an HxWx3 RGB buffer (JPEG: by libjpeg-turbo directly when it writes sharp's bytes, io/native). */
export async function encodeRgb(data: Uint8Array, width: number, height: number, format: ImageFormat, quality?: number, compression = 3): Promise<Buffer> {
  if (format === 'jpeg') {
    const native = await encodeJpegNative(data, width, height, quality ?? 90)
    if (native) return native
  }
  return encodeWith((await loadSharp())(data, { raw: { width, height, channels: 3 } }), format, quality, compression)
}

/** The output encoders' settings, for a pipeline from pixels or from a file. */
function encodeWith(s: Sharp, format: ImageFormat, quality?: number, compression = 3): Promise<Buffer> {
  if (format === 'jpeg') return s.jpeg(jpegOptions(quality)).toBuffer()
  if (format === 'webp') return s.webp({ quality: quality ?? 90 }).toBuffer()
  return s.png({ compressionLevel: compression, adaptiveFiltering: compression > 3 }).toBuffer()
}
