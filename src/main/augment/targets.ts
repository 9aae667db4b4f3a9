// What each target gets from a stage's geometry: the image (bilinear, 0 where the geometry leaves
// no input pixel under a constant fill) and the mask (the same mapping, nearest neighbour,
// ignoreIndex there), then the stage's pixel steps. Both render paths (from a decoded pair, from
// files) end here with the same inputs, so they give the same bytes.
import { isExact } from './affine'
import type { StageGeometry } from './chain'
import type { LabelPixels } from './ops/types'
import { applyLut, applyPixels, linearLut, stepContext } from './photometric'
import { type FusedGeometry, type Plan } from './plan'
import { flatBounds, validRect } from './region'
import type { Stage } from './stages'
import { warpBilinearQ, warpBilinearRgb, warpExact, warpNearest, type SourceView } from './warp'
import { chainCoords, sampledSource, sampleLabels, sampleRgb, warpAxesQ } from './warp-chain'

export type LabelData = Uint8Array | Uint16Array

/** A stage's result: the canvas it wrote. */
export interface Canvas {
  width: number
  height: number
  rgb: Uint8Array
  labels: LabelData | null
}

const labelBuffer = (n: number, depth: 8 | 16): LabelData => (depth === 16 ? new Uint16Array(n) : new Uint8Array(n))

// Output canvases kept between renders. An output bound only for the encoders (no raw pixels or
// labels asked back) is dead once its encodes resolved: its image and label buffers then go back
// here for the next output of the same size. Fresh ones cost more than their page faults: every
// ~32 MB of new ArrayBuffer bytes makes V8 collect the young generation (kExternalMemoryPressure),
// and here each of those collections started a full incremental mark of the heap.
// At most CANVASES_KEPT buffers and CANVAS_BYTES_KEPT bytes in all (the oldest go first): outputs
// of many sizes, or huge ones, are left to the collector rather than held.
const canvases: LabelData[] = []
const CANVASES_KEPT = 12
const CANVAS_BYTES_KEPT = 32 << 20
let keptBytes = 0

function fromPool(depth: 8 | 16, fits: (length: number) => boolean): LabelData | undefined {
  for (let i = canvases.length - 1; i >= 0; i--) {
    const c = canvases[i]
    if (c instanceof Uint16Array === (depth === 16) && fits(c.length)) {
      keptBytes -= c.byteLength
      return canvases.splice(i, 1)[0]
    }
  }
  return undefined
}

/**
 * A zeroed buffer of n values (8-bit, or 16-bit for a 16-bit mask), from the pool when one of
 * that exact size and kind is there. Zeroed: the warps leave outside pixels as a new buffer has them.
 */
export function takeCanvas(n: number, depth: 8): Uint8Array
export function takeCanvas(n: number, depth: 8 | 16): LabelData
export function takeCanvas(n: number, depth: 8 | 16): LabelData {
  return fromPool(depth, (length) => length === n)?.fill(0) ?? labelBuffer(n, depth)
}

/**
 * A buffer of at least n values (at most 2n: a small job does not hold a large one), not zeroed:
 * for a decoder that writes every value of its first n (io/labels readLabelsRegion's `into`).
 */
export function takeRegionBuffer(n: number, depth: 8 | 16): LabelData {
  return fromPool(depth, (length) => length >= n && length <= 2 * n) ?? labelBuffer(n, depth)
}

/** Gives buffers from takeCanvas and takeRegionBuffer back once nothing reads them (the encodes resolved, nothing returned holds them). */
export function giveCanvases(...cs: Array<LabelData | null | undefined>): void {
  for (const c of cs) {
    if (!c || c.byteLength > CANVAS_BYTES_KEPT) continue
    canvases.push(c)
    keptBytes += c.byteLength
    while (keptBytes > CANVAS_BYTES_KEPT || canvases.length > CANVASES_KEPT) keptBytes -= canvases.shift()!.byteLength
  }
}

/** The mask through one affine (lockstep.plan/1's geometry): nearest neighbour, ignoreIndex outside. `buf`: a zeroed output (takeCanvas). */
export function warpLabels(
  plan: Plan,
  g: FusedGeometry,
  lab: SourceView<LabelData> | null,
  depth: 8 | 16,
  buf: LabelData = labelBuffer(g.width * g.height, depth),
): LabelData {
  const { width: W, height: H, toSource } = g
  return isExact(toSource)
    ? warpExact(lab, 1, toSource, W, validRect(g), plan.ignoreIndex, buf)
    : warpNearest(lab, toSource, flatBounds(g), W, H, plan.ignoreIndex, buf)
}

/** The image through one affine: an exact copy or bilinear (fixed point under kernels 2), 0 outside. `rgb`: a zeroed output (takeCanvas). */
export function warpRgb(
  plan: Plan,
  g: FusedGeometry,
  img: SourceView<Uint8Array> | null,
  rgb: Uint8Array = new Uint8Array(g.width * g.height * 3),
): Uint8Array {
  const { width: W, height: H, toSource } = g
  if (isExact(toSource)) return warpExact(img, 3, toSource, W, validRect(g), 0, rgb)
  const fb = flatBounds(g)
  if ((plan.kernels ?? 1) < 2) return warpBilinearRgb(img, toSource, fb, W, H, rgb)
  // an axis-aligned affine (random_resized_crop, a pure scale) separably: warpBilinearQ's bytes
  return (img && warpAxesQ(img, toSource, fb, W, H, rgb)) || warpBilinearQ(img, toSource, fb, W, H, rgb)
}

/**
 * The output image of a one-stage plan: the warp, then the plan's one linear (singleLinear) or,
 * undefined, its pixel steps (mask-aware ones also write `labels`). `into`: a zeroed output (takeCanvas).
 */
export async function renderRgb(
  plan: Plan,
  g: FusedGeometry,
  img: SourceView<Uint8Array> | null,
  linear: [number, number] | null | undefined,
  pixels: Stage['pixels'],
  labels: LabelPixels | null,
  into?: Uint8Array,
): Promise<Uint8Array> {
  const rgb = warpRgb(plan, g, img, into)
  if (linear === undefined) await applyPixels(pixels, { width: g.width, height: g.height, data: rgb }, labels, stepContext(plan))
  else if (linear) applyLut(rgb, linearLut(linear))
  return rgb
}

/** One stage's resampling of image and mask (the chain's points computed once for both, or given). */
export function resample(
  plan: Plan,
  sg: StageGeometry,
  img: SourceView<Uint8Array> | null,
  lab: SourceView<LabelData> | null,
  depth: 8 | 16 | null,
  coords?: Float64Array,
): Canvas {
  if (sg.kind === 'affine') {
    const g = sg.fused
    return { width: g.width, height: g.height, rgb: warpRgb(plan, g, img), labels: depth ? warpLabels(plan, g, lab, depth) : null }
  }
  const c = sg.chain
  const at = coords ?? chainCoords(c)
  const rgb = sampleRgb(c, at, sampledSource(c, img), new Uint8Array(c.width * c.height * 3))
  const labels = depth ? sampleLabels(c, at, lab, plan.ignoreIndex, labelBuffer(c.width * c.height, depth)) : null
  return { width: c.width, height: c.height, rgb, labels }
}

/** A stage's pixel steps on its canvas. */
export async function runPixels(plan: Plan, stage: Stage, canvas: Canvas): Promise<void> {
  const labels = canvas.labels ? { width: canvas.width, height: canvas.height, data: canvas.labels } : null
  await applyPixels(stage.pixels, { width: canvas.width, height: canvas.height, data: canvas.rgb }, labels, stepContext(plan))
}

/** A whole canvas as the next stage's input view. */
export function wholeView<T extends Uint8Array | Uint16Array>(data: T, width: number, height: number): SourceView<T> {
  return { data, left: 0, top: 0, width, height, sourceWidth: width, sourceHeight: height }
}
