// The op registry: every family module lists its ops (each op carries its own type name), and
// this table is built from those lists. Adding an op to a family touches only that module (and
// the op's schema entry, Albumentations mapping and test); the compiler checks below that every
// op type of the schema has exactly one definition.
import type { OpType } from '../../../shared/recipe'
import { BLUR_OPS } from './blur'
import { COLOUR_OPS } from './colour'
import { CROP_OPS } from './crop'
import { DISTORTION_OPS } from './distortion'
import { DROPOUT_OPS } from './dropout'
import { FILTER_OPS } from './filter'
import { GEOMETRY_OPS } from './geometry'
import { HISTOGRAM_OPS } from './histogram'
import { HSV_OPS } from './hsv'
import { NOISE_OPS } from './noise'
import type { AnyOp, OpTable } from './types'

const FAMILIES = [CROP_OPS, GEOMETRY_OPS, DISTORTION_OPS, COLOUR_OPS, HSV_OPS, HISTOGRAM_OPS, NOISE_OPS, DROPOUT_OPS, BLUR_OPS, FILTER_OPS] as const

type Defined = (typeof FAMILIES)[number][number]['type']
/** A compile error here names an op type of the schema that no family defines. */
const everyTypeDefined: [Exclude<OpType, Defined>] extends [never] ? true : Exclude<OpType, Defined> = true
void everyTypeDefined

function table(): OpTable {
  const t: Partial<Record<OpType, AnyOp>> = {}
  for (const op of FAMILIES.flat() as AnyOp[]) {
    if (t[op.type]) throw new Error(`op ${op.type} is defined twice`)
    t[op.type] = op
  }
  return t as OpTable
}

export const OPS: OpTable = table()

/** The definition of one op type (the plan's record names it). */
export function opDef<T extends OpType>(type: T): OpTable[T] {
  return OPS[type]
}

export type * from './types'
