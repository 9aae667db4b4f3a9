// What an op is. It samples its parameters once per sample (from its own counter-based stream),
// and declares one of four kinds; the renderer knows these kinds, never an op's name:
//  - affine: a forward affine on the canvas and a new canvas size; adjacent affine ops are fused
//    into one resampling per target (image bilinear, mask nearest);
//  - field: a displacement field (for each output pixel, where it reads in the input canvas),
//    applied to image and mask alike (elastic, grid, optical distortion, perspective);
//  - pixel: changes image pixels only (colour, noise, blur), the mask is never touched;
//  - mask-pixel: changes image pixels and may write into the mask too (dropout writing the
//    ignore index where it dropped pixels).
// Steps apply in the authored order; adjacent geometric steps are fused into one resampling.
// An op's parameters are typed by the op (P, plain JSON recorded in the plan); its recipe spec
// is typed from its schema entry (OpOf<T>).
import type { OpOf, OpType } from '../../../shared/recipe'
import type { Labels } from '../../io/labels'
import type { Affine } from '../affine'
import type { Rng } from '../rng'

export type ParamValue = number | boolean | string | number[]
/** A plan step's parameters: plain JSON. */
export type Params = { [name: string]: ParamValue }

export interface Size {
  width: number
  height: number
}

export interface SampleMeta {
  /** the canvas this op sees (after the geometric ops before it) */
  canvas: Size
  source: Size
  output: Size
  ignoreIndex: number
  /** maps canvas coordinates to source coordinates (the affine ops so far; a field op breaks it) */
  toSource: Affine
  /** the decoded source mask, given only when an op of the recipe declares needsLabels */
  labels?: Labels
}

export interface Pixels {
  width: number
  height: number
  /** HxWx3 */
  data: Uint8Array
}

/** A label map being rendered (class indices, one per pixel). */
export interface LabelPixels {
  width: number
  height: number
  data: Uint8Array | Uint16Array
}

interface OpCommon<T extends OpType, P extends Params> {
  type: T
  sample(rng: Rng, spec: OpOf<T>, meta: SampleMeta): P
  /** sampling needs the decoded source mask (the plan is then made from a decoded pair) */
  needsLabels?: true
  /**
   * rendering is a copy of source pixels or one table lookup per value: an export of such ops
   * only does little JS work per output, so worker threads would cost more than they give
   */
  light?: true
}

/**
 * What a geometric op shows where it reads outside its input canvas: constant (image 0, mask
 * ignoreIndex), edge (the nearest edge pixel), reflect (mirrored without repeating the edge pixel:
 * OpenCV BORDER_REFLECT_101, NumPy 'reflect'), symmetric (mirrored with it: BORDER_REFLECT, NumPy
 * 'symmetric', Keras/SciPy 'reflect') or wrap. The mask follows the same mapping.
 */
export type FillMode = 'constant' | 'edge' | 'reflect' | 'symmetric' | 'wrap'
export const FILL_MODES: readonly FillMode[] = ['constant', 'edge', 'reflect', 'symmetric', 'wrap']

/** Every geometric op's params may carry `fill` (absent: constant, as every plan before fill modes). */
export type Geometric = { fill?: FillMode }

/** A geometric op's `fill` as its params record it (nothing for constant, so such plans read as before). */
export const fillParam = (f: FillMode): Geometric => (f === 'constant' ? {} : { fill: f })

/** The fill mode a geometric step's params record. */
export function fillOf(params: Params): FillMode {
  const f = params.fill
  return typeof f === 'string' && (FILL_MODES as readonly string[]).includes(f) ? (f as FillMode) : 'constant'
}

export interface AffineOp<T extends OpType, P extends Params = Params> extends OpCommon<T, P> {
  kind: 'affine'
  /** forward map (old canvas -> new canvas) and the new canvas size */
  transform(params: P, canvas: Size): { forward: Affine; width: number; height: number }
}

/**
 * A displacement field on the op's output canvas: for each output pixel (row-major, pixel centres)
 * the continuous point of the input canvas it shows, as x, y pairs. The output canvas has the
 * input's size unless the op says otherwise.
 */
export interface Field {
  width: number
  height: number
  /** width * height * 2: x, y in input-canvas coordinates (pixel (i, j) covers [i, i+1) x [j, j+1)) */
  readonly map: Float64Array
  /**
   * A field that is cheaper to compute in part: the map with (at least) the pixels [x0, x1) x [y0, y1)
   * computed, the same values as `map` has there; its other values are not to be read. `into`: a
   * w x h x 2 buffer to write them to (the caller's scratch) instead of the field's own.
   */
  region?(x0: number, y0: number, x1: number, y1: number, into?: Float64Array): Float64Array
  /**
   * Kernels 3 and later: the field as a formula evaluated at any point instead of the map's
   * bilinear interpolation (distortion.ts fieldFormulaAt; at pixel centres the map's values).
   */
  readonly formula?: FieldFormula
}

/** A field's formula: grid (0: the column table, then the row table), optical (1: k, cx, cy, ncx, ncy), perspective (2: the homography). */
export interface FieldFormula {
  kind: 0 | 1 | 2
  params: Float64Array
}

export interface FieldOp<T extends OpType, P extends Params = Params> extends OpCommon<T, P> {
  kind: 'field'
  /** `kernels`: the plan's kernel generation (absent: 1), for fields whose definition changed with it */
  field(params: P, canvas: Size, kernels?: KernelGeneration): Field
  /** the output canvas's size, when it is not the input's */
  fieldSize?(params: P, canvas: Size): Size
}

export interface PixelOp<T extends OpType, P extends Params = Params> extends OpCommon<T, P> {
  kind: 'pixel'
  /** a 256-entry lookup table when the op is per-value (fused with neighbouring LUT ops) */
  lut?(params: P): Uint8Array
  /**
   * the op as v -> a*v + b, when it is one: a plan whose pixel ops are all linear may render them
   * as one linear in the decode loop (see photometric.ts singleLinear)
   */
  linear?(params: P): [number, number]
  /** in place on the image (may be asynchronous, e.g. a JPEG round trip) */
  image?(params: P, px: Pixels, ctx?: StepContext): void | Promise<void>
  /**
   * image on the values through the per-value table pre first (the bytes of applying pre, then
   * image), in one pass: the pending table of the table ops before it (photometric.ts applyPixels)
   */
  imageThrough?(params: P, px: Pixels, pre: Uint8Array, ctx?: StepContext): void
  /**
   * each output pixel depends only on the same input pixel's value, not on its position or on
   * other pixels (tables, colour conversions): such an op commutes exactly with geometry that only
   * copies pixels, so it may run after it
   */
  perPixel?: true
}

/** What a pixel step knows of its plan besides its params. */
export interface StepContext {
  ignoreIndex: number
  /** the plan's kernel generation (plan.ts KERNELS): 1 = the float64 algorithms of the first plans, 2 = the integer ones, 3 = 2 plus the integer filters */
  kernels: KernelGeneration
}
/** A plan's kernel generation (plan.ts KERNELS says what each one means). */
export type KernelGeneration = 1 | 2 | 3
/** Context of a mask-aware pixel op. */
export type MaskContext = StepContext

export interface MaskPixelOp<T extends OpType, P extends Params = Params> extends OpCommon<T, P> {
  kind: 'mask-pixel'
  image(params: P, px: Pixels): void
  /** in place on the label map of the same canvas (e.g. the ignore index where pixels were dropped) */
  mask(params: P, labels: LabelPixels, ctx: MaskContext): void
}

export type OpDef<T extends OpType> = AffineOp<T> | FieldOp<T> | PixelOp<T> | MaskPixelOp<T>
/** One definition per op type. */
export type OpTable = { [T in OpType]: OpDef<T> }
/** Any op's definition (a union over the table: each keeps its own spec type). */
export type AnyOp = OpTable[OpType]
export type AnyAffineOp = Extract<AnyOp, { kind: 'affine' }>
export type AnyFieldOp = Extract<AnyOp, { kind: 'field' }>
export type AnyPixelOp = Extract<AnyOp, { kind: 'pixel' }>
export type AnyMaskPixelOp = Extract<AnyOp, { kind: 'mask-pixel' }>
/** Geometric kinds move image and mask alike. */
export const isGeometricKind = (kind: AnyOp['kind']): kind is 'affine' | 'field' => kind === 'affine' || kind === 'field'
