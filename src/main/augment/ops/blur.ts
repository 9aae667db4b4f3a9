// Blur family (image only): a separable Gaussian, radius ceil(3 sigma), edges replicated; float64
// sums for plans of kernels 1 and 2, exact Q14 integers (filter-q.ts) for kernels 3.
import { checkRgb, fast, sameBytes } from '../fast'
import { blurQ, Q_LIMITS, quantizeKernel } from './filter-q'
import type { KernelGeneration, PixelOp, Pixels } from './types'

export function gaussianKernel(sigma: number): Float64Array {
  const r = Math.max(1, Math.ceil(3 * sigma))
  const k = new Float64Array(2 * r + 1)
  let sum = 0
  for (let i = -r; i <= r; i++) sum += k[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma))
  for (let i = 0; i < k.length; i++) k[i] /= sum
  return k
}

/** The image blurred by sigma: kernels 3 in Q14 integers (filter-q.ts) where the quantized kernel holds, else the float64 sums. */
export function blurRgb(px: Pixels, sigma: number, kernels: KernelGeneration = 1): void {
  const kernel = gaussianKernel(sigma)
  if (kernels >= 3) {
    const q = quantizeKernel(kernel)
    if (q.length <= Q_LIMITS.blurTaps && q.every((v) => v >= 0)) return blurQ(px, q)
  }
  const k = fast('opBlur', (k) => {
    const a = { width: 23, height: 11, data: checkRgb(23, 11) },
      b = a.data.slice(),
      g = gaussianKernel(2.3)
    blurRgbJs(a, g)
    k.opBlur(b, 23, 11, g)
    return sameBytes(a.data, b)
  })
  if (k) k.opBlur(px.data, px.width, px.height, kernel)
  else blurRgbJs(px, kernel)
}

function blurRgbJs(px: Pixels, k: Float64Array): void {
  const { width: w, height: h, data } = px
  const r = (k.length - 1) / 2
  const tmp = new Float32Array(w * h * 3)
  for (let y = 0; y < h; y++) {
    const row = y * w
    for (let x = 0; x < w; x++) {
      let s0 = 0,
        s1 = 0,
        s2 = 0
      for (let t = -r; t <= r; t++) {
        const xx = x + t < 0 ? 0 : x + t >= w ? w - 1 : x + t
        const kv = k[t + r]
        const j = (row + xx) * 3
        s0 += kv * data[j]
        s1 += kv * data[j + 1]
        s2 += kv * data[j + 2]
      }
      const o = (row + x) * 3
      tmp[o] = s0
      tmp[o + 1] = s1
      tmp[o + 2] = s2
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s0 = 0,
        s1 = 0,
        s2 = 0
      for (let t = -r; t <= r; t++) {
        const yy = y + t < 0 ? 0 : y + t >= h ? h - 1 : y + t
        const kv = k[t + r]
        const j = (yy * w + x) * 3
        s0 += kv * tmp[j]
        s1 += kv * tmp[j + 1]
        s2 += kv * tmp[j + 2]
      }
      const o = (y * w + x) * 3
      data[o] = Math.round(s0 > 255 ? 255 : s0)
      data[o + 1] = Math.round(s1 > 255 ? 255 : s1)
      data[o + 2] = Math.round(s2 > 255 ? 255 : s2)
    }
  }
}

export const gaussianBlur: PixelOp<'gaussian_blur', { sigma: number }> = {
  type: 'gaussian_blur',
  kind: 'pixel',
  sample: (rng, spec) => ({ sigma: rng.uniform(spec.sigma[0], spec.sigma[1]) }),
  image: (p, px, ctx) => blurRgb(px, p.sigma, ctx?.kernels ?? 1),
}

export const BLUR_OPS = [gaussianBlur] as const
