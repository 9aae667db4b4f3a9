// What each target gets from the fused geometry: the image (the warp, then the photometric steps
// or the plan's one linear) and the mask (the same transform, nearest neighbour, ignoreIndex
// outside). Both render paths (from a decoded pair, from files) end here with the same inputs.
import { isExact } from './affine'
import { applyLut, applyPixelSteps, linearLut } from './photometric'
import type { FusedGeometry, Plan } from './plan'
import { flatBounds, validRect } from './region'
import { warpBilinearRgb, warpExact, warpNearest, type SourceView } from './warp'

/** The mask's output: the same transform as the image, nearest neighbour, ignoreIndex outside. */
export function warpLabels(plan: Plan, g: FusedGeometry, lab: SourceView<Uint8Array | Uint16Array> | null, depth: 8 | 16): Uint8Array | Uint16Array {
  const { width: W, height: H, toSource } = g
  const buf = depth === 16 ? new Uint16Array(W * H) : new Uint8Array(W * H)
  return isExact(toSource) ? warpExact(lab, 1, toSource, W, validRect(g), plan.ignoreIndex, buf) : warpNearest(lab, toSource, flatBounds(g), W, H, plan.ignoreIndex, buf)
}

/** The output image: the warp, then the plan's one linear (singleLinear) or, undefined, its per-op photometric steps. */
export function renderRgb(plan: Plan, g: FusedGeometry, img: SourceView<Uint8Array> | null, linear: [number, number] | null | undefined): Uint8Array {
  const { width: W, height: H, toSource } = g
  let rgb: Uint8Array = new Uint8Array(W * H * 3)
  rgb = isExact(toSource) ? warpExact(img, 3, toSource, W, validRect(g), 0, rgb) : warpBilinearRgb(img, toSource, flatBounds(g), W, H, rgb)
  if (linear === undefined) applyPixelSteps(plan, { width: W, height: H, data: rgb })
  else if (linear) applyLut(rgb, linearLut(linear))
  return rgb
}
