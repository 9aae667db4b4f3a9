// The geometry of one stage (adjacent geometric steps), fused:
//  - all affine with constant fills: one affine and the canvases it passed through (FusedGeometry,
//    the kernels every plan used before fill modes and fields, so their bytes never change);
//  - otherwise a chain of links walked back from each output pixel to the input canvas: each link
//    optionally looks the point up in a displacement field, applies an affine, checks the
//    constant-fill canvases it passed, and folds the point into the canvas it lands in by that
//    canvas's fill mode (or marks it as fill). Links whose intermediate canvas needs no fold are
//    merged, so the usual chain (affine + crop + flips, any fill) is one affine per pixel.
// A chain that shrinks the input by 2x or more (zoom or resize below 0.5) reads an area-averaged
// copy of the input (prefilter) instead of aliasing; masks stay nearest on the full input.
import { apply, compose, IDENTITY, invert, type Affine } from './affine'
import { OPS } from './ops'
import { fillOf, type Field, type FillMode, type KernelGeneration, type Size } from './ops/types'
import { fuseAffine, type FusedGeometry, type PlanStep } from './plan'

export interface Bound {
  m: Affine
  w: number
  h: number
}

export interface Link {
  /** looked up first (the link's input coordinates are the field's output canvas) */
  field: Field | null
  /** then this affine, to the canvas the link lands in */
  m: Affine
  /** constant-fill canvases passed on the way, checked on the point after the field */
  bounds: Bound[]
  /** the canvas the link lands in, and how a point outside it is folded */
  w: number
  h: number
  mode: FillMode
}

export interface Chain {
  /** the stage's output size */
  width: number
  height: number
  /** output side first; the last lands in the input canvas */
  links: Link[]
  input: Size
  /** area-average factors (x, y) of the image read, or null */
  prefilter: [number, number] | null
  /** the plan's kernel generation (absent: 1): 3 and later sample the image with integer weights (warp-chain.ts sampleRgbQJs) */
  kernels?: KernelGeneration
}

export type StageGeometry = { kind: 'affine'; fused: FusedGeometry } | { kind: 'chain'; chain: Chain }

/**
 * The geometry of a stage's steps from an input canvas. `ordered`: lockstep.plan/2 (prefilter
 * allowed); `kernels`: the plan's kernel generation (plan.kernels ?? 1).
 */
export function stageGeometry(steps: PlanStep[], input: Size, ordered: boolean, kernels: KernelGeneration = 1): StageGeometry {
  const legacy = steps.every((s) => OPS[s.type].kind === 'affine' && fillOf(s.params) === 'constant')
  if (legacy) {
    const fused = fuseAffine(steps, input)
    if (!ordered || !prefilterOf(fused.toSource)) return { kind: 'affine', fused }
  }
  return { kind: 'chain', chain: buildChain(steps, input, ordered, kernels) }
}

/** Area-average factors for a transform (output -> input) that reads 2 or more input pixels per output pixel. */
export function prefilterOf(m: Affine): [number, number] | null {
  const fx = Math.floor(Math.hypot(m[0], m[1]))
  const fy = Math.floor(Math.hypot(m[3], m[4]))
  return fx >= 2 || fy >= 2 ? [Math.max(1, fx), Math.max(1, fy)] : null
}

/** The canvas size after a list of geometric steps. */
export function canvasAfter(steps: PlanStep[], input: Size): Size {
  let c: Size = { width: input.width, height: input.height }
  for (const s of steps) {
    const d = OPS[s.type]
    if (d.kind === 'affine') {
      const t = d.transform(s.params, c)
      c = { width: t.width, height: t.height }
    } else if (d.kind === 'field') c = d.fieldSize ? d.fieldSize(s.params, c) : c
  }
  return c
}

/** Output pixel centres mapped by m lie strictly inside a w x h canvas (a convex set: its corners suffice). */
function centresInside(m: Affine, W: number, H: number, w: number, h: number): boolean {
  for (const [x, y] of [
    [0.5, 0.5],
    [W - 0.5, 0.5],
    [0.5, H - 0.5],
    [W - 0.5, H - 0.5],
  ] as const) {
    const [u, v] = apply(m, x, y)
    if (!(u >= 0 && v >= 0 && u < w && v < h)) return false
  }
  return true
}

function buildChain(steps: PlanStep[], input: Size, ordered: boolean, kernels: KernelGeneration): Chain {
  // one raw link per step, input side first
  const raw: Link[] = []
  let canvas: Size = { width: input.width, height: input.height }
  for (const s of steps) {
    const d = OPS[s.type]
    const landing = { w: canvas.width, h: canvas.height, mode: fillOf(s.params), bounds: [] }
    if (d.kind === 'affine') {
      const t = d.transform(s.params, canvas)
      raw.push({ field: null, m: invert(t.forward), ...landing })
      canvas = { width: t.width, height: t.height }
    } else if (d.kind === 'field') {
      const f = d.field(s.params, canvas, kernels)
      raw.push({ field: f, m: IDENTITY, ...landing })
      canvas = { width: f.width, height: f.height }
    }
  }
  const W = canvas.width,
    H = canvas.height
  const links: Link[] = []
  for (const r of raw.reverse()) {
    const prev = links[links.length - 1]
    // prev lands in a canvas that r reads: fuse r into prev when no fold can happen there
    const foldFree = prev && (prev.mode === 'constant' || (links.length === 1 && !prev.field && centresInside(prev.m, W, H, prev.w, prev.h)))
    if (prev && !r.field && foldFree) {
      if (prev.mode === 'constant') prev.bounds.push({ m: prev.m, w: prev.w, h: prev.h })
      prev.m = compose(r.m, prev.m)
      prev.w = r.w
      prev.h = r.h
      prev.mode = r.mode
      continue
    }
    links.push({ ...r, bounds: [] })
  }
  // checks the output's pixel centres always pass
  const first = links[0]
  if (first && !first.field) first.bounds = first.bounds.filter((b) => !centresInside(b.m, W, H, b.w, b.h))
  const prefilter = ordered && links.length === 1 && !links[0].field ? prefilterOf(links[0].m) : null
  return { width: W, height: H, links, input: { width: input.width, height: input.height }, prefilter, kernels }
}
