// One truth, many kernels: every op renders the same bytes with the native op kernels and with
// the JS references alone (random images of odd sizes, many seeds, every fill mode, 8- and 16-bit
// masks), every kernel passes its start-up check here, and the kernels refuse bad arguments by
// name instead of reading outside a buffer.
import { afterAll, describe, expect, it } from 'vitest'
import { plan, renderLoaded, type LoadedPair, type Plan } from '../../src/main/augment'
import { nativeOpVerdicts, sameBytes, useNativeOps } from '../../src/main/augment/fast'
import { OPS } from '../../src/main/augment/ops'
import { applyLuts, hsvPower, hue, toGreyRgb } from '../../src/main/augment/ops/colour'
import { claheRgb, equalize } from '../../src/main/augment/ops/histogram'
import { adjustSaturation, mapHsv } from '../../src/main/augment/ops/hsv'
import { nativeOpKernels } from '../../src/main/io/native'
import { defaultOp, FILL_MODES, OP_TYPES, parseLockstepRecipe, type OpType } from '../../src/shared/recipe'
import { randomRgb } from '../support/cv2'
import { renderNativeAndJs } from '../support/native-vs-js'

const kernels = nativeOpKernels()
afterAll(() => useNativeOps(true))

function pair(w: number, h: number, seed: number, depth: 8 | 16): LoadedPair {
  const labels = depth === 16 ? new Uint16Array(w * h) : new Uint8Array(w * h)
  for (let i = 0; i < labels.length; i++) labels[i] = ((((i % w) >> 4) + (Math.floor(i / w) >> 3) + seed) % 5) * (depth === 16 ? 1000 : 1)
  return {
    paths: { image: 'mem.png', mask: 'mem-mask.png' },
    width: w,
    height: h,
    image: { width: w, height: h, data: Buffer.from(randomRgb(w, h, seed)) },
    labels: { width: w, height: h, depth, data: labels },
  }
}

const both = renderNativeAndJs
const same = (x: { image: Uint8Array; labels: Uint8Array | Uint16Array | null }, y: typeof x) =>
  Buffer.from(x.image).equals(Buffer.from(y.image)) &&
  Buffer.from(x.labels!.buffer, x.labels!.byteOffset, x.labels!.byteLength).equals(Buffer.from(y.labels!.buffer, y.labels!.byteOffset, y.labels!.byteLength))

describe.skipIf(!kernels)('native op kernels = JS references, byte for byte', () => {
  const sizes: Array<[number, number, 8 | 16]> = [
    [97, 61, 8],
    [130, 75, 16],
    [33, 120, 8],
  ]
  for (const type of OP_TYPES) {
    it(type, async () => {
      const geometric = OPS[type].kind === 'affine' || OPS[type].kind === 'field'
      const modes = geometric && 'fill' in defaultOp(type) ? FILL_MODES : ([undefined] as const)
      for (const [w, h, depth] of sizes) {
        const l = pair(w, h, w + h, depth)
        for (const fill of modes) {
          const op = { ...defaultOp(type), p: 1, ...(fill ? { fill } : {}), ...(/crop|resize/.test(type) ? { width: 48, height: 40 } : {}) }
          if (type === 'pad_if_needed') Object.assign(op, { minWidth: w + 9, minHeight: h + 5 })
          if (type === 'multiplicative_noise') Object.assign(op, { elementwise: w % 2 === 1, perChannel: h % 2 === 1 })
          // a zoom below half size, so the prefilter runs too
          const ops = type === 'resize' ? [op] : [{ type: 'rotate', p: 1, degrees: [-20, 20], fill: fill ?? 'constant' }, op]
          const recipe = parseLockstepRecipe({
            schema: 'lockstep.recipe/1',
            output: { width: 48, height: 40 },
            mask: { ignoreIndex: depth === 16 ? 60000 : 200 },
            ops,
          })
          for (let seed = 0; seed < 3; seed++) {
            const p = plan(recipe, l, { seed, epoch: 0, sampleId: `k${seed}` }, { labels: l.labels! })
            // geometry: the kernels-2 definitions too (kernels 3 changed the chain's sampling and elastic's noise)
            for (const q of geometric ? [p, { ...p, kernels: 2 as const }] : [p]) {
              const { a, b } = await both(q, l)
              expect(same(a, b), `${w}x${h}/${depth} fill ${fill} seed ${seed} kernels ${q.kernels}`).toBe(true)
            }
          }
        }
      }
    })
  }

  it('exact geometry (crops, pads, flips, quarter turns: pixel copies) renders the same with the kernels and without', async () => {
    for (const [w, h, depth] of sizes) {
      const l = pair(w, h, w * 3 + h, depth)
      for (const turns of [1, 2, 3]) {
        const recipe = parseLockstepRecipe({
          schema: 'lockstep.recipe/1',
          output: { width: 48, height: 40 },
          mask: { ignoreIndex: depth === 16 ? 60000 : 200 },
          ops: [
            { type: 'rot90', p: 1, turns: [turns] },
            { type: 'vflip', p: 0.5 },
            { type: 'pad_if_needed', p: 1, minWidth: Math.max(w, h) + 7, minHeight: Math.max(w, h) + 3 },
            { type: 'random_crop', p: 1, width: 48, height: 40 },
          ],
        })
        for (let seed = 0; seed < 3; seed++) {
          const p = plan(recipe, l, { seed, epoch: 0, sampleId: `x${seed}` }, { labels: l.labels! })
          const { a, b } = await both(p, l)
          expect(same(a, b), `${w}x${h}/${depth} turns ${turns} seed ${seed}`).toBe(true)
        }
      }
    }
    expect(nativeOpVerdicts().opWarpExact, 'the native kernel was the one used').toBe(true)
  })

  it('old plans (Box–Muller noise, hue, HSV power, blur, salt and pepper) take the kernels they can and replay the same', async () => {
    const l = pair(90, 70, 3, 8)
    const steps: Plan['steps'] = [
      { op: 0, type: 'rotate', params: { degrees: 13.1 } },
      { op: 1, type: 'hue', params: { degrees: 77.3 } },
      { op: 2, type: 'hsv_power', params: { saturation: 0.61, value: 1.9 } },
      { op: 3, type: 'gaussian_blur', params: { sigma: 1.3 } },
      { op: 4, type: 'salt_pepper', params: { amount: 0.05, saltRatio: 0.5, seed: 77 } },
      { op: 5, type: 'gaussian_noise', params: { std: 9, perChannel: true, seed: 5 } },
    ]
    const p: Plan = {
      schema: 'lockstep.plan/1',
      key: { seed: 0, epoch: 0, sampleId: 'x' },
      source: { width: 90, height: 70 },
      output: { width: 90, height: 70 },
      ignoreIndex: 255,
      steps,
    }
    const { a, b } = await both(p, l)
    expect(same(a, b)).toBe(true)
    // lockstep.plan/2 plans recorded before kernels 2: float64 bilinear, table noise
    const v2: Plan = {
      ...p,
      schema: 'lockstep.plan/2',
      steps: [steps[0], { op: 5, type: 'gaussian_noise', params: { std: 9, perChannel: false, seed: 5, normal: 'table' } }, steps[4]],
    }
    const r = await both(v2, l)
    expect(same(r.a, r.b)).toBe(true)
    // the same steps under kernels 2 render differently (their own algorithms), the same with and without the kernels
    const q = await both({ ...v2, kernels: 2 }, l)
    expect(same(q.a, q.b)).toBe(true)
    expect(same(q.a, r.a)).toBe(false)
  })

  it('the filters of kernels 2 plans (float64 sums) and of kernels 3 plans (integers) each replay the same with and without the kernels', async () => {
    const l = pair(90, 70, 4, 8)
    const p: Plan = {
      schema: 'lockstep.plan/2',
      key: { seed: 0, epoch: 0, sampleId: 'f' },
      source: { width: 90, height: 70 },
      output: { width: 90, height: 70 },
      ignoreIndex: 255,
      steps: [
        { op: 0, type: 'gaussian_blur', params: { sigma: 1.3 } },
        { op: 1, type: 'sharpen', params: { alpha: 0.37, lightness: 0.81 } },
        { op: 2, type: 'motion_blur', params: { size: 7, line: [0, 4, 6, 1] } },
      ],
    }
    const k2 = await both({ ...p, kernels: 2 }, l)
    const k3 = await both({ ...p, kernels: 3 }, l)
    expect(same(k2.a, k2.b)).toBe(true)
    expect(same(k3.a, k3.b)).toBe(true)
    expect(same(k2.a, k3.a), 'two definitions, a few values apart').toBe(false)
    const v = nativeOpVerdicts()
    expect([v.opBlur, v.opConvolve, v.opBlurQ, v.opSharpenQ, v.opLineMeanQ]).toEqual([true, true, true, true, true])
  })

  it('the HSV map (vector kernel: blocks of 32 pixels, or 256 in eight lanes without AVX2, and a tail) = the JS reference on all 2^24 colours', () => {
    const all = new Uint8Array(3 << 24)
    for (let i = 0; i < 1 << 24; i++) all.set([i >> 16, (i >> 8) & 255, i & 255], 3 * i)
    const lut = (f: (v: number) => number) => Uint8Array.from({ length: 256 }, (_, v) => f(v))
    let seed = 5
    const random = () => lut(() => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) >>> 24)
    const sets: Array<[[Uint8Array | null, Uint8Array | null, Uint8Array | null], Uint8Array | null]> = [
      [[null, null, lut((v) => v)], null],
      [[lut((v) => (v + 173) % 180), lut((v) => Math.min(255, v + 30)), lut((v) => Math.max(0, v - 20))], null],
      // any bytes (hues past 179 too), and a pending table first
      [[random(), random(), random()], null],
      [[random(), null, random()], random()],
      [[lut((v) => (v + 9) % 180), random(), null], random()],
    ]
    for (const [luts, pre] of sets) {
      // a few pixels short of a whole block: the last block's tail lanes are computed but not written
      const a = all.subarray(0, all.length - 3 * 35).slice(),
        b = a.slice()
      useNativeOps(true)
      mapHsv({ data: a, width: a.length / 3, height: 1 }, luts, pre)
      useNativeOps(false)
      mapHsv({ data: b, width: b.length / 3, height: 1 }, luts, pre)
      useNativeOps(true)
      expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true)
    }
    expect(nativeOpVerdicts().opHsvMap, 'the native kernel was the one used').toBe(true)
  }, 120_000)

  const allColours = () => {
    const all = new Uint8Array(3 << 24)
    for (let i = 0; i < 1 << 24; i++) all.set([i >> 16, (i >> 8) & 255, i & 255], 3 * i)
    return all
  }
  /** f on a copy with the kernels and on a copy without: the same bytes. */
  const agree = (src: Uint8Array, f: (d: Uint8Array) => void) => {
    const a = src.slice(),
      b = src.slice()
    useNativeOps(true)
    f(a)
    useNativeOps(false)
    f(b)
    useNativeOps(true)
    return Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length))
  }

  it('hue and hsv_power (lanes of four doubles, selects for branches) = the JS references on all 2^24 colours', () => {
    const all = allColours().subarray(0, (3 << 24) - 6) // a block's tail
    const px = (d: Uint8Array) => ({ data: d, width: d.length / 3, height: 1 })
    for (const degrees of [0, 37.7, -123.4, 359.99])
      for (const kernels of [1, 3] as const)
        expect(
          agree(all, (d) => void hue.image!({ degrees }, px(d), { ignoreIndex: 255, kernels })),
          `hue ${degrees} kernels ${kernels}`,
        ).toBe(true)
    for (const [saturation, value] of [
      [0.37, 2.9],
      [1.8, 0.55],
    ])
      for (const kernels of [1, 3] as const)
        expect(
          agree(all, (d) => void hsvPower.image!({ saturation, value }, px(d), { ignoreIndex: 255, kernels })),
          `hsv_power ${saturation} ${value} kernels ${kernels}`,
        ).toBe(true)
    // to grey: 32 pixels a step (two 16-pixel lanes) and the tail, starting at several pixels of a step
    for (const skip of [0, 1, 17, 31]) expect(agree(all.subarray(3 * skip), toGreyRgb), `to grey from pixel ${skip}`).toBe(true)
    const v = nativeOpVerdicts()
    const used = [v.opHue, v.opHueQ, v.opHsvPower, v.opHsvPairs, v.opHsvPowerQ, v.opGrey]
    expect(used, 'the native kernels were the ones used').toEqual(used.map(() => true))
  }, 300_000)

  it("the colour kernels' SSE2 baseline (LOCKSTEP_AVX2=0, read at each call) = the JS references too", () => {
    process.env.LOCKSTEP_AVX2 = '0'
    try {
      const img = randomRgb(613, 491, 5)
      const px = (d: Uint8Array) => ({ data: d, width: 613, height: 491 })
      for (const degrees of [37.7, -123.4])
        for (const kernels of [1, 3] as const)
          expect(
            agree(img, (d) => void hue.image!({ degrees }, px(d), { ignoreIndex: 255, kernels })),
            `hue ${degrees} kernels ${kernels}`,
          ).toBe(true)
      expect(agree(img, (d) => void hsvPower.image!({ saturation: 1.8, value: 0.55 }, px(d)))).toBe(true)
      expect(agree(img, (d) => void hsvPower.image!({ saturation: 0.3, value: 3.1 }, px(d), { ignoreIndex: 255, kernels: 3 }))).toBe(true)
      expect(agree(img, (d) => claheRgb(px(d), 2.5, 8))).toBe(true)
      expect(agree(img, (d) => void equalize.image!({}, px(d)))).toBe(true)
      expect(agree(img, (d) => adjustSaturation(d, 1.7))).toBe(true)
      expect(agree(img, toGreyRgb)).toBe(true)
      const lut = (f: (v: number) => number) => Uint8Array.from({ length: 256 }, (_, v) => f(v))
      expect(agree(img, (d) => mapHsv(px(d), [lut((v) => (v + 7) % 180), lut((v) => 255 - v), lut((v) => v >> 1)]))).toBe(true)
    } finally {
      delete process.env.LOCKSTEP_AVX2
    }
  })

  it('CLAHE, equalize, ColorJitter saturation, grey, channel tables = the JS references on random images (odd sizes, every grid)', () => {
    const sizes: Array<[number, number]> = [
      [1, 1],
      [3, 2],
      [17, 5],
      [64, 64],
      [97, 61],
      [130, 75],
      [33, 120],
      [301, 7],
      [256, 203], // big enough for the packed tables of grids up to 13 (op_clahe_rgb packs when (tiles + 1)^2 * 256 <= pixels)
    ]
    let nativeClahe = 0
    for (const [w, h] of sizes) {
      const img = randomRgb(w, h, w * 7 + h)
      for (const tiles of [1, 2, 3, 8, 13, 64])
        for (const clip of [0.1, 1, 2.5, 40])
          expect(
            agree(img, (d) => claheRgb({ data: d, width: w, height: h }, clip, tiles)),
            `clahe ${w}x${h} tiles ${tiles} clip ${clip}`,
          ).toBe(true)
      const t = img.slice()
      if (kernels!.opClahe(t, w, h, 2, 8)) nativeClahe++
      expect(
        agree(img, (d) => void equalize.image!({}, { data: d, width: w, height: h })),
        `equalize ${w}x${h}`,
      ).toBe(true)
      for (const factor of [0, 0.3, 1.7, 9.9])
        expect(
          agree(img, (d) => adjustSaturation(d, factor)),
          `saturation ${factor}`,
        ).toBe(true)
      expect(agree(img, toGreyRgb)).toBe(true)
      const l = (k: number) => Uint8Array.from({ length: 256 }, (_, v) => (v * k + 11) & 255)
      expect(agree(img, (d) => applyLuts(d, l(3), l(5), l(7)))).toBe(true)
    }
    expect(nativeClahe, 'the native CLAHE took most sizes (the others: reflection beyond the plane)').toBeGreaterThanOrEqual(6)
  })

  it('one table (opLut, and opLut3 given one table three times) = the byte loop, on every byte value, random tables, lengths and offsets', () => {
    // the AVX2 loop looks 256 entries up through 16-entry shuffles: every value of every row must reach its own entry
    let s = 99
    const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0)
    const tables = [Uint8Array.from({ length: 256 }, (_, v) => 255 - v), Uint8Array.from({ length: 256 }, (_, v) => v)]
    for (let t = 0; t < 30; t++) tables.push(Uint8Array.from({ length: 256 }, () => next() >>> 24))
    const all = Uint8Array.from({ length: 4096 + 77 }, (_, i) => (i * 37 + (i >> 8)) & 255)
    for (const [k, lut] of tables.entries()) {
      for (const [off, len] of [
        [0, all.length],
        [1 + (k % 31), 1 + ((next() >>> 20) % 200)],
        [k % 7, 31],
        [3, 0],
      ]) {
        const src = all.subarray(off, off + len)
        const want = Uint8Array.from(src, (v) => lut[v])
        const a = new Uint8Array(len + 5).subarray(off % 5, (off % 5) + len)
        a.set(src)
        kernels!.opLut(a, lut)
        expect(sameBytes(a, want), `opLut table ${k}, offset ${off}, ${len} bytes`).toBe(true)
        const b = src.slice(0, len - (len % 3))
        kernels!.opLut3(b, lut, lut.slice(), lut)
        expect(sameBytes(b, want.subarray(0, b.length)), `opLut3 table ${k}, ${b.length} bytes`).toBe(true)
      }
    }
  })

  it('every kernel used above passed its start-up check on this machine', () => {
    const v = nativeOpVerdicts()
    expect(Object.keys(v).sort()).toEqual(
      Object.keys(kernels!)
        .filter((k) => k.startsWith('op'))
        .sort(),
    )
    expect(Object.entries(v).filter(([, ok]) => !ok)).toEqual([])
  })

  it('refuses bad arguments by name (never reads outside a buffer)', () => {
    const k = kernels!
    const rgb = new Uint8Array(30)
    expect(() => k.opWarpBilinearRgb(rgb, Int32Array.of(0, 0, 4, 4, 4, 4), new Float64Array(6), new Float64Array(8), 2, 2, new Uint8Array(12))).toThrow(
      /opWarpBilinearRgb.*src and view/,
    )
    expect(() =>
      k.opWarpNearest(new Uint16Array(4), Int32Array.of(0, 0, 2, 2, 2, 2), new Float64Array(6), new Float64Array(8), 2, 2, 0, new Uint8Array(4)),
    ).toThrow(/opWarpNearest.*type/)
    expect(() => k.opChainCoords(Float64Array.of(1, 0, 0, 0, 1, 0, 4, 4, 0, 0, 0, 2, 2), [new Float64Array(3)], 2, 2, new Float64Array(8))).toThrow(
      /opChainCoords.*map/,
    )
    expect(() => k.opChainCoords(Float64Array.of(1, 0, 0, 0, 1, 0, 4, 4, 9, 0, -1, 0, 0), [], 2, 2, new Float64Array(8))).toThrow(/opChainCoords.*mode/)
    expect(() => k.opChainCoords(Float64Array.of(1, 0, 0, 0, 1, 0, 4, 4, 0, 1e12, -1, 0, 0), [], 2, 2, new Float64Array(8))).toThrow(
      /opChainCoords.*link header/,
    )
    expect(() => k.opSampleRgb(new Float64Array(4), rgb, Int32Array.of(0, 0, 5, 2, 5, 2), 7, 1, 1, new Uint8Array(6))).toThrow(/opSampleRgb.*mode/)
    expect(() => k.opGaussianNoise(rgb, new Uint32Array(4), 3, true, new Float64Array(10))).toThrow(/opGaussianNoise.*table/)
    expect(() => k.opMedian(rgb, 5, 2, 4)).toThrow(/opMedian/)
    expect(() => k.opConvolve(rgb, 5, 2, Float64Array.of(0.5, 0, 1))).toThrow(/opConvolve.*integers/)
    expect(() => k.opBlur(rgb, 4, 2, Float64Array.of(1))).toThrow(/opBlur.*w x h/)
    expect(() => k.opBlurQ(rgb, 5, 2, Int32Array.of(8000, 8384))).toThrow(/opBlurQ.*odd/)
    expect(() => k.opBlurQ(rgb, 5, 2, Int32Array.of(100, 16284, 0))).toThrow(/opBlurQ.*symmetric/)
    expect(() => k.opBlurQ(rgb, 5, 2, Int32Array.of(1, 16384, 1))).toThrow(/opBlurQ.*sum/)
    expect(() => k.opBlurQ(rgb, 5, 2, Float64Array.of(0, 16384, 0) as never)).toThrow(/opBlurQ.*Int32/)
    expect(() => k.opSharpenQ(rgb, 6, 2, 16384, 0)).toThrow(/opSharpenQ.*w x h/)
    expect(() => k.opSharpenQ(rgb, 5, 2, -1, 0)).toThrow(/opSharpenQ.*2\^19/)
    expect(() => k.opSharpenQ(rgb, 5, 2, 16384, 16385)).toThrow(/opSharpenQ.*0\.\.16384/)
    expect(() => k.opLineMeanQ(rgb, 5, 2, Int32Array.of(0, 0, 1), 16384, 14)).toThrow(/opLineMeanQ.*pairs/)
    expect(() => k.opLineMeanQ(rgb, 5, 2, new Int32Array(258), 16384, 14)).toThrow(/opLineMeanQ.*pairs/)
    expect(() => k.opLineMeanQ(rgb, 5, 2, Int32Array.of(0, 1001), 16384, 14)).toThrow(/opLineMeanQ.*-1000/)
    expect(() => k.opLineMeanQ(rgb, 5, 2, Int32Array.of(0, 0), 32768, 14)).toThrow(/opLineMeanQ.*q must/)
    expect(() => k.opLineMeanQ(rgb, 5, 2, Int32Array.of(0, 0), 16384, 31)).toThrow(/opLineMeanQ.*shift/)
    expect(() => k.opHsvMap(rgb, new Uint8Array(10), null, null)).toThrow(/opHsvMap/)
    expect(() => k.opWarpBilinearQ(rgb, Int32Array.of(0, 0, 4, 4, 4, 4), new Float64Array(6), new Float64Array(8), 2, 2, new Uint8Array(12))).toThrow(
      /opWarpBilinearQ.*src and view/,
    )
    expect(() => k.opLut(rgb, new Uint8Array(255))).toThrow(/opLut/)
    expect(() => k.opGaussianNoiseQ(rgb, 1, true, new Int32Array(4096))).toThrow(/opGaussianNoiseQ.*table/)
    expect(() => k.opGaussianNoiseQ(rgb, -1, true, new Int32Array(4097))).toThrow(/opGaussianNoiseQ.*key/)
    expect(() => k.opSaltPepperQ(rgb, 1, 2 ** 32, 0.1, 0.5)).toThrow(/opSaltPepperQ/)
    // far and non-finite points are clamped, never followed
    const coords = Float64Array.of(NaN, 1, 1e300, -1e300, -5e9, 3, 2.5, 1.5)
    const out = new Uint8Array(12)
    k.opSampleRgb(coords, rgb, Int32Array.of(0, 0, 5, 2, 5, 2), 4, 1, 1, out)
    expect(out.subarray(0, 3)).toEqual(new Uint8Array(3))
  })
})

describe.runIf(!kernels)('without the native op kernels', () => {
  it('the JS references render (the addon is not built here, or LOCKSTEP_NATIVE=0)', async () => {
    const l = pair(40, 30, 1, 8)
    const recipe = parseLockstepRecipe({
      schema: 'lockstep.recipe/1',
      output: { width: 20, height: 20 },
      ops: [{ type: 'rotate', degrees: [10, 10] }, { type: 'gaussian_noise' }],
    })
    const r = await renderLoaded(plan(recipe, l, { seed: 1, epoch: 0, sampleId: 'x' }), l, { raw: true })
    expect(r.raw!.image.length).toBe(20 * 20 * 3)
    expect(nativeOpVerdicts()).toEqual({})
  })
})

export type { OpType }
