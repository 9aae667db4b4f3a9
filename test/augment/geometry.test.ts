// Geometry keeps image and mask in lockstep. Pure crops/pads/flips/quarter turns are checked
// bit-exact against an independent step-by-step reference; rotation/zoom/shift/resize are
// checked by the class the image's colour says versus the label, which may differ only on
// shape edges.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadPair, plan, renderLoaded, type LoadedPair, type Plan } from '../../src/main/augment'
import { parseLockstepRecipe, type OpSpec } from '../../src/shared/recipe'
import { classOfColour, writePair } from '../fixtures/pairs'

let dir: string
let pair: LoadedPair
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lockstep-geom-'))
  const w = await writePair(dir, 'p', { width: 97, height: 61, seed: 3 })
  pair = await loadPair({ image: w.image, mask: w.mask })
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const recipe = (ops: Array<Partial<OpSpec> & { type: OpSpec['type'] }>, output = { width: 40, height: 30 }) =>
  parseLockstepRecipe({ schema: 'lockstep.recipe/1', output, mask: { ignoreIndex: 255 }, ops })

// ---- an independent reference for exact steps: one array operation per step --------------------
interface Arr {
  w: number
  h: number
  ch: number
  d: number[]
}
function refStep(a: Arr, type: string, p: Record<string, unknown>, fill: number): Arr {
  const at = (x: number, y: number, k: number) => (x < 0 || y < 0 || x >= a.w || y >= a.h ? fill : a.d[(y * a.w + x) * a.ch + k])
  const make = (w: number, h: number, f: (x: number, y: number, k: number) => number): Arr => {
    const d: number[] = []
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < a.ch; k++) d.push(f(x, y, k))
    return { w, h, ch: a.ch, d }
  }
  switch (type) {
    case 'random_crop':
    case 'center_crop':
    case 'pad_if_needed':
    case 'crop_non_empty_mask':
      return make(p.width as number, p.height as number, (x, y, k) => at(x + (p.x as number), y + (p.y as number), k))
    case 'hflip':
      return make(a.w, a.h, (x, y, k) => at(a.w - 1 - x, y, k))
    case 'vflip':
      return make(a.w, a.h, (x, y, k) => at(x, a.h - 1 - y, k))
    case 'rot90': {
      const t = p.turns as number
      if (t === 0) return a
      if (t === 2) return make(a.w, a.h, (x, y, k) => at(a.w - 1 - x, a.h - 1 - y, k))
      // clockwise: new (x, y) comes from old (y, h-1-x); anticlockwise: from (w-1-y, x)
      return t === 1 ? make(a.h, a.w, (x, y, k) => at(y, a.h - 1 - x, k)) : make(a.h, a.w, (x, y, k) => at(a.w - 1 - y, x, k))
    }
  }
  throw new Error(`no reference for ${type}`)
}
function reference(pl: Plan, src: Arr, fill: number): Arr {
  return pl.steps.reduce((a, s) => refStep(a, s.type, s.params, fill), src)
}

/** -1 when equal, else the first index that differs (or the shorter length). */
function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length)
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i
  return -1
}

const exactRecipes: Array<[string, ReturnType<typeof recipe>]> = [
  ['random_crop', recipe([{ type: 'random_crop', width: 40, height: 30 }])],
  ['random_crop with padding', recipe([{ type: 'random_crop', width: 120, height: 70 }], { width: 120, height: 70 })],
  ['center_crop', recipe([{ type: 'center_crop', width: 40, height: 30 }])],
  ['pad_if_needed', recipe([{ type: 'pad_if_needed', minWidth: 101, minHeight: 80 }], { width: 101, height: 80 })],
  ['hflip', recipe([{ type: 'hflip' }], { width: 97, height: 61 })],
  ['vflip', recipe([{ type: 'vflip' }], { width: 97, height: 61 })],
  ['rot90 (any turn)', recipe([{ type: 'rot90', turns: [1, 3] }], { width: 61, height: 97 })],
  ['rot90 half turn', recipe([{ type: 'rot90', turns: [2] }], { width: 97, height: 61 })],
  [
    'fused: crop, hflip, rot90, vflip, pad',
    recipe(
      [
        { type: 'random_crop', width: 50, height: 36 },
        { type: 'hflip', p: 0.5 },
        { type: 'rot90', turns: [0, 1, 2, 3] },
        { type: 'vflip', p: 0.5 },
        { type: 'pad_if_needed', minWidth: 52, minHeight: 52 },
      ],
      { width: 52, height: 52 },
    ),
  ],
]

describe('exact geometry (crops, pads, flips, quarter turns)', () => {
  for (const [name, r] of exactRecipes) {
    it(`${name}: image and mask are bit-exact copies of the source`, async () => {
      const planTypes = new Set<string>()
      for (let seed = 0; seed < 6; seed++) {
        const pl = plan(r, pair, { seed, epoch: 0, sampleId: 'p' })
        pl.steps.forEach((s) => planTypes.add(s.type))
        expect(pl.steps.some((s) => s.op === -1)).toBe(false) // every exact chain ends at the output size here
        const out = await renderLoaded(pl, pair, { raw: true })
        const raw = out.raw!
        const refImg = reference(pl, { w: pair.width, h: pair.height, ch: 3, d: Array.from(pair.image.data) }, 0)
        const refMask = reference(pl, { w: pair.width, h: pair.height, ch: 1, d: Array.from(pair.labels!.data) }, 255)
        expect([raw.width, raw.height]).toEqual([refImg.w, refImg.h])
        expect(firstDifference(raw.image, refImg.d)).toBe(-1)
        expect(firstDifference(raw.labels!, refMask.d)).toBe(-1)
        // and the mask labels the image's shapes
        for (let i = 0; i < raw.width * raw.height; i++) {
          const c = classOfColour(raw.image[i * 3], raw.image[i * 3 + 1], raw.image[i * 3 + 2])
          expect(c === -1 ? 255 : c).toBe(raw.labels![i])
        }
      }
      for (const op of r.ops) expect(planTypes.has(op.type)).toBe(true)
    })
  }
})

/** Pixels where the image's colour class and the label disagree, and how many of those are not on a shape edge. */
function agreement(raw: NonNullable<Awaited<ReturnType<typeof renderLoaded>>['raw']>) {
  const { width: W, height: H, image, labels } = raw
  let disagree = 0,
    offEdge = 0,
    fillMismatch = 0,
    labelled = 0
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = y * W + x
      const l = labels![i]
      const black = image[i * 3] === 0 && image[i * 3 + 1] === 0 && image[i * 3 + 2] === 0
      if ((l === 255) !== black) fillMismatch++
      if (l === 255) continue
      labelled++
      const c = classOfColour(image[i * 3], image[i * 3 + 1], image[i * 3 + 2])
      if (c === l) continue
      disagree++
      let edge = false
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx,
            yy = y + dy
          if (xx >= 0 && yy >= 0 && xx < W && yy < H && labels![yy * W + xx] !== l) edge = true
        }
      if (!edge) offEdge++
    }
  }
  return { disagree, offEdge, fillMismatch, labelled }
}

const resampled: Array<[string, ReturnType<typeof recipe>]> = [
  ['rotate', recipe([{ type: 'rotate', degrees: [-40, 40] }], { width: 97, height: 61 })],
  ['scale (zoom)', recipe([{ type: 'scale', factor: [0.6, 1.7] }], { width: 97, height: 61 })],
  [
    'scale (resize canvas)',
    recipe(
      [
        { type: 'scale', factor: [0.5, 2], keepSize: false },
        { type: 'center_crop', width: 48, height: 48 },
      ],
      { width: 48, height: 48 },
    ),
  ],
  ['shift', recipe([{ type: 'shift', x: [-0.3, 0.3], y: [-0.3, 0.3] }], { width: 97, height: 61 })],
  ['affine', recipe([{ type: 'affine' }], { width: 97, height: 61 })],
  ['resize', recipe([{ type: 'resize', width: 150, height: 40 }], { width: 150, height: 40 })],
  ['random_resized_crop', recipe([{ type: 'random_resized_crop', width: 64, height: 64, scale: [0.2, 1] }], { width: 64, height: 64 })],
  [
    'fused: crop, rotate, flip, zoom, shift, rot90',
    recipe(
      [
        { type: 'random_crop', width: 80, height: 56 },
        { type: 'rotate', degrees: [-25, 25] },
        { type: 'hflip', p: 0.5 },
        { type: 'scale', factor: [0.8, 1.3] },
        { type: 'shift', x: [-0.1, 0.1], y: [-0.1, 0.1] },
        { type: 'rot90' },
      ],
      { width: 56, height: 56 },
    ),
  ],
]

describe('resampled geometry (rotation, zoom, shift, resize)', () => {
  for (const [name, r] of resampled) {
    it(`${name}: the mask labels the image's shapes except on shape edges`, async () => {
      for (let seed = 0; seed < 5; seed++) {
        const pl = plan(r, pair, { seed, epoch: 1, sampleId: 'p' })
        const raw = (await renderLoaded(pl, pair, { raw: true })).raw!
        expect([raw.width, raw.height]).toEqual([r.output.width, r.output.height])
        const a = agreement(raw)
        expect(a.fillMismatch).toBe(0) // image fill (black) exactly where the mask says ignoreIndex
        expect(a.offEdge).toBe(0) // every disagreement sits on a shape edge
        expect(a.disagree).toBeLessThanOrEqual(Math.ceil(a.labelled * 0.12))
        // labels are only source classes or the fill
        for (const v of new Set(raw.labels)) expect([0, 1, 2, 3, 4, 255]).toContain(v)
      }
    })
  }

  it('a rotation by 90 degrees through `rotate` matches the exact quarter turn except for rounding', async () => {
    const r1 = recipe([{ type: 'rotate', degrees: [-90, -90] }], { width: 97, height: 61 })
    const r2 = recipe([{ type: 'center_crop', width: 97, height: 61 }], { width: 97, height: 61 })
    const a = (await renderLoaded(plan(r1, pair, { seed: 1, epoch: 0, sampleId: 'p' }), pair, { raw: true })).raw!
    const b = (await renderLoaded(plan(r2, pair, { seed: 1, epoch: 0, sampleId: 'p' }), pair, { raw: true })).raw!
    // rotate -90 (clockwise) about the centre: output (x, y) shows source (cx + (y - cy), cy - (x - cx))
    let same = 0,
      total = 0
    for (let y = 0; y < 61; y++)
      for (let x = 0; x < 97; x++) {
        const sx = Math.floor(48.5 + (y + 0.5 - 30.5)),
          sy = Math.floor(30.5 - (x + 0.5 - 48.5))
        if (sx < 0 || sy < 0 || sx >= 97 || sy >= 61) continue
        total++
        if (a.labels![y * 97 + x] === b.labels![sy * 97 + sx]) same++
      }
    expect(total).toBeGreaterThan(2000)
    expect(same / total).toBeGreaterThan(0.97)
  })
})
