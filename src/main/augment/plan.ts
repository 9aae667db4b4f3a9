// Sampling: recipe + source size + key -> plan. Each op draws from its own counter-based stream
// rngFor(key, opIndex), so a plan depends only on (recipe, source size, key), never on order,
// worker or machine. The plan is plain JSON with concrete numbers and is all rendering needs.
//
// Plans record how they render:
//  - lockstep.plan/1 (manifests written before op kinds): every geometric step is fused into one
//    resampling, then every pixel step runs on the output, whatever the authored order;
//  - lockstep.plan/2: steps apply in the authored order (stages, below); adjacent geometric steps
//    are fused, and per-pixel steps may run after geometry that only copies pixels (exact).
import { LockstepError } from '../../shared/errors'
import type { OpType, Recipe } from '../../shared/recipe'
import type { Labels } from '../io/labels'
import { compose, IDENTITY, invert, type Affine } from './affine'
import { OPS } from './ops'
import { isGeometricKind, type AnyAffineOp, type KernelGeneration, type AnyOp, type Params, type SampleMeta, type Size } from './ops/types'
import type { Rng } from './rng'
import { rngFor, type SampleKey } from './rng'

export const PLAN_SCHEMA = 'lockstep.plan/2'
export const PLAN_SCHEMA_V1 = 'lockstep.plan/1'
export type PlanSchema = typeof PLAN_SCHEMA | typeof PLAN_SCHEMA_V1
/**
 * The kernel generation new plans record. 2 = the integer algorithms (fixed-point bilinear
 * resampling, counter-based noise, integer tables: see native/decoders/ops_q.c), exact in JS and C
 * by construction. 3 = kernels 2 plus the integer definitions of the ops whose float64 sums kept
 * them behind OpenCV (each op says what changed under 3; everything else renders as under 2).
 * Plans without it (recorded before) render with the float64 kernels they were made with; every
 * generation replays byte for byte (test/augment/golden/plan1.json, plan2.json).
 */
export const KERNELS = 3

export interface PlanStep {
  /** index of the op in the recipe; -1 for the implicit final resize to the output size */
  op: number
  type: OpType
  params: Params
}

export interface Plan {
  schema: PlanSchema
  key: SampleKey
  /** the oriented source size the plan was sampled for */
  source: Size
  output: Size
  ignoreIndex: number
  /** the kernel generation (KERNELS); absent: the float64 kernels of earlier plans */
  kernels?: Exclude<KernelGeneration, 1>
  /** the ops that fired (p), in recipe order, with their sampled parameters */
  steps: PlanStep[]
}

export interface PlanContext {
  /** the decoded source mask; required when the recipe has crop_non_empty_mask */
  labels?: Labels
}

/** The recipe's ops that can fire (enabled, p > 0), with their definitions. */
function liveOps(recipe: Recipe): AnyOp[] {
  return recipe.ops.filter((o) => o.enabled !== false && o.p > 0).map((o) => OPS[o.type])
}

/** Whether planning needs the decoded source mask (an op declares needsLabels). */
export function needsLabels(recipe: Recipe): boolean {
  return liveOps(recipe).some((d) => d.needsLabels)
}

/** Whether every op that can fire declares its render light (copies and tables: see OpCommon.light). */
export function lightRecipe(recipe: Recipe): boolean {
  return liveOps(recipe).every((d) => d.light)
}

/** The affine definition of a plan step's type, or null for the other kinds. */
export function affineOf(type: OpType): AnyAffineOp | null {
  const d = OPS[type]
  return d.kind === 'affine' ? d : null
}

/** Samples one op: the definition's sample with the spec of its own type (the registry keys them alike). */
function sampleOp(def: AnyOp, rng: Rng, spec: Recipe['ops'][number], meta: SampleMeta): Params {
  return (def.sample as (r: Rng, s: typeof spec, m: SampleMeta) => Params)(rng, spec, meta)
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
    const params = sampleOp(def, rng, spec, { canvas, source, output: recipe.output, ignoreIndex: recipe.mask.ignoreIndex, toSource, labels: ctx.labels })
    steps.push({ op: index, type: spec.type, params })
    if (def.kind === 'affine') {
      const t = def.transform(params, canvas)
      toSource = compose(toSource, invert(t.forward))
      canvas = { width: t.width, height: t.height }
    } else if (def.kind === 'field') {
      // toSource stays the affine part (a field moves points locally; crops after it pick their
      // foreground through the affine steps only)
      canvas = def.fieldSize ? def.fieldSize(params, canvas) : canvas
    }
  })
  if (canvas.width !== recipe.output.width || canvas.height !== recipe.output.height) {
    // the output size is part of the geometry: right after the last geometric step (pixel steps
    // authored after it then run at the output size, as they always did)
    let at = 0
    steps.forEach((s, i) => {
      if (isGeometricKind(OPS[s.type].kind)) at = i + 1
    })
    steps.splice(at, 0, { op: -1, type: 'resize', params: { width: recipe.output.width, height: recipe.output.height } })
  }
  // Only the size: callers may pass a whole LoadedPair as the source, and a plan must stay small JSON.
  return {
    schema: PLAN_SCHEMA,
    key: { seed: key.seed, epoch: key.epoch, sampleId: key.sampleId, ...(key.draw ? { draw: key.draw } : {}) },
    source: { width: source.width, height: source.height },
    output: { width: recipe.output.width, height: recipe.output.height },
    ignoreIndex: recipe.mask.ignoreIndex,
    kernels: KERNELS,
    steps,
  }
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

/** Composes every affine step of a plan into one transform (output -> source) and output size (lockstep.plan/1's geometry). */
export function fuseGeometry(p: Plan): FusedGeometry {
  return fuseAffine(p.steps, p.source)
}

/** Composes affine steps (others are skipped) from a canvas of `input`'s size into one transform and output size. */
export function fuseAffine(steps: PlanStep[], input: Size): FusedGeometry {
  let canvas: Size = { width: input.width, height: input.height }
  const canvases: Size[] = [canvas]
  const forwards: Affine[] = []
  for (const step of steps) {
    const def = affineOf(step.type)
    if (!def) continue
    const t = def.transform(step.params, canvas)
    forwards.push(t.forward)
    canvas = { width: t.width, height: t.height }
    canvases.push(canvas)
  }
  // walk back from the output: output -> canvas k
  let m: Affine = IDENTITY
  const bounds: CanvasBound[] = []
  for (let k = forwards.length - 1; k >= 0; k--) {
    m = compose(invert(forwards[k]), m)
    bounds.unshift({ toCanvas: m, width: canvases[k].width, height: canvases[k].height })
  }
  if (bounds.length === 0) bounds.push({ toCanvas: IDENTITY, width: canvas.width, height: canvas.height })
  return { toSource: bounds[0].toCanvas, width: canvas.width, height: canvas.height, bounds }
}

/** Checks that a JSON value is a plan this engine can render (plans come back from manifests). */
export function checkPlan(p: unknown): Plan {
  const bad = (why: string) => new LockstepError('INVALID_INPUT', `Invalid plan: ${why}`)
  if (!p || typeof p !== 'object') throw bad('not an object')
  const plan = p as Plan
  if (plan.schema !== PLAN_SCHEMA && plan.schema !== PLAN_SCHEMA_V1)
    throw bad(`expected schema "${PLAN_SCHEMA}" (or "${PLAN_SCHEMA_V1}"), received ${JSON.stringify(plan.schema)}`)
  for (const s of [plan.source, plan.output]) {
    if (!s || !Number.isInteger(s.width) || !Number.isInteger(s.height) || s.width < 1 || s.height < 1)
      throw bad('source/output sizes must be positive integers')
  }
  if (plan.kernels !== undefined && plan.kernels !== 2 && plan.kernels !== 3)
    throw bad(`kernels must be 2 or 3 (or absent), received ${JSON.stringify(plan.kernels)}`)
  if (!Array.isArray(plan.steps)) throw bad('steps must be a list')
  plan.steps.forEach((s, i) => {
    if (!s || typeof s.type !== 'string' || !(s.type in OPS) || !s.params || typeof s.params !== 'object')
      throw bad(`steps[${i}] has an unknown type ${JSON.stringify(s?.type)}`)
  })
  return plan
}
