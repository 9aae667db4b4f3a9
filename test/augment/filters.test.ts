// The filter family's SIMD kernels (native/decoders/ops_filter.c) = their JS references, byte for
// byte, on random images of many sizes (narrower and shorter than the window too) and every size
// or kernel the schema allows: median blur k = 1..15 (networks for 3, 5, 7; histogram beyond),
// Gaussian blur, sharpen, motion blur and arbitrary taps, and their kernels-3 integer versions
// (ops/filter-q.ts); with the best SIMD variant this CPU has
// and again with the x86-64 baseline (LOCKSTEP_AVX2=0). Downscale against its definition.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { nativeOpVerdicts, useNativeOps } from '../../src/main/augment/fast'
import { roundEven } from '../../src/main/augment/ops/cv8'
import { blurRgb, gaussianKernel } from '../../src/main/augment/ops/blur'
import { convolve, downscaleRgb, linePixels, medianRgb, sharpenTaps } from '../../src/main/augment/ops/filter'
import { blurQ, lineMean, quantizeKernel, sharpenQ, sharpenQ14 } from '../../src/main/augment/ops/filter-q'
import type { Pixels } from '../../src/main/augment/ops/types'
import { nativeOpKernels } from '../../src/main/io/native'
import { randomRgb } from '../support/cv2'

const kernels = nativeOpKernels()
afterAll(() => useNativeOps(true))

const SIZES: Array<[number, number]> = [
  [1, 1],
  [2, 9],
  [9, 2],
  [5, 1],
  [1, 6],
  [13, 7],
  [40, 33],
  [97, 61],
  [211, 19],
]

/** Runs `f` on copies of a random image with the native kernels and with the JS references alone. */
function both(w: number, h: number, seed: number, f: (px: Pixels) => void): { native: Uint8Array; js: Uint8Array } {
  const src = randomRgb(w, h, seed)
  const a = { width: w, height: h, data: Uint8Array.from(src) },
    b = { width: w, height: h, data: Uint8Array.from(src) }
  useNativeOps(true)
  f(a)
  useNativeOps(false)
  f(b)
  useNativeOps(true)
  return { native: a.data, js: b.data }
}

for (const simd of ['best', 'sse2'] as const)
  describe.skipIf(!kernels)(`filter kernels = JS references (${simd} SIMD)`, () => {
    beforeAll(() => {
      if (simd === 'sse2') process.env.LOCKSTEP_AVX2 = '0'
    })
    afterAll(() => {
      delete process.env.LOCKSTEP_AVX2
    })
    it('runs the variant it names', () => {
      const v = kernels!.filterSimd!()
      if (simd === 'sse2') expect(['sse2', 'c']).toContain(v)
      else expect(['avx2', 'sse2', 'c']).toContain(v)
    })

    it('median blur, every odd k from 1 to 15, every size', () => {
      for (let k = 1; k <= 15; k += 2)
        for (const [w, h] of SIZES) {
          const { native, js } = both(w, h, w * 31 + h + k, (px) => medianRgb(px, k))
          expect(Buffer.from(native).equals(Buffer.from(js)), `k ${k}, ${w}x${h}`).toBe(true)
        }
      expect(nativeOpVerdicts().opMedian).toBe(true) // the native kernel ran (its start-up check passed)
    })

    it('gaussian blur, sigmas across the schema range (radius 1 to 60), every size', () => {
      for (const sigma of [0.1, 0.3, 0.5, 0.77, 1, 1.5, 2.9, 6.2, 20])
        for (const [w, h] of SIZES) {
          const { native, js } = both(w, h, w * 7 + h, (px) => blurRgb(px, sigma))
          expect(Buffer.from(native).equals(Buffer.from(js)), `sigma ${sigma}, ${w}x${h}`).toBe(true)
        }
      expect(nativeOpVerdicts().opBlur).toBe(true)
    })

    it('sharpen, motion blur and odd taps (negative weights, offsets beyond the image), every size', () => {
      const motion = (k: number, x1: number, y1: number, x2: number, y2: number) => {
        const pts = linePixels(x1, y1, x2, y2),
          n = pts.length / 2,
          r = (k - 1) / 2
        return pts.flatMap((v, i) => (i % 2 ? [] : [v - r, pts[i + 1] - r, Math.fround(1 / n)]))
      }
      const kernels = [
        sharpenTaps(0.2, 0.5),
        sharpenTaps(1, 10),
        sharpenTaps(0.37, 0.01),
        motion(3, 0, 0, 2, 2),
        motion(7, 0, 3, 6, 1),
        motion(101, 0, 0, 100, 37),
        [0, 0, 0.5, 4, -2, 0.125, -9, 1, 0.3, 30, 30, -0.7, 0, -13, 2.5],
      ]
      for (const taps of kernels)
        for (const [w, h] of SIZES) {
          const { native, js } = both(w, h, w * 5 + h * 3, (px) => convolve(px, taps))
          expect(Buffer.from(native).equals(Buffer.from(js)), `taps ${taps.slice(0, 6).join(',')}, ${w}x${h}`).toBe(true)
        }
      expect(nativeOpVerdicts().opConvolve).toBe(true)
    })

    it('kernels 3: integer Gaussian blur, sigmas across the schema range (radius 1 to 60), every size', () => {
      for (const sigma of [0.1, 0.3, 0.5, 0.77, 1, 1.5, 2.9, 6.2, 20]) {
        const q = quantizeKernel(gaussianKernel(sigma))
        for (const [w, h] of SIZES) {
          const { native, js } = both(w, h, w * 7 + h + 1, (px) => blurQ(px, q))
          expect(Buffer.from(native).equals(Buffer.from(js)), `sigma ${sigma}, ${w}x${h}`).toBe(true)
        }
      }
      expect(nativeOpVerdicts().opBlurQ).toBe(true)
    })

    it('kernels 3: integer sharpen (the schema corners and between) and line means (1 to 101 pixels), every size', () => {
      for (const [alpha, lightness] of [
        [0, 0],
        [0.2, 0.5],
        [0.37, 0.81],
        [1, 10],
        [1, 0],
        [0.05, 9.99],
      ]) {
        const t = sharpenTaps(alpha, lightness)
        const [c, a] = sharpenQ14(t[14], -t[2])
        for (const [w, h] of SIZES) {
          const { native, js } = both(w, h, w * 5 + h * 3 + 1, (px) => sharpenQ(px, c, a))
          expect(Buffer.from(native).equals(Buffer.from(js)), `sharpen ${alpha} ${lightness}, ${w}x${h}`).toBe(true)
        }
      }
      const line = (k: number, x1: number, y1: number, x2: number, y2: number) => Int32Array.from(linePixels(x1, y1, x2, y2), (v) => v - (k - 1) / 2)
      for (const offs of [
        line(3, 0, 0, 2, 2),
        line(3, 1, 0, 1, 1),
        line(7, 0, 3, 6, 1),
        line(9, 8, 0, 0, 8),
        line(101, 0, 0, 100, 37),
        line(101, 0, 50, 100, 50),
      ])
        for (const [w, h] of SIZES) {
          const { native, js } = both(w, h, w * 3 + h * 5, (px) => lineMean(px, offs))
          expect(Buffer.from(native).equals(Buffer.from(js)), `line of ${offs.length / 2}, ${w}x${h}`).toBe(true)
        }
      expect(nativeOpVerdicts().opSharpenQ).toBe(true)
      expect(nativeOpVerdicts().opLineMeanQ).toBe(true)
    })

    it('median blur on flat and two-valued images (ties everywhere)', () => {
      for (const k of [3, 5, 7])
        for (const [w, h] of [
          [37, 23],
          [3, 3],
        ]) {
          const src = randomRgb(w, h, k).map((v) => (v & 1 ? 200 : 7))
          const a = { width: w, height: h, data: Uint8Array.from(src) },
            b = { width: w, height: h, data: Uint8Array.from(src) }
          medianRgb(a, k)
          useNativeOps(false)
          medianRgb(b, k)
          useNativeOps(true)
          expect(Buffer.from(a.data).equals(Buffer.from(b.data)), `k ${k}`).toBe(true)
        }
    })
  })

/** Downscale's definition, pixel by pixel (cv2.resize INTER_NEAREST down by `scale`, then back up). */
function downscaleDefinition(px: Pixels, scale: number): Uint8Array {
  const { width: w, height: h, data } = px
  const dw = Math.max(1, roundEven(w * scale)),
    dh = Math.max(1, roundEven(h * scale))
  const idx = (i: number, inn: number, s: number) => Math.min(Math.floor(i * (1 / s)), inn - 1)
  const out = new Uint8Array(data.length)
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const sy = idx(idx(y, dh, h / dh), h, scale),
        sx = idx(idx(x, dw, w / dw), w, scale)
      for (let c = 0; c < 3; c++) out[(y * w + x) * 3 + c] = data[(sy * w + sx) * 3 + c]
    }
  return out
}

describe('downscale', () => {
  it('is its definition (nearest down, nearest up) for every size and scale, in place', () => {
    // widths of whole words of pixels (the four-pixels-in-three-words path), and one off a word boundary
    for (const [w, h, offset] of [...SIZES.map(([w, h]) => [w, h, 0]), [64, 48, 0], [512, 12, 0], [64, 10, 1]])
      for (const scale of [0.01, 0.1, 0.25, 0.33, 0.5, 0.61, 0.75, 0.99]) {
        const data = new Uint8Array(w * h * 3 + offset).subarray(offset)
        data.set(randomRgb(w, h, w + h))
        const px = { width: w, height: h, data }
        const want = downscaleDefinition(px, scale)
        downscaleRgb(px, scale)
        expect(Buffer.from(px.data).equals(Buffer.from(want)), `${w}x${h} scale ${scale}`).toBe(true)
      }
  })
})
