// Kernels 2 (plans recorded with `kernels: 2`): integer algorithms that JS and C compute to the
// same bytes by construction. Here, what they compute: the fixed-point bilinear is
// cv2.warpAffine(INTER_LINEAR)'s own arithmetic (the same bytes wherever every tap is inside the
// source), the counter-based noise has the distribution its parameters say, and every kernel equals
// its JS reference on random inputs, sizes and parameters (edge cases included).
import { describe, expect, it } from 'vitest'
import type { Affine } from '../../src/main/augment/affine'
import { fast, useNativeOps } from '../../src/main/augment/fast'
import { gaussianNoise, hash32, normalQTable, saltPepper } from '../../src/main/augment/ops/noise'
import { rowSpan, rowSpanInto } from '../../src/main/augment/region'
import { rneSat, warpBilinearQ, warpBilinearQJs, warpNearestJs, type SourceView } from '../../src/main/augment/warp'
import { nativeOpKernels } from '../../src/main/io/native'
import { cv2Run, hasCv2, randomRgb } from '../support/cv2'

const kernels = nativeOpKernels()
const view = (data: Uint8Array, w: number, h: number): SourceView<Uint8Array> => ({
  data,
  left: 0,
  top: 0,
  width: w,
  height: h,
  sourceWidth: w,
  sourceHeight: h,
})
/** A bound of the whole output canvas (every pixel inside). */
const whole = (W: number, H: number) => Float64Array.of(1, 0, 0, 0, 1, 0, W, H)

describe('rneSat: cvRound of a double, saturated', () => {
  it('rounds to nearest, ties to even, and saturates', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999999, -2.5000001, 7].map(rneSat)).toEqual([0, 2, 2, -0, -2, -2, 2, -3, 7].map((v) => v + 0))
    expect(rneSat(1e12)).toBe(2 ** 29)
    expect(rneSat(-1e12)).toBe(-(2 ** 29))
    expect(rneSat(NaN)).toBe(-(2 ** 29))
  })
})

describe('the JS warps on Buffers (what decoders hand over) read them as plain arrays', () => {
  it("a Buffer source region and a Buffer output give the bytes of Uint8Arrays, written into the caller's Buffer", () => {
    const SW = 37,
      SH = 29,
      W = 31,
      H = 23
    const rgb = randomRgb(SW, SH, 11)
    const region = (data: Uint8Array, ch: number): SourceView<Uint8Array> => {
      // rows 2..26, columns 3..33 of the source, as a pipeline's region view
      const w = 31,
        h = 25,
        out = new Uint8Array(w * h * ch)
      for (let y = 0; y < h; y++) out.set(data.subarray(((y + 2) * SW + 3) * ch, ((y + 2) * SW + 3 + w) * ch), y * w * ch)
      return { data: out, left: 3, top: 2, width: w, height: h, sourceWidth: SW, sourceHeight: SH }
    }
    const asBuffer = (v: SourceView<Uint8Array>): SourceView<Uint8Array> => ({ ...v, data: Buffer.from(v.data) })
    const A: Affine = [0.8, -0.3, 9.2, 0.25, 0.85, 3.6]
    // inside: source points in [4, 33) x [3, 26), whose taps the region holds
    const fb = Float64Array.of(A[0], A[1], A[2] - 4, A[3], A[4], A[5] - 3, 29, 23, 1, 0, 0, 0, 1, 0, W, H)
    const plainRgb = warpBilinearQJs(region(rgb, 3), A, fb, W, H, new Uint8Array(W * H * 3))
    const outRgb = Buffer.alloc(W * H * 3)
    expect(warpBilinearQJs(asBuffer(region(rgb, 3)), A, fb, W, H, outRgb)).toBe(outRgb)
    expect(Buffer.compare(outRgb, Buffer.from(plainRgb))).toBe(0)
    expect(plainRgb.some((v) => v !== 0)).toBe(true)
    const lab = rgb.subarray(0, SW * SH).map((v) => v % 7)
    const plainLab = warpNearestJs(region(lab, 1), A, fb, W, H, 255, new Uint8Array(W * H))
    const outLab = Buffer.alloc(W * H)
    expect(warpNearestJs(asBuffer(region(lab, 1)), A, fb, W, H, 255, outLab)).toBe(outLab)
    expect(Buffer.compare(outLab, Buffer.from(plainLab))).toBe(0)
    expect(plainLab.some((v) => v < 7) && plainLab.some((v) => v === 255)).toBe(true)
  })
})

describe.skipIf(!hasCv2)('fixed-point bilinear = cv2.warpAffine(INTER_LINEAR) inside the source', () => {
  const SW = 61,
    SH = 47,
    W = 40,
    H = 36
  const src = randomRgb(SW, SH, 5)
  const affines: Affine[] = [
    [0.9, -0.4, 14.1, 0.35, 0.88, 2.2],
    [1.31, 0.2, 3.3, -0.17, 1.12, 1.9],
    [0.5, 0, 10.25, 0, 0.5, 8.75],
  ]
  for (const A of affines) {
    it(`A = [${A.join(', ')}]`, () => {
      const ours = warpBilinearQJs(view(src, SW, SH), A, whole(W, H), W, H, new Uint8Array(W * H * 3))
      // OpenCV's matrix is in index coordinates: s = A(x + 0.5, y + 0.5) - 0.5
      const M = Float64Array.of(A[0], A[1], A[0] * 0.5 + A[1] * 0.5 + A[2] - 0.5, A[3], A[4], A[3] * 0.5 + A[4] * 0.5 + A[5] - 0.5)
      const cv = cv2Run(
        `out['img'] = cv2.warpAffine(rgb, M.reshape(2, 3), (${W}, ${H}), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_CONSTANT, borderValue=0)`,
        { rgb: { data: src, shape: [SH, SW, 3] }, M: { data: M, shape: [6] } },
      ).img.bytes
      let compared = 0
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const sx = M[0] * x + M[1] * y + M[2],
            sy = M[3] * x + M[4] * y + M[5]
          if (!(sx >= 0.05 && sy >= 0.05 && sx <= SW - 1.05 && sy <= SH - 1.05)) continue // both taps inside (OpenCV fills outside taps)
          const i = (y * W + x) * 3
          expect([ours[i], ours[i + 1], ours[i + 2]], `(${x}, ${y})`).toEqual([cv[i], cv[i + 1], cv[i + 2]])
          compared++
        }
      }
      expect(compared).toBeGreaterThan(W * H * 0.3)
    })
  }
})

// warpBilinearQJs as it was before its inner loop read each tap row as two 32-bit words (session 8):
// the bytes every later form must keep, on every input
function bilinearQBefore(src: SourceView<Uint8Array>, A: Affine, fb: Float64Array, W: number, H: number, out: Uint8Array): Uint8Array {
  const [a, b, c, d, e, f] = A
  const m2 = a * 0.5 + b * 0.5 + c - 0.5,
    m5 = d * 0.5 + e * 0.5 + f - 0.5
  const ad = new Int32Array(W),
    bd = new Int32Array(W)
  for (let x = 0; x < W; x++) {
    ad[x] = rneSat(a * x * 1024)
    bd[x] = rneSat(d * x * 1024)
  }
  const span = new Int32Array(2)
  const { data, left, top, width: rw, sourceWidth: sw, sourceHeight: sh } = src
  for (let y = 0; y < H; y++) {
    rowSpanInto(fb, y, W, span)
    if (span[0] >= span[1]) continue
    const X0 = rneSat((b * y + m2) * 1024) + 16,
      Y0 = rneSat((e * y + m5) * 1024) + 16
    const inner = (x: number) => {
      const ix = (X0 + ad[x]) >> 10,
        iy = (Y0 + bd[x]) >> 10
      return ix >= 0 && ix < sw - 1 && iy >= 0 && iy < sh - 1
    }
    for (let x = span[0], o = (y * W + x) * 3; x < span[1]; x++, o += 3) {
      const X = (X0 + ad[x]) >> 5,
        Y = (Y0 + bd[x]) >> 5
      const fx = X & 31,
        fy = Y & 31
      const w00 = (32 - fx) * (32 - fy),
        w01 = fx * (32 - fy),
        w10 = (32 - fx) * fy,
        w11 = fx * fy
      const ix = X >> 5,
        iy = Y >> 5
      let p00: number, p01: number, p10: number, p11: number
      if (inner(x)) {
        // bilinearQInner
        p00 = (iy * rw + ix) * 3 - (top * rw + left) * 3
        p01 = p00 + 3
        p10 = p00 + rw * 3
        p11 = p10 + 3
      } else {
        // bilinearQEdge
        const x0 = (ix < 0 ? 0 : ix >= sw ? sw - 1 : ix) - left,
          x1 = (ix + 1 < 0 ? 0 : ix + 1 >= sw ? sw - 1 : ix + 1) - left
        const y0 = (iy < 0 ? 0 : iy >= sh ? sh - 1 : iy) - top,
          y1 = (iy + 1 < 0 ? 0 : iy + 1 >= sh ? sh - 1 : iy + 1) - top
        p00 = (y0 * rw + x0) * 3
        p01 = (y0 * rw + x1) * 3
        p10 = (y1 * rw + x0) * 3
        p11 = (y1 * rw + x1) * 3
      }
      for (let ch = 0; ch < 3; ch++) out[o + ch] = (w00 * data[p00 + ch] + w01 * data[p01 + ch] + w10 * data[p10 + ch] + w11 * data[p11 + ch] + 512) >> 10
    }
  }
  return out
}

/** A random affine: rotations (quarter turns and exact angles among them), flips, scales from 0.1 to 5, shears, offsets. */
function randomAffine(rnd: () => number, sw: number, sh: number): Affine {
  const k = Math.floor(rnd() * 6)
  const ang = k === 0 ? (Math.floor(rnd() * 4) * Math.PI) / 2 : k === 1 ? 0 : rnd() * 2 * Math.PI
  const sx = (rnd() < 0.1 ? 1 : 0.1 + rnd() * 4.9) * (rnd() < 0.3 ? -1 : 1),
    sy = (rnd() < 0.1 ? sx : 0.1 + rnd() * 4.9) * (rnd() < 0.3 ? -1 : 1)
  const sh1 = rnd() < 0.2 ? rnd() - 0.5 : 0
  const c = Math.cos(ang),
    s = Math.sin(ang)
  const offs = rnd() < 0.15 ? () => Math.floor(rnd() * 20) - 5 : () => rnd() * 40 - 10
  return [sx * c, -sy * s + sh1, offs() + (rnd() < 0.5 ? 0 : sw / 2), sx * s, sy * c, offs() + (rnd() < 0.5 ? 0 : sh / 2)]
}

describe('the JS kernels-2 bilinear warp = its previous implementation (same bytes)', () => {
  it('random affines, sources, regions (left/top 0, touching the buffer end, Buffer offsets), windows and outputs', () => {
    let s = 12345
    const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32
    let compared = 0
    for (let t = 0; t < 2000; t++) {
      const sw = 1 + Math.floor(rnd() * (t % 10 === 0 ? 300 : 45)),
        sh = 1 + Math.floor(rnd() * (t % 10 === 0 ? 200 : 45))
      const W = 1 + Math.floor(rnd() * 48),
        H = 1 + Math.floor(rnd() * 40)
      // a region: the whole source, or a window (left/top 0 often, often reaching the right and bottom)
      const whole = rnd() < 0.3
      const rl = whole || rnd() < 0.3 ? 0 : Math.floor(rnd() * sw),
        rt = whole || rnd() < 0.3 ? 0 : Math.floor(rnd() * sh)
      const rw = whole || rnd() < 0.4 ? sw - rl : 1 + Math.floor(rnd() * (sw - rl)),
        rh = whole || rnd() < 0.4 ? sh - rt : 1 + Math.floor(rnd() * (sh - rt))
      // bytes: uniform, or only 0 and 255 (the largest differences between taps), in a buffer at any offset
      const n = rw * rh * 3,
        shift = Math.floor(rnd() * 4),
        extremes = rnd() < 0.25
      const data = new Uint8Array(new ArrayBuffer(n + shift + (rnd() < 0.5 ? 0 : 5)), shift, n)
      for (let i = 0; i < n; i++) data[i] = extremes ? (rnd() < 0.5 ? 0 : 255) : Math.floor(rnd() * 256)
      const v: SourceView<Uint8Array> = { data, left: rl, top: rt, width: rw, height: rh, sourceWidth: sw, sourceHeight: sh }
      const A = randomAffine(rnd, sw, sh)
      if (rnd() < 0.8) {
        // the output's centre on a point of the region (or just outside it)
        A[2] = rl - 2 + rnd() * (rw + 4) - (A[0] * W + A[1] * H) / 2
        A[5] = rt - 2 + rnd() * (rh + 4) - (A[3] * W + A[4] * H) / 2
      }
      // bounds: the region less a pixel on sides inside the source (every tap a pixel inside reads is
      // in the region, as sourceRegion's margin makes it), then a random output window
      // (1 case in 8: the whole source, so taps also fall outside the region and the data, where
      // the previous kernel read undefined)
      const wide = rnd() < 0.125
      const il = rl > 0 && !wide ? 1 : 0,
        it = rt > 0 && !wide ? 1 : 0
      const bw = wide ? sw : rw - il - (rl + rw < sw ? 1 : 0),
        bh = wide ? sh : rh - it - (rt + rh < sh ? 1 : 0)
      if (bw <= 0 || bh <= 0) continue
      const fb = Float64Array.of(
        ...A.map((m, i) => m - (wide ? 0 : i === 2 ? rl + il : i === 5 ? rt + it : 0)),
        bw,
        bh,
        1,
        0,
        rnd() < 0.5 ? 0 : rnd() * 5,
        0,
        1,
        rnd() < 0.5 ? 0 : rnd() * 5,
        W + (rnd() < 0.5 ? 0 : 3),
        H,
      )
      const fill = Math.floor(rnd() * 256)
      const a = bilinearQBefore(v, A, fb, W, H, new Uint8Array(W * H * 3).fill(fill))
      const b = warpBilinearQJs(v, A, fb, W, H, new Uint8Array(W * H * 3).fill(fill))
      expect(Buffer.from(b).equals(Buffer.from(a)), `case ${t}`).toBe(true)
      if (a.some((x) => x !== fill)) compared++
    }
    expect(compared).toBeGreaterThan(1000)
  })

  it('a 1024 x 768 source through rotations, flips and scales, and a region at its bottom-right corner', () => {
    const SW = 1024,
      SH = 768,
      W = 512
    const full = randomRgb(SW, SH, 3)
    let s = 99
    const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32
    for (let t = 0; t < 12; t++) {
      const H = 512 - (t % 4) // rows in groups of four and a last group of 1-3 rows
      const corner = t % 3 === 2
      const rl = corner ? 600 : 0,
        rt = corner ? 400 : 0
      const rw = SW - rl,
        rh = SH - rt
      const data = new Uint8Array(rw * rh * 3)
      for (let y = 0; y < rh; y++) data.set(full.subarray(((y + rt) * SW + rl) * 3, ((y + rt) * SW + SW) * 3), y * rw * 3)
      const v: SourceView<Uint8Array> = { data: t % 2 ? Buffer.from(data) : data, left: rl, top: rt, width: rw, height: rh, sourceWidth: SW, sourceHeight: SH }
      const ang = rnd() * 2 * Math.PI,
        sc = (0.5 + rnd() * 1.5) * (t % 4 === 1 ? -1 : 1)
      const A: Affine = [sc * Math.cos(ang), -sc * Math.sin(ang), 0, sc * Math.sin(ang), sc * Math.cos(ang), 0]
      A[2] = rl + rw / 2 - (A[0] * W + A[1] * H) / 2
      A[5] = rt + rh / 2 - (A[3] * W + A[4] * H) / 2
      const il = rl > 0 ? 1 : 0,
        it = rt > 0 ? 1 : 0
      const fb = Float64Array.of(...A.map((m, i) => m - (i === 2 ? rl + il : i === 5 ? rt + it : 0)), rw - il, rh - it, 1, 0, 0, 0, 1, 0, W, H)
      const a = bilinearQBefore(v, A, fb, W, H, new Uint8Array(W * H * 3).fill(7))
      const b = warpBilinearQJs(v, A, fb, W, H, new Uint8Array(W * H * 3).fill(7))
      expect(Buffer.from(b).equals(Buffer.from(a)), `case ${t}`).toBe(true)
    }
  })
})

// warpNearestJs as it was before it took rows two at a time (session 8)
function nearestBefore<T extends Uint8Array | Uint16Array>(src: SourceView<T>, A: Affine, fb: Float64Array, W: number, H: number, fill: number, out: T): T {
  const [a, b, c, d, e, f] = A
  out.fill(fill)
  const span = new Int32Array(2)
  const { data, left, top, width: rw } = src
  for (let y = 0; y < H; y++) {
    const yc = y + 0.5
    rowSpanInto(fb, y, W, span)
    const ru = b * yc + c,
      rv = e * yc + f
    let xc = span[0] + 0.5
    for (let i = y * W + span[0], end = y * W + span[1]; i < end; i++, xc++) {
      out[i] = data[Math.imul((Math.floor(d * xc + rv) | 0) - top, rw) + (Math.floor(a * xc + ru) | 0) - left]
    }
  }
  return out
}

describe('the JS nearest warp = its previous implementation (same bytes)', () => {
  it('random affines, 8- and 16-bit masks, regions, windows and outputs of odd heights', () => {
    let s = 777
    const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32
    let compared = 0
    for (let t = 0; t < 1500; t++) {
      const sw = 1 + Math.floor(rnd() * (t % 10 === 0 ? 300 : 45)),
        sh = 1 + Math.floor(rnd() * (t % 10 === 0 ? 200 : 45))
      const W = 1 + Math.floor(rnd() * 48),
        H = 1 + Math.floor(rnd() * 41)
      const whole = rnd() < 0.3
      const rl = whole || rnd() < 0.3 ? 0 : Math.floor(rnd() * sw),
        rt = whole || rnd() < 0.3 ? 0 : Math.floor(rnd() * sh)
      const rw = whole || rnd() < 0.4 ? sw - rl : 1 + Math.floor(rnd() * (sw - rl)),
        rh = whole || rnd() < 0.4 ? sh - rt : 1 + Math.floor(rnd() * (sh - rt))
      const wide = t % 2 === 1
      const data = wide ? new Uint16Array(rw * rh).map(() => Math.floor(rnd() * 65536)) : new Uint8Array(rw * rh).map(() => Math.floor(rnd() * 256))
      const v: SourceView<Uint8Array | Uint16Array> = { data, left: rl, top: rt, width: rw, height: rh, sourceWidth: sw, sourceHeight: sh }
      const A = randomAffine(rnd, sw, sh)
      if (rnd() < 0.8) {
        A[2] = rl - 2 + rnd() * (rw + 4) - (A[0] * W + A[1] * H) / 2
        A[5] = rt - 2 + rnd() * (rh + 4) - (A[3] * W + A[4] * H) / 2
      }
      // bounds: the region, then a random output window
      const fb = Float64Array.of(
        ...A.map((m, i) => m - (i === 2 ? rl : i === 5 ? rt : 0)),
        rw,
        rh,
        1,
        0,
        rnd() < 0.5 ? 0 : rnd() * 5,
        0,
        1,
        rnd() < 0.5 ? 0 : rnd() * 5,
        W + (rnd() < 0.5 ? 0 : 3),
        H,
      )
      const fill = wide ? 65535 : 255
      const out = () => (wide ? new Uint16Array(W * H) : new Uint8Array(W * H))
      const a = nearestBefore(v, A, fb, W, H, fill, out())
      const b = warpNearestJs(v, A, fb, W, H, fill, out())
      expect(Buffer.from(b.buffer).equals(Buffer.from(a.buffer)), `case ${t}`).toBe(true)
      if (a.some((x) => x !== fill)) compared++
    }
    expect(compared).toBeGreaterThan(900)
  })
})

describe.skipIf(!kernels)('kernels 2: native = JS reference on random inputs', () => {
  it('opWarpBilinearQ on random affines, bounds, regions and sizes (taps at every edge)', () => {
    useNativeOps(true)
    expect(fast('opWarpBilinearQ', () => true)).not.toBeNull()
    let s = 7
    const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32
    for (let t = 0; t < 200; t++) {
      const sw = 1 + Math.floor(rnd() * 50),
        sh = 1 + Math.floor(rnd() * 50)
      const W = 1 + Math.floor(rnd() * 40),
        H = 1 + Math.floor(rnd() * 40)
      const rl = Math.floor(rnd() * sw),
        rt = Math.floor(rnd() * sh)
      const rw = sw - rl,
        rh = sh - rt
      const v: SourceView<Uint8Array> = { data: randomRgb(rw, rh, t), left: rl, top: rt, width: rw, height: rh, sourceWidth: sw, sourceHeight: sh }
      const ang = rnd() * 7,
        sc = 0.3 + rnd() * 3
      const A: Affine = [sc * Math.cos(ang), -sc * Math.sin(ang), rnd() * sw, sc * Math.sin(ang), sc * Math.cos(ang), rnd() * sh]
      // bounds: the region less a pixel on sides inside the source (so every tap is in the region,
      // as sourceRegion's margin makes it) and a random window
      const il = rl > 0 ? 1 : 0,
        it = rt > 0 ? 1 : 0
      const fb = Float64Array.of(
        ...A.map((m, i) => m - (i === 2 ? rl + il : i === 5 ? rt + it : 0)),
        rw - il - (rl + rw < sw ? 1 : 0),
        rh - it - (rt + rh < sh ? 1 : 0),
        1,
        0,
        rnd() * 5,
        0,
        1,
        rnd() * 5,
        W + 3,
        H,
      )
      const a = warpBilinearQJs(v, A, fb, W, H, new Uint8Array(W * H * 3).fill(9))
      const b = warpBilinearQ(v, A, fb, W, H, new Uint8Array(W * H * 3).fill(9))
      expect(Buffer.from(b).equals(Buffer.from(a)), `case ${t}`).toBe(true)
      // every pixel outside the spans keeps what it held
      for (let y = 0; y < H; y++) {
        const [x0, x1] = rowSpan(fb, y, W)
        for (let x = 0; x < W; x++) if (x < x0 || x >= x1) expect(a[(y * W + x) * 3]).toBe(9)
      }
    }
  })

  it('Gaussian and salt-and-pepper noise, per channel and not, on random images and seeds (keys at the uint32 edges)', async () => {
    const ctx = { ignoreIndex: 255, kernels: 2 } as const
    const run = (type: string, k: number, px: { width: number; height: number; data: Uint8Array }) =>
      type === 'gaussian_noise'
        ? gaussianNoise.image!({ std: [0, 0.5, 3, 37.5, 255][k % 5], perChannel: k % 2 === 0, seed: [0, 1, 0xffffffff, 123456789][k % 4] }, px, ctx)
        : saltPepper.image!({ amount: [0, 0.01, 0.5, 1][k % 4], saltRatio: [0, 0.3, 1][k % 3], seed: [0, 0xfffffffe, 77][k % 3] }, px, ctx)
    for (const type of ['gaussian_noise', 'salt_pepper']) {
      for (let k = 0; k < 24; k++) {
        const w = 1 + ((k * 37) % 53),
          h = 1 + ((k * 11) % 29)
        const px = () => ({ width: w, height: h, data: randomRgb(w, h, k) })
        const a = px(),
          b = px()
        useNativeOps(false)
        await run(type, k, a)
        useNativeOps(true)
        await run(type, k, b)
        expect(Buffer.from(b.data).equals(Buffer.from(a.data)), `${type} ${k}`).toBe(true)
      }
    }
  })
})

describe('kernels 2: the noise has the distribution it says', () => {
  const n = 256 * 256
  const grey = () => ({ width: 256, height: 256, data: new Uint8Array(n * 3).fill(128) })

  it('Gaussian: zero mean, the asked std, independent channels and neighbours', async () => {
    const px = grey()
    await gaussianNoise.image!({ std: 12, perChannel: true, seed: 42 }, px, { ignoreIndex: 255, kernels: 2 })
    const d = Array.from(px.data, (v) => v - 128)
    const mean = d.reduce((a, b) => a + b, 0) / d.length
    const sd = Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / d.length)
    expect(Math.abs(mean)).toBeLessThan(0.1)
    expect(sd).toBeGreaterThan(11.9)
    expect(sd).toBeLessThan(12.1)
    // beyond 3 sigma: about 0.27 % of values
    const tail = d.filter((v) => Math.abs(v) > 36).length / d.length
    expect(tail).toBeGreaterThan(0.0018)
    expect(tail).toBeLessThan(0.0036)
    // correlation of R with G, and of a value with its right neighbour, about 0
    let rg = 0,
      lr = 0
    for (let i = 0; i + 5 < d.length; i += 3) {
      rg += d[i] * d[i + 1]
      lr += d[i] * d[i + 3]
    }
    expect(Math.abs(rg / (n * 144))).toBeLessThan(0.02)
    expect(Math.abs(lr / (n * 144))).toBeLessThan(0.02)
  })

  it('Gaussian, one value per pixel: the three channels move together', async () => {
    const px = grey()
    await gaussianNoise.image!({ std: 5, perChannel: false, seed: 3 }, px, { ignoreIndex: 255, kernels: 2 })
    for (let i = 0; i < px.data.length; i += 3) expect(px.data[i + 1] === px.data[i] && px.data[i + 2] === px.data[i]).toBe(true)
    expect(new Set(px.data).size).toBeGreaterThan(20)
  })

  it('salt and pepper: the asked share of pixels, salt at the asked ratio', async () => {
    const px = grey()
    await saltPepper.image!({ amount: 0.05, saltRatio: 0.3, seed: 9 }, px, { ignoreIndex: 255, kernels: 2 })
    let salt = 0,
      pepper = 0
    for (let i = 0; i < px.data.length; i += 3) {
      if (px.data[i] === 255) salt++
      else if (px.data[i] === 0) pepper++
      else expect(px.data[i]).toBe(128)
    }
    expect((salt + pepper) / n).toBeGreaterThan(0.047)
    expect((salt + pepper) / n).toBeLessThan(0.053)
    expect(salt / (salt + pepper)).toBeGreaterThan(0.27)
    expect(salt / (salt + pepper)).toBeLessThan(0.33)
  })

  it('the hash and the normal table are what ops_q.c computes (pinned values)', () => {
    // recorded plans replay only while these stay: a change here is a new kernel generation
    expect([hash32(0, 0), hash32(1, 0), hash32(0xffffffff, 1), hash32(123, 456)]).toEqual([0, 1753845952, 0, 145480044])
    const t = normalQTable(10)
    expect(Array.from(t.subarray(0, 3))).toEqual([-9391, -8645, -8279])
    expect(t[4096]).toBe(t[4095])
    expect(t[2048] + t[2047]).toBe(0)
  })
})
