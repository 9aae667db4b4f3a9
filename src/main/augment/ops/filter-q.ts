// Kernels 3: the filter family's integer definitions (plans recorded with `kernels >= 3`; older
// plans keep the float64 sums of blur.ts / filter.ts). Every value is exact integer arithmetic
// (all sums below 2^31), so the JS references here and the native kernels (ops_filter.c, SSE2 and
// AVX2 on 16-bit lanes) give the same bytes by construction, and a flat image stays flat.
//  - Gaussian blur: the float kernel quantized once to Q14 (sum exactly 2^14), separable like
//    OpenCV's fixed-point GaussianBlur: a horizontal pass into Q6 (round, >> 8), a vertical pass
//    rounded once (>> 20); edges replicated, as the float definition.
//  - Sharpen: C x - A N8 in Q14 (C the centre weight, A = alpha, N8 the 8 neighbours' sum),
//    rounded to nearest even (as the float definition and cv2.filter2D), clamped; BORDER_REFLECT_101.
//  - Motion blur: the line's samples summed, times round(2^B / n) (B = 14 + floor(log2 n)),
//    rounded to nearest even; BORDER_REFLECT_101.
import { checkRgb, fast, sameBytes } from '../fast'
import type { Pixels } from './types'

/** The integer definitions hold for these bounds (the schema's ranges are well inside them). */
export const Q_LIMITS = { blurTaps: 4001, sharpenCentre: 1 << 19, lineTaps: 128 }

const reflect101 = (i: number, n: number) => {
  const r = n === 1 ? 0 : i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i
  return r < 0 ? 0 : r >= n ? n - 1 : r
}
const clampI = (i: number, n: number) => (i < 0 ? 0 : i >= n ? n - 1 : i)

// ---- Gaussian blur ----------------------------------------------------------------------------------

/** A symmetric float kernel (sum 1) in Q14: each tap rounded, the centre takes what makes the sum 2^14. */
export function quantizeKernel(k: Float64Array): Int32Array {
  const q = new Int32Array(k.length),
    r = (k.length - 1) / 2
  let others = 0
  for (let i = 0; i < k.length; i++) if (i !== r) others += q[i] = Math.round(k[i] * 16384)
  q[r] = 16384 - others
  return q
}

/** The image through a Q14 kernel `q` (odd length, symmetric, taps >= 0, sum 2^14), both ways. */
export function blurQ(px: Pixels, q: Int32Array): void {
  const k = fast('opBlurQ', (k) => {
    const g = Int32Array.of(5, 1000, 4090, 6194, 4090, 1000, 5)
    const a = { width: 23, height: 11, data: checkRgb(23, 11) },
      b = a.data.slice()
    blurQJs(a, g)
    k.opBlurQ(b, 23, 11, g)
    return sameBytes(a.data, b)
  })
  if (k) k.opBlurQ(px.data, px.width, px.height, q)
  else blurQJs(px, q)
}

function blurQJs(px: Pixels, q: Int32Array): void {
  const { width: w, height: h, data } = px
  const r = (q.length - 1) / 2,
    n3 = w * 3
  const tmp = new Int16Array(w * h * 3)
  const prow = new Int32Array((w + 2 * r) * 3),
    acc = new Int32Array(n3)
  for (let y = 0; y < h; y++) {
    const row = y * n3
    for (let x = 0; x < w + 2 * r; x++) {
      const s = row + clampI(x - r, w) * 3
      prow[x * 3] = data[s]
      prow[x * 3 + 1] = data[s + 1]
      prow[x * 3 + 2] = data[s + 2]
    }
    acc.fill(0)
    for (let t = 0; t <= 2 * r; t++) {
      const qt = q[t],
        o = t * 3
      for (let i = 0; i < n3; i++) acc[i] += qt * prow[i + o]
    }
    for (let i = 0; i < n3; i++) tmp[row + i] = (acc[i] + 128) >> 8
  }
  for (let y = 0; y < h; y++) {
    acc.fill(0)
    for (let t = 0; t <= 2 * r; t++) {
      const qt = q[t],
        o = clampI(y + t - r, h) * n3
      for (let i = 0; i < n3; i++) acc[i] += qt * tmp[o + i]
    }
    const row = y * n3
    for (let i = 0; i < n3; i++) data[row + i] = (acc[i] + (1 << 19)) >> 20
  }
}

// ---- sharpen -----------------------------------------------------------------------------------------

/** Sharpen's 3x3 kernel (centre c, the 8 others -alpha) in Q14: [C, A]. */
export const sharpenQ14 = (centre: number, alpha: number): [number, number] => [Math.round(centre * 16384), Math.round(alpha * 16384)]

/** (C x - A N8) / 2^14 rounded to nearest even, clamped to 0..255, per value (N8: the 8 neighbours, BORDER_REFLECT_101). */
export function sharpenQ(px: Pixels, c: number, a: number): void {
  const k = fast('opSharpenQ', (k) =>
    [
      [63728, 6062],
      [294912, 16384],
      [16384, 0],
    ].every(([c, a]) => {
      const p = { width: 19, height: 8, data: checkRgb(19, 8, c) },
        b = p.data.slice()
      sharpenQJs(p, c, a)
      k.opSharpenQ(b, 19, 8, c, a)
      return sameBytes(p.data, b)
    }),
  )
  if (k) k.opSharpenQ(px.data, px.width, px.height, c, a)
  else sharpenQJs(px, c, a)
}

function sharpenQJs(px: Pixels, c: number, a: number): void {
  const { width: w, height: h, data } = px
  const src = data.slice()
  const left = new Int32Array(w),
    right = new Int32Array(w)
  for (let x = 0; x < w; x++) {
    left[x] = reflect101(x - 1, w) * 3
    right[x] = reflect101(x + 1, w) * 3
  }
  for (let y = 0; y < h; y++) {
    const up = reflect101(y - 1, h) * w * 3,
      mid = y * w * 3,
      down = reflect101(y + 1, h) * w * 3
    for (let x = 0; x < w; x++) {
      const l = left[x],
        m = x * 3,
        r = right[x]
      for (let ch = 0; ch < 3; ch++) {
        const n8 =
          src[up + l + ch] +
          src[up + m + ch] +
          src[up + r + ch] +
          src[mid + l + ch] +
          src[mid + r + ch] +
          src[down + l + ch] +
          src[down + m + ch] +
          src[down + r + ch]
        const x = c * src[mid + m + ch] - a * n8
        const v = (x + 8191 + ((x >> 14) & 1)) >> 14
        data[mid + m + ch] = v < 0 ? 0 : v > 255 ? 255 : v
      }
    }
  }
}

// ---- motion blur -------------------------------------------------------------------------------------

/** The mean of n samples as sum q / 2^B (rounded to nearest even): [q, B]. */
export function lineMeanQ(n: number): [number, number] {
  const b = 14 + Math.floor(Math.log2(n))
  return [Math.round(2 ** b / n), b]
}

/** Each value: the mean of the samples at `offsets` ([dx, dy, ...], BORDER_REFLECT_101) as lineMeanQ rounds it. */
export function lineMean(px: Pixels, offsets: Int32Array): void {
  const k = fast('opLineMeanQ', (k) => {
    const offs = Int32Array.of(-3, -1, -2, -1, -1, 0, 0, 0, 1, 0, 2, 1, 3, 1, 9, -4)
    return [2, 3, 8].every((n) => {
      const a = { width: 19, height: 8, data: checkRgb(19, 8, n) },
        b = a.data.slice(),
        o = offs.subarray(0, 2 * n)
      lineMeanJs(a, o)
      k.opLineMeanQ(b, 19, 8, o, ...lineMeanQ(n))
      return sameBytes(a.data, b)
    })
  })
  if (k && offsets.every((v) => v >= -1000 && v <= 1000)) k.opLineMeanQ(px.data, px.width, px.height, offsets, ...lineMeanQ(offsets.length / 2))
  else lineMeanJs(px, offsets)
}

function lineMeanJs(px: Pixels, offsets: Int32Array): void {
  const { width: w, height: h, data } = px
  const src = data.slice()
  const n = offsets.length / 2,
    n3 = w * 3
  const [q, b] = lineMeanQ(n)
  const half = 2 ** (b - 1) - 1
  const cols = new Int32Array(n * w),
    rows = new Int32Array(n),
    sum = new Int32Array(n3)
  for (let t = 0; t < n; t++) for (let x = 0; x < w; x++) cols[t * w + x] = reflect101(x + offsets[t * 2], w) * 3
  for (let y = 0; y < h; y++) {
    for (let t = 0; t < n; t++) rows[t] = reflect101(y + offsets[t * 2 + 1], h) * n3
    sum.fill(0)
    for (let t = 0; t < n; t++)
      for (let x = 0; x < w; x++) {
        const s = rows[t] + cols[t * w + x],
          o = x * 3
        sum[o] += src[s]
        sum[o + 1] += src[s + 1]
        sum[o + 2] += src[s + 2]
      }
    const row = y * n3
    for (let i = 0; i < n3; i++) {
      const x = sum[i] * q
      const v = (x + half + ((x >> b) & 1)) >> b
      data[row + i] = v > 255 ? 255 : v
    }
  }
}
