// Masks are label maps: one channel of class indices, 8- or 16-bit. sharp cannot return palette
// indices (it expands to RGB) and shifts 16-bit grey to 8 bits unless asked, so PNG masks are
// routed by their IHDR: 8-bit grey goes through sharp (which can stop at a crop's last row),
// palette, 16-bit, low-bit-depth and colour PNGs through fast-png (indices, exact values).
import { open, readFile } from 'node:fs/promises'
import { decode as decodePng, encode as encodePngFast } from 'fast-png'
import sharp from 'sharp'
import { LockstepError } from '../../shared/errors'
import { decodeError, MAX_INPUT_PIXELS } from './decode-errors'
import type { Rect } from './image'

export interface Labels {
  width: number
  height: number
  depth: 8 | 16
  /** width*height class indices, row-major */
  data: Uint8Array | Uint16Array
}

export interface PngHeader {
  width: number
  height: number
  bitDepth: number
  /** 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA */
  colorType: number
}

const PNG_SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10]

export function parsePngHeader(buf: Uint8Array): PngHeader | null {
  if (buf.length < 29 || !PNG_SIGNATURE.every((b, i) => buf[i] === b)) return null
  if (String.fromCharCode(buf[12]!, buf[13]!, buf[14]!, buf[15]!) !== 'IHDR') return null
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  return { width: dv.getUint32(16), height: dv.getUint32(20), bitDepth: buf[24]!, colorType: buf[25]! }
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
  return new LockstepError('TOO_LARGE', `Mask ${file}: ${width}x${height} exceeds the ${MAX_INPUT_PIXELS.toLocaleString('en-US')}-pixel limit (decompression bomb guard)`, { file, role: 'mask' })
}

function notLabels(file: string, what: string): LockstepError {
  return new LockstepError('UNSUPPORTED_FORMAT', `Mask ${file}: ${what}; a mask must be single-channel class indices (8/16-bit grey or palette PNG, or RGB with R=G=B)`, { file, role: 'mask' })
}

/** How a mask file will be decoded, from its header. */
export type MaskRoute = { kind: 'sharp8'; width: number; height: number } | { kind: 'full'; width: number; height: number; depth: 8 | 16 | null }

/** Reads the mask's header only: its size and how it decodes. */
export async function maskInfo(file: string): Promise<MaskRoute> {
  let head: Uint8Array
  try {
    head = await readHead(file)
  } catch (err) {
    throw decodeError(err, file, 'mask')
  }
  const png = parsePngHeader(head)
  if (png) {
    if (png.width * png.height > MAX_INPUT_PIXELS) throw tooLarge(file, png.width, png.height)
    if (png.colorType === 0 && png.bitDepth === 8) return { kind: 'sharp8', width: png.width, height: png.height }
    return { kind: 'full', width: png.width, height: png.height, depth: png.bitDepth === 16 ? 16 : 8 }
  }
  try {
    const m = await sharp(file, { limitInputPixels: MAX_INPUT_PIXELS }).metadata()
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
      const byte = data[y * rowBytes + (bit >> 3)]!
      out[y * width + x] = (byte >> (8 - depth - (bit & 7))) & mask
    }
  }
  return out
}

function fromChannels(file: string, src: Uint8Array | Uint16Array, width: number, height: number, channels: number, hasAlpha: boolean): Uint8Array | Uint16Array {
  const n = width * height
  const out = src instanceof Uint16Array ? new Uint16Array(n) : new Uint8Array(n)
  const colour = channels - (hasAlpha ? 1 : 0)
  const max = src instanceof Uint16Array ? 65535 : 255
  for (let i = 0, j = 0; i < n; i++, j += channels) {
    const v = src[j]!
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

function decodeFullPng(file: string, buf: Uint8Array): Labels {
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

async function decodeWithSharp(file: string, region?: Rect): Promise<Labels> {
  try {
    const meta = await sharp(file, { limitInputPixels: MAX_INPUT_PIXELS }).metadata()
    const sixteen = meta.depth === 'ushort'
    let s = sharp(file, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error', sequentialRead: true }).rotate()
    if (region) s = s.extract(region)
    if (sixteen) {
      const { data, info } = await s.toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true })
      const u16 = new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2)
      return { width: info.width, height: info.height, depth: 16, data: info.channels === 1 ? u16.slice() : fromChannels(file, u16, info.width, info.height, info.channels, false) }
    }
    const { data, info } = await s.raw().toBuffer({ resolveWithObject: true })
    const u8 = new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    const hasAlpha = info.channels === 2 || info.channels === 4
    return { width: info.width, height: info.height, depth: 8, data: info.channels === 1 ? u8 : fromChannels(file, u8, info.width, info.height, info.channels, hasAlpha) }
  } catch (err) {
    throw decodeError(err, file, 'mask')
  }
}

/** sharp options for mask files (bomb guard, fail on errors, sequential read). */
export const MASK_OPTIONS = { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error', sequentialRead: true } as const

async function decodeSharp8(file: string, region?: Rect): Promise<Labels> {
  try {
    let s = sharp(file, MASK_OPTIONS)
    if (region) s = s.extract(region)
    const { data, info } = await s.extractChannel(0).raw().toBuffer({ resolveWithObject: true })
    return { width: info.width, height: info.height, depth: 8, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) }
  } catch (err) {
    throw decodeError(err, file, 'mask')
  }
}

/** The mask as class indices (whole file). */
export async function readLabels(file: string, route?: MaskRoute): Promise<Labels> {
  const r = route ?? (await maskInfo(file))
  if (r.kind === 'sharp8') return decodeSharp8(file)
  if (r.depth === null) return decodeWithSharp(file)
  let buf: Buffer
  try {
    buf = await readFile(file)
  } catch (err) {
    throw decodeError(err, file, 'mask')
  }
  return decodeFullPng(file, buf)
}

/** One region of the mask; 8-bit grey PNGs decode only up to the region's last row. */
export async function readLabelsRegion(file: string, region: Rect, route?: MaskRoute): Promise<Labels> {
  const r = route ?? (await maskInfo(file))
  if (r.kind === 'sharp8') return decodeSharp8(file, region)
  return cropLabels(await readLabels(file, r), region)
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

/** PNG deflate level for masks: label maps compress well even at low levels, and encoding is on the hot path. */
export const MASK_PNG_COMPRESSION = 2

/** A single-channel PNG of the same bit depth (8-bit through sharp, 16-bit through fast-png). */
export async function encodeLabelsPng(labels: Labels): Promise<Buffer> {
  const { width, height, depth, data } = labels
  if (depth === 16) {
    const png = encodePngFast({ width, height, depth: 16, channels: 1, data: data as Uint16Array }, { zlib: { level: MASK_PNG_COMPRESSION } })
    return Buffer.from(png.buffer, png.byteOffset, png.byteLength)
  }
  return sharp(data as Uint8Array, { raw: { width, height, channels: 1 } })
    .toColourspace('b-w')
    .png({ compressionLevel: MASK_PNG_COMPRESSION, adaptiveFiltering: false })
    .toBuffer()
}
