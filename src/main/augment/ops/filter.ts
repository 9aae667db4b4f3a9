// Filter family (image only, neighbourhood ops): sharpen and motion blur as 2-D convolutions
// (OpenCV filter2D's default border, BORDER_REFLECT_101, float32 kernel weights, rounded to
// nearest even; kernels 3: the same kernels in exact integers, filter-q.ts), median blur (cv2.medianBlur: exact, BORDER_REPLICATE), and downscale (nearest
// neighbour down and back up, as cv2.resize INTER_NEAREST).
import { checkRgb, fast, sameBytes } from '../fast'
import type { Rng } from '../rng'
import { LITTLE_ENDIAN, roundEven } from './cv8'
import { lineMean, Q_LIMITS, sharpenQ, sharpenQ14 } from './filter-q'
import type { PixelOp, Pixels } from './types'

const f = Math.fround
/** BORDER_REFLECT_101, then clamped (a kernel wider than the image reads its edge, never outside it). */
const reflect101 = (i: number, n: number) => {
  const r = n === 1 ? 0 : i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i
  return r < 0 ? 0 : r >= n ? n - 1 : r
}
const clampI = (i: number, n: number) => (i < 0 ? 0 : i >= n ? n - 1 : i)
const sat = (v: number) => (v <= 0 ? 0 : v >= 255 ? 255 : v)

/**
 * A sparse kernel: taps (dx, dy, weight) around each pixel, BORDER_REFLECT_101, sum in float64
 * in tap order, rounded to nearest even. `taps`: flat [dx, dy, w, ...].
 */
export function convolve(px: Pixels, taps: number[]): void {
  const k = fast('opConvolve', (k) => {
    const t = [...sharpenTaps(0.4, 0.7), 4, -2, 0.125, -9, 1, 0.3]
    const a = { width: 19, height: 8, data: checkRgb(19, 8) },
      b = a.data.slice()
    convolveJs(a, t)
    k.opConvolve(b, 19, 8, Float64Array.from(t))
    return sameBytes(a.data, b)
  })
  if (k) k.opConvolve(px.data, px.width, px.height, Float64Array.from(taps))
  else convolveJs(px, taps)
}

function convolveJs(px: Pixels, taps: number[]): void {
  const { width: w, height: h, data } = px
  const src = data.slice()
  const n = taps.length / 3
  const cols = new Int32Array(n * w),
    rows = new Int32Array(n)
  for (let t = 0; t < n; t++) for (let x = 0; x < w; x++) cols[t * w + x] = reflect101(x + taps[t * 3], w) * 3
  for (let y = 0; y < h; y++) {
    for (let t = 0; t < n; t++) rows[t] = reflect101(y + taps[t * 3 + 1], h) * w * 3
    for (let x = 0; x < w; x++) {
      let s0 = 0,
        s1 = 0,
        s2 = 0
      for (let t = 0; t < n; t++) {
        const k = taps[t * 3 + 2]
        const i = rows[t] + cols[t * w + x]
        s0 += k * src[i]
        s1 += k * src[i + 1]
        s2 += k * src[i + 2]
      }
      const o = (y * w + x) * 3
      data[o] = sat(roundEven(s0))
      data[o + 1] = sat(roundEven(s1))
      data[o + 2] = sat(roundEven(s2))
    }
  }
}

/** Albumentations Sharpen's 3x3 kernel (float32, as it builds it): (1 - alpha) identity + alpha [-1..., 8 + lightness, ...]. */
export function sharpenTaps(alpha: number, lightness: number): number[] {
  const centre = f(f(1 - alpha) + f(alpha * f(8 + lightness)))
  const edge = f(alpha * -1)
  const taps: number[] = []
  for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) taps.push(dx, dy, dx === 0 && dy === 0 ? centre : edge)
  return taps
}

export const sharpen: PixelOp<'sharpen', { alpha: number; lightness: number }> = {
  type: 'sharpen',
  kind: 'pixel',
  sample: (rng, spec) => ({ alpha: rng.uniform(spec.alpha[0], spec.alpha[1]), lightness: rng.uniform(spec.lightness[0], spec.lightness[1]) }),
  image(p, px, ctx) {
    const taps = sharpenTaps(p.alpha, p.lightness)
    const [c, a] = sharpenQ14(taps[14], -taps[2])
    if ((ctx?.kernels ?? 1) >= 3 && c >= 0 && c <= Q_LIMITS.sharpenCentre && a >= 0 && a <= 16384) return sharpenQ(px, c, a)
    convolve(px, taps)
  },
}

/** An odd size from an odd-stepped range (Albumentations: random.choice(range(lo, hi + 1, 2))). */
function oddSize(rng: Rng, lo: number, hi: number): number {
  const first = lo % 2 === 1 ? lo : lo + 1
  const count = Math.max(1, Math.floor((hi - first) / 2) + 1)
  return first + 2 * rng.int(0, count - 1)
}

/** The pixels of a line from (x1, y1) to (x2, y2) (8-connected Bresenham), as [x, y, ...]. */
export function linePixels(x1: number, y1: number, x2: number, y2: number): number[] {
  const out: number[] = []
  const dx = Math.abs(x2 - x1),
    dy = -Math.abs(y2 - y1)
  const sx = x1 < x2 ? 1 : -1,
    sy = y1 < y2 ? 1 : -1
  let err = dx + dy,
    x = x1,
    y = y1
  for (;;) {
    out.push(x, y)
    if (x === x2 && y === y2) return out
    const e2 = 2 * err
    if (e2 >= dy) {
      err += dy
      x += sx
    }
    if (e2 <= dx) {
      err += dx
      y += sy
    }
  }
}

/** A random line in a k x k kernel (Albumentations MotionBlur, allow_shifted): its pixels, each weighted 1/n (float32). */
export const motionBlur: PixelOp<'motion_blur', { size: number; line: number[] }> = {
  type: 'motion_blur',
  kind: 'pixel',
  sample(rng, spec) {
    const k = oddSize(rng, spec.size[0], spec.size[1])
    const x1 = rng.int(0, k - 1),
      x2 = rng.int(0, k - 1)
    const y1 = rng.int(0, k - 1)
    let y2 = rng.int(0, k - 1) // draw order x1, x2, y1, y2: plans depend on it
    if (x1 === x2 && y1 === y2) y2 = (y1 + 1 + rng.int(0, k - 2)) % k // two distinct points
    return { size: k, line: [x1, y1, x2, y2] }
  },
  image(p, px, ctx) {
    const [x1, y1, x2, y2] = p.line as [number, number, number, number]
    const pts = linePixels(x1, y1, x2, y2)
    const n = pts.length / 2,
      r = (p.size - 1) / 2
    if ((ctx?.kernels ?? 1) >= 3 && n <= Q_LIMITS.lineTaps)
      return lineMean(
        px,
        Int32Array.from(pts, (v) => v - r),
      )
    const w = f(1 / n)
    const taps: number[] = []
    for (let i = 0; i < n; i++) taps.push(pts[i * 2] - r, pts[i * 2 + 1] - r, w)
    convolve(px, taps)
  },
}

/** cv2.medianBlur: the median of each k x k window per channel, edges replicated. */
export function medianRgb(px: Pixels, k: number): void {
  const native = fast('opMedian', (n) =>
    [3, 5, 7, 9].every((k) => {
      const a = { width: 21, height: 9, data: checkRgb(21, 9, k) },
        b = a.data.slice()
      medianRgbJs(a, k)
      n.opMedian(b, 21, 9, k)
      return sameBytes(a.data, b)
    }),
  )
  if (native) native.opMedian(px.data, px.width, px.height, k)
  else medianRgbJs(px, k)
}

/** The median of each window, tracked (v and the count below it follow each column added and removed). */
function medianRgbJs(px: Pixels, k: number): void {
  const { width: w, height: h, data } = px
  const src = data.slice()
  const r = (k - 1) >> 1,
    half = (k * k) >> 1
  const hist = new Int32Array(256)
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < h; y++) {
      hist.fill(0)
      for (let dy = -r; dy <= r; dy++) {
        const row = clampI(y + dy, h) * w
        for (let dx = -r; dx <= r; dx++) hist[src[(row + clampI(dx, w)) * 3 + c]]++
      }
      let v = 0,
        below = 0
      for (let x = 0; x < w; x++) {
        if (x > 0) {
          const out = clampI(x - r - 1, w),
            inn = clampI(x + r, w)
          for (let dy = -r; dy <= r; dy++) {
            const row = clampI(y + dy, h) * w
            const a = src[(row + out) * 3 + c],
              b = src[(row + inn) * 3 + c]
            hist[a]--
            if (a < v) below--
            hist[b]++
            if (b < v) below++
          }
        }
        while (below > half) below -= hist[--v]
        while (below + hist[v] <= half) below += hist[v++]
        data[(y * w + x) * 3 + c] = v
      }
    }
  }
}

export const medianBlur: PixelOp<'median_blur', { size: number }> = {
  type: 'median_blur',
  kind: 'pixel',
  sample: (rng, spec) => ({ size: oddSize(rng, spec.size[0], spec.size[1]) }),
  image: (p, px) => medianRgb(px, p.size),
}

/** cv2.resize(..., INTER_NEAREST) source indices for n outputs: floor(i * (1 / (out / in))), clamped. */
function nearestIndices(out: number, inn: number, scale: number): Int32Array {
  const ifx = 1 / scale,
    r = new Int32Array(out) // a plain loop: Int32Array.from with a callback was 0.12 ms of a 512² downscale's 0.65
  for (let i = 0; i < out; i++) r[i] = Math.min(Math.floor(i * ifx), inn - 1)
  return r
}

/**
 * Albumentations Downscale (nearest both ways): cv2.resize by scale (size rounded), then back to the
 * size. One pass each way: the small image (dw x dh) is gathered first, so the in-place writes never
 * meet a source pixel still to be read; an output row repeating the one above is copied.
 */
export function downscaleRgb(px: Pixels, scale: number): void {
  const { width: w, height: h, data } = px
  const dw = Math.max(1, roundEven(w * scale)),
    dh = Math.max(1, roundEven(h * scale))
  const downX = nearestIndices(dw, w, scale),
    downY = nearestIndices(dh, h, scale)
  const upX = nearestIndices(w, dw, w / dw),
    upY = nearestIndices(h, dh, h / dh)
  // the small image, a pixel a word (r | g << 8 | b << 16)
  const small = new Int32Array(dw * dh)
  for (let j = 0; j < dh; j++) {
    const row = downY[j] * w
    for (let i = 0; i < dw; i++) {
      const s = (row + downX[i]) * 3
      small[j * dw + i] = data[s] | (data[s + 1] << 8) | (data[s + 2] << 16)
    }
  }
  // whole rows of four pixels as three aligned little-endian words (4 reads and 3 stores, not 12 of each)
  const words = w % 4 === 0 && data.byteOffset % 4 === 0 && LITTLE_ENDIAN ? new Int32Array(data.buffer, data.byteOffset, (w * h * 3) >> 2) : null
  const stride = w * 3
  for (let y = 0; y < h; y++) {
    const j = upY[y],
      o = y * stride
    if (y > 0 && j === upY[y - 1]) {
      data.copyWithin(o, o - stride, o)
      continue
    }
    const base = j * dw
    if (words) {
      for (let x = 0, t = o >> 2; x < w; x += 4, t += 3) {
        const p0 = small[base + upX[x]],
          p1 = small[base + upX[x + 1]],
          p2 = small[base + upX[x + 2]],
          p3 = small[base + upX[x + 3]]
        words[t] = p0 | (p1 << 24)
        words[t + 1] = (p1 >>> 8) | (p2 << 16)
        words[t + 2] = (p2 >>> 16) | (p3 << 8)
      }
      continue
    }
    for (let x = 0; x < w; x++) {
      const p = small[base + upX[x]],
        t = o + x * 3
      data[t] = p
      data[t + 1] = p >> 8
      data[t + 2] = p >> 16
    }
  }
}

export const downscale: PixelOp<'downscale', { scale: number }> = {
  type: 'downscale',
  kind: 'pixel',
  sample: (rng, spec) => ({ scale: rng.uniform(spec.scale[0], spec.scale[1]) }),
  image: (p, px) => downscaleRgb(px, p.scale),
}

export const FILTER_OPS = [sharpen, motionBlur, medianBlur, downscale] as const
