// Dropout family (mask-aware pixel ops): rectangles of the canvas filled with a value in the
// image; the mask keeps its labels there ('keep') or gets the ignore index ('ignore'), so a loss
// that skips the ignore index does not learn from pixels the network cannot see.
import type { LabelPixels, MaskContext, MaskPixelOp, Pixels } from './types'

type Rule = 'keep' | 'ignore'

/** Fills [x1, y1, x2, y2, ...] rectangles (clipped to the canvas) of an interleaved buffer with `v`. */
function fillRects(data: Uint8Array | Uint16Array, w: number, h: number, ch: number, rects: number[], v: number): void {
  for (let k = 0; k < rects.length; k += 4) {
    const x1 = Math.max(0, rects[k]),
      y1 = Math.max(0, rects[k + 1])
    const x2 = Math.min(w, rects[k + 2]),
      y2 = Math.min(h, rects[k + 3])
    if (x2 <= x1) continue
    for (let y = y1; y < y2; y++) data.fill(v, (y * w + x1) * ch, (y * w + x2) * ch)
  }
}

const dropImage = (px: Pixels, rects: number[], value: number) => fillRects(px.data, px.width, px.height, 3, rects, value)
function dropMask(labels: LabelPixels, rects: number[], rule: Rule, ctx: MaskContext): void {
  if (rule === 'ignore') fillRects(labels.data, labels.width, labels.height, 1, rects, ctx.ignoreIndex)
}

type Coarse = { holes: number[]; fillValue: number; mask: Rule }

/** Albumentations CoarseDropout: n holes of random size (pixels, or fractions of the canvas) at random places inside it. */
export const coarseDropout: MaskPixelOp<'coarse_dropout', Coarse> = {
  type: 'coarse_dropout',
  kind: 'mask-pixel',
  sample(rng, spec, meta) {
    const { width: W, height: H } = meta.canvas
    const n = rng.int(spec.holes[0], spec.holes[1])
    const side = (r: [number, number], full: number) =>
      Math.min(full, spec.units === 'fraction' ? Math.trunc(full * rng.uniform(r[0], r[1])) : rng.int(Math.round(r[0]), Math.round(r[1])))
    const holes: number[] = []
    for (let i = 0; i < n; i++) {
      const hh = side(spec.height, H),
        hw = side(spec.width, W)
      const y1 = rng.int(0, H - hh),
        x1 = rng.int(0, W - hw)
      holes.push(x1, y1, x1 + hw, y1 + hh)
    }
    return { holes, fillValue: spec.fillValue, mask: spec.mask }
  },
  image: (p, px) => dropImage(px, p.holes, p.fillValue),
  mask: (p, labels, ctx) => dropMask(labels, p.holes, p.mask, ctx),
}

type Grid = { unit: number; hole: number; shiftX: number; shiftY: number; fillValue: number; mask: Rule }

/** The holes of a grid dropout on a w x h canvas (Albumentations GridDropout's layout). */
export function gridHoles(p: Grid, w: number, h: number): number[] {
  const out: number[] = []
  for (let i = 0; i <= Math.floor(w / p.unit); i++) {
    for (let j = 0; j <= Math.floor(h / p.unit); j++) {
      const x1 = Math.min(p.shiftX + p.unit * i, w),
        y1 = Math.min(p.shiftY + p.unit * j, h)
      out.push(x1, y1, Math.min(x1 + p.hole, w), Math.min(y1 + p.hole, h))
    }
  }
  return out
}

/** Albumentations GridDropout: a square of `ratio` of each grid cell dropped, the grid offset at random. */
export const gridDropout: MaskPixelOp<'grid_dropout', Grid> = {
  type: 'grid_dropout',
  kind: 'mask-pixel',
  sample(rng, spec, meta) {
    const { width: W, height: H } = meta.canvas
    const unit = Math.max(2, Math.min(rng.int(spec.unit[0], spec.unit[1]), Math.min(W, H)))
    const hole = Math.min(Math.max(Math.trunc(unit * spec.ratio), 1), unit - 1)
    const shiftX = spec.randomOffset ? rng.int(0, unit - hole) : 0
    const shiftY = spec.randomOffset ? rng.int(0, unit - hole) : 0
    return { unit, hole, shiftX, shiftY, fillValue: spec.fillValue, mask: spec.mask }
  },
  image: (p, px) => dropImage(px, gridHoles(p, px.width, px.height), p.fillValue),
  mask: (p, labels, ctx) => dropMask(labels, gridHoles(p, labels.width, labels.height), p.mask, ctx),
}

export const DROPOUT_OPS = [coarseDropout, gridDropout] as const
