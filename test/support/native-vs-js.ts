// A plan rendered twice, with the native op kernels and with the JS references (the engine's "one
// truth" rule: the two must give the same bytes).
import { renderLoaded, type LoadedPair, type Plan } from '../../src/main/augment'
import { useNativeOps } from '../../src/main/augment/fast'
import { randomRgb } from './cv2'

/** A tiny deterministic generator for random inputs (values in [0, 1)). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32
}

/** A decoded pair in memory: random RGB and 8-bit labels in blocks of six classes. */
export function labelledPair(w: number, h: number, seed: number): LoadedPair {
  const labels = new Uint8Array(w * h)
  for (let i = 0; i < labels.length; i++) labels[i] = (((i % w) >> 3) + (Math.floor(i / w) >> 2) + seed) % 6
  return {
    paths: { image: 'mem.png', mask: 'mem-mask.png' },
    width: w,
    height: h,
    image: { width: w, height: h, data: Buffer.from(randomRgb(w, h, seed)) },
    labels: { width: w, height: h, depth: 8, data: labels },
  }
}

export async function renderNativeAndJs(p: Plan, l: LoadedPair) {
  useNativeOps(true)
  const a = (await renderLoaded(p, l, { raw: true })).raw!
  useNativeOps(false)
  const b = (await renderLoaded(p, l, { raw: true })).raw!
  useNativeOps(true)
  return { a, b }
}
