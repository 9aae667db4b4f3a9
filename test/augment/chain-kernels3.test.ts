// The chain's kernels-3 definitions (warp-chain.ts sampleRgbQJs and the axis tables,
// distortion.ts elasticMapQJs): the native kernels give their references' bytes on random inputs
// (points near and on the edges, NaN and infinite coordinates, every fill mode and prefilter;
// axis-aligned chains of scales, crops, pads and flips), and the new definitions stay close to
// the kernels-2 ones they replace for new plans (the image within a few levels, the mask the same).
import { afterAll, describe, expect, it } from 'vitest'
import { plan, renderLoaded, type LoadedPair, type Plan } from '../../src/main/augment'
import type { Chain } from '../../src/main/augment/chain'
import { nativeOpVerdicts, useNativeOps } from '../../src/main/augment/fast'
import type { FillMode } from '../../src/main/augment/ops/types'
import { warpBilinearQJs } from '../../src/main/augment/warp'
import {
  areaAxes,
  areaTaps,
  axisCoords,
  chainCoords,
  coordsRegion,
  forgetKeptTables,
  sampleAreaAxesJs,
  sampleLabels,
  sampleRgb,
  sampleRgbQJs,
  warpAxesQ,
} from '../../src/main/augment/warp-chain'
import { nativeOpKernels } from '../../src/main/io/native'
import { FILL_MODES, parseLockstepRecipe } from '../../src/shared/recipe'
import { randomRgb } from '../support/cv2'
import { labelledPair, lcg, renderNativeAndJs } from '../support/native-vs-js'

const kernels = nativeOpKernels()
afterAll(() => useNativeOps(true))

const pair = labelledPair

const planOf = (ops: unknown[], l: LoadedPair, out: [number, number], seed: number): Plan =>
  plan(
    parseLockstepRecipe({ schema: 'lockstep.recipe/1', output: { width: out[0], height: out[1] }, ops }),
    l,
    { seed, epoch: 0, sampleId: `q${seed}` },
    {
      labels: l.labels!,
    },
  )

describe.skipIf(!kernels)('chain, kernels 3: native = JS references, byte for byte', () => {
  it('the integer-weight sampler at random points (whole blocks inside, edges, NaN and infinite coordinates, every mode and prefilter)', () => {
    const rnd = lcg(21)
    for (let round = 0; round < 200; round++) {
      const sw = 2 + Math.floor(rnd() * 50),
        sh = 2 + Math.floor(rnd() * 50)
      const pf: [number, number] | null = round % 3 === 0 ? [1 + Math.floor(rnd() * 3), 1 + Math.floor(rnd() * 3)] : null
      const rw = Math.ceil(sw / (pf?.[0] ?? 1)),
        rh = Math.ceil(sh / (pf?.[1] ?? 1))
      const src = { data: randomRgb(rw, rh, round), left: 0, top: 0, width: rw, height: rh, sourceWidth: rw, sourceHeight: rh }
      const n = 1 + Math.floor(rnd() * 90)
      const at = new Float64Array(n * 2)
      for (let i = 0; i < n * 2; i++) {
        const k = rnd(),
          lim = i % 2 === 0 ? sw : sh
        at[i] = k < 0.03 ? NaN : k < 0.05 ? (rnd() < 0.5 ? Infinity : -Infinity) : k < 0.15 ? Math.floor(rnd() * lim) + 0.5 : (rnd() * 1.3 - 0.15) * lim
      }
      const mode: FillMode = FILL_MODES[round % FILL_MODES.length]
      const chain: Chain = {
        width: n,
        height: 1,
        input: { width: sw, height: sh },
        prefilter: pf,
        kernels: 3,
        // not axis-aligned (the sampler of any points; an axis-aligned prefiltered chain reads area taps)
        links: [{ field: null, m: [1, 0, 0, 1e-9, 1, 0], bounds: [], w: sw, h: sh, mode }],
      }
      useNativeOps(true)
      const a = sampleRgb(chain, at, src, new Uint8Array(n * 3))
      const b = sampleRgbQJs(chain, at, src, new Uint8Array(n * 3))
      expect(Buffer.from(a).equals(Buffer.from(b)), `round ${round}`).toBe(true)
    }
    expect(nativeOpVerdicts().opSampleRgbQ).toBe(true)
  })

  it('axis-aligned chains (resize up and down, random resized crops, pads, flips, every fill mode) take the axis tables and render as the references do', async () => {
    const l = pair(157, 113, 2)
    for (const fill of FILL_MODES as readonly FillMode[]) {
      const cases: Array<[unknown[], [number, number]]> = [
        [[{ type: 'resize', p: 1, width: 60, height: 41 }], [60, 41]],
        [[{ type: 'resize', p: 1, width: 301, height: 90 }], [301, 90]],
        [
          [
            { type: 'hflip', p: 1 },
            { type: 'resize', p: 1, width: 70, height: 200 },
            { type: 'vflip', p: 1 },
          ],
          [70, 200],
        ],
        [
          [
            { type: 'scale', p: 1, factor: [0.3, 1.6], fill },
            { type: 'pad_if_needed', p: 1, minWidth: 190, minHeight: 120, fill },
          ],
          [190, 120],
        ],
        [
          [
            { type: 'random_resized_crop', p: 1, width: 64, height: 48 },
            { type: 'shift', p: 1, x: [-0.2, 0.2], y: [-0.2, 0.2], fill },
          ],
          [64, 48],
        ],
      ]
      for (const [ops, out] of cases) {
        for (let seed = 0; seed < 2; seed++) {
          const { a, b } = await renderNativeAndJs(planOf(ops, l, out, seed), l)
          const msg = `${fill} ${JSON.stringify(ops)} seed ${seed}`
          expect(Buffer.from(a.image).equals(Buffer.from(b.image)), msg).toBe(true)
          expect(Buffer.from(a.labels!).equals(Buffer.from(b.labels!)), msg).toBe(true)
        }
      }
    }
    expect(nativeOpVerdicts().opSampleAxesQ).toBe(true)
    expect(nativeOpVerdicts().opLabelsAxes).toBe(true)
  }, 60_000)

  it('prefiltered axis-aligned chains (resize and scales below half size, partial blocks, flips, pads, every fill mode) read area taps as the references do, AVX2 and baseline', async () => {
    const l = pair(203, 151, 6)
    const was = process.env.LOCKSTEP_AVX2
    try {
      for (const simd of ['1', '0']) {
        process.env.LOCKSTEP_AVX2 = simd
        for (const fill of FILL_MODES as readonly FillMode[]) {
          const cases: Array<[unknown[], [number, number]]> = [
            [[{ type: 'resize', p: 1, width: 61, height: 37 }], [61, 37]],
            [[{ type: 'resize', p: 1, width: 40, height: 150 }], [40, 150]],
            [[{ type: 'resize', p: 1, width: 101, height: 75 }], [101, 75]],
            [
              [
                { type: 'hflip', p: 1 },
                { type: 'scale', p: 1, factor: [0.15, 0.45], fill },
                { type: 'pad_if_needed', p: 1, minWidth: 230, minHeight: 170, fill },
              ],
              [230, 170],
            ],
          ]
          for (const [ops, out] of cases) {
            for (let seed = 0; seed < 2; seed++) {
              const p = planOf(ops, l, out, seed)
              const { a, b } = await renderNativeAndJs(p, l)
              const msg = `${simd} ${fill} ${JSON.stringify(ops)} seed ${seed}`
              expect(Buffer.from(a.image).equals(Buffer.from(b.image)), msg).toBe(true)
              expect(Buffer.from(a.labels!).equals(Buffer.from(b.labels!)), msg).toBe(true)
            }
          }
        }
      }
    } finally {
      if (was === undefined) delete process.env.LOCKSTEP_AVX2
      else process.env.LOCKSTEP_AVX2 = was
    }
    expect(nativeOpVerdicts().opSampleAreaAxes).toBe(true)
  }, 120_000)

  it('the area taps kernel on random chains (factors 1 to 7 per axis, every fill mode, partial blocks, bounds) = sampleAreaAxesJs', () => {
    const k = kernels!
    const rnd = lcg(33)
    for (let round = 0; round < 150; round++) {
      const sw = 1 + Math.floor(rnd() * 80),
        sh = 1 + Math.floor(rnd() * 60)
      const W = 1 + Math.floor(rnd() * 30),
        H = 1 + Math.floor(rnd() * 30)
      const sx = (sw / W) * (0.5 + rnd() * 1.5) * (rnd() < 0.3 ? -1 : 1),
        sy = (sh / H) * (0.5 + rnd() * 1.5)
      const mode: FillMode = FILL_MODES[round % FILL_MODES.length]
      const m: [number, number, number, number, number, number] = [sx, 0, sx < 0 ? sw + rnd() * 4 - 2 : rnd() * 4 - 2, 0, sy, rnd() * 4 - 2]
      const chain: Chain = {
        width: W,
        height: H,
        input: { width: sw, height: sh },
        prefilter: [Math.max(1, Math.floor(Math.abs(sx))), Math.max(1, Math.floor(sy))],
        kernels: 3,
        links: [{ field: null, m, bounds: rnd() < 0.3 ? [{ m: [1, 0, -1, 0, 1, 0.5], w: W - 0.5, h: H }] : [], w: sw, h: sh, mode }],
      }
      expect(areaAxes(chain)).toBe(true)
      const src = { data: randomRgb(sw, sh, round), left: 0, top: 0, width: sw, height: sh, sourceWidth: sw, sourceHeight: sh }
      const tx = areaTaps(chain, src, 0),
        ty = areaTaps(chain, src, 1)
      // each output's weights sum to the axis's whole (or 0: the fill)
      for (const t of [tx, ty])
        for (let i = 0; i < t.w.length / t.k; i++) expect([0, 2 ** t.bits]).toContain(t.w.subarray(i * t.k, (i + 1) * t.k).reduce((a, b) => a + b, 0))
      const want = sampleAreaAxesJs(tx, ty, src, new Uint8Array(W * H * 3))
      for (const simd of ['1', '0']) {
        process.env.LOCKSTEP_AVX2 = simd
        const got = new Uint8Array(W * H * 3)
        k.opSampleAreaAxes(src.data, Int32Array.of(0, 0, sw, sh, sw, sh), tx.at, tx.w, tx.k, ty.at, ty.w, ty.k, tx.bits + ty.bits, true, got)
        expect(Buffer.from(got).equals(Buffer.from(want)), `round ${round} ${simd}`).toBe(true)
      }
      delete process.env.LOCKSTEP_AVX2
    }
  })

  it('one axis-aligned affine with constant fills (random crops, scales, flips, pads, bounds) through the axis tables = warpBilinearQJs', () => {
    const rnd = lcg(44)
    for (let round = 0; round < 400; round++) {
      const sw = 1 + Math.floor(rnd() * 70),
        sh = 1 + Math.floor(rnd() * 50),
        W = 1 + Math.floor(rnd() * 40),
        H = 1 + Math.floor(rnd() * 40)
      const [rl, rt, rw, rh] = [0, 0, sw, sh] // (taps clamp into the source: the whole source holds them)
      const src = { data: randomRgb(rw, rh, round), left: rl, top: rt, width: rw, height: rh, sourceWidth: sw, sourceHeight: sh }
      const a = (sw / W) * (0.3 + rnd() * 1.5) * (rnd() < 0.3 ? -1 : 1),
        e = (sh / H) * (0.3 + rnd() * 1.5) * (rnd() < 0.2 ? -1 : 1)
      const exact = rnd() < 0.1 // integer offsets, quarter steps: fixed-point ties
      const A: [number, number, number, number, number, number] = exact
        ? [Math.round(a * 4) / 4 || 0.25, 0, Math.round(rnd() * 8) - 2, 0, Math.round(e * 4) / 4 || 0.25, Math.round(rnd() * 8) - 2]
        : [a, 0, (a < 0 ? sw : 0) + rnd() * 6 - 3, 0, e, (e < 0 ? sh : 0) + rnd() * 6 - 3]
      const bounds = [...A, sw, sh]
      if (rnd() < 0.5) bounds.push(1, 0, -rnd() * 3, 0, 1, rnd() * 2 - 1, W - rnd() * 3, H - rnd() * 2)
      const fb = Float64Array.from(bounds)
      const want = warpBilinearQJs(src, A, fb, W, H, new Uint8Array(W * H * 3))
      for (const simd of ['1', '0']) {
        process.env.LOCKSTEP_AVX2 = simd
        const got = warpAxesQ(src, A, fb, W, H, new Uint8Array(W * H * 3))
        expect(got, 'the axis route is taken').not.toBeNull()
        expect(Buffer.from(got!).equals(Buffer.from(want)), `round ${round} ${simd} ${JSON.stringify([A, bounds, src.left, src.top, rw, rh])}`).toBe(true)
      }
      delete process.env.LOCKSTEP_AVX2
    }
    expect(warpAxesQ(pair(4, 4, 1).image as never, [1, 0.1, 0, 0, 1, 0], new Float64Array(8), 2, 2, new Uint8Array(12))).toBeNull()
  })

  it('random_resized_crop and pure scales with constant fills render under kernels 3 exactly as under kernels 2 (the axis route keeps the one-affine bytes)', async () => {
    const l = pair(157, 113, 3)
    for (const [ops, out] of [
      // (outputs that never shrink a crop by 2 or more: those read area taps under kernels 3)
      [[{ type: 'random_resized_crop', p: 1, width: 100, height: 80 }], [100, 80]],
      [[{ type: 'random_resized_crop', p: 1, width: 150, height: 170 }], [150, 170]],
      [
        [
          { type: 'scale', p: 1, factor: [0.6, 1.7] },
          { type: 'hflip', p: 1 },
        ],
        [157, 113],
      ],
      [
        [
          { type: 'resize', p: 1, width: 120, height: 100 },
          { type: 'random_crop', p: 1, width: 90, height: 80 },
        ],
        [90, 80],
      ],
    ] as Array<[unknown[], [number, number]]>) {
      for (let seed = 0; seed < 6; seed++) {
        const p3 = planOf(ops, l, out, seed)
        const a = (await renderLoaded(p3, l, { raw: true })).raw!
        const b = (await renderLoaded({ ...p3, kernels: 2 }, l, { raw: true })).raw!
        expect(Buffer.from(a.image).equals(Buffer.from(b.image)), `${JSON.stringify(ops)} seed ${seed}`).toBe(true)
        expect(Buffer.from(a.labels!).equals(Buffer.from(b.labels!))).toBe(true)
      }
    }
  })

  it('opLabelsAxes on random tables (scales up and down, mirrored, fill columns and rows, region edges; 8 and 16 bits) = a per-pixel gather, AVX2 and baseline', () => {
    const k = kernels!
    const rnd = lcg(55)
    for (let round = 0; round < 400; round++) {
      const rw = 1 + Math.floor(rnd() * (round % 4 === 0 ? 300 : 90)),
        rh = 1 + Math.floor(rnd() * 40)
      const W = 1 + Math.floor(rnd() * 120),
        H = 1 + Math.floor(rnd() * 30)
      const depth = round % 5 === 0 ? 16 : 8
      const src = depth === 16 ? new Uint16Array(rw * rh) : new Uint8Array(rw * rh)
      for (let i = 0; i < src.length; i++) src[i] = Math.floor(rnd() * (depth === 16 ? 65536 : 256))
      // columns: a scale (0.2 to 3.5, mirrored or not) from a random start, clamped, or anywhere; some fill
      const s = (0.2 + rnd() * 3.3) * (rnd() < 0.3 ? -1 : 1),
        x0 = rnd() * rw,
        kind = rnd()
      const mx = Int32Array.from({ length: W }, (_, x) => {
        if (rnd() < (kind < 0.3 ? 0.1 : 0.005)) return -1
        if (kind > 0.9) return Math.floor(rnd() * rw)
        return Math.min(rw - 1, Math.max(0, Math.floor(x0 + s * (x + 0.5))))
      })
      const my = Int32Array.from({ length: H }, () => (rnd() < 0.1 ? -1 : Math.floor(rnd() * rh)))
      const fill = Math.floor(rnd() * 256)
      const want = depth === 16 ? new Uint16Array(W * H) : new Uint8Array(W * H)
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) want[y * W + x] = my[y] < 0 || mx[x] < 0 ? fill : src[my[y] * rw + mx[x]]
      for (const simd of ['1', '0']) {
        process.env.LOCKSTEP_AVX2 = simd
        const got = depth === 16 ? new Uint16Array(W * H) : new Uint8Array(W * H)
        try {
          k.opLabelsAxes(src, Int32Array.of(0, 0, rw, rh, rw, rh), mx, my, fill, got)
        } finally {
          delete process.env.LOCKSTEP_AVX2 // (never left set for the tests after this one)
        }
        expect(Buffer.from(got.buffer).equals(Buffer.from(want.buffer)), `round ${round} ${simd} ${JSON.stringify([rw, rh, W, H, s, x0, kind])}`).toBe(true)
      }
    }
  })

  it('tables kept across chains: chains that differ in one number (a scale, an offset, -0, a bound, the fill, the size, the prefilter, the region) sample as each alone computes afresh', () => {
    const rnd = lcg(66)
    const sw = 97,
      sh = 71
    const img = randomRgb(sw, sh, 5),
      lab = Uint8Array.from(randomRgb(sw, sh, 6).subarray(0, sw * sh))
    const families = Array.from({ length: 8 }, (_, i): Chain => {
      const W = 10 + Math.floor(rnd() * 60),
        H = 10 + Math.floor(rnd() * 60)
      // (some a crop inside the source: regions away from its corner)
      const sx = (sw / W) * (0.3 + rnd() * 2) * (rnd() < 0.3 ? -1 : 1),
        sy = (sh / H) * (0.3 + rnd() * 2),
        ox = i % 4 < 2 ? 0 : rnd() * sw * 0.4,
        oy = i % 4 < 2 ? 0 : rnd() * sh * 0.4
      // (area taps of any factors: the kernels take them whatever the scale)
      const pf: [number, number] | null = i % 2 === 0 ? [1 + Math.floor(rnd() * 3), 1 + Math.floor(rnd() * 3)] : null
      return {
        width: W,
        height: H,
        input: { width: sw, height: sh },
        prefilter: pf,
        kernels: 3,
        links: [{ field: null, m: [sx, 0, sx < 0 ? sw - ox : ox, 0, sy, oy], bounds: [], w: sw, h: sh, mode: 'reflect' }],
      }
    })
    const variant = (c: Chain): Chain => {
      const L = { ...c.links[0], m: [...c.links[0].m] as Chain['links'][0]['m'], bounds: [...c.links[0].bounds] }
      const v: Chain = { ...c, links: [L] }
      const r = Math.floor(rnd() * 9)
      if (r === 0) L.m[0] *= 1 + 1e-12
      else if (r === 1) L.m[5] = rnd() < 0.5 ? -0 : 0.25
      else if (r === 2) L.bounds.push({ m: [1, 0, -1, 0, 1, -1], w: c.width - 1 - Math.floor(rnd() * 3), h: c.height - 1 - Math.floor(rnd() * 3) })
      else if (r === 3) L.mode = FILL_MODES[Math.floor(rnd() * FILL_MODES.length)]
      else if (r === 4) v.width = c.width + 1
      else if (r === 5) v.height = c.height - 1
      else if (r === 6) v.prefilter = c.prefilter && rnd() < 0.5 ? [c.prefilter[0] + 1, c.prefilter[1]] : c.prefilter ? null : [2, 1]
      else if (r === 7) L.m[2] += 0.5
      return v
    }
    // each table through a new chain object (no per-chain points); fresh: every kept table forgotten first
    const sample = (c: Chain, fresh: boolean) => {
      const chain = () => {
        if (fresh) forgetKeptTables()
        return { ...c }
      }
      const region = ((ch) => coordsRegion(ch, chainCoords(ch)))(chain())
      if (!region) return null
      const { left, top, width, height } = region
      const crop = new Uint8Array(width * height * 3),
        lcrop = new Uint8Array(width * height)
      for (let y = 0; y < height; y++) {
        crop.set(img.subarray(((top + y) * sw + left) * 3, ((top + y) * sw + left + width) * 3), y * width * 3)
        lcrop.set(lab.subarray((top + y) * sw + left, (top + y) * sw + left + width), y * width)
      }
      const view = { left, top, width, height, sourceWidth: sw, sourceHeight: sh }
      const whole = { left: 0, top: 0, width: sw, height: sh, sourceWidth: sw, sourceHeight: sh }
      // the region's view, and the whole source's (the same points, tables at other places)
      return [view, whole].flatMap((v) => {
        const [rgbSrc, labSrc] = v === view ? [crop, lcrop] : [img, lab]
        const a = chain(),
          b = chain()
        const rgb = sampleRgb(a, chainCoords(a), { ...v, data: rgbSrc }, new Uint8Array(c.width * c.height * 3))
        const labels = sampleLabels(b, chainCoords(b), { ...v, data: labSrc }, 7, new Uint8Array(c.width * c.height))
        return [region, Buffer.from(rgb).toString('base64'), Buffer.from(labels).toString('base64')]
      })
    }
    const chains = Array.from({ length: 300 }, () => {
      const f = families[Math.floor(rnd() * families.length)]
      return rnd() < 0.4 ? f : variant(rnd() < 0.5 ? f : variant(f))
    })
    for (const native of [true, false]) {
      useNativeOps(native)
      const kept = chains.map((c) => sample(c, false))
      chains.forEach((c, i) => expect(sample(c, true), `chain ${i} ${JSON.stringify(c)}`).toEqual(kept[i]))
    }
    useNativeOps(true)
    expect(axisCoords({ ...families[0] }, 0)).toBe(axisCoords({ ...families[0] }, 0)) // (kept: the same array)
  })

  it('refuses bad arguments by name (never reads outside a buffer)', () => {
    const k = kernels!
    const rgb = new Uint8Array(4 * 3 * 3),
      view = Int32Array.of(0, 0, 4, 3, 4, 3)
    expect(() => k.opSampleAxesQ(rgb, view, Int32Array.of(0, 4, 3), Int32Array.of(0, 1, 0), new Uint8Array(3))).toThrow(/opSampleAxesQ.*cols/)
    expect(() => k.opSampleAxesQ(rgb, view, Int32Array.of(0, 1, 3), Int32Array.of(-2, 1, 0), new Uint8Array(3))).toThrow(/opSampleAxesQ.*rows/)
    expect(() => k.opSampleAxesQ(rgb, view, Int32Array.of(0, 1, 33), Int32Array.of(0, 1, 0), new Uint8Array(3))).toThrow(/opSampleAxesQ.*cols/)
    expect(() => k.opSampleAxesQ(rgb, view, Int32Array.of(0, 1, 3), Int32Array.of(0, 1, 0), new Uint8Array(6))).toThrow(/opSampleAxesQ.*out/)
    expect(() => k.opLabelsAxes(new Uint8Array(12), view, Int32Array.of(4), Int32Array.of(0), 0, new Uint8Array(1))).toThrow(/opLabelsAxes.*mx/)
    const one = Int32Array.of(0),
      w1 = Int32Array.of(32)
    expect(() => k.opSampleAreaAxes(rgb, view, Int32Array.of(4), w1, 1, one, w1, 1, 10, true, new Uint8Array(3))).toThrow(/opSampleAreaAxes.*xi/)
    expect(() => k.opSampleAreaAxes(rgb, view, Int32Array.of(0, 1), Int32Array.of(4000, 97), 2, one, w1, 1, 10, true, new Uint8Array(3))).toThrow(
      /opSampleAreaAxes.*xi/,
    )
    expect(() => k.opSampleAreaAxes(rgb, view, one, Int32Array.of(-1), 1, one, w1, 1, 10, true, new Uint8Array(3))).toThrow(/opSampleAreaAxes.*xi/)
    expect(() => k.opSampleAreaAxes(rgb, view, one, w1, 1, Int32Array.of(3), w1, 1, 10, true, new Uint8Array(3))).toThrow(/opSampleAreaAxes.*yi/)
    expect(() => k.opSampleAreaAxes(rgb, view, one, w1, 1, one, w1, 1, 25, true, new Uint8Array(3))).toThrow(/opSampleAreaAxes.*shift/)
    expect(() => k.opSampleAreaAxes(rgb, view, one, w1, 1, one, w1, 1, 10, 1 as never, new Uint8Array(3))).toThrow(/opSampleAreaAxes.*even/)
    expect(() => k.opSampleAreaAxes(rgb, view, one, w1, 2, one, w1, 1, 10, true, new Uint8Array(3))).toThrow(/opSampleAreaAxes.*xi/)
    expect(() => k.opSampleAreaAxes(rgb, view, one, w1, 1, one, w1, 1, 10, true, new Uint8Array(6))).toThrow(/opSampleAreaAxes.*out/)
    expect(() => k.opSampleRgbQ(new Float64Array(3), rgb, view, 0, 1, 1, new Uint8Array(3))).toThrow(/opSampleRgbQ.*pairs/)
    expect(() => k.opSampleRgbQ(new Float64Array(2), rgb, Int32Array.of(0, 0, 5, 3, 5, 3), 0, 1, 1, new Uint8Array(3))).toThrow(/opSampleRgbQ.*view/)
    expect(() => k.opElasticWindowQ(-1, 0, new Float64Array(3), new Float64Array(7), 4, 4, Int32Array.of(0, 0, 2, 2), new Float64Array(32))).toThrow(
      /opElasticWindowQ/,
    )
    expect(() => k.opElasticWindowQ(1, 2, new Float64Array(3), new Float64Array(7), 4, 4, Int32Array.of(0, 0, 5, 2), new Float64Array(32))).toThrow(
      /opElasticWindowQ.*window/,
    )
    expect(() => k.opFieldWindow(1, new Float64Array(4), 4, 4, Int32Array.of(0, 0, 2, 2), new Float64Array(32))).toThrow(/opFieldWindow.*params/)
    expect(() => k.opFieldWindow(0, new Float64Array(8), 4, 4, Int32Array.of(0, 0, 2, 2), new Float64Array(30))).toThrow(/opFieldWindow.*map/)
  })
})

describe('chain, kernels 3: close to the kernels-2 definitions it replaces for new plans', () => {
  const l = pair(181, 137, 4)
  const chains: Array<[string, unknown[], [number, number]]> = [
    ['resize', [{ type: 'resize', p: 1, width: 80, height: 64 }], [80, 64]],
    ['resize up', [{ type: 'resize', p: 1, width: 260, height: 200 }], [260, 200]],
    ['grid_distortion', [{ type: 'grid_distortion', p: 1, steps: 5, distort: [-0.3, 0.3], fill: 'reflect' }], [181, 137]],
    ['optical_distortion', [{ type: 'optical_distortion', p: 1, distort: [-0.3, 0.3], shift: [-0.05, 0.05], fill: 'reflect' }], [181, 137]],
    ['perspective', [{ type: 'perspective', p: 1, scale: [0.03, 0.1] }], [181, 137]],
  ]
  for (const [name, ops, out] of chains) {
    it(`${name}: the image within 8 levels (mean below 1 level on noise images), the mask the same`, async () => {
      let max = 0,
        sum = 0,
        n = 0
      for (let seed = 0; seed < 3; seed++) {
        const p3 = planOf(ops, l, out, seed)
        expect(p3.kernels).toBe(3)
        const a = (await renderLoaded(p3, l, { raw: true })).raw!
        const b = (await renderLoaded({ ...p3, kernels: 2 }, l, { raw: true })).raw!
        expect(Buffer.from(a.labels!).equals(Buffer.from(b.labels!))).toBe(true)
        for (let i = 0; i < a.image.length; i++) {
          const d = Math.abs(a.image[i] - b.image[i])
          max = Math.max(max, d)
          sum += d
          n++
        }
      }
      console.log(`${name}: kernels 3 vs kernels 2, image max |diff| ${max}, mean ${(sum / n).toFixed(3)}`)
      expect(max).toBeLessThanOrEqual(8)
      expect(sum / n).toBeLessThan(1)
    })
  }
})
