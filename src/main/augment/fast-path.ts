// The fast path's plan for an output image: when the output is the source region row for row (a
// crop, maybe mirrored) with at most one linear, the native decoders write it directly (from the
// JPEG decode loop, or in one pass over decoded pixels) into a reused scratch buffer; the JS warp
// and table give the same bytes without them.
import type { Rect } from '../io/image'
import { giveScratch, takeScratch, type RowOps } from '../io/native'
import type { Size } from './ops/types'
import { linearLut, singleLinear } from './photometric'
import type { FusedGeometry, Plan } from './plan'
import type { RenderedPair, RenderOptions } from './render'

/** The output is the source region row for row (a crop), maybe each row mirrored (a crop + hflip). */
export function windowRows(g: FusedGeometry, region: Rect): { flop: boolean } | null {
  const [a, b, , d, e] = g.toSource
  if (b !== 0 || d !== 0 || e !== 1 || (a !== 1 && a !== -1)) return null
  return region.width === g.width && region.height === g.height ? { flop: a === -1 } : null
}

/** How an output's image is made from its source region (the same for both render paths). */
export interface ImageWork {
  /** the plan's one linear (singleLinear), or undefined: its per-op photometric steps */
  linear: [number, number] | null | undefined
  /** the output is the region row for row: what a native pass does to each row */
  rows: RowOps | null
  /** a reused buffer for output pixels bound only for the encoder (given back after finish) */
  scratch?: Buffer
}

export function imageWork(plan: Plan, g: FusedGeometry, source: Size, region: Rect | null, out: RenderOptions): ImageWork {
  const linear = singleLinear(plan, g, source)
  const window = linear !== undefined && region ? windowRows(g, region) : null
  if (!window || !region) return { linear, rows: null }
  const rows = { flop: window.flop, lut: linear ? linearLut(linear) : null }
  return { linear, rows, scratch: out.raw ? undefined : takeScratch(region.width * region.height * 3) }
}

/** Runs the finish, then gives the work's scratch buffer back. */
export async function finishing(work: ImageWork, f: () => Promise<RenderedPair>): Promise<RenderedPair> {
  try {
    return await f()
  } finally {
    if (work.scratch) giveScratch(work.scratch)
  }
}
