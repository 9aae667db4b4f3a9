// Sampling: recipe + source size + key -> plan. Each op draws from its own counter-based stream
// rngFor(key, opIndex), so a plan depends only on (recipe, source size, key), never on order,
// worker or machine. The plan is plain JSON with concrete numbers and is all rendering needs.
import { LockstepError } from '../../shared/errors'
import type { OpType, Recipe } from '../../shared/recipe'
import type { Labels } from '../io/labels'
import { compose, IDENTITY, invert, type Affine } from './affine'
import { OPS } from './ops'
import type { GeometryOp, Params, Size } from './ops/types'
import { rngFor, type SampleKey } from './rng'

export const PLAN_SCHEMA = 'lockstep.plan/1'

export interface PlanStep {
  /** index of the op in the recipe; -1 for the implicit final resize to the output size */
  op: number
  type: OpType
  params: Params
}

export interface Plan {
  schema: typeof PLAN_SCHEMA
  key: SampleKey
  /** the oriented source size the plan was sampled for */
  source: Size
  output: Size
  ignoreIndex: number
  /** the ops that fired (p), in recipe order, with their sampled parameters */
  steps: PlanStep[]
}

export interface PlanContext {
  /** the decoded source mask; required when the recipe has crop_non_empty_mask */
  labels?: Labels
}

export function needsLabels(recipe: Recipe): boolean {
  return recipe.ops.some((o) => o.type === 'crop_non_empty_mask' && o.enabled !== false && o.p > 0)
}

function isGeometryType(type: OpType): boolean {
  return OPS[type].kind === 'geometry'
}

export function plan(recipe: Recipe, source: Size, key: SampleKey, ctx: PlanContext = {}): Plan {
  let canvas: Size = { width: source.width, height: source.height }
  let toSource: Affine = IDENTITY
  const steps: PlanStep[] = []
  recipe.ops.forEach((spec, index) => {
    if (spec.enabled === false) return
    const rng = rngFor(key, index)
    if (!rng.chance(spec.p)) return
    const def = OPS[spec.type]
    const params = (def.sample as (r: typeof rng, s: typeof spec, m: object) => Params)(rng, spec, {
      canvas,
      source,
      output: recipe.output,
      ignoreIndex: recipe.mask.ignoreIndex,
      toSource,
      labels: ctx.labels,
    })
    steps.push({ op: index, type: spec.type, params })
    if (def.kind === 'geometry') {
      const t = (def as GeometryOp<OpType>).transform(params, canvas)
      toSource = compose(toSource, invert(t.forward))
      canvas = { width: t.width, height: t.height }
    }
  })
  if (canvas.width !== recipe.output.width || canvas.height !== recipe.output.height) {
    steps.push({ op: -1, type: 'resize', params: { width: recipe.output.width, height: recipe.output.height } })
  }
  // Only the size: callers may pass a whole LoadedPair as the source, and a plan must stay small JSON.
  return { schema: PLAN_SCHEMA, key: { seed: key.seed, epoch: key.epoch, sampleId: key.sampleId, ...(key.draw ? { draw: key.draw } : {}) }, source: { width: source.width, height: source.height }, output: { width: recipe.output.width, height: recipe.output.height }, ignoreIndex: recipe.mask.ignoreIndex, steps }
}

export interface CanvasBound {
  /** maps output coordinates to this canvas's coordinates */
  toCanvas: Affine
  width: number
  height: number
}

export interface FusedGeometry {
  /** maps output coordinates to source coordinates */
  toSource: Affine
  width: number
  height: number
  /**
   * Every canvas the chain passed through, the source first. An output point shows the source
   * only if it lies inside all of them: a crop followed by a pad or a rotation shows the fill
   * outside the crop window, not the source pixels beyond it.
   */
  bounds: CanvasBound[]
}

/** Composes every geometric step of a plan into one transform (output -> source) and output size. */
export function fuseGeometry(p: Plan): FusedGeometry {
  let canvas: Size = { width: p.source.width, height: p.source.height }
  const canvases: Size[] = [canvas]
  const forwards: Affine[] = []
  for (const step of p.steps) {
    if (!isGeometryType(step.type)) continue
    const t = (OPS[step.type] as GeometryOp<OpType>).transform(step.params, canvas)
    forwards.push(t.forward)
    canvas = { width: t.width, height: t.height }
    canvases.push(canvas)
  }
  // walk back from the output: output -> canvas k
  let m: Affine = IDENTITY
  const bounds: CanvasBound[] = []
  for (let k = forwards.length - 1; k >= 0; k--) {
    m = compose(invert(forwards[k]!), m)
    bounds.unshift({ toCanvas: m, width: canvases[k]!.width, height: canvases[k]!.height })
  }
  if (bounds.length === 0) bounds.push({ toCanvas: IDENTITY, width: canvas.width, height: canvas.height })
  return { toSource: bounds[0]!.toCanvas, width: canvas.width, height: canvas.height, bounds }
}

/** Checks that a JSON value is a plan this engine can render (plans come back from manifests). */
export function checkPlan(p: unknown): Plan {
  const bad = (why: string) => new LockstepError('INVALID_INPUT', `Invalid plan: ${why}`)
  if (!p || typeof p !== 'object') throw bad('not an object')
  const plan = p as Plan
  if (plan.schema !== PLAN_SCHEMA) throw bad(`expected schema "${PLAN_SCHEMA}", received ${JSON.stringify(plan.schema)}`)
  for (const s of [plan.source, plan.output]) {
    if (!s || !Number.isInteger(s.width) || !Number.isInteger(s.height) || s.width < 1 || s.height < 1) throw bad('source/output sizes must be positive integers')
  }
  if (!Array.isArray(plan.steps)) throw bad('steps must be a list')
  plan.steps.forEach((s, i) => {
    if (!s || typeof s.type !== 'string' || !(s.type in OPS) || !s.params || typeof s.params !== 'object') throw bad(`steps[${i}] has an unknown type ${JSON.stringify(s?.type)}`)
  })
  return plan
}
