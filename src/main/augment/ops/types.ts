// What an op is. It samples its parameters once per sample (from its own counter-based stream),
// and declares one of four kinds; the renderer knows these kinds, never an op's name:
//  - affine: a forward affine on the canvas and a new canvas size; adjacent affine ops are fused
//    into one resampling per target (image bilinear, mask nearest);
//  - field: a displacement field (for each output pixel, where it reads in the input canvas),
//    applied to image and mask alike (elastic, grid, optical distortion, perspective);
//  - pixel: changes image pixels only (colour, noise, blur), the mask is never touched;
//  - mask-pixel: changes image pixels and may write into the mask too (dropout writing the
//    ignore index where it dropped pixels).
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

export interface AffineOp<T extends OpType, P extends Params = Params> extends OpCommon<T, P> {
  kind: 'affine'
  /** forward map (old canvas -> new canvas) and the new canvas size */
  transform(params: P, canvas: Size): { forward: Affine; width: number; height: number }
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
  /** in place on the output image */
  image?(params: P, px: Pixels): void
}

export type OpDef<T extends OpType> = AffineOp<T> | PixelOp<T>
/** One definition per op type. */
export type OpTable = { [T in OpType]: OpDef<T> }
/** Any op's definition (a union over the table: each keeps its own spec type). */
export type AnyOp = OpTable[OpType]
export type AnyAffineOp = Extract<AnyOp, { kind: 'affine' }>
export type AnyPixelOp = Extract<AnyOp, { kind: 'pixel' }>
