// Masks are label maps: one channel of class indices, 8- or 16-bit. Grey and palette PNGs (the
// usual masks) are decoded by our own reader over node's zlib (io/png.ts): indices, never colours,
// exact 16-bit values, and only the rows and columns a region needs. sharp cannot return palette
// indices (it expands to RGB) and shifts 16-bit grey to 8 bits unless asked. Colour and
// interlaced PNGs go through fast-png (R=G=B is checked), other formats through sharp.
import { open, readFile } from 'node:fs/promises'
import { loadSharp } from './sharp'
import { LockstepError } from '../../shared/errors'
import { decodeError, MAX_INPUT_PIXELS } from './decode-errors'
import type { Rect } from './image'
import { decodePngLabels8 } from './native'
import { canDecodeLabels, decodeLabelRegion, encodeLabelPng, encodeLabelPngAsync, idatOf, readIhdr, walkPng } from './png'
import { jsPngCheckFollows, requireSound } from './verify'

export interface Labels {
  width: number
  height: number
  depth: 8 | 16
  /** width*height class indices, row-major */
  data: Uint8Array | Uint16Array
}

async function readHead(file: string): Promise<Uint8Array> {
  const fh = await open(file, 'r')
  try {
    const buf = new Uint8Array(64)
    const { bytesRead } = await fh.read(buf, 0, 64, 0)
    return buf.subarray(0, bytesRead)
  } finally {
    await fh.close()
  }
}

function tooLarge(file: string, width: number, height: number): LockstepError {
  return new LockstepError(
    'TOO_LARGE',
    `Mask ${file}: ${width}x${height} exceeds the ${MAX_INPUT_PIXELS.toLocaleString('en-US')}-pixel limit (decompression bomb guard)`,
    { file, role: 'mask' },
  )
}

function notLabels(file: string, what: string): LockstepError {
  return new LockstepError(
    'UNSUPPORTED_FORMAT',
    `Mask ${file}: ${what}; a mask must be single-channel class indices (8/16-bit grey or palette PNG, or RGB with R=G=B)`,
    { file, role: 'mask' },
  )
}

/**
 * How a mask file will be decoded: `png` by our label reader (grey or palette, not interlaced;
 * region reads decode only what the region needs), `full` by a whole-file decoder.
 */
export type MaskRoute = { kind: 'png'; width: number; height: number; depth: 8 | 16 } | { kind: 'full'; width: number; height: number; depth: 8 | 16 | null }

/** Reads the mask's header only (or parses `bytes` when the caller holds the file): its size and how it decodes. */
export async function maskInfo(file: string, bytes?: Uint8Array): Promise<MaskRoute> {
  let head: Uint8Array
  try {
    head = bytes ?? (await readHead(file))
  } catch (err) {
    throw decodeError(err, file, 'mask')
  }
  const png = readIhdr(head)
  if (png) {
    if (png.width * png.height > MAX_INPUT_PIXELS) throw tooLarge(file, png.width, png.height)
    return { kind: canDecodeLabels(png) ? 'png' : 'full', width: png.width, height: png.height, depth: png.bitDepth === 16 ? 16 : 8 }
  }
  try {
    const m = await (
      await loadSharp()
    )(bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : file, { limitInputPixels: MAX_INPUT_PIXELS }).metadata()
    if (!m.width || !m.height) throw new Error('no dimensions in header')
    const swap = (m.orientation ?? 1) >= 5
    return { kind: 'full', width: swap ? m.height : m.width, height: swap ? m.width : m.height, depth: null }
  } catch (err) {
    throw decodeError(err, file, 'mask')
  }
}

function unpackLowDepth(data: Uint8Array, width: number, height: number, depth: number): Uint8Array {
  const out = new Uint8Array(width * height)
  const rowBytes = Math.ceil((width * depth) / 8)
  const mask = (1 << depth) - 1
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const bit = x * depth
      const byte = data[y * rowBytes + (bit >> 3)]
      out[y * width + x] = (byte >> (8 - depth - (bit & 7))) & mask
    }
  }
  return out
}

function fromChannels(
  file: string,
  src: Uint8Array | Uint16Array,
  width: number,
  height: number,
  channels: number,
  hasAlpha: boolean,
): Uint8Array | Uint16Array {
  const n = width * height
  const out = src instanceof Uint16Array ? new Uint16Array(n) : new Uint8Array(n)
  const colour = channels - (hasAlpha ? 1 : 0)
  const max = src instanceof Uint16Array ? 65535 : 255
  for (let i = 0, j = 0; i < n; i++, j += channels) {
    const v = src[j]
    if (colour === 3 && (src[j + 1] !== v || src[j + 2] !== v)) {
      throw notLabels(file, `pixel (${i % width}, ${Math.floor(i / width)}) has colour (${src[j]}, ${src[j + 1]}, ${src[j + 2]}), not a class index (R=G=B)`)
    }
    if (hasAlpha && src[j + channels - 1] !== max) {
      throw notLabels(file, `pixel (${i % width}, ${Math.floor(i / width)}) is transparent`)
    }
    out[i] = v
  }
  return out
}

/** Colour and interlaced PNGs (rare as masks): fast-png, loaded on first use. */
async function decodeFullPng(file: string, buf: Uint8Array): Promise<Labels> {
  const { decode: decodePng } = await import('fast-png')
  let png: ReturnType<typeof decodePng>
  try {
    png = decodePng(buf, { checkCrc: true })
  } catch (err) {
    throw new LockstepError('CORRUPT', `Mask ${file}: corrupt or truncated PNG (${(err as Error).message})`, { file, role: 'mask' })
  }
  const { width, height, depth, channels } = png
  let data: Uint8Array | Uint16Array = png.data as Uint8Array | Uint16Array
  if (png.palette || channels === 1) {
    if (depth < 8) data = unpackLowDepth(data as Uint8Array, width, height, depth)
    if (data.length < width * height) throw new LockstepError('CORRUPT', `Mask ${file}: truncated pixel data`, { file, role: 'mask' })
    return { width, height, depth: depth === 16 ? 16 : 8, data: data.length === width * height ? data : data.subarray(0, width * height) }
  }
  if (channels === 2 || channels === 3 || channels === 4) {
    return { width, height, depth: depth === 16 ? 16 : 8, data: fromChannels(file, data, width, height, channels, channels === 2 || channels === 4) }
  }
  throw notLabels(file, `${channels} channels`)
}

async function decodeWithSharp(file: string, bytes?: Buffer): Promise<Labels> {
  try {
    const input = bytes ?? file
    const sharp = await loadSharp()
    const meta = await sharp(input, { limitInputPixels: MAX_INPUT_PIXELS }).metadata()
    const sixteen = meta.depth === 'ushort'
    const s = sharp(input, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error', sequentialRead: true }).rotate()
    if (sixteen) {
      const { data, info } = await s.toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true })
      const u16 = new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2)
      return {
        width: info.width,
        height: info.height,
        depth: 16,
        data: info.channels === 1 ? u16.slice() : fromChannels(file, u16, info.width, info.height, info.channels, false),
      }
    }
    const { data, info } = await s.raw().toBuffer({ resolveWithObject: true })
    const u8 = new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    const hasAlpha = info.channels === 2 || info.channels === 4
    return {
      width: info.width,
      height: info.height,
      depth: 8,
      data: info.channels === 1 ? u8 : fromChannels(file, u8, info.width, info.height, info.channels, hasAlpha),
    }
  } catch (err) {
    throw decodeError(err, file, 'mask')
  }
}

async function fileBytes(file: string, bytes?: Uint8Array): Promise<Buffer> {
  if (bytes) return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  try {
    return await readFile(file)
  } catch (err) {
    throw decodeError(err, file, 'mask')
  }
}

/**
 * A grey or palette PNG through our label reader (io/png.ts): the region only, or the whole. A
 * whole decode (and any through fast-png, which inflates without a bound) runs once the file is
 * known to be sound (io/verify); a region read is for a file verified elsewhere (its caller's job).
 */
async function decodePngLabels(file: string, buf: Buffer, region?: Rect, into?: Uint8Array | Uint16Array): Promise<Labels> {
  const walk = walkPng(buf, true)
  if (!walk.ok) throw new LockstepError('CORRUPT', `Mask ${file}: corrupt PNG (${walk.problem})`, { file, role: 'mask' })
  if (!region || !canDecodeLabels(walk.info)) await requireSound(buf, file, 'mask')
  if (!canDecodeLabels(walk.info)) return region ? cropLabels(await decodeFullPng(file, buf), region) : decodeFullPng(file, buf)
  const { width, height, bitDepth } = walk.info
  if (bitDepth === 8) {
    const r = region ?? { left: 0, top: 0, width, height }
    const data = await decodePngLabels8(idatOf(buf, walk.info), width, height, r, into instanceof Uint8Array ? into : undefined)
    if (data) return { width: r.width, height: r.height, depth: 8, data }
  }
  try {
    return decodeLabelRegion(buf, walk.info, region, region !== undefined && jsPngCheckFollows(buf, walk.info), into)
  } catch (err) {
    throw new LockstepError('CORRUPT', `Mask ${file}: corrupt or truncated PNG (${(err as Error).message})`, { file, role: 'mask' })
  }
}

/**
 * The mask as class indices (whole file), once the file is known to be sound (io/verify: a
 * remembered verdict or a check now). `bytes`: the file's contents, when the caller already read them.
 */
export async function readLabels(file: string, route?: MaskRoute, bytes?: Uint8Array): Promise<Labels> {
  const r = route ?? (await maskInfo(file, bytes))
  if (r.depth === null) {
    const buf = await fileBytes(file, bytes)
    await requireSound(buf, file, 'mask')
    return decodeWithSharp(file, buf)
  }
  const buf = await fileBytes(file, bytes)
  return r.kind === 'png' ? decodePngLabels(file, buf) : decodeFullPng(file, buf)
}

/**
 * One region of the mask; grey and palette PNGs decode only the rows and columns it needs. `into`:
 * a buffer the indices may be written to (Uint8Array for an 8-bit mask, Uint16Array for 16-bit;
 * the result's data is then a view of it, when it is long enough).
 */
export async function readLabelsRegion(file: string, region: Rect, route?: MaskRoute, bytes?: Uint8Array, into?: Uint8Array | Uint16Array): Promise<Labels> {
  const r = route ?? (await maskInfo(file, bytes))
  if (r.kind === 'png') return decodePngLabels(file, await fileBytes(file, bytes), region, into)
  return cropLabels(await readLabels(file, r, bytes), region)
}

export function cropLabels(l: Labels, r: Rect): Labels {
  if (r.left === 0 && r.top === 0 && r.width === l.width && r.height === l.height) return l
  const out = l.depth === 16 ? new Uint16Array(r.width * r.height) : new Uint8Array(r.width * r.height)
  for (let y = 0; y < r.height; y++) {
    const s = (r.top + y) * l.width + r.left
    out.set(l.data.subarray(s, s + r.width), y * r.width)
  }
  return { width: r.width, height: r.height, depth: l.depth, data: out }
}

/** A single-channel PNG of the same bit depth (see encodeLabelPng for the settings). */
export function encodeLabelsPng(labels: Labels): Buffer {
  return encodeLabelPng(labels.width, labels.height, labels.depth, labels.data)
}

/** encodeLabelsPng, deflating on the thread pool (the same bytes). */
export function encodeLabelsPngAsync(labels: Labels): Promise<Buffer> {
  return encodeLabelPngAsync(labels.width, labels.height, labels.depth, labels.data)
}
