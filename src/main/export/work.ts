// The plan of work of an export: which sources, in which order, cut into render tasks. Pure
// arithmetic over the options and the sorted sources; no file is touched. The export job and the
// stream server both walk it, so a streamed batch is the exported batch.
import { LockstepError } from '../../shared/errors'
import type { Recipe } from '../../shared/recipe'
import { bytesPerOutput, chunkBatchesFor } from './formats'
import { ExportOrder, type Slot } from './order'
import type { SourcePair } from './types'

export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** Sorts by key and rejects duplicate keys (two sources would claim the same output names). */
export function sortSources(sources: SourcePair[]): SourcePair[] {
  const sorted = [...sources].sort((a, b) => compareKeys(a.key, b.key))
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].key === sorted[i - 1].key) {
      throw new LockstepError(
        'INVALID_INPUT',
        `Two sources share the key ${JSON.stringify(sorted[i].key)}: ${sorted[i - 1].imagePath} and ${sorted[i].imagePath}`,
      )
    }
  }
  return sorted
}

/** The output size the recipe promises, if it names one (for budgets and estimates). */
export function recipeOutputSize(recipe: Recipe): { width: number; height: number } {
  const r = recipe as unknown as { output?: { width?: number; height?: number }; ops?: Array<Record<string, unknown>> }
  if (r.output?.width && r.output?.height) return { width: r.output.width, height: r.output.height }
  for (const op of [...(r.ops ?? [])].reverse()) {
    if (typeof op.width === 'number' && typeof op.height === 'number') return { width: op.width, height: op.height }
  }
  return { width: 512, height: 512 }
}

export interface OrderInputs {
  seed: number
  epochs: number
  batchSize: number
  stepsPerEpoch?: number
  dropLast: boolean
  shard?: { index: number; count: number }
  formats: string[]
  recipe: Recipe
  imageFormat: import('../../shared/contract/vocabulary').ImageFormat
  /** Per-format options (e.g. { webdataset: { samples: 1000 } }). */
  formatOptions?: Record<string, Record<string, number>>
}

export function makeOrder(o: OrderInputs, samples: number): ExportOrder {
  return new ExportOrder({
    samples,
    seed: o.seed,
    epochs: o.epochs,
    batchSize: o.batchSize,
    stepsPerEpoch: o.stepsPerEpoch,
    dropLast: o.dropLast,
    shard: o.shard,
    chunkBatches: chunkBatchesFor(o.formats, {
      batchSize: o.batchSize,
      imageFormat: o.imageFormat,
      size: recipeOutputSize(o.recipe),
      options: o.formatOptions ?? {},
    }),
  })
}

/** Outputs taken together when grouping tasks: as many as the memory budget holds (at least a batch). */
export function outputWindow(o: Pick<OrderInputs, 'recipe' | 'formats' | 'imageFormat' | 'batchSize'>, budget: number): number {
  const perOutput = Math.max(1, bytesPerOutput(recipeOutputSize(o.recipe), o.formats, o.imageFormat))
  return Math.max(o.batchSize, Math.min(100_000, Math.floor(budget / perOutput)))
}

/** One render task's worth of work: every output of one source inside a window. */
export interface WorkItem {
  sample: number
  slots: Slot[]
  /** The outputs to render, one per slot: each has its own plan key (epoch, draw). */
  outputs: { ordinal: number; epoch: number; draw: number }[]
}

/**
 * The outputs [from, to) cut into windows of `window` outputs; in each window, one item per
 * source, in order of its first output. A source with several outputs in a window is decoded once.
 */
export function* workItems(order: ExportOrder, from: number, to: number, window: number): Generator<WorkItem> {
  for (let a = from; a < to; a += window) {
    const b = Math.min(to, a + window)
    const groups = new Map<number, Slot[]>()
    for (let i = a; i < b; i++) {
      const s = order.slot(i)
      let g = groups.get(s.sample)
      if (!g) groups.set(s.sample, (g = []))
      g.push(s)
    }
    for (const [sample, slots] of groups) {
      yield { sample, slots, outputs: slots.map((s) => ({ ordinal: s.ordinal, epoch: s.epoch, draw: s.draw })) }
    }
  }
}
