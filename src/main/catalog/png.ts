// The import's hot path counts class pixels from the mask bytes it already holds: the PNG chunk
// walk and row decoding are the engine's (src/main/io/png.ts); this file only counts. Anything
// the counter cannot read is left to sharp / the engine's readLabels. Tests check the counts
// against readLabels on the same files.
import { decodeRows, type PngInfo } from '../io/png'

export { pngChannels, walkPng, type PngInfo, type PngWalk } from '../io/png'

/** Whether `labelHistogram` can read this mask (else use the engine's readLabels). */
export function canCountLabels(info: PngInfo): boolean {
  if (info.interlaced) return false
  return (info.colorType === 0 && (info.bitDepth === 8 || info.bitDepth === 16)) || (info.colorType === 3 && info.bitDepth === 8)
}

/** Class index -> pixel count of a single-channel PNG label map (see canCountLabels). */
export async function labelHistogram(b: Buffer, info: PngInfo): Promise<Map<number, number>> {
  const { raw, rowBytes } = await decodeRows(b, info)
  const wide = info.bitDepth === 16
  const counts = new Float64Array(wide ? 65536 : 256)
  for (let y = 0; y < info.height; y++) {
    const s = y * (rowBytes + 1) + 1
    if (wide) for (let i = 0; i < rowBytes; i += 2) counts[(raw[s + i] << 8) | raw[s + i + 1]]++
    else for (let i = 0; i < rowBytes; i++) counts[raw[s + i]]++
  }
  const out = new Map<number, number>()
  for (let v = 0; v < counts.length; v++) if (counts[v]) out.set(v, counts[v])
  return out
}
