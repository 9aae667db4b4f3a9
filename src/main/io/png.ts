// PNG label maps in JS over node's zlib: the chunk walk (header, truncation, CRCs), inflating only
// the rows a region needs, unfiltering in place only the columns it needs, and a writer for
// single-channel masks. Label maps are where this wins over a general decoder: they compress
// ~100:1, so inflating is cheap, and no colour handling is wanted. Measured on the bench masks
// (1024x768, 512x512 crop): decode+encode about 2 ms here against about 5 ms through libvips,
// which also costs one pipeline (about 1 ms of set-up) per call.
// Interlaced files and colour types other than grey and palette are left to the general decoder.
import { constants, crc32, deflate, deflateSync, inflate, inflateSync } from 'node:zlib'
import { promisify } from 'node:util'

const inflateAsync = promisify(inflate) as (buf: Buffer, options: object) => Promise<Buffer>
const deflateAsync = promisify(deflate) as (buf: Buffer, options: object) => Promise<Buffer>

export interface PngInfo {
  width: number
  height: number
  bitDepth: number
  /** 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA */
  colorType: number
  interlaced: boolean
  /** an eXIf chunk (orientation possible): let sharp read the header */
  exif: boolean
  /** byte ranges of the IDAT chunks' data */
  idat: [number, number][]
}

export type PngWalk = { ok: true; info: PngInfo } | { ok: false; problem: string }

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }
const SIGNATURE = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10])

export function pngChannels(colorType: number): number {
  return CHANNELS[colorType] ?? 0
}

export function isPng(b: Uint8Array): boolean {
  return b.length >= 8 && SIGNATURE.every((v, i) => b[i] === v)
}

export type PngHeader = Pick<PngInfo, 'width' | 'height' | 'bitDepth' | 'colorType' | 'interlaced'>

/** The IHDR fields from a file's first 29 bytes; null when they are not a PNG header. */
export function readIhdr(b: Uint8Array): PngHeader | null {
  if (b.length < 29 || !isPng(b)) return null
  if (String.fromCharCode(b[12], b[13], b[14], b[15]) !== 'IHDR') return null
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength)
  return { width: dv.getUint32(16), height: dv.getUint32(20), bitDepth: b[24], colorType: b[25], interlaced: b[28] === 1 }
}

/** A chunk type (or any bytes) as messages show it: printable ASCII as is, anything else as \xNN. */
export function printable(bytes: string): string {
  return bytes.replace(/[^\x20-\x7e]|\\/g, (c) => (c === '\\' ? '\\\\' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`))
}

const VALID_DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] }
const CRITICAL = new Set(['IHDR', 'PLTE', 'IDAT', 'IEND'])

/**
 * Walks every chunk to IEND: a file cut short, a bad chunk length or type, (with `crc`) a chunk
 * whose CRC does not match, an IHDR with values no decoder accepts, an unknown critical chunk,
 * IDAT chunks that are not consecutive, or a palette image without PLTE is reported as a problem,
 * in words (chunk types escaped: a corrupt type may hold any byte).
 */
export function walkPng(b: Buffer, crc = false): PngWalk {
  if (b.length < 8 + 25) return { ok: false, problem: 'the PNG is too short to hold a header (truncated)' }
  if (!isPng(b)) return { ok: false, problem: 'not a PNG (bad signature)' }
  const header = readIhdr(b)
  if (!header) return { ok: false, problem: 'the PNG does not start with an IHDR chunk' }
  // one literal, not { ...header, exif, idat }: an object spread in optimised code gives each
  // result a hidden class of its own (V8 11), and every reader of a PngInfo then met a new map per file
  const { width, height, bitDepth, colorType, interlaced } = header
  const info: PngInfo = { width, height, bitDepth, colorType, interlaced, exif: false, idat: [] }
  if (!(info.colorType in CHANNELS)) return { ok: false, problem: `the PNG has an invalid colour type ${info.colorType}` }
  if (!VALID_DEPTHS[info.colorType].includes(info.bitDepth))
    return { ok: false, problem: `the PNG has an invalid bit depth ${info.bitDepth} for colour type ${info.colorType}` }
  if (info.width === 0 || info.height === 0 || info.width > 0x7fffffff || info.height > 0x7fffffff)
    return { ok: false, problem: `the PNG is ${info.width}x${info.height}` }
  if (b[26] !== 0 || b[27] !== 0 || b[28] > 1)
    return { ok: false, problem: `the PNG's IHDR has compression ${b[26]}, filter ${b[27]}, interlace ${b[28]} (expected 0, 0, 0 or 1)` }
  let at = 8
  let palette = false
  let idatEnded = false
  for (let n = 0; ; n++) {
    if (at + 12 > b.length) return { ok: false, problem: 'the PNG ends before its IEND chunk (truncated)' }
    const len = b.readUInt32BE(at)
    const type = b.toString('latin1', at + 4, at + 8)
    if (!/^[A-Za-z]{4}$/.test(type)) return { ok: false, problem: `the PNG has a chunk of invalid type "${printable(type)}" at byte ${at}` }
    if (len > 0x7fffffff || at + 12 + len > b.length) return { ok: false, problem: `the PNG's ${type} chunk runs past the end of the file (truncated)` }
    if (crc && crc32(b.subarray(at + 4, at + 8 + len)) !== b.readUInt32BE(at + 8 + len)) {
      return { ok: false, problem: `the PNG's ${type} chunk at byte ${at} fails its CRC check (corrupt)` }
    }
    if (type === 'IHDR' && n > 0) return { ok: false, problem: `the PNG has a second IHDR chunk at byte ${at}` }
    if (type[0] <= 'Z' && !CRITICAL.has(type)) return { ok: false, problem: `the PNG has an unknown critical chunk ${type} at byte ${at}` }
    if (type === 'IDAT') {
      if (idatEnded) return { ok: false, problem: `the PNG's IDAT chunks are not consecutive (another IDAT at byte ${at})` }
      if (info.colorType === 3 && !palette) return { ok: false, problem: 'the palette PNG has no PLTE chunk before its image data' }
      info.idat.push([at + 8, at + 8 + len])
    } else if (info.idat.length) idatEnded = true
    if (type === 'PLTE') palette = true
    else if (type === 'eXIf') info.exif = true
    else if (type === 'IEND') break
    at += 12 + len
  }
  if (!info.idat.length) return { ok: false, problem: 'the PNG has no image data (no IDAT chunk)' }
  return { ok: true, info }
}

/** Bytes per row (without the filter byte) and the filter's byte distance (bpp, at least 1). */
export function rowLayout(info: Pick<PngInfo, 'width' | 'bitDepth' | 'colorType'>): { rowBytes: number; bpp: number } {
  const bits = pngChannels(info.colorType) * info.bitDepth
  return { rowBytes: Math.ceil((info.width * bits) / 8), bpp: Math.max(1, bits >> 3) }
}

/** The zlib stream: the IDAT chunks' data, in order. */
export function idatOf(b: Buffer, info: PngInfo): Buffer {
  const idat = info.idat
  // one chunk (the usual file) by index: no closure or destructuring for optimised readers to deoptimise on
  if (idat.length === 1) return b.subarray(idat[0][0], idat[0][1])
  return Buffer.concat(idat.map(([s, e]) => b.subarray(s, e)))
}

/** Output bytes per inflate call of the whole-stream check (node's chunkSize; PNG_CHUNK in decoders.h). */
export const PNG_CHUNK = 65536

/** The whole zlib stream inflated as the data check reads it (io/check-png.ts): the filtered rows and the stream bytes consumed, or node's error. */
export type WholeInflate = { out: Buffer; consumed: number } | { err: unknown }

/**
 * `chunkSize`: output bytes per inflate call. The check's verdict on a bad stream depends on it
 * (PNG_CHUNK, as check_png_data); a stream that inflates cleanly to its end gives the same bytes
 * and the same `consumed` whatever it is (see wholeRows).
 */
export function inflateWhole(z: Buffer, expected: number, chunkSize = PNG_CHUNK): WholeInflate {
  try {
    const res = inflateSync(z, { chunkSize, maxOutputLength: expected, info: true }) as unknown as {
      buffer: Buffer
      engine: { bytesWritten: number }
    }
    return { out: res.buffer, consumed: res.engine.bytesWritten }
  } catch (err) {
    return { err }
  }
}

// Without the native addon a render reads a mask's rows through JS (decodeLabelRegion) and its
// whole-file check inflates the same stream again (io/check-png.ts): the render's inflate of the
// whole stream is kept here, by the file's bytes, for the check of those bytes to take. The check
// reads only the lengths and the filter-type bytes, which unfiltering leaves as they are.
const forCheck = new WeakMap<Uint8Array, WholeInflate>()

/** The whole inflate a label decode of these file bytes left for their check (taken once), if any. */
export function takeWholeInflate(file: Uint8Array): WholeInflate | undefined {
  const w = forCheck.get(file)
  forCheck.delete(file)
  return w
}

/**
 * The filtered scanlines of rows [0, rows): inflates a prefix of the stream first when the rows
 * are well short of the whole image (label maps compress evenly, so a proportional prefix with
 * margin nearly always holds them), else, or when it falls short, the whole stream. Never more
 * than the whole image's `total` bytes: a stream that inflates past what its header allows (a
 * zlib bomb) is refused before it can take the memory.
 */
function inflateRows(z: Buffer, need: number, total: number): Buffer {
  try {
    if (need < total * 0.8) {
      const n = Math.ceil(z.length * (need / total) * 1.15) + 1024
      if (n < z.length) {
        const r = inflateSync(z.subarray(0, n), {
          finishFlush: constants.Z_SYNC_FLUSH,
          chunkSize: Math.max(1024, Math.min(total, Math.ceil(need * 1.25))),
          maxOutputLength: total,
        })
        if (r.length >= need) return r
      }
    }
    return inflateSync(z, { chunkSize: Math.max(1024, total + 1), maxOutputLength: total })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      throw new Error(`the image data inflates past the ${total} bytes its header allows`, { cause: err })
    throw err
  }
}

/**
 * Undoes the row filters in place on scanlines (each: filter byte + rowBytes), for rows
 * [from, rows) and each row's bytes [0, limit): no filter reads to the right of or below a byte,
 * so the rest never needs decoding. `from` must be 0 or a row that reads no row above it (see
 * firstNeededRow).
 */
export function unfilterInPlace(raw: Uint8Array, rowBytes: number, bpp: number, rows: number, limit = rowBytes, from = 0): void {
  const stride = rowBytes + 1
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength)
  for (let y = from; y < rows; y++) {
    const s = y * stride + 1
    const f = raw[s - 1]
    if (f === 0) continue
    if (f > 4) throw new Error(`invalid row filter ${f} on row ${y}`)
    // on the first row the row above is all zeros: Up is a copy, Paeth picks the left byte (Sub)
    if (y === 0 && f === 2) continue
    if (f === 1 || (y === 0 && f === 4)) sub(raw, v, s, bpp, limit)
    else if (f === 2) up(raw, v, s, s - stride, limit)
    else if (f === 3) average(raw, s, y === 0 ? -1 : s - stride, bpp, limit)
    else if (bpp === 1) paeth1(raw, v, s, s - stride, limit)
    else paeth(raw, s, s - stride, bpp, limit)
  }
}

// Bytes four at a time where that pays (label maps: long flat runs): a word's bytes added lane by
// lane (no carry between them), words read and written unaligned, little-endian.
const LO7 = 0x7f7f7f7f
const HI = 0x80808080 | 0
/** u + v in each byte lane, mod 256. */
const lanes = (u: number, v: number): number => (((u & LO7) + (v & LO7)) | 0) ^ ((u ^ v) & HI)

function sub(raw: Uint8Array, v: DataView, s: number, bpp: number, limit: number): void {
  if (bpp === 1) {
    let a = raw[s]
    let i = 1
    // each byte plus every byte before it in the word (prefix sums by lanes), plus the last output
    for (; i + 4 <= limit; i += 4) {
      const x = v.getInt32(s + i, true)
      const y = lanes(x, x << 8)
      const w = lanes(lanes(y, y << 16), Math.imul(a, 0x01010101))
      v.setInt32(s + i, w, true)
      a = w >>> 24
    }
    for (; i < limit; i++) raw[s + i] = a = (raw[s + i] + a) & 255
  } else {
    for (let i = bpp; i < limit; i++) raw[s + i] = raw[s + i] + raw[s + i - bpp]
  }
}

function up(raw: Uint8Array, v: DataView, s: number, p: number, limit: number): void {
  // Up reads no byte of its own row, so the order is free: the bytes past the last whole word go
  // first. After them, V8's on-stack-replacement code for the word loop (compiled in a first,
  // long call) has nothing left to run that it holds no type feedback for: with the tail after
  // the loop, that code deoptimised at the tail on every later call (hundreds of times an export).
  const words = limit & ~3
  for (let i = words; i < limit; i++) raw[s + i] = raw[s + i] + raw[p + i]
  for (let i = 0; i < words; i += 4) v.setInt32(s + i, lanes(v.getInt32(s + i, true), v.getInt32(p + i, true)), true)
}

/** p < 0: the first row (the row above is zeros). */
function average(raw: Uint8Array, s: number, p: number, bpp: number, limit: number): void {
  for (let i = 0; i < limit; i++) {
    const a = i >= bpp ? raw[s + i - bpp] : 0
    const b = p < 0 ? 0 : raw[p + i]
    raw[s + i] = raw[s + i] + ((a + b) >> 1)
  }
}

function paeth1(raw: Uint8Array, v: DataView, s: number, p: number, limit: number): void {
  let c = raw[p]
  let a = (raw[s] + c) & 255
  raw[s] = a
  for (let i = 1; i < limit; i++) {
    const b = raw[p + i]
    if (a === b && b === c) {
      // flat (most of a label map): every predictor is a; four bytes at once while the row above
      // stays a and nothing is added
      if (i + 4 <= limit) {
        const aaaa = Math.imul(a, 0x01010101)
        if (v.getInt32(s + i, true) === 0 && v.getInt32(p + i, true) === aaaa) {
          v.setInt32(s + i, aaaa, true)
          i += 3
          continue
        }
      }
      raw[s + i] = a = (raw[s + i] + a) & 255
      continue
    }
    const pa = b > c ? b - c : c - b
    const pb = a > c ? a - c : c - a
    const d = a + b - c - c
    const pc = d < 0 ? -d : d
    // branch-free choice (edges are where branches mispredict): a if pa <= pb and pa <= pc, else b if pb <= pc, else c
    const notA = ((pb - pa) | (pc - pa)) >> 31
    const notB = (pc - pb) >> 31
    raw[s + i] = a = (raw[s + i] + ((a & ~notA) | (((b & ~notB) | (c & notB)) & notA))) & 255
    c = b
  }
}

function paeth(raw: Uint8Array, s: number, p: number, bpp: number, limit: number): void {
  for (let i = 0; i < bpp && i < limit; i++) raw[s + i] = raw[s + i] + raw[p + i]
  for (let i = bpp; i < limit; i++) {
    const a = raw[s + i - bpp],
      b = raw[p + i],
      c = raw[p + i - bpp]
    const pa = b > c ? b - c : c - b
    const pb = a > c ? a - c : c - a
    const d = a + b - c - c
    const pc = d < 0 ? -d : d
    raw[s + i] = raw[s + i] + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)
  }
}

/**
 * The last row at or above `top` whose filter reads no row above it (None or Sub): unfiltering
 * can start there. Encoders that pick filters per row (libpng, OpenCV, sharp) emit such rows
 * often, so a crop low in a tall mask skips most of what lies above it.
 */
export function firstNeededRow(raw: Uint8Array, stride: number, top: number): number {
  for (let y = top; y > 0; y--) {
    const f = raw[y * stride]
    if (f === 0 || f === 1) return y
  }
  return 0
}

export interface Region {
  left: number
  top: number
  width: number
  height: number
}

/** Whether decodeLabelRegion reads this file (single-channel grey or palette, not interlaced). */
export function canDecodeLabels(info: Pick<PngInfo, 'interlaced' | 'colorType' | 'bitDepth'>): boolean {
  return !info.interlaced && (info.colorType === 0 || (info.colorType === 3 && info.bitDepth <= 8))
}

export interface PngLabels {
  width: number
  height: number
  depth: 8 | 16
  data: Uint8Array | Uint16Array
}

/**
 * The class indices of `region` (default: the whole image) of a grey or palette PNG: palette
 * entries are indices, never colours; 16-bit grey keeps its exact values. Throws an Error whose
 * message says what is wrong with the data (the caller names the file). `keepForCheck`: a JS check
 * of the whole file will follow (io/verify checkWillInflate): inflate the whole stream once, for both.
 * `into`: a buffer of the depth's kind to write the indices to when it holds them (every value is written).
 */
export function decodeLabelRegion(b: Buffer, info: PngInfo, region?: Region, keepForCheck = false, into?: Uint8Array | Uint16Array): PngLabels {
  if (!canDecodeLabels(info)) throw new Error(`${info.interlaced ? 'interlaced' : `colour type ${info.colorType}`} PNGs are read by the general decoder`)
  const r = region ?? { left: 0, top: 0, width: info.width, height: info.height }
  if (r.left < 0 || r.top < 0 || r.width <= 0 || r.height <= 0 || r.left + r.width > info.width || r.top + r.height > info.height) {
    throw new Error(`region ${r.width}x${r.height}+${r.left}+${r.top} is outside the ${info.width}x${info.height} image`)
  }
  const { rowBytes, bpp } = rowLayout(info)
  const stride = rowBytes + 1
  const rows = r.top + r.height
  const need = stride * rows
  const z = idatOf(b, info)
  const raw = (keepForCheck && wholeRows(b, z, stride * info.height)) || inflateRows(z, need, stride * info.height)
  if (raw.length < need) throw new Error(`the image data ends at row ${Math.floor(raw.length / stride)} of ${info.height} (truncated)`)
  const depth = info.bitDepth
  const limit = Math.min(rowBytes, Math.ceil(((r.left + r.width) * depth) / 8))
  unfilterInPlace(raw, rowBytes, bpp, rows, limit, firstNeededRow(raw, stride, r.top))
  const { width: w, height: h, left: x0 } = r
  if (depth === 16) {
    const out = into instanceof Uint16Array && into.length >= w * h ? into.subarray(0, w * h) : new Uint16Array(w * h)
    for (let y = 0; y < h; y++) {
      const s = (r.top + y) * stride + 1 + x0 * 2
      for (let x = 0, o = y * w; x < w; x++, o++) out[o] = (raw[s + 2 * x] << 8) | raw[s + 2 * x + 1]
    }
    return { width: w, height: h, depth: 16, data: out }
  }
  const out = into instanceof Uint8Array && into.length >= w * h ? into.subarray(0, w * h) : new Uint8Array(w * h)
  if (depth === 8) {
    for (let y = 0; y < h; y++) {
      const s = (r.top + y) * stride + 1 + x0
      out.set(raw.subarray(s, s + w), y * w)
    }
  } else {
    const mask = (1 << depth) - 1
    for (let y = 0; y < h; y++) {
      const s = (r.top + y) * stride + 1
      for (let x = 0, o = y * w; x < w; x++, o++) {
        const bit = (x0 + x) * depth
        out[o] = (raw[s + (bit >> 3)] >> (8 - depth - (bit & 7))) & mask
      }
    }
  }
  return { width: w, height: h, depth: 8, data: out }
}

/**
 * The whole stream's rows, left for the check (takeWholeInflate); null when that inflate fails or
 * falls short (the rows the region needs are inflated alone then, and the check inflates on its own).
 * One output buffer of the whole size, not the check's 64 KiB chunks joined by a copy (13 chunks
 * and a concat for a 1024x768 mask: twice the memory, a copy, and more young-generation collections,
 * which fresh ArrayBuffer bytes trigger): what the check keeps is only ever a stream that ended
 * cleanly with exactly `total` bytes, and on such a stream the inflated bytes and the input consumed
 * do not depend on the output's chunking (the chunks only decide which fault of a bad stream is met first).
 */
function wholeRows(b: Buffer, z: Buffer, total: number): Buffer | null {
  // total + 1: the clean stream's last call ends with output space left (none left: node would
  // allocate another whole-size chunk for a call that writes nothing)
  const w = inflateWhole(z, total, Math.max(constants.Z_MIN_CHUNK, total + 1))
  if ('err' in w || w.out.length !== total) return null
  forCheck.set(b, w)
  return w.out
}

/** Every row unfiltered (for whole-image passes such as class histograms), inflated off-thread, never past what the header allows. */
export async function decodeRows(b: Buffer, info: PngInfo): Promise<{ raw: Buffer; rowBytes: number }> {
  const { rowBytes, bpp } = rowLayout(info)
  const expected = (rowBytes + 1) * info.height
  const raw = await inflateAsync(idatOf(b, info), { maxOutputLength: expected }).catch((err: NodeJS.ErrnoException) => {
    throw err.code === 'ERR_BUFFER_TOO_LARGE' ? new Error(`the image data inflates past the ${expected} bytes its header allows`) : err
  })
  if (raw.length < (rowBytes + 1) * info.height) throw new Error(`the PNG's image data is short: ${raw.length} bytes for ${info.width}x${info.height}`)
  unfilterInPlace(raw, rowBytes, bpp, info.height)
  return { raw, rowBytes }
}

function chunk(type: string, data: Uint8Array): Buffer {
  const c = Buffer.allocUnsafe(12 + data.byteLength)
  c.writeUInt32BE(data.byteLength, 0)
  c.write(type, 4, 'latin1')
  c.set(data, 8)
  c.writeUInt32BE(crc32(c.subarray(4, 8 + data.byteLength)), 8 + data.byteLength)
  return c
}

const IEND = chunk('IEND', new Uint8Array(0))

// A single-channel grey PNG of class indices (8- or 16-bit). Rows are unfiltered and deflated with
// zlib's run-length strategy: on label maps that is both the fastest and the smallest of the
// settings measured (none/up filters x levels 1, 2, 6 and RLE). The same zlib call runs on the
// calling thread (encodeLabelPng) or on the thread pool (encodeLabelPngAsync): the same bytes.
const LABEL_DEFLATE = { level: 6, strategy: constants.Z_RLE }

// Scanline buffers of the label encoders, kept between encodes (every byte is rewritten): given back
// once the deflate that reads one resolved. A fresh one per output was a quarter MB of new
// ArrayBuffer bytes per 512x512 mask (V8 collects the young generation per ~32 MB of them).
// At most 4 of them, 32 MB in all (the oldest go first).
const scanlines: Buffer[] = []
const SCANLINES_KEPT = 4
const SCANLINE_BYTES_KEPT = 32 << 20

function takeScanlines(n: number): Buffer {
  const i = scanlines.findIndex((b) => b.length === n)
  return i >= 0 ? scanlines.splice(i, 1)[0] : Buffer.allocUnsafe(n)
}

function giveScanlines(b: Buffer): void {
  scanlines.push(b)
  let bytes = 0
  for (const s of scanlines) bytes += s.length
  while (scanlines.length > SCANLINES_KEPT || bytes > SCANLINE_BYTES_KEPT) bytes -= scanlines.shift()!.length
}

function labelScanlines(width: number, height: number, depth: 8 | 16, data: Uint8Array | Uint16Array): Buffer {
  const bytes = depth === 16 ? 2 : 1
  const rowBytes = width * bytes
  const raw = takeScanlines((rowBytes + 1) * height)
  // 16-bit: the values widened and made big-endian by native passes (TypedArray.set, swap16), not
  // a JS loop per pixel (3-4x faster on 12 megapixels); rows are then copied like 8-bit ones
  let src: Uint8Array = data as Uint8Array
  if (depth === 16) {
    const be = Buffer.allocUnsafeSlow(width * height * 2) // its own ArrayBuffer: 2-byte aligned
    new Uint16Array(be.buffer, be.byteOffset, width * height).set(data)
    if (new Uint8Array(Uint16Array.of(1).buffer)[0] === 1) be.swap16() // little-endian host
    src = be
  }
  for (let y = 0; y < height; y++) {
    const o = y * (rowBytes + 1)
    raw[o] = 0
    raw.set(src.subarray(y * rowBytes, (y + 1) * rowBytes), o + 1)
  }
  return raw
}

function labelPng(width: number, height: number, depth: 8 | 16, idat: Buffer): Buffer {
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr[8] = depth
  ihdr[9] = 0 // grey
  return Buffer.concat([SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', idat), IEND])
}

export function encodeLabelPng(width: number, height: number, depth: 8 | 16, data: Uint8Array | Uint16Array): Buffer {
  const raw = labelScanlines(width, height, depth, data)
  const idat = deflateSync(raw, LABEL_DEFLATE)
  giveScanlines(raw)
  return labelPng(width, height, depth, idat)
}

/** encodeLabelPng with the deflate off the calling thread. */
export async function encodeLabelPngAsync(width: number, height: number, depth: 8 | 16, data: Uint8Array | Uint16Array): Promise<Buffer> {
  const raw = labelScanlines(width, height, depth, data)
  const idat = await deflateAsync(raw, LABEL_DEFLATE)
  giveScanlines(raw) // (after a failed deflate the buffer is simply not reused)
  return labelPng(width, height, depth, idat)
}

// ---------------------------------------------------------------------------------------------
// Writing a mask back in its own encoding (labeling saves): the colour type and bit depth of the
// file it replaces, a palette's PLTE and tRNS kept, indices (never colours) in the pixels.

/** How a mask PNG stores its class indices: what a save writes back. */
export interface MaskEncoding {
  /** 0 grey, 2 RGB (R=G=B), 3 palette, 4 grey+alpha, 6 RGBA (alpha written opaque) */
  colorType: 0 | 2 | 3 | 4 | 6
  bitDepth: 1 | 2 | 4 | 8 | 16
  /** palette only: the PLTE chunk's data (3 bytes an entry), and tRNS's when the file had one */
  plte?: Uint8Array
  trns?: Uint8Array
}

/**
 * The encoding of a PNG mask (IHDR, PLTE, tRNS), or a sentence saying why a mask cannot be
 * written back in it. Reads chunk headers only.
 */
export function maskEncodingOf(b: Buffer): { ok: true; encoding: MaskEncoding } | { ok: false; problem: string } {
  const h = readIhdr(b)
  if (!h) return { ok: false, problem: 'not a PNG' }
  const ct = h.colorType
  if (ct !== 0 && ct !== 2 && ct !== 3 && ct !== 4 && ct !== 6) return { ok: false, problem: `colour type ${ct} is not a PNG colour type` }
  if (![1, 2, 4, 8, 16].includes(h.bitDepth) || (ct !== 0 && ct !== 3 && h.bitDepth < 8) || (ct === 3 && h.bitDepth > 8)) {
    return { ok: false, problem: `bit depth ${h.bitDepth} with colour type ${ct} is not a valid PNG` }
  }
  const encoding: MaskEncoding = { colorType: ct, bitDepth: h.bitDepth as MaskEncoding['bitDepth'] }
  let at = 8
  while (at + 12 <= b.length) {
    const len = b.readUInt32BE(at)
    const type = b.toString('latin1', at + 4, at + 8)
    if (at + 12 + len > b.length) return { ok: false, problem: `the ${type} chunk runs past the end of the file (truncated)` }
    if (type === 'PLTE') encoding.plte = Uint8Array.prototype.slice.call(b, at + 8, at + 8 + len)
    else if (type === 'tRNS' && ct === 3) encoding.trns = Uint8Array.prototype.slice.call(b, at + 8, at + 8 + len)
    else if (type === 'IDAT' || type === 'IEND') break
    at += 12 + len
  }
  if (ct === 3 && (!encoding.plte || encoding.plte.length % 3 !== 0 || encoding.plte.length === 0)) {
    return { ok: false, problem: 'the palette PNG has no valid PLTE chunk' }
  }
  return { ok: true, encoding }
}

/** The largest class index the encoding can hold (a palette can grow to 2^depth entries). */
export function maxIndexOf(enc: Pick<MaskEncoding, 'bitDepth'>): number {
  return 2 ** enc.bitDepth - 1
}

/** A description for messages: "8-bit grey", "palette (8-bit, 21 colours)", ... */
export function describeEncoding(enc: MaskEncoding): string {
  switch (enc.colorType) {
    case 0:
      return `${enc.bitDepth}-bit grey`
    case 3:
      return `palette (${enc.bitDepth}-bit, ${(enc.plte?.length ?? 0) / 3} colours)`
    default:
      return `${enc.bitDepth}-bit ${enc.colorType === 2 ? 'RGB' : enc.colorType === 4 ? 'grey+alpha' : 'RGBA'} (R=G=B)`
  }
}

function packedScanlines(width: number, height: number, depth: number, data: Uint8Array | Uint16Array): Buffer {
  const rowBytes = Math.ceil((width * depth) / 8)
  const raw = Buffer.alloc((rowBytes + 1) * height)
  const perByte = 8 / depth
  for (let y = 0; y < height; y++) {
    const o = y * (rowBytes + 1) + 1
    for (let x = 0, s = y * width; x < width; x++, s++) raw[o + Math.floor(x / perByte)] |= data[s] << (8 - depth * ((x % perByte) + 1))
  }
  return raw
}

/** Colour types with more than one channel: the index in R, G and B, alpha opaque. */
function replicatedScanlines(width: number, height: number, enc: MaskEncoding, data: Uint8Array | Uint16Array): Buffer {
  const channels = pngChannels(enc.colorType)
  const colour = enc.colorType === 4 ? 1 : 3
  const bytes = enc.bitDepth === 16 ? 2 : 1
  const rowBytes = width * channels * bytes
  const raw = Buffer.alloc((rowBytes + 1) * height) // filter bytes 0 (None)
  for (let y = 0; y < height; y++) {
    let o = y * (rowBytes + 1) + 1
    for (let x = 0, s = y * width; x < width; x++, s++) {
      const v = data[s]
      const hi = bytes === 2 ? v >>> 8 : v
      const lo = v & 255
      for (let c = 0; c < channels; c++) {
        const opaque = c >= colour
        if (bytes === 2) {
          raw[o++] = opaque ? 255 : hi
          raw[o++] = opaque ? 255 : lo
        } else raw[o++] = opaque ? 255 : lo
      }
    }
  }
  return raw
}

function maskScanlines(width: number, height: number, enc: MaskEncoding, data: Uint8Array | Uint16Array): Buffer {
  if (enc.colorType === 0 || enc.colorType === 3) {
    if (enc.bitDepth === 16) return labelScanlines(width, height, 16, data)
    if (enc.bitDepth === 8) return labelScanlines(width, height, 8, data instanceof Uint8Array ? data : Uint8Array.from(data))
    return packedScanlines(width, height, enc.bitDepth, data)
  }
  return replicatedScanlines(width, height, enc, data)
}

/**
 * The palette a save writes: the file's own entries, grown (up to 2^depth) with `colorOf(i)`
 * for indices the file's palette does not reach yet. tRNS stays as it was (entries past it are
 * opaque, as before).
 */
function grownPalette(plte: Uint8Array, maxIndex: number, colorOf: (index: number) => [number, number, number]): Uint8Array {
  const have = plte.length / 3
  if (maxIndex < have) return plte
  const out = new Uint8Array((maxIndex + 1) * 3)
  out.set(plte)
  for (let i = have; i <= maxIndex; i++) out.set(colorOf(i), i * 3)
  return out
}

/**
 * A mask PNG in `enc` (see MaskEncoding): not interlaced, rows unfiltered, deflated on the thread
 * pool with the label settings. Every value must fit the encoding (maxIndexOf): the caller
 * checks and names the file; a value that does not fit is an Error here.
 */
export async function encodeMaskPngAsync(
  width: number,
  height: number,
  data: Uint8Array | Uint16Array,
  enc: MaskEncoding,
  colorOf: (index: number) => [number, number, number] = () => [0, 0, 0],
  /** the largest value in `data`, when the caller has counted it (saves a pass) */
  knownMax?: number,
): Promise<Buffer> {
  if (data.length !== width * height) throw new Error(`expected ${width * height} values for ${width}x${height}, got ${data.length}`)
  let max = knownMax ?? 0
  if (knownMax === undefined) for (let i = 0; i < data.length; i++) if (data[i] > max) max = data[i]
  if (max > maxIndexOf(enc)) throw new Error(`class index ${max} does not fit a ${describeEncoding(enc)} PNG`)
  // 1 MB output chunks (the default 16 KB costs a thread-pool round trip each): the same bytes
  const idat = await deflateAsync(maskScanlines(width, height, enc, data), { ...LABEL_DEFLATE, chunkSize: 1 << 20 })
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr[8] = enc.bitDepth
  ihdr[9] = enc.colorType
  const parts = [SIGNATURE, chunk('IHDR', ihdr)]
  if (enc.colorType === 3) {
    parts.push(chunk('PLTE', grownPalette(enc.plte ?? new Uint8Array(0), max, colorOf)))
    if (enc.trns?.length) parts.push(chunk('tRNS', enc.trns))
  }
  parts.push(chunk('IDAT', idat), IEND)
  return Buffer.concat(parts)
}
