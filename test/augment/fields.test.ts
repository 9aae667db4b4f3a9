// The displacement/chain path's fast kernels (native/decoders/ops_field.c) against their JS
// references: fields computed only in the window their link reads render the same bytes as whole
// fields (every field op after crops and turns, odd sizes, every fill mode), the source region,
// the area prefilter and the field window agree with the references on random inputs, and the
// kernels refuse bad arguments by name.
import { afterAll, describe, expect, it } from 'vitest'
import { plan, type LoadedPair } from '../../src/main/augment'
import { stageGeometry, type Chain } from '../../src/main/augment/chain'
import { useNativeOps } from '../../src/main/augment/fast'
import type { FillMode } from '../../src/main/augment/ops/types'
import { FILL_MODES, parseLockstepRecipe } from '../../src/shared/recipe'
import { areaReduce, chainCoords, chainCoordsJs, coordsRegion, pointsBoxJs, sampleLabels, sampleRgbQJs } from '../../src/main/augment/warp-chain'
import { nativeOpKernels } from '../../src/main/io/native'
import { randomRgb } from '../support/cv2'
import { labelledPair, lcg, renderNativeAndJs } from '../support/native-vs-js'

const kernels = nativeOpKernels()
afterAll(() => useNativeOps(true))

const pair = labelledPair

async function nativeAndJs(ops: unknown[], l: LoadedPair, out: [number, number], seed: number) {
  const recipe = parseLockstepRecipe({ schema: 'lockstep.recipe/1', output: { width: out[0], height: out[1] }, ops })
  const p = plan(recipe, l, { seed, epoch: 0, sampleId: `f${seed}` }, { labels: l.labels! })
  return renderNativeAndJs(p, l)
}

describe.skipIf(!kernels)('fields and chains: native = JS references, byte for byte', () => {
  const fields = [
    { type: 'elastic', alpha: 40, sigma: 5, affine: 4 },
    { type: 'grid_distortion', steps: 5, distort: [-0.3, 0.3] },
    { type: 'optical_distortion', distort: [-0.3, 0.3], shift: [-0.05, 0.05] },
    { type: 'perspective', scale: [0.03, 0.1] },
  ]
  for (const field of fields) {
    it(`${field.type}: a window of the field (after a crop, a turn, a zoom out) renders as the whole field does`, async () => {
      const sizes: Array<[number, number]> = [
        [131, 97],
        [77, 140],
      ]
      for (const [w, h] of sizes) {
        const l = pair(w, h, w)
        for (const fill of FILL_MODES as readonly FillMode[]) {
          const f = { ...field, p: 1, fill }
          const recipes: Array<[unknown[], [number, number]]> = [
            [
              [f, { type: 'random_crop', p: 1, width: 45, height: 38 }],
              [45, 38],
            ],
            [
              [f, { type: 'rotate', p: 1, degrees: [-25, 25], fill }, { type: 'center_crop', p: 1, width: 50, height: 41 }],
              [50, 41],
            ],
            [
              [f, { type: 'scale', p: 1, factor: [0.3, 0.45], keepSize: true, fill }],
              [w, h],
            ],
            [
              [{ type: 'rotate', p: 1, degrees: [-15, 15], fill }, f, { type: 'random_crop', p: 1, width: 33, height: 60 }],
              [33, 60],
            ],
          ]
          for (const [ops, out] of recipes) {
            for (let seed = 0; seed < 2; seed++) {
              const { a, b } = await nativeAndJs(ops, l, out, seed)
              const msg = `${w}x${h} ${fill} ${JSON.stringify(ops.map((o) => (o as { type: string }).type))} seed ${seed}`
              expect(Buffer.from(a.image).equals(Buffer.from(b.image)), msg).toBe(true)
              expect(Buffer.from(a.labels!).equals(Buffer.from(b.labels!)), msg).toBe(true)
            }
          }
        }
      }
    }, 120_000)
  }

  it('resize and zooms below half size (the area prefilter) render as the references do, every fill mode', async () => {
    const l = pair(203, 151, 5)
    for (const fill of FILL_MODES as readonly FillMode[]) {
      for (const [ops, out] of [
        [[{ type: 'resize', p: 1, width: 61, height: 37 }], [61, 37]],
        [[{ type: 'resize', p: 1, width: 40, height: 150 }], [40, 150]],
        [
          [
            { type: 'rotate', p: 1, degrees: [-30, 30], fill },
            { type: 'scale', p: 1, factor: [0.2, 0.4], fill },
          ],
          [203, 151],
        ],
      ] as Array<[unknown[], [number, number]]>) {
        const { a, b } = await nativeAndJs(ops, l, out, 3)
        expect(Buffer.from(a.image).equals(Buffer.from(b.image)), `${fill} ${JSON.stringify(ops)}`).toBe(true)
        expect(Buffer.from(a.labels!).equals(Buffer.from(b.labels!))).toBe(true)
      }
    }
  })

  it('the source region of random points (inside, outside, on the edges, NaN) is the reference one, every mode and prefilter', () => {
    const rnd = lcg(9)
    for (let round = 0; round < 300; round++) {
      const sw = 1 + Math.floor(rnd() * 60),
        sh = 1 + Math.floor(rnd() * 60)
      const n = 1 + Math.floor(rnd() * 40)
      const coords = new Float64Array(n * 2)
      for (let i = 0; i < n; i++) {
        const kind = rnd()
        coords[i * 2] = kind < 0.1 ? NaN : kind < 0.2 ? Math.floor(rnd() * sw) : (rnd() * 1.6 - 0.3) * sw
        coords[i * 2 + 1] = kind < 0.1 ? NaN : kind < 0.2 ? Math.floor(rnd() * sh) + 0.5 : (rnd() * 1.6 - 0.3) * sh
      }
      const mode = FILL_MODES[round % FILL_MODES.length]
      const pf: [number, number] | null = round % 3 === 0 ? null : [1 + Math.floor(rnd() * 4), 1 + Math.floor(rnd() * 4)]
      const chain: Chain = {
        width: n,
        height: 1,
        input: { width: sw, height: sh },
        prefilter: pf,
        links: [{ field: null, m: [1, 0, 0, 0, 1, 0], bounds: [], w: sw, h: sh, mode }],
      }
      useNativeOps(true)
      const a = coordsRegion(chain, coords)
      useNativeOps(false)
      const b = coordsRegion(chain, coords)
      useNativeOps(true)
      expect(a, `round ${round}`).toEqual(b)
    }
  })

  it('the area prefilter (column sums, a table of means) is the reference on random sizes and factors', () => {
    const rnd = lcg(4)
    for (let round = 0; round < 60; round++) {
      const w = 1 + Math.floor(rnd() * 70),
        h = 1 + Math.floor(rnd() * 50)
      const fx = 1 + Math.floor(rnd() * 6),
        fy = 1 + Math.floor(rnd() * 6)
      const view = { data: randomRgb(w, h, round), left: 0, top: 0, width: w, height: h, sourceWidth: w, sourceHeight: h }
      useNativeOps(true)
      const a = areaReduce(view, fx, fy)
      useNativeOps(false)
      const b = areaReduce(view, fx, fy)
      useNativeOps(true)
      expect(Buffer.from(a.data).equals(Buffer.from(b.data)), `${w}x${h} / ${fx}x${fy}`).toBe(true)
    }
  })

  it('the field window covers every map pixel fieldAt reads for the points, and equals its reference', () => {
    const rnd = lcg(17)
    const k = kernels!
    for (let round = 0; round < 200; round++) {
      const fw = 1 + Math.floor(rnd() * 30),
        fh = 1 + Math.floor(rnd() * 30)
      const n = 1 + Math.floor(rnd() * 20)
      const pts = new Float64Array(n * 2)
      for (let i = 0; i < pts.length; i++)
        pts[i] = rnd() < 0.05 ? NaN : rnd() < 0.05 ? (rnd() < 0.5 ? -Infinity : Infinity) : (rnd() * 1.4 - 0.2) * (i % 2 ? fh : fw)
      const r = new Int32Array(4)
      k.opPointsBox(pts, fw, fh, r)
      expect([...r]).toEqual([...pointsBoxJs(pts, fw, fh)])
      for (let i = 0; i < n; i++) {
        // fieldAt's taps, clamped into the map (a NaN coordinate reads index 0 natively)
        const tap = (c: number, size: number) => {
          const f = Number.isNaN(c) ? 0 : Math.floor(c - 0.5)
          return [Math.min(Math.max(f, 0), size - 1), Math.min(Math.max(f + 1, 0), size - 1)]
        }
        for (const x of tap(pts[i * 2], fw)) expect(x >= r[0] && x < r[0] + r[2], `round ${round} x ${x}`).toBe(true)
        for (const y of tap(pts[i * 2 + 1], fh)) expect(y >= r[1] && y < r[1] + r[3], `round ${round} y ${y}`).toBe(true)
      }
    }
  })

  it("kernels 3: a perspective op's chain (a crop, then the homography, constant fills) gives chainCoordsJs's points on random homographies", () => {
    // op_chain_coords_q's own loop for this chain (persp8): points behind the horizon (z <= 0),
    // a zero z (infinities, NaN), widths that are not a multiple of 4
    const rnd = lcg(29)
    for (let round = 0; round < 120; round++) {
      const W = 1 + Math.floor(rnd() * 23),
        H = 1 + Math.floor(rnd() * 9)
      const sw = 5 + Math.floor(rnd() * 60),
        sh = 5 + Math.floor(rnd() * 60)
      const params = Float64Array.from({ length: 9 }, (_, i) => (i === 8 ? 1 : i === 0 || i === 4 ? 0.5 + rnd() : (rnd() - 0.5) * (i < 6 ? 8 : 0.2)))
      if (round % 10 === 3) params.set([0, 0, 0], 6) // z = 0 everywhere: infinities and NaN
      if (round % 10 === 7) params[8] = -params[6] * 2.5 - params[7] * 1.5 // z = 0 on a line through the canvas
      const field = { width: sw, height: sh, map: new Float64Array(0), formula: { kind: 2 as const, params } }
      const chain: Chain = {
        width: W,
        height: H,
        input: { width: sw, height: sh },
        prefilter: null,
        kernels: 3,
        links: [
          { field: null, m: [1, -0, Math.floor(rnd() * 8), -0, 1, Math.floor(rnd() * 8)], bounds: [], w: sw, h: sh, mode: 'constant' },
          { field, m: [1, 0, 0, 0, 1, 0], bounds: [], w: sw, h: sh, mode: 'constant' },
        ],
      }
      const js = chainCoordsJs(chain)
      const native = new Float64Array(W * H * 2)
      useNativeOps(true)
      native.set(chainCoords(chain))
      expect(Buffer.from(native.buffer).equals(Buffer.from(js.buffer)), `round ${round}`).toBe(true)
    }
  })

  it('kernels 3: op_chain_coords_q refuses bad links by name (formula kinds, parameter counts)', () => {
    const k = kernels!
    // one link: identity, lands in 4 x 4 (reflect), no bounds, map 0 of 4 x 3, formula kind f
    const link = (f: number, mi = 0) => Float64Array.of(1, 0, 0, 0, 1, 0, 4, 4, 2, 0, mi, 4, 3, f)
    const out = new Float64Array(2 * 2 * 2)
    expect(() => k.opChainCoordsQ(link(3), [new Float64Array(9)], 2, 2, out)).toThrow(/opChainCoordsQ.*link header/)
    expect(() => k.opChainCoordsQ(link(0.5), [new Float64Array(7)], 2, 2, out)).toThrow(/opChainCoordsQ.*link header/)
    expect(() => k.opChainCoordsQ(link(2, -1), [], 2, 2, out)).toThrow(/opChainCoordsQ.*no parameters/)
    expect(() => k.opChainCoordsQ(link(0), [new Float64Array(8)], 2, 2, out)).toThrow(/opChainCoordsQ.*does not match/)
    expect(() => k.opChainCoordsQ(link(1), [new Float64Array(9)], 2, 2, out)).toThrow(/opChainCoordsQ.*does not match/)
    expect(() => k.opChainCoordsQ(link(-1), [new Float64Array(9)], 2, 2, out)).toThrow(/opChainCoordsQ.*does not match/)
    expect(() => k.opChainCoordsQ(link(2), [new Float64Array(9)], 2, 2, new Float64Array(7))).toThrow(/opChainCoordsQ.*out/)
    expect(() => k.opChainCoordsQ(link(2).subarray(0, 13), [new Float64Array(9)], 2, 2, out)).toThrow(/opChainCoordsQ.*bad links/)
    k.opChainCoordsQ(link(2), [Float64Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1)], 2, 2, out)
    expect([...out]).toEqual([0.5, 0.5, 1.5, 0.5, 0.5, 1.5, 1.5, 1.5])
  })

  it('the field kernels refuse bad arguments by name', () => {
    const k = kernels!
    const r = new Int32Array(4)
    expect(() => k.opCoordsRegion(new Float64Array(3), 4, 4, 0, 1, 1, r)).toThrow(/opCoordsRegion.*pairs/)
    expect(() => k.opCoordsRegion(new Float64Array(4), 4, 4, 9, 1, 1, r)).toThrow(/opCoordsRegion.*mode/)
    expect(() => k.opCoordsRegion(new Float64Array(4), 4, 4, 0, 1, 1, new Int32Array(3))).toThrow(/opCoordsRegion.*rect/)
    expect(() => k.opPointsBox(new Float64Array(0), 4, 4, r)).toThrow(/opPointsBox.*points/)
    expect(() => k.opPointsBox(new Float64Array(2), 0, 4, r)).toThrow(/opPointsBox.*map size/)
    const state = new Uint32Array(4),
      g = new Float64Array(17),
      A = new Float64Array(7)
    expect(() => k.opElasticWindow(state, g, A, 8, 6, Int32Array.of(0, 0, 8, 6), new Float64Array(95))).toThrow(/opElasticWindow.*map/)
    expect(() => k.opElasticWindow(state, g, A, 8, 6, Int32Array.of(2, 0, 2, 6), new Float64Array(96))).toThrow(/opElasticWindow.*window/)
    expect(() => k.opElasticWindow(state, g, A, 8, 6, Int32Array.of(0, 0, 9, 6), new Float64Array(96))).toThrow(/opElasticWindow.*window/)
    expect(() => k.opElasticWindow(state, new Float64Array(16), A, 8, 6, Int32Array.of(0, 0, 8, 6), new Float64Array(96))).toThrow(/opElasticWindow.*kernel/)
    expect(() => k.opElasticWindow(state, g, new Float64Array(6), 8, 6, Int32Array.of(0, 0, 8, 6), new Float64Array(96))).toThrow(/opElasticWindow.*affine/)
    expect(() => k.opAreaReduce(new Uint8Array(12), 2, 2, 2, 2, new Uint8Array(4))).toThrow(/opAreaReduce.*reduced/)
  })
})

describe('kernels 3: grid, optical and perspective fields as formulas, close to the kernels-2 maps they replace', () => {
  // Read through a crop the points are pixel centres, where the formulas give the maps' values (the
  // same bytes); read through a rotation the formula is evaluated at the point instead of interpolating the
  // map's samples bilinearly: for smooth fields the image moves by a fraction of a level.
  const l = pair(151, 117, 8)
  const fields = [
    { type: 'grid_distortion', p: 1, steps: 5, distort: [-0.3, 0.3], fill: 'reflect' },
    { type: 'optical_distortion', p: 1, distort: [-0.3, 0.3], shift: [-0.05, 0.05], fill: 'reflect' },
    { type: 'perspective', p: 1, scale: [0.03, 0.1], fill: 'wrap' },
  ]
  for (const f of fields) {
    it(`${f.type}: after a crop the kernels-2 points exactly; after a rotation the image within 8 levels (mean below 0.25), labels 99% the same`, async () => {
      let max = 0,
        sum = 0,
        n = 0,
        labels = 0
      for (let seed = 0; seed < 3; seed++) {
        for (const turn of [false, true]) {
          const ops = [
            f,
            ...(turn ? [{ type: 'rotate', p: 1, degrees: [-20, 20], fill: 'reflect' }] : []),
            { type: 'random_crop', p: 1, width: 90, height: 70 },
          ]
          const recipe = parseLockstepRecipe({ schema: 'lockstep.recipe/1', output: { width: 90, height: 70 }, ops })
          const p3 = plan(recipe, l, { seed, epoch: 0, sampleId: `k${seed}` }, { labels: l.labels! })
          expect(p3.kernels).toBe(3)
          // kernels 2's field (a map) under kernels 3's sampler: only the field's definition differs
          const { chain: c3 } = stageGeometry(
            p3.steps.map((s) => ({ ...s })),
            l,
            true,
            3,
          ) as { chain: Chain }
          const { chain: c2 } = stageGeometry(
            p3.steps.map((s) => ({ ...s })),
            l,
            true,
            2,
          ) as { chain: Chain }
          const a = chainCoordsJs(c3),
            b = chainCoordsJs({ ...c2, kernels: 3 })
          if (!turn) {
            expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer)), `${f.type} seed ${seed}`).toBe(true)
            continue
          }
          const src = { data: new Uint8Array(l.image.data), left: 0, top: 0, width: l.width, height: l.height, sourceWidth: l.width, sourceHeight: l.height }
          const ia = sampleRgbQJs(c3, a, src, new Uint8Array(90 * 70 * 3)),
            ib = sampleRgbQJs(c3, b, src, new Uint8Array(90 * 70 * 3))
          for (let i = 0; i < ia.length; i++) {
            const d = Math.abs(ia[i] - ib[i])
            max = Math.max(max, d)
            sum += d
            n++
          }
          const lab = { ...src, data: l.labels!.data as Uint8Array }
          const la = sampleLabels(c3, a, lab, 255, new Uint8Array(90 * 70)),
            lb = sampleLabels(c3, b, lab, 255, new Uint8Array(90 * 70))
          labels += la.reduce((m, v, i) => m + (v === lb[i] ? 0 : 1), 0) / la.length / 3
        }
      }
      console.log(
        `${f.type} after a rotation, kernels-3 formula vs kernels-2 map: image max |diff| ${max}, mean ${(sum / n).toFixed(4)}, labels differing ${(labels * 100).toFixed(2)}%`,
      )
      expect(max).toBeLessThanOrEqual(8)
      expect(sum / n).toBeLessThan(0.25)
      expect(labels).toBeLessThan(0.01)
    })
  }
})
