// What an op is: it samples its parameters once per sample (from its own counter-based stream)
// and then either moves the canvas (geometry: a forward affine and a new canvas size, fused with
// every other geometric op into one resampling per target) or changes image pixels in place
// (photometric: image only, so masks are never touched).
import type { OpOf, OpType } from '../../../shared/recipe'
import type { Labels } from '../../io/labels'
import type { Affine } from '../affine'
import type { Rng } from '../rng'

export type Params = Record<string, number | boolean | number[]>

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
  /** maps canvas coordinates to source coordinates */
  toSource: Affine
  /** the decoded source mask, given only when the recipe needs it (crop_non_empty_mask) */
  labels?: Labels
}

export interface Pixels {
  width: number
  height: number
  /** HxWx3 */
  data: Uint8Array
}

export interface GeometryOp<T extends OpType> {
  kind: 'geometry'
  sample(rng: Rng, spec: OpOf<T>, meta: SampleMeta): Params
  /** forward map (old canvas -> new canvas) and the new canvas size */
  transform(params: Params, canvas: Size): { forward: Affine; width: number; height: number }
}

export interface PixelOp<T extends OpType> {
  kind: 'pixel'
  sample(rng: Rng, spec: OpOf<T>, meta: SampleMeta): Params
  /** a 256-entry lookup table when the op is per-value (fused with neighbouring LUT ops) */
  lut?(params: Params): Uint8Array
  /** in place on the output image */
  image?(params: Params, px: Pixels): void
}

export type OpDef<T extends OpType> = GeometryOp<T> | PixelOp<T>
export type OpTable = { [T in OpType]: OpDef<T> }
