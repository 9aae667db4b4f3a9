// A PNG reader for the import's hot path, over bytes already in memory: the chunk walk gives the
// header and catches truncation without a decoder, and single-channel label maps (8-bit grey,
// 8-bit palette, 16-bit grey; not interlaced) are inflated with node's zlib and unfiltered here
// to count class pixels during the import itself. Anything else is left to sharp / the engine's
// readLabels. Tests check the counts against readLabels on the same files.
import { inflate } from 'node:zlib'
import { promisify } from 'node:util'

const inflateAsync = promisify(inflate)

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

export function pngChannels(colorType: number): number {
  return CHANNELS[colorType] ?? 0
}

/** Walks every chunk header to IEND: a file cut short or with a bad chunk length is reported. */
export function walkPng(b: Buffer): PngWalk {
  if (b.length < 8 + 25) return { ok: false, problem: 'the PNG is too short to hold a header (truncated)' }
  if (b.toString('latin1', 12, 16) !== 'IHDR') return { ok: false, problem: 'the PNG does not start with an IHDR chunk' }
  const info: PngInfo = {
    width: b.readUInt32BE(16),
    height: b.readUInt32BE(20),
    bitDepth: b[24]!,
    colorType: b[25]!,
    interlaced: b[28] === 1,
    exif: false,
    idat: [],
  }
  if (!(info.colorType in CHANNELS)) return { ok: false, problem: `the PNG has an invalid colour type ${info.colorType}` }
  let at = 8
  for (;;) {
    if (at + 12 > b.length) return { ok: false, problem: 'the PNG ends before its IEND chunk (truncated)' }
    const len = b.readUInt32BE(at)
    const type = b.toString('latin1', at + 4, at + 8)
    if (len > 0x7fffffff || at + 12 + len > b.length) return { ok: false, problem: `the PNG's ${type} chunk runs past the end of the file (truncated)` }
    if (type === 'IDAT') info.idat.push([at + 8, at + 8 + len])
    else if (type === 'eXIf') info.exif = true
    else if (type === 'IEND') break
    at += 12 + len
  }
  if (!info.idat.length) return { ok: false, problem: 'the PNG has no image data (no IDAT chunk)' }
  return { ok: true, info }
}

/** Whether `labelHistogram` can read this mask (else use the engine's readLabels). */
export function canCountLabels(info: PngInfo): boolean {
  if (info.interlaced) return false
  return (info.colorType === 0 && (info.bitDepth === 8 || info.bitDepth === 16)) || (info.colorType === 3 && info.bitDepth === 8)
}

/** Class index -> pixel count of a single-channel PNG label map (see canCountLabels). */
export async function labelHistogram(b: Buffer, info: PngInfo): Promise<Map<number, number>> {
  const parts = info.idat.map(([s, e]) => b.subarray(s, e))
  const raw = await inflateAsync(parts.length === 1 ? parts[0]! : Buffer.concat(parts))
  const bpp = info.bitDepth === 16 ? 2 : 1
  const stride = info.width * bpp
  if (raw.length < (stride + 1) * info.height) throw new Error(`the PNG's image data is short: ${raw.length} bytes for ${info.width}x${info.height}`)
  const counts = new Float64Array(bpp === 2 ? 65536 : 256)
  let prev = new Uint8Array(stride)
  let cur = new Uint8Array(stride)
  for (let y = 0; y < info.height; y++) {
    const off = y * (stride + 1)
    const filter = raw[off]!
    const src = raw.subarray(off + 1, off + 1 + stride)
    switch (filter) {
      case 0:
        cur.set(src)
        break
      case 1:
        for (let i = 0; i < stride; i++) cur[i] = (src[i]! + (i >= bpp ? cur[i - bpp]! : 0)) & 255
        break
      case 2:
        for (let i = 0; i < stride; i++) cur[i] = (src[i]! + prev[i]!) & 255
        break
      case 3:
        for (let i = 0; i < stride; i++) cur[i] = (src[i]! + (((i >= bpp ? cur[i - bpp]! : 0) + prev[i]!) >> 1)) & 255
        break
      case 4:
        for (let i = 0; i < stride; i++) {
          const a = i >= bpp ? cur[i - bpp]! : 0
          const up = prev[i]!
          const c = i >= bpp ? prev[i - bpp]! : 0
          const p = a + up - c
          const pa = Math.abs(p - a)
          const pb = Math.abs(p - up)
          const pc = Math.abs(p - c)
          cur[i] = (src[i]! + (pa <= pb && pa <= pc ? a : pb <= pc ? up : c)) & 255
        }
        break
      default:
        throw new Error(`the PNG has an invalid row filter ${filter} on row ${y}`)
    }
    if (bpp === 1) for (let i = 0; i < stride; i++) counts[cur[i]!]++
    else for (let i = 0; i < stride; i += 2) counts[(cur[i]! << 8) | cur[i + 1]!]++
    const t = prev
    prev = cur
    cur = t
  }
  const out = new Map<number, number>()
  for (let v = 0; v < counts.length; v++) if (counts[v]) out.set(v, counts[v]!)
  return out
}
