// Pixel steps on a canvas (the mask is touched only by mask-aware steps): per-value ops as
// 256-entry tables (neighbouring tables composed: exactly sequential application with rounding to
// uint8 after each), the others in place, in order. And the one linear: a plan whose pixel ops
// are all linear may apply them as one a*v + b in the decode loop.
import { isExact } from './affine'
import { checkRgb, fast, sameBytes } from './fast'
import { OPS } from './ops'
import { isGeometricKind, type LabelPixels, type MaskContext, type Pixels, type StepContext, type Size } from './ops/types'
import { type FusedGeometry, type Plan, type PlanStep } from './plan'
import { sourceRegion, validRect } from './region'

/** d[i] = l[d[i]] (the native loop when it agrees: a table has one result). */
export function applyLut(d: Uint8Array, l: Uint8Array): void {
  const k = fast('opLut', (k) => {
    const a = checkRgb(7, 5),
      b = a.slice(),
      t = checkRgb(16, 16).subarray(0, 256).reverse()
    applyLutJs(a, t)
    k.opLut(b, t)
    return sameBytes(a, b)
  })
  if (k) k.opLut(d, l)
  else applyLutJs(d, l)
}

/** d[i] = l[d[i]], four bytes per step where the buffer allows (about twice the byte loop here). */
function applyLutJs(d: Uint8Array, l: Uint8Array): void {
  let i = 0
  if (d.byteOffset % 4 === 0) {
    const w = new Uint32Array(d.buffer, d.byteOffset, d.length >>> 2)
    const l1 = new Uint32Array(256),
      l2 = new Uint32Array(256),
      l3 = new Uint32Array(256)
    for (let v = 0; v < 256; v++) {
      l1[v] = l[v] << 8
      l2[v] = l[v] << 16
      l3[v] = (l[v] << 24) >>> 0
    }
    for (let k = 0; k < w.length; k++) {
      const v = w[k]
      w[k] = l[v & 255] | l1[(v >>> 8) & 255] | l2[(v >>> 16) & 255] | l3[v >>> 24]
    }
    i = w.length * 4
  }
  for (; i < d.length; i++) d[i] = l[d[i]]
}

/**
 * Runs pixel steps in order on a canvas: image steps on the pixels, mask-aware steps on the pixels
 * and the labels; neighbouring table steps are composed into one pass.
 */
export async function applyPixels(steps: PlanStep[], px: Pixels, labels: LabelPixels | null, ctx: MaskContext): Promise<void> {
  let lut: Uint8Array | null = null
  const flush = () => {
    if (!lut) return
    applyLut(px.data, lut)
    lut = null
  }
  for (const step of steps) {
    const op = OPS[step.type]
    if (op.kind === 'pixel' && op.lut) {
      const next = op.lut(step.params)
      if (lut) {
        const composed = new Uint8Array(256)
        for (let v = 0; v < 256; v++) composed[v] = next[lut[v]]
        lut = composed
      } else lut = next
    } else if (op.kind === 'pixel' && lut && op.imageThrough) {
      // the pending table read by the op's own pass (the same bytes as flushing it first)
      const pre: Uint8Array = lut
      lut = null
      op.imageThrough(step.params, px, pre, ctx)
    } else if (op.kind === 'pixel') {
      flush()
      await op.image?.(step.params, px, ctx)
    } else if (op.kind === 'mask-pixel') {
      flush()
      op.image(step.params, px)
      if (labels) op.mask(step.params, labels, ctx)
    }
  }
  flush()
}

/** A plan's context for its pixel steps. */
export const stepContext = (plan: Plan): StepContext => ({ ignoreIndex: plan.ignoreIndex, kernels: plan.kernels ?? 1 })

/** Every pixel step of a plan, in order, on its output image (lockstep.plan/1's photometric pass; tests use it). */
export function applyPixelSteps(plan: Plan, px: Pixels): Promise<void> {
  return applyPixels(plan.steps, px, null, stepContext(plan))
}

// ---- the one linear ------------------------------------------------------------------------------
// The common export shape (an exact window, flips/quarter turns, no padding, only pixel ops that
// declare themselves linear: brightness/contrast) applies them as one linear a*v + b with
// libvips' rounding (these plans were rendered by a libvips pipeline before, and their recorded
// plans must replay to the same bytes), instead of the general path's per-op LUTs: at most one
// level apart, and a given plan always takes the same path. Geometry is the exact copy
// (warpExact) on both paths; libvips' flop and linear cost 1.9 and 4.8 ms per 512x512 image where
// these loops cost well under one.

/** The linear [a, b] for a plan that takes one (null: identity), or undefined: the per-op path. */
export function singleLinear(plan: Plan, g: FusedGeometry, source: Size): [number, number] | null | undefined {
  if (!isExact(g.toSource)) return undefined
  let la = 1,
    lb = 0
  for (const s of plan.steps) {
    const op = OPS[s.type]
    if (isGeometricKind(op.kind)) continue
    if (op.kind !== 'pixel' || !op.linear) return undefined
    // v -> a*v + b after the linear so far (brightness: a = 1; contrast: b = 0)
    const [a, b] = op.linear(s.params)
    la = a * la
    lb = a * lb + b
  }
  const v = validRect(g)
  if (v.x0 !== 0 || v.y0 !== 0 || v.x1 !== g.width || v.y1 !== g.height) return undefined // padding: per-op path
  if (!sourceRegion(g, source)) return undefined
  return la === 1 && lb === 0 ? null : [la, lb]
}

/**
 * libvips' linear on 8-bit pixels with 8-bit output, value for value: a*v in float32, plus b in
 * float32, clipped to [0, 255] and truncated (test/augment/render.test.ts pins it against sharp).
 */
export function linearLut([a, b]: [number, number]): Uint8Array {
  const fa = Math.fround(a),
    fb = Math.fround(b)
  const lut = new Uint8Array(256)
  for (let v = 0; v < 256; v++) {
    const t = Math.fround(Math.fround(fa * v) + fb)
    lut[v] = t <= 0 ? 0 : t >= 255 ? 255 : Math.trunc(t)
  }
  return lut
}
