// Colours a label map (raw class indices) into RGBA pixels on the client.
import { hexToRgb } from './colors'

/** A lookup table index -> packed RGBA (little-endian ABGR in a Uint32), hidden classes transparent. */
export function buildLut(maxIndex: number, color: (i: number) => string, hidden: Set<number>): Uint32Array {
  const lut = new Uint32Array(maxIndex + 1)
  for (let i = 0; i <= maxIndex; i++) {
    if (hidden.has(i)) continue
    const [r, g, b] = hexToRgb(color(i))
    lut[i] = (255 << 24) | (b << 16) | (g << 8) | r
  }
  return lut
}

export function paintLabels(data: Uint8Array | Uint16Array, width: number, height: number, lut: Uint32Array): ImageData {
  const img = new ImageData(width, height)
  const out = new Uint32Array(img.data.buffer)
  const n = width * height
  const max = lut.length - 1
  for (let i = 0; i < n; i++) {
    const v = data[i]
    out[i] = v <= max ? lut[v] : 0xffffffff
  }
  return img
}

/** Distinct values in a label map, ascending. */
export function distinctValues(data: Uint8Array | Uint16Array): number[] {
  const seen = new Uint8Array(data instanceof Uint16Array ? 65536 : 256)
  for (let i = 0; i < data.length; i++) seen[data[i]] = 1
  const out: number[] = []
  for (let i = 0; i < seen.length; i++) if (seen[i]) out.push(i)
  return out
}
