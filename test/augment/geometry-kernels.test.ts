// The one-affine geometry kernels (native/decoders/ops_geom.c) against their JS references, byte
// for byte, on random inputs wide enough to reach every vector path (runs of 64 pixels, blocks of
// 16 x 64, tails of every length): the fixed-point bilinear (kernels 2: SIMD taps, edge pixels
// clamped), the mask's nearest neighbour (8- and 16-bit, fills, points on exact pixel edges where
// floor decides, regions at every side of the source) and the exact copies (every signed
// permutation: crops, flips, quarter turns, in RGB, 8- and 16-bit labels, partial windows, fills).
import { describe, expect, it } from 'vitest'
import type { Affine } from '../../src/main/augment/affine'
import { fast, nativeOpVerdicts, useNativeOps } from '../../src/main/augment/fast'
import { rowSpan } from '../../src/main/augment/region'
import { warpBilinearQ, warpBilinearQJs, warpExact, warpExactJs, warpNearest, warpNearestJs, type SourceView, type Valid } from '../../src/main/augment/warp'
import { nativeOpKernels } from '../../src/main/io/native'
import { lcg } from '../support/native-vs-js'
import { randomRgb } from '../support/cv2'

const kernels = nativeOpKernels()

const bytes = (a: Uint8Array | Uint16Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)

/** A random region of a random source, its labels (8- or 16-bit) and its RGB. */
function region(rnd: () => number, t: number, maxSide: number) {
  const sw = 1 + Math.floor(rnd() * maxSide),
    sh = 1 + Math.floor(rnd() * maxSide)
  const left = Math.floor(rnd() * sw),
    top = Math.floor(rnd() * sh)
  const width = 1 + Math.floor(rnd() * (sw - left)),
    height = 1 + Math.floor(rnd() * (sh - top))
  const rgb = randomRgb(width, height, t)
  const depth = t % 2 ? 16 : 8
  const labels = depth === 16 ? Uint16Array.from({ length: width * height }, (_, i) => (rgb[i * 3] * 251 + i) & 0xffff) : rgb.filter((_, i) => i % 3 === 1)
  const v = { left, top, width, height, sourceWidth: sw, sourceHeight: sh }
  return { img: { ...v, data: rgb } as SourceView<Uint8Array>, lab: { ...v, data: labels } as SourceView<Uint8Array | Uint16Array>, depth }
}

/** A bound that keeps every output point inside the region (as sourceRegion makes it), and an output window. */
function boundsFor(A: Affine, v: SourceView<Uint8Array | Uint16Array>, W: number, H: number, inset: number, rnd: () => number): Float64Array {
  const il = v.left > 0 ? inset : 0,
    it = v.top > 0 ? inset : 0
  const ir = v.left + v.width < v.sourceWidth ? inset : 0,
    ib = v.top + v.height < v.sourceHeight ? inset : 0
  return Float64Array.of(
    ...A.map((m, i) => m - (i === 2 ? v.left + il : i === 5 ? v.top + it : 0)),
    Math.max(0, v.width - il - ir),
    Math.max(0, v.height - it - ib),
    1,
    0,
    rnd() * 3,
    0,
    1,
    rnd() * 3,
    W + Math.floor(rnd() * 3),
    H,
  )
}

function randomAffine(rnd: () => number, v: SourceView<Uint8Array | Uint16Array>, t: number): Affine {
  const kind = t % 5
  if (kind === 0) return [1, 0, v.left + Math.floor(rnd() * 4) - 1 + (t % 3) * 0.5, 0, 1, v.top + Math.floor(rnd() * 4) - 1 + (t % 4) * 0.25] // shifts on pixel edges
  if (kind === 1) return [-1, 0, v.left + v.width, 0, 1, v.top + rnd() * 3] // mirrored
  const ang = kind === 2 ? 0 : rnd() * 7,
    sc = 0.25 + rnd() * 2.5
  return [sc * Math.cos(ang), -sc * Math.sin(ang), v.left + rnd() * v.width, sc * Math.sin(ang), sc * Math.cos(ang), v.top + rnd() * v.height]
}

/** Runs f with the AVX2 kernels and with the SSE2 baseline (LOCKSTEP_AVX2=0, read by the addon at each call). */
function bothVectorPaths(f: () => void) {
  const was = process.env.LOCKSTEP_AVX2
  try {
    for (const v of ['1', '0']) {
      process.env.LOCKSTEP_AVX2 = v
      f()
    }
  } finally {
    if (was === undefined) delete process.env.LOCKSTEP_AVX2
    else process.env.LOCKSTEP_AVX2 = was
  }
}

describe.skipIf(!kernels)('geometry kernels (ops_geom.c) = JS references on random inputs (AVX2 and SSE2 paths)', () => {
  it('opWarpBilinearQ: rotations, zooms, shifts and mirrors up to 300 wide, taps at every edge of source and region', () => {
    useNativeOps(true)
    bothVectorPaths(() => bilinearCases(lcg(11)))
    expect(nativeOpVerdicts().opWarpBilinearQ).toBe(true)
  })

  function bilinearCases(rnd: () => number) {
    for (let t = 0; t < 160; t++) {
      const { img } = region(rnd, t, t < 40 ? 40 : 400)
      const W = 1 + Math.floor(rnd() * (t < 40 ? 70 : 300)),
        H = 1 + Math.floor(rnd() * 40)
      const A = randomAffine(rnd, img, t)
      // inset 1 (sourceRegion's margin keeps every tap in the region); a region reaching the source's edge clamps there
      const fb = boundsFor(A, img, W, H, 1, rnd)
      const a = warpBilinearQJs(img, A, fb, W, H, new Uint8Array(W * H * 3).fill(9))
      const b = warpBilinearQ(img, A, fb, W, H, new Uint8Array(W * H * 3).fill(9))
      expect(bytes(b).equals(bytes(a)), `case ${t}: ${W}x${H} A ${A.join(' ')}`).toBe(true)
      let touched = 0
      for (let y = 0; y < H; y++) {
        const [x0, x1] = rowSpan(fb, y, W)
        for (let x = 0; x < W; x++) if ((x < x0 || x >= x1) && b[(y * W + x) * 3 + 2] !== 9) touched++
      }
      expect(touched, 'pixels outside the spans keep what they held').toBe(0)
    }
  }

  it('opWarpNearest: 8- and 16-bit labels, fills, points on pixel edges, regions at every side', () => {
    useNativeOps(true)
    bothVectorPaths(() => nearestCases(lcg(5)))
    expect(nativeOpVerdicts().opWarpNearest).toBe(true)
  })

  function nearestCases(rnd: () => number) {
    for (let t = 0; t < 200; t++) {
      const { lab, depth } = region(rnd, t, t < 50 ? 30 : 300)
      const W = 1 + Math.floor(rnd() * (t < 50 ? 40 : 300)),
        H = 1 + Math.floor(rnd() * 30)
      const A = randomAffine(rnd, lab, t)
      const fb = boundsFor(A, lab, W, H, 0, rnd)
      const fill = depth === 16 ? [0, 255, 65535, 40000][t % 4] : [0, 255, 200, 300][t % 4]
      const out = () => (depth === 16 ? new Uint16Array(W * H) : new Uint8Array(W * H))
      const a = warpNearestJs(lab, A, fb, W, H, fill, out())
      const b = warpNearest(lab, A, fb, W, H, fill, out())
      expect(bytes(b).equals(bytes(a)), `case ${t}: ${depth}-bit ${W}x${H} fill ${fill} A ${A.join(' ')}`).toBe(true)
    }
  }

  it('opWarpNearest: axis-aligned affines (tabled columns and rows): separate scales, mirrors, signed zeros, rows off the region', () => {
    useNativeOps(true)
    bothVectorPaths(() => {
      const rnd = lcg(17)
      for (let t = 0; t < 120; t++) {
        const { lab, depth } = region(rnd, t, t < 30 ? 30 : 300)
        const W = 1 + Math.floor(rnd() * 200),
          H = 1 + Math.floor(rnd() * 40)
        const sx = (rnd() < 0.3 ? -1 : 1) * (0.25 + rnd() * 2.5),
          sy = (rnd() < 0.3 ? -1 : 1) * (0.25 + rnd() * 2.5)
        const z = (k: number) => ((t >> k) & 1 ? -0 : 0)
        const A: Affine = [sx, z(0), lab.left + (sx < 0 ? lab.width : 0) + rnd() * 4 - 2, z(1), sy, lab.top + (sy < 0 ? lab.height : 0) + rnd() * 4 - 2]
        const fb = boundsFor(A, lab, W, H, 0, rnd)
        const fill = depth === 16 ? 40000 : 200
        const out = () => (depth === 16 ? new Uint16Array(W * H) : new Uint8Array(W * H))
        const a = warpNearestJs(lab, A, fb, W, H, fill, out())
        const b = warpNearest(lab, A, fb, W, H, fill, out())
        expect(bytes(b).equals(bytes(a)), `case ${t}: ${depth}-bit ${W}x${H} A ${A.join(' ')}`).toBe(true)
      }
    })
    expect(nativeOpVerdicts().opWarpNearest).toBe(true)
  })

  it('opWarpNearest: coordinates one ulp either side of a pixel edge floor as the reference does', () => {
    useNativeOps(true)
    const sw = 64,
      sh = 48
    const lab: SourceView<Uint8Array> = {
      data: Uint8Array.from({ length: sw * sh }, (_, i) => i & 255),
      left: 0,
      top: 0,
      width: sw,
      height: sh,
      sourceWidth: sw,
      sourceHeight: sh,
    }
    for (const a of [1, 1 - 2 ** -52, 1 + 2 ** -52, 0.5, 2, 0.1, 1 / 3]) {
      for (const c of [0, 0.5, -0.5 + 2 ** -50, 3 - 2 ** -49, 1e-17]) {
        const A: Affine = [a, 0, c, 0, a, c]
        const fb = Float64Array.of(...A, sw, sh)
        const a1 = warpNearestJs(lab, A, fb, 61, 45, 255, new Uint8Array(61 * 45))
        const b1 = warpNearest(lab, A, fb, 61, 45, 255, new Uint8Array(61 * 45))
        expect(bytes(b1).equals(bytes(a1)), `a ${a} c ${c}`).toBe(true)
      }
    }
  })

  it('opWarpExact: every signed permutation (crops, flips, quarter turns), RGB and 8/16-bit labels, windows and fills', () => {
    useNativeOps(true)
    expect(fast('opWarpExact', () => true)).not.toBeNull()
    const rnd = lcg(3)
    const perms: Array<[number, number, number, number]> = [
      [1, 0, 0, 1],
      [-1, 0, 0, 1],
      [1, 0, 0, -1],
      [-1, 0, 0, -1],
      [0, 1, 1, 0],
      [0, -1, 1, 0],
      [0, 1, -1, 0],
      [0, -1, -1, 0],
    ]
    for (let t = 0; t < 240; t++) {
      const { img, lab, depth } = region(rnd, t, t < 80 ? 30 : 200)
      const [a, b, d, e] = perms[t % 8]
      const W = 1 + Math.floor(rnd() * (t < 80 ? 30 : 150)),
        H = 1 + Math.floor(rnd() * 40)
      // the output window's source rectangle: inside the region, so every read is in the view
      const x0 = Math.floor(rnd() * W * 0.3),
        y0 = Math.floor(rnd() * H * 0.3)
      const cols = b === 0 ? img.width : img.height,
        rows = b === 0 ? img.height : img.width // the source extent along output x and y
      const x1 = Math.min(W, x0 + 1 + Math.floor(rnd() * cols)),
        y1 = Math.min(H, y0 + 1 + Math.floor(rnd() * rows))
      const valid: Valid = { x0, y0, x1, y1 }
      // place the window: output (x0, y0) maps to the region's corner the permutation starts from
      const u0 = a + b < 0 ? img.left + img.width : img.left,
        v0 = d + e < 0 ? img.top + img.height : img.top
      const A: Affine = [a, b, u0 - a * x0 - b * y0, d, e, v0 - d * x0 - e * y0]
      for (const [src, ch, fill] of [
        [img, 3, 0],
        [lab, 1, depth === 16 ? 60000 : 255],
        [lab, 1, 0],
      ] as const) {
        const n = W * H * ch
        const out = () => (src.data instanceof Uint16Array ? new Uint16Array(n) : new Uint8Array(n))
        const r = warpExactJs(src, ch, A, W, valid, fill, out())
        const k = warpExact(src, ch, A, W, valid, fill, out())
        expect(bytes(k).equals(bytes(r)), `case ${t}: perm ${perms[t % 8].join(',')} ch ${ch} ${W}x${H} valid ${JSON.stringify(valid)}`).toBe(true)
      }
    }
    expect(nativeOpVerdicts().opWarpExact).toBe(true)
  })

  it('refuses bad arguments by name', () => {
    const k = kernels!
    const src = new Uint8Array(12 * 3)
    const view = Int32Array.of(0, 0, 4, 3, 4, 3)
    const ok = Float64Array.of(0, 1, 0, -1, 0, 3)
    const call = (s: Uint8Array | Uint16Array, ch: 1 | 3, A: Float64Array, valid: Int32Array, out: Uint8Array | Uint16Array) =>
      k.opWarpExact(s, view, ch, A, 3, valid, out)
    expect(() => call(src, 3, ok, Int32Array.of(0, 0, 3, 4), new Uint8Array(36))).not.toThrow()
    expect(() => call(src, 3, Float64Array.of(0.5, 0, 0, 0, 1, 0), Int32Array.of(0, 0, 3, 4), new Uint8Array(36))).toThrow(/opWarpExact.*exact affine/)
    expect(() => call(src, 3, Float64Array.of(1, 0, 0.5, 0, 1, 0), Int32Array.of(0, 0, 3, 4), new Uint8Array(36))).toThrow(/opWarpExact.*exact affine/)
    expect(() => call(src, 3, Float64Array.of(1, 1, 0, 0, 1, 0), Int32Array.of(0, 0, 3, 4), new Uint8Array(36))).toThrow(/opWarpExact.*exact affine/)
    expect(() => call(src, 3, ok, Int32Array.of(0, 0, 4, 4), new Uint8Array(36))).toThrow(/opWarpExact.*valid/)
    expect(() => call(src, 3, ok, Int32Array.of(0, 0, 3, 4), new Uint8Array(35))).toThrow(/opWarpExact.*out/)
    expect(() => call(new Uint16Array(36), 3, ok, Int32Array.of(0, 0, 3, 4), new Uint16Array(36))).toThrow(/opWarpExact.*src/)
    expect(() => call(new Uint8Array(11), 1, ok, Int32Array.of(0, 0, 3, 4), new Uint8Array(12))).toThrow(/opWarpExact.*view/)
    expect(() => call(new Uint8Array(12), 1, ok, Int32Array.of(0, 0, 3, 4), new Uint16Array(12))).toThrow(/opWarpExact.*out/)
    // an affine that reads outside the view: rows outside are left as they are, nothing outside is read
    const out = new Uint8Array(36).fill(7)
    call(src, 3, Float64Array.of(0, 1, 50, -1, 0, 3), Int32Array.of(0, 0, 3, 4), out)
    expect([...out].every((v) => v === 7)).toBe(true)
  })
})
