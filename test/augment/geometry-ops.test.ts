// Geometry after op kinds: fill modes and displacement fields against OpenCV (cv2.warpAffine /
// cv2.remap with the same matrix or map and border mode), masks following the image (shapes keep
// their class, labels stay within the source's ∪ the ignore index), dropout's mask rule, the
// authored order (stages), and the prefilter below half size.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadPair, parseRecipe, plan, renderFromFiles, renderLoaded, type LoadedPair, type Plan } from '../../src/main/augment'
import { OPS } from '../../src/main/augment/ops'
import type { FillMode } from '../../src/main/augment/ops/types'
import { stagesOf } from '../../src/main/augment/stages'
import { defaultOp, OP_TYPES, type OpType } from '../../src/shared/recipe'
import { classOfColour, writePair, type WrittenPair } from '../fixtures/pairs'
import { cv2Run, hasCv2 } from '../support/cv2'

let dir: string
let pair: WrittenPair
let loaded: LoadedPair
const W = 120,
  H = 90
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lockstep-geomops-'))
  pair = await writePair(dir, 'p', { width: W, height: H, seed: 9, image: 'png' })
  loaded = await loadPair({ image: pair.image, mask: pair.mask })
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const IGNORE = 255
const v2 = (steps: Plan['steps'], output = { width: W, height: H }): Plan => ({
  schema: 'lockstep.plan/2',
  key: { seed: 0, epoch: 0, sampleId: 'p' },
  source: { width: W, height: H },
  output,
  ignoreIndex: IGNORE,
  steps,
})
const raw = async (p: Plan) => (await renderLoaded(p, loaded, { raw: true })).raw!
const bytes = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.length)
const srcIn = () => ({ rgb: { data: new Uint8Array(loaded.image.data), shape: [H, W, 3] }, lab: { data: loaded.labels!.data as Uint8Array, shape: [H, W] } })
const BORDER: Record<FillMode, string> = {
  constant: 'cv2.BORDER_CONSTANT',
  edge: 'cv2.BORDER_REPLICATE',
  reflect: 'cv2.BORDER_REFLECT_101',
  symmetric: 'cv2.BORDER_REFLECT',
  wrap: 'cv2.BORDER_WRAP',
}

/** Mean absolute difference, and the fraction of values that differ by more than `tol`. */
function compare(a: Uint8Array, b: Uint8Array, tol = 2) {
  let sum = 0,
    far = 0
  a.forEach((v, i) => {
    const d = Math.abs(v - b[i])
    sum += d
    if (d > tol) far++
  })
  return { mean: sum / a.length, far: far / a.length }
}
const fractionDiffering = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let n = 0
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++
  return n / a.length
}
/** Output pixels whose image colour says another class than the label (fill and ignore excluded). */
function misaligned(r: { image: Uint8Array; labels: Uint8Array | Uint16Array | null }) {
  let bad = 0,
    n = 0
  for (let i = 0; i < r.labels!.length; i++) {
    const k = classOfColour(r.image[i * 3], r.image[i * 3 + 1], r.image[i * 3 + 2])
    if (k < 0 || r.labels![i] === IGNORE) continue
    n++
    if (k !== r.labels![i]) bad++
  }
  return bad / Math.max(1, n)
}
const sourceLabels = () => new Set([...new Set(loaded.labels!.data)])

describe.skipIf(!hasCv2)('fill modes against cv2.warpAffine', () => {
  for (const mode of ['constant', 'edge', 'reflect', 'symmetric', 'wrap'] as FillMode[]) {
    it(`${mode}: the image within OpenCV's rounding, the mask follows the same mapping`, async () => {
      const params = { degrees: 27, scale: 0.8, dx: 9, dy: -6, ...(mode === 'constant' ? {} : { fill: mode }) }
      const r = await raw(v2([{ op: 0, type: 'affine', params }]))
      const def = OPS.affine
      if (def.kind !== 'affine') throw new Error('not an affine op')
      const f = def.transform(params, { width: W, height: H }).forward
      // index coordinates: T(-0.5) F T(0.5)
      const M = [f[0], f[1], f[2] + 0.5 * (f[0] + f[1]) - 0.5, f[3], f[4], f[5] + 0.5 * (f[3] + f[4]) - 0.5]
      const cv = cv2Run(
        `M = np.array(${JSON.stringify(M)}, dtype=np.float64).reshape(2, 3)
out['img'] = cv2.warpAffine(rgb, M, (${W}, ${H}), flags=cv2.INTER_LINEAR, borderMode=${BORDER[mode]}, borderValue=0)
out['lab'] = cv2.warpAffine(lab, M, (${W}, ${H}), flags=cv2.INTER_NEAREST, borderMode=${BORDER[mode]}, borderValue=${IGNORE})`,
        srcIn(),
      )
      const c = compare(r.image, bytes(cv.img.bytes))
      expect(c.mean).toBeLessThan(1.5)
      expect(c.far).toBeLessThan(0.02)
      expect(fractionDiffering(r.labels!, bytes(cv.lab.bytes))).toBeLessThan(0.01)
      expect(misaligned(r)).toBeLessThan(0.04)
      const labels = new Set(r.labels)
      for (const v of labels) expect(sourceLabels().has(v) || v === IGNORE).toBe(true)
      if (mode !== 'constant') expect(labels.has(IGNORE)).toBe(false)
    })
  }
})

describe.skipIf(!hasCv2)('displacement fields against cv2.remap with the same map', () => {
  const cases: Array<[OpType, Record<string, unknown>]> = [
    ['elastic', { alpha: 40, sigma: 5, seed: 3, jitter: [2, -1, 0.5, 3, -2, 1], fill: 'reflect' }],
    ['grid_distortion', { cells: 5, xsteps: [1.2, 0.8, 1.1, 0.9, 1.25, 1], ysteps: [0.7, 1.3, 1, 1.1, 0.9, 1.2], fill: 'edge' }],
    ['optical_distortion', { k: 0.4, dx: 3, dy: -2, fill: 'reflect' }],
    ['perspective', { corners: [0.05, 0.1, 0.9, 0.02, 0.97, 0.85, 0.12, 0.93] }],
  ]
  for (const [type, params] of cases) {
    for (const kernels of [1, 3] as const)
      it(`${type}, kernels ${kernels}: image within OpenCV's rounding, mask by the same field (nearest), shapes keep their class`, async () => {
        const p = v2([{ op: 0, type, params: params as never }])
        const r = await raw(kernels === 3 ? { ...p, kernels } : p)
        const def = OPS[type]
        if (def.kind !== 'field') throw new Error('not a field op')
        const f = def.field(params as never, { width: W, height: H }, kernels)
        const mx = new Float32Array(W * H),
          my = new Float32Array(W * H)
        for (let i = 0; i < W * H; i++) {
          mx[i] = f.map[i * 2] - 0.5
          my[i] = f.map[i * 2 + 1] - 0.5
        }
        const mode = (params.fill as FillMode | undefined) ?? 'constant'
        const cv = cv2Run(
          `mx = mx.reshape(${H}, ${W}); my = my.reshape(${H}, ${W})
out['img'] = cv2.remap(rgb, mx, my, cv2.INTER_LINEAR, borderMode=${BORDER[mode]}, borderValue=0)
out['lab'] = cv2.remap(lab, mx, my, cv2.INTER_NEAREST, borderMode=${BORDER[mode]}, borderValue=${IGNORE})`,
          { ...srcIn(), mx: { data: mx, shape: [W * H] }, my: { data: my, shape: [W * H] } },
        )
        const c = compare(r.image, bytes(cv.img.bytes))
        expect(c.mean).toBeLessThan(1.5)
        expect(c.far).toBeLessThan(0.03)
        expect(fractionDiffering(r.labels!, bytes(cv.lab.bytes))).toBeLessThan(0.01)
        expect(misaligned(r)).toBeLessThan(0.05)
        for (const v of new Set(r.labels)) expect(sourceLabels().has(v) || v === IGNORE).toBe(true)
      })
  }
})

describe('dropout: the image gets the fill value, the mask keeps its labels or gets the ignore index', () => {
  for (const rule of ['keep', 'ignore'] as const) {
    it(`mask rule ${rule}`, async () => {
      const holes = [5, 7, 25, 20, 60, 50, 80, 90, -3, 80, 10, 95]
      const r = await raw(v2([{ op: 0, type: 'coarse_dropout', params: { holes, fillValue: 9, mask: rule } }]))
      const base = await raw(v2([]))
      const inHole = (x: number, y: number) => {
        for (let k = 0; k < holes.length; k += 4) if (x >= holes[k] && y >= holes[k + 1] && x < holes[k + 2] && y < holes[k + 3]) return true
        return false
      }
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const i = y * W + x
          if (inHole(x, y)) {
            expect([r.image[i * 3], r.image[i * 3 + 1], r.image[i * 3 + 2]]).toEqual([9, 9, 9])
            expect(r.labels![i]).toBe(rule === 'ignore' ? IGNORE : base.labels![i])
          } else {
            expect(r.image[i * 3]).toBe(base.image[i * 3])
            expect(r.labels![i]).toBe(base.labels![i])
          }
        }
      }
    })
  }

  it('grid dropout drops a square of every cell, the same squares in image and mask', async () => {
    const r = await raw(v2([{ op: 0, type: 'grid_dropout', params: { unit: 20, hole: 8, shiftX: 3, shiftY: 5, fillValue: 0, mask: 'ignore' } }]))
    for (let i = 0; i < W * H; i++) {
      const x = i % W,
        y = Math.floor(i / W)
      const dropped = (x - 3) % 20 >= 0 && (x - 3) % 20 < 8 && x >= 3 && (y - 5) % 20 >= 0 && (y - 5) % 20 < 8 && y >= 5
      expect(r.labels![i] === IGNORE, `pixel ${x},${y}`).toBe(dropped)
      if (dropped) expect(r.image[i * 3]).toBe(0)
    }
  })
})

describe('authored order (lockstep.plan/2 stages)', () => {
  it('noise before a rotation is applied before it: the rotation resamples the noisy canvas', async () => {
    const noise = { op: 0, type: 'gaussian_noise' as const, params: { std: 20, perChannel: true, seed: 4 } }
    const rot = { op: 1, type: 'rotate' as const, params: { degrees: 20 } }
    const ordered = await raw(v2([noise, rot]))
    // by hand: noise on the whole source, then the rotation from that canvas
    const noisy = await raw(v2([noise]))
    const canvas: LoadedPair = { ...loaded, image: { width: W, height: H, data: Buffer.from(noisy.image) } }
    const byHand = (await renderLoaded(v2([rot]), canvas, { raw: true })).raw!
    expect(Buffer.from(ordered.image).equals(Buffer.from(byHand.image))).toBe(true)
    // a lockstep.plan/1 plan of the same steps keeps its meaning: geometry first, then the noise
    const v1 = (await renderLoaded({ ...v2([noise, rot]), schema: 'lockstep.plan/1' }, loaded, { raw: true })).raw!
    expect(Buffer.from(v1.image).equals(Buffer.from(ordered.image))).toBe(false)
    expect(Buffer.from(v1.labels!).equals(Buffer.from(ordered.labels!))).toBe(true)
  })

  it('per-pixel steps before copying geometry join its stage (same bytes, geometry still fused); before resampling they do not', () => {
    const bright = { op: 0, type: 'brightness' as const, params: { beta: 0.1 } }
    const crop = { op: 1, type: 'random_crop' as const, params: { x: 10, y: 5, width: 60, height: 40 } }
    const flip = { op: 2, type: 'hflip' as const, params: {} }
    const rot = { op: 3, type: 'rotate' as const, params: { degrees: 10 } }
    const one = stagesOf(v2([bright, crop, flip], { width: 60, height: 40 }))
    expect(one.map((s) => [s.geometry.map((g) => g.type), s.pixels.map((p) => p.type)])).toEqual([[['random_crop', 'hflip'], ['brightness']]])
    const two = stagesOf(v2([bright, rot, crop]))
    expect(two.map((s) => [s.geometry.map((g) => g.type), s.pixels.map((p) => p.type)])).toEqual([
      [[], ['brightness']],
      [['rotate', 'random_crop'], []],
    ])
    // a crop that pads with the constant fill is not a pure copy: brightness of the fill would differ
    const pad = { op: 1, type: 'pad_if_needed' as const, params: { x: -5, y: -5, width: 130, height: 100 } }
    expect(stagesOf(v2([bright, pad], { width: 130, height: 100 })).length).toBe(2)
  })

  it('the implicit resize to the output size belongs to the geometry: pixel steps after it run at the output size', () => {
    const r = parseRecipe({ schema: 'lockstep.recipe/1', output: { width: 50, height: 40 }, ops: [{ type: 'rotate' }, { type: 'gaussian_noise' }] })
    const p = plan(r, loaded, { seed: 1, epoch: 0, sampleId: 'p' })
    expect(p.steps.map((s) => s.type)).toEqual(['rotate', 'resize', 'gaussian_noise'])
    expect(stagesOf(p).length).toBe(1)
  })
})

describe('zoom and resize below half size read an area-averaged image; masks stay nearest', () => {
  it.skipIf(!hasCv2)('a 4x reduction = cv2.resize INTER_AREA for the image (byte for byte), nearest for the mask', async () => {
    const steps: Plan['steps'] = [
      { op: 0, type: 'random_crop', params: { x: 0, y: 0, width: 120, height: 88 } },
      { op: 1, type: 'resize', params: { width: 30, height: 22 } },
    ]
    const r = await raw(v2(steps, { width: 30, height: 22 }))
    const cv = cv2Run(`out['img'] = cv2.resize(rgb[:88], (30, 22), interpolation=cv2.INTER_AREA)`, srcIn())
    const c = compare(r.image, bytes(cv.img.bytes), 0)
    expect(c.far).toBe(0)
    // kernels 3 fold the area average into the axis taps: a whole-block reduction is still INTER_AREA's
    const r3 = await raw({ ...v2(steps, { width: 30, height: 22 }), kernels: 3 })
    expect(compare(r3.image, bytes(cv.img.bytes), 0).far).toBe(0)
    expect(Buffer.from(r3.labels!).equals(Buffer.from(r.labels!))).toBe(true)
    const plainBilinear = await renderLoaded({ ...v2(steps, { width: 30, height: 22 }), schema: 'lockstep.plan/1' }, loaded, { raw: true })
    // the old plan keeps its aliasing bilinear read (replays byte for byte); the new one is closer to the area average
    expect(compare(plainBilinear.raw!.image, bytes(cv.img.bytes), 1).mean).toBeGreaterThan(c.mean)
    for (const v of new Set(r.labels)) expect(sourceLabels().has(v)).toBe(true)
  })
})

describe('every op: both render paths, JSON replay, determinism, labels within the source ∪ ignore', () => {
  const spec = (t: OpType) => ({
    ...defaultOp(t),
    p: 1,
    ...(/crop|resize/.test(t) ? { width: 64, height: 48 } : t === 'pad_if_needed' ? { minWidth: 130, minHeight: 100 } : {}),
  })
  for (const t of OP_TYPES) {
    it(t, async () => {
      const r = parseRecipe({ schema: 'lockstep.recipe/1', output: { width: 64, height: 48 }, ops: [spec(t)] })
      const key = { seed: 11, epoch: 0, sampleId: 'p' }
      const p = plan(r, loaded, key, { labels: loaded.labels! })
      expect(plan(r, loaded, key, { labels: loaded.labels! })).toEqual(p)
      const a = (await renderLoaded(p, loaded, { raw: true })).raw!
      const b = (await renderFromFiles(JSON.parse(JSON.stringify(p)) as Plan, { image: pair.image, mask: pair.mask }, { raw: true })).raw!
      expect(Buffer.from(a.image).equals(Buffer.from(b.image))).toBe(true)
      expect(Buffer.from(a.labels!).equals(Buffer.from(b.labels!))).toBe(true)
      for (const v of new Set(a.labels)) expect(sourceLabels().has(v) || v === IGNORE).toBe(true)
      if (OPS[t].kind === 'affine' || OPS[t].kind === 'field') expect(misaligned(a)).toBeLessThan(0.06)
      if (OPS[t].kind === 'pixel')
        expect(Buffer.from(a.labels!).equals(Buffer.from((await raw({ ...p, steps: p.steps.filter((s) => s.type !== t) })).labels!))).toBe(true)
    })
  }
})
