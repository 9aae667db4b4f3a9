// How a plan renders, as stages: each stage resamples once (its adjacent geometric steps, fused)
// and then runs its pixel steps, in order, on that canvas (image, and the mask for mask-aware
// steps). lockstep.plan/1 plans are one stage (all geometry, then all pixel steps: what they
// always meant). lockstep.plan/2 plans follow the authored order: a pixel step authored before a
// geometric one runs before it, except that steps declaring `perPixel` (tables, colour
// conversions) run after geometry that only copies pixels, since that gives the same bytes and
// keeps the geometry fused (and the crop-first fast paths open).
import { isExact } from './affine'
import { canvasAfter } from './chain'
import { OPS } from './ops'
import { fillOf, isGeometricKind, type Size } from './ops/types'
import { fuseAffine, PLAN_SCHEMA_V1, type Plan, type PlanStep } from './plan'
import { validRect } from './region'

export interface Stage {
  /** fused into one resampling (empty: the canvas as it is) */
  geometry: PlanStep[]
  /** pixel and mask-pixel steps, in order, on the stage's output canvas */
  pixels: PlanStep[]
  /** the canvas the stage reads */
  input: Size
  /** the canvas it writes */
  output: Size
}

const geometric = (s: PlanStep) => isGeometricKind(OPS[s.type].kind)
const perPixel = (s: PlanStep) => {
  const d = OPS[s.type]
  return d.kind === 'pixel' && d.perPixel === true
}

/** Geometry whose every output pixel is a copy of one input pixel (no fill of its own colour). */
function copiesPixels(steps: PlanStep[], input: Size): boolean {
  if (!steps.every((s) => OPS[s.type].kind === 'affine')) return false
  const g = fuseAffine(steps, input)
  if (!isExact(g.toSource)) return false
  if (steps.every((s) => fillOf(s.params) !== 'constant')) return true
  const v = validRect(g)
  return v.x0 === 0 && v.y0 === 0 && v.x1 === g.width && v.y1 === g.height
}

export function stagesOf(plan: Plan): Stage[] {
  const source = plan.source
  if (plan.schema === PLAN_SCHEMA_V1) {
    const geometry = plan.steps.filter(geometric)
    return [{ geometry, pixels: plan.steps.filter((s) => !geometric(s)), input: source, output: canvasAfter(geometry, source) }]
  }
  const runs: Array<{ geometry: PlanStep[]; pixels: PlanStep[] }> = [{ geometry: [], pixels: [] }]
  for (const s of plan.steps) {
    const cur = runs[runs.length - 1]
    if (!geometric(s)) cur.pixels.push(s)
    else if (cur.pixels.length) runs.push({ geometry: [s], pixels: [] })
    else cur.geometry.push(s)
  }
  const stages: Stage[] = []
  let input: Size = source
  for (const r of runs) {
    const prev = stages[stages.length - 1]
    if (prev && prev.pixels.every(perPixel) && copiesPixels(r.geometry, prev.output)) {
      // the per-pixel steps commute with this copy: one resampling for both runs' geometry
      prev.geometry.push(...r.geometry)
      prev.pixels.push(...r.pixels)
      prev.output = canvasAfter(prev.geometry, prev.input)
      input = prev.output
      continue
    }
    const output = canvasAfter(r.geometry, input)
    stages.push({ geometry: r.geometry, pixels: r.pixels, input, output })
    input = output
  }
  return stages
}
