// Oriented image size from the bytes a render already holds (export reads each source once, to
// hash it and to decode it), so planning an output costs no extra decoder call. PNG: IHDR (none
// with an eXIf chunk). JPEG: the SOF marker and the EXIF orientation (5-8 swap width and height,
// as sharp's rotate() does). Anything else (or anything odd) returns null and
// the caller asks the decoder. A wrong answer cannot go unnoticed: the renderer checks the plan's
// source size against the decoded image and fails the pair.
import { isPng, readIhdr } from './png'

function exifOrientation(b: Uint8Array, start: number, end: number): number {
  // start: first byte after 'Exif\0\0' (the TIFF header)
  if (end - start < 8) return 1
  const le = b[start] === 0x49 && b[start + 1] === 0x49
  const be = b[start] === 0x4d && b[start + 1] === 0x4d
  if (!le && !be) return 1
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength)
  const u16 = (o: number) => dv.getUint16(o, le)
  const u32 = (o: number) => dv.getUint32(o, le)
  const ifd = start + u32(start + 4)
  if (ifd + 2 > end) return 1
  const n = u16(ifd)
  for (let i = 0; i < n; i++) {
    const e = ifd + 2 + i * 12
    if (e + 12 > end) return 1
    if (u16(e) === 0x0112) {
      const v = u16(e + 8)
      return v >= 1 && v <= 8 ? v : 1
    }
  }
  return 1
}

export function headerSize(b: Uint8Array): { width: number; height: number } | null {
  try {
    // PNG
    if (isPng(b)) {
      const ihdr = readIhdr(b)
      if (!ihdr) return null
      const { width, height } = ihdr
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength)
      // an eXIf chunk may rotate the image: let the decoder say
      for (let at = 8; at + 8 <= b.length;) {
        const type = String.fromCharCode(b[at + 4], b[at + 5], b[at + 6], b[at + 7])
        if (type === 'eXIf') return null
        if (type === 'IDAT' || type === 'IEND') break
        at += 12 + dv.getUint32(at)
      }
      return width > 0 && height > 0 ? { width, height } : null
    }
    const j = jpegHeader(b)
    if (j) return j.orientation >= 5 ? { width: j.height, height: j.width } : { width: j.width, height: j.height }
  } catch {
    return null
  }
  return null
}

/** What a JPEG's markers up to its frame header say (stored width and height, before orientation). */
export interface JpegHeader {
  width: number
  height: number
  /** EXIF orientation, 1 when absent */
  orientation: number
  /** an APP2 ICC_PROFILE segment is present */
  icc: boolean
  /** SOF marker (0xc0 baseline, 0xc1 extended, 0xc2 progressive, ...) */
  sof: number
  components: number
  precision: number
}

const ICC_PROFILE = [0x49, 0x43, 0x43, 0x5f, 0x50, 0x52, 0x4f, 0x46, 0x49, 0x4c, 0x45, 0x00]

/** Walks a JPEG's markers to its frame header; null when the bytes are not a JPEG or look odd. */
export function jpegHeader(b: Uint8Array): JpegHeader | null {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return null
  let orientation = 1
  let icc = false
  let pos = 2
  try {
    while (pos + 4 <= b.length) {
      if (b[pos] !== 0xff) return null
      const marker = b[pos + 1]
      if (marker === 0xff) {
        pos++
        continue
      }
      if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
        pos += 2
        continue
      }
      const len = (b[pos + 2] << 8) | b[pos + 3]
      if (len < 2) return null
      const seg = pos + 4
      if (
        marker === 0xe1 &&
        len >= 8 &&
        b[seg] === 0x45 &&
        b[seg + 1] === 0x78 &&
        b[seg + 2] === 0x69 &&
        b[seg + 3] === 0x66 &&
        b[seg + 4] === 0 &&
        b[seg + 5] === 0
      ) {
        orientation = exifOrientation(b, seg + 6, Math.min(b.length, pos + 2 + len))
      }
      if (marker === 0xe2 && len >= 2 + ICC_PROFILE.length && ICC_PROFILE.every((v, i) => b[seg + i] === v)) icc = true
      // SOF0..SOF15 except DHT (c4), JPG (c8), DAC (cc)
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        if (seg + 6 > b.length) return null
        const height = (b[seg + 1] << 8) | b[seg + 2]
        const width = (b[seg + 3] << 8) | b[seg + 4]
        if (!width || !height) return null
        return { width, height, orientation, icc, sof: marker, components: b[seg + 5], precision: b[seg] }
      }
      if (marker === 0xda) return null // start of scan before any SOF
      pos += 2 + len
    }
  } catch {
    return null
  }
  return null
}

/**
 * A JPEG whose pixels libvips' pipeline (autoOrient, sRGB) passes through untouched: no EXIF
 * turn, no ICC profile to convert from, 8-bit, 3 components, Huffman-coded (baseline, extended or
 * progressive). Those are the files the libjpeg-turbo region decoder may take (it also checks the
 * colour space is YCbCr).
 */
export function isPlainJpeg(h: JpegHeader | null): h is JpegHeader {
  return !!h && h.orientation === 1 && !h.icc && h.precision === 8 && h.components === 3 && (h.sof === 0xc0 || h.sof === 0xc1 || h.sof === 0xc2)
}
