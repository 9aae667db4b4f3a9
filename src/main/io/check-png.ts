// Lockstep's own check of a whole PNG: the chunk walk (io/png.ts walkPng: structure, CRCs) and its
// zlib stream inflated to the end, bounded by what the header allows. The data check runs here
// through node's inflateSync (the reference) or in native/decoders (check_png_data, which repeats
// node's calls one for one), with the same verdict on every stream, in the same words (pngDataProblem):
// - a zlib error (a bad code, a bad Adler-32 check: "incorrect data check", a stream cut short);
// - more data than rows x (1 + bytes per row) (per interlace pass): refused as soon as the output
//   passes that bound, so a small file that inflates to a gigabyte costs at most the header's size
//   in memory (none at all natively: the stream passes through one 64 KiB window);
// - less data than that, bytes after the end of the zlib stream, a row filter type over 4.
import { inflateWhole, pngChannels, PNG_CHUNK, type PngInfo, type WholeInflate } from './png'

export { PNG_CHUNK }

/** What check_png_data reports (decoders.h PNG_*). */
export const PngData = { OK: 0, ZLIB: 1, EXCESS: 2, SHORT: 3, TRAILING: 4, FILTER: 5 } as const

export interface PngDataResult {
  kind: number
  /** bytes inflated (when the stream was read to its end) */
  total: number
  /** stream bytes consumed */
  consumed: number
  pass: number
  row: number
  filter: number
  zmsg: string
}

/** The filtered rows of each interlace pass (one pass when not interlaced): rows and bytes per row, filter byte included. */
export interface PngRows {
  rows: number[]
  strides: number[]
  expected: number
}

const ADAM7: Array<[x: number, y: number, dx: number, dy: number]> = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
]

export function pngRows(info: Pick<PngInfo, 'width' | 'height' | 'bitDepth' | 'colorType' | 'interlaced'>): PngRows {
  const bits = pngChannels(info.colorType) * info.bitDepth
  const passes = info.interlaced ? ADAM7 : [[0, 0, 1, 1] as const]
  const rows: number[] = []
  const strides: number[] = []
  for (const [x, y, dx, dy] of passes) {
    const w = info.width > x ? Math.ceil((info.width - x) / dx) : 0
    const h = info.height > y ? Math.ceil((info.height - y) / dy) : 0
    rows.push(w && h ? h : 0)
    strides.push(Math.ceil((w * bits) / 8) + 1)
  }
  return { rows, strides, expected: rows.reduce((n, r, i) => n + r * strides[i], 0) }
}

/** The data check through node's zlib (check_png_data's reference). `inflated`: this stream's inflateWhole, when a label decode already ran it. */
export function checkPngData(z: Buffer, layout: PngRows, inflated?: WholeInflate): PngDataResult {
  const r: PngDataResult = { kind: PngData.OK, total: 0, consumed: 0, pass: 0, row: 0, filter: 0, zmsg: '' }
  const w = inflated ?? inflateWhole(z, layout.expected)
  if ('err' in w) {
    const e = w.err as NodeJS.ErrnoException
    if (e.code === 'ERR_BUFFER_TOO_LARGE') return { ...r, kind: PngData.EXCESS }
    if (typeof e.errno === 'number' && typeof e.code === 'string' && e.code.startsWith('Z_')) return { ...r, kind: PngData.ZLIB, zmsg: e.message }
    throw e
  }
  const out = w.out
  r.consumed = w.consumed
  r.total = out.length
  if (r.total < layout.expected) return { ...r, kind: PngData.SHORT }
  if (r.consumed < z.length) return { ...r, kind: PngData.TRAILING }
  let at = 0
  for (let p = 0; p < layout.rows.length; p++) {
    for (let y = 0; y < layout.rows[p]; y++, at += layout.strides[p]) {
      if (out[at] > 4) return { ...r, kind: PngData.FILTER, pass: p, row: y, filter: out[at] }
    }
  }
  return r
}

/** The verdict's words (null: the data is sound). */
export function pngDataProblem(r: PngDataResult, info: Pick<PngInfo, 'width' | 'height' | 'interlaced'>, layout: PngRows, streamBytes: number): string | null {
  switch (r.kind) {
    case PngData.OK:
      return null
    case PngData.ZLIB:
      return r.zmsg === 'unexpected end of file' ? 'the image data ends early (its zlib stream is cut short)' : `the image data is corrupt (zlib: ${r.zmsg})`
    case PngData.EXCESS:
      return `the image data inflates past the ${layout.expected} bytes its ${info.width}x${info.height} header allows`
    case PngData.SHORT:
      return `the image data ends after ${r.total} of ${layout.expected} bytes (truncated)`
    case PngData.TRAILING:
      return `${streamBytes - r.consumed} bytes follow the end of the image data's zlib stream`
    default:
      return info.interlaced
        ? `row ${r.row} of interlace pass ${r.pass + 1} has an invalid filter type ${r.filter}`
        : `row ${r.row} has an invalid filter type ${r.filter}`
  }
}
