// Histogram family (image only): OpenCV's equalizeHist per channel and CLAHE on the luma, value
// for value (float32 where OpenCV computes in float, rounding to nearest even where it rounds).
import { checkRgb, fast, sameBytes } from '../fast'
import { applyLuts } from './colour'
import { rgbToYcrcb8, roundEven, ycrcbToRgb8 } from './cv8'
import type { PixelOp, Pixels } from './types'

const f = Math.fround
const sat = (v: number) => (v <= 0 ? 0 : v >= 255 ? 255 : v)

/** cv2.equalizeHist's table for one channel (stride 3 from `c`). */
export function equalizeLut(d: Uint8Array, c: number, stride = 3): Uint8Array {
  const hist = new Int32Array(256)
  for (let i = c; i < d.length; i += stride) hist[d[i]]++
  return equalizeTable(hist, Math.floor((d.length - c + stride - 1) / stride))
}

/** cv2.equalizeHist's table from a histogram of `total` values. */
function equalizeTable(hist: ArrayLike<number>, total: number): Uint8Array {
  const lut = new Uint8Array(256)
  let i = 0
  while (i < 256 && hist[i] === 0) i++
  if (i === 256) return lut
  if (hist[i] === total) return lut.fill(i)
  const scale = f(255 / (total - hist[i]))
  let sum = 0
  for (lut[i++] = 0; i < 256; i++) {
    sum += hist[i]
    lut[i] = sat(roundEven(f(f(sum) * scale)))
  }
  return lut
}

/** Each channel's histogram (R, G, B: 256 counters each) of interleaved pixels. */
function histograms(d: Uint8Array): Uint32Array {
  const h = new Uint32Array(768)
  const k = fast('opHist3', (k) => {
    const a = checkRgb(29, 11),
      b = new Uint32Array(768)
    k.opHist3(a, b)
    return sameBytes(histogramsJs(a, new Uint32Array(768)), b)
  })
  if (k && d.length % 3 === 0) k.opHist3(d, h)
  else histogramsJs(d, h)
  return h
}
function histogramsJs(d: Uint8Array, h: Uint32Array): Uint32Array {
  for (let i = 0; i + 2 < d.length; i += 3) {
    h[d[i]]++
    h[256 + d[i + 1]]++
    h[512 + d[i + 2]]++
  }
  return h
}

/** Albumentations Equalize (mode 'cv', by channels): cv2.equalizeHist on R, G and B. */
export const equalize: PixelOp<'equalize', Record<string, never>> = {
  type: 'equalize',
  kind: 'pixel',
  sample: () => ({}),
  image(_p, px) {
    const d = px.data
    const h = histograms(d)
    const [r, g, b] = [0, 1, 2].map((c) => equalizeTable(h.subarray(c * 256, c * 256 + 256), d.length / 3))
    applyLuts(d, r, g, b)
  },
}

/** cv::CLAHE on one 8-bit plane (w x h), in place: tiles x tiles grid, clip limit as OpenCV takes it. */
export function claheGrey(plane: Uint8Array, w: number, h: number, clipLimit: number, tiles: number): void {
  // a plane whose size is not a multiple of the grid is extended (BORDER_REFLECT_101) for the tables
  const ew = w % tiles === 0 ? w : w + tiles - (w % tiles)
  const eh = h % tiles === 0 ? h : h + tiles - (h % tiles)
  const tw = ew / tiles,
    th = eh / tiles
  const reflect = (i: number, n: number) => (i < n ? i : 2 * (n - 1) - i)
  const area = tw * th
  const limit = clipLimit > 0 ? Math.max(Math.trunc((clipLimit * area) / 256), 1) : 0
  const lutScale = f(255 / area)
  const luts = new Uint8Array(tiles * tiles * 256)
  const hist = new Int32Array(256)
  for (let ty = 0; ty < tiles; ty++) {
    for (let tx = 0; tx < tiles; tx++) {
      hist.fill(0)
      for (let y = ty * th; y < (ty + 1) * th; y++) {
        const row = reflect(y, h) * w
        for (let x = tx * tw; x < (tx + 1) * tw; x++) hist[plane[row + reflect(x, w)]]++
      }
      if (limit > 0) {
        let clipped = 0
        for (let i = 0; i < 256; i++) {
          if (hist[i] > limit) {
            clipped += hist[i] - limit
            hist[i] = limit
          }
        }
        const batch = Math.trunc(clipped / 256)
        let residual = clipped - batch * 256
        for (let i = 0; i < 256; i++) hist[i] += batch
        if (residual !== 0) {
          const step = Math.max(Math.trunc(256 / residual), 1)
          for (let i = 0; i < 256 && residual > 0; i += step, residual--) hist[i]++
        }
      }
      const o = (ty * tiles + tx) * 256
      let sum = 0
      for (let i = 0; i < 256; i++) {
        sum += hist[i]
        luts[o + i] = sat(roundEven(f(f(sum) * lutScale)))
      }
    }
  }
  // bilinear between the four nearest tiles' tables (OpenCV's float32 weights)
  const invW = f(1 / tw),
    invH = f(1 / th)
  const x1s = new Int32Array(w),
    x2s = new Int32Array(w),
    xas = new Float64Array(w)
  for (let x = 0; x < w; x++) {
    const txf = f(f(x * invW) - 0.5)
    const t1 = Math.floor(txf)
    xas[x] = f(txf - t1)
    x1s[x] = Math.max(t1, 0) * 256
    x2s[x] = Math.min(t1 + 1, tiles - 1) * 256
  }
  for (let y = 0; y < h; y++) {
    const tyf = f(f(y * invH) - 0.5)
    const t1 = Math.floor(tyf)
    const ya = f(tyf - t1),
      ya1 = f(1 - ya)
    const r1 = Math.max(t1, 0) * tiles * 256,
      r2 = Math.min(t1 + 1, tiles - 1) * tiles * 256
    for (let x = 0, i = y * w; x < w; x++, i++) {
      const v = plane[i]
      const xa = xas[x],
        xa1 = f(1 - xa)
      const top = f(f(luts[r1 + x1s[x] + v] * xa1) + f(luts[r1 + x2s[x] + v] * xa))
      const bottom = f(f(luts[r2 + x1s[x] + v] * xa1) + f(luts[r2 + x2s[x] + v] * xa))
      plane[i] = sat(roundEven(f(f(top * ya1) + f(bottom * ya))))
    }
  }
}

/** CLAHE of the luma: RGB -> YCrCb (OpenCV's fixed point), CLAHE on Y, back (natively when the kernel agrees and takes the size). */
export function claheRgb(px: Pixels, clipLimit: number, tiles: number): void {
  const k = fast('opClahe', (k) => {
    const checks: Array<[number, number, number, number]> = [
      [37, 29, 2.5, 4],
      [40, 24, 0.7, 8],
      [19, 23, 40, 3],
    ]
    return checks.every(([w, h, clip, t]) => {
      const a = { data: checkRgb(w, h, w), width: w, height: h },
        b = a.data.slice()
      claheJs(a, clip, t)
      return k.opClahe(b, w, h, clip, t) && sameBytes(a.data, b)
    })
  })
  if (!k || !k.opClahe(px.data, px.width, px.height, clipLimit, tiles)) claheJs(px, clipLimit, tiles)
}

function claheJs(px: Pixels, clipLimit: number, tiles: number): void {
  const { data: d, width: w, height: h } = px
  const ycc = new Uint8Array(d.length)
  const y = new Uint8Array(w * h)
  for (let i = 0, k = 0; i < d.length; i += 3, k++) {
    rgbToYcrcb8(d[i], d[i + 1], d[i + 2], ycc, i)
    y[k] = ycc[i]
  }
  claheGrey(y, w, h, clipLimit, tiles)
  for (let i = 0, k = 0; i < d.length; i += 3, k++) ycrcbToRgb8(y[k], ycc[i + 1], ycc[i + 2], d, i)
}

export const clahe: PixelOp<'clahe', { clipLimit: number; tiles: number }> = {
  type: 'clahe',
  kind: 'pixel',
  sample: (rng, spec) => ({ clipLimit: rng.uniform(spec.clipLimit[0], spec.clipLimit[1]), tiles: spec.tiles }),
  image: (p, px) => claheRgb(px, p.clipLimit, p.tiles),
}

export const HISTOGRAM_OPS = [equalize, clahe] as const
