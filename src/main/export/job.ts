// Runs one export, from four parts: the plan of work (./work.ts: order, windows, tasks), the
// render pool (./render-pool.ts: tasks to the renderer, results back in output order, bounded),
// the writer set (./writer-set.ts: one writer per format) and the journal (./journal.ts:
// export.json, manifest.jsonl, resume). The output bytes depend only on the sources, the recipe
// and the options, never on the worker count, timing or a resume.
import { resolve } from 'node:path'
import type { ImageFormat } from '../../shared/contract/vocabulary'
import { LockstepError, toErrorPayload, type ErrorPayload } from '../../shared/errors'
import type { Recipe } from '../../shared/recipe'
import type { FileCheck } from '../catalog/file-checks'
import { lightRecipe } from '../augment/plan'
import { checkFormatOptions, needsOf } from './formats'
import { exportDescriptor, Journal } from './journal'
import type { Normalization } from './normalize'
import type { Slot } from './order'
import { InlineRenderer, WorkerPool, type Renderer } from './pool'
import { cancelledError, RenderFeed, type Ready } from './render-pool'
import type { OutputHashes, RenderSetup } from './render'
import { IMAGE_EXT, type RenderedOutput, type SourcePair } from './types'
import { compareKeys, makeOrder, outputWindow, sortSources } from './work'
import { WriterSet } from './writer-set'

export { LOCKSTEP_VERSION, EXPORT_SCHEMA, exportDescriptor } from './journal'
export { compareKeys, makeOrder, recipeOutputSize, sortSources } from './work'
export { bytesPerOutput } from './formats'

export interface ExportRunOptions {
  sources: SourcePair[]
  recipe: Recipe
  recipeVersionId?: number | null
  seed: number
  epochs: number
  batchSize: number
  stepsPerEpoch?: number
  dropLast: boolean
  imageFormat: ImageFormat
  quality: number
  /** Registered format names (./formats.ts). */
  formats: string[]
  /** Each format's own options, e.g. { webdataset: { samples: 1000 } } (defaults filled in). */
  formatOptions?: Record<string, Record<string, number>>
  out: string
  shard?: { index: number; count: number }
  /** 0 = render on the calling thread. Default: autoWorkers(). */
  workers?: number
  /** Render tasks in flight per worker thread (sharp decodes on libuv's pool meanwhile). Default 2. */
  inflightPerWorker?: number
  /** Class table and featurewise stats for export.json, when a catalog has them. */
  classes?: unknown
  stats?: { mean: number[]; std: number[] } | null
  /** Extra facts about the sources for export.json (e.g. dataset content hashes from a catalog). */
  sourceInfo?: Record<string, unknown>
  /** npy's x as float32, normalised so (see ./normalize.ts); recorded in export.json. */
  normalize?: Normalization | null
  /** Bytes of rendered outputs held for reordering and decode reuse. Default 256 MiB. */
  memoryBudget?: number
  signal?: AbortSignal
  /** The whole-file verdicts the renders computed for a project's files (a project export records them: file_checks). Must not throw. */
  onChecks?: (checks: FileCheck[]) => void
  onProgress?: (p: ExportProgress) => void
  /** Least time between two progress calls (default 100 ms). */
  progressIntervalMs?: number
}

export interface ExportProgress {
  done: number
  total: number
  failed: number
  rate: number
  etaSeconds: number | null
}

export interface FailedSource {
  key: string
  image: string
  mask: string
  error: ErrorPayload
}

export interface ExportSummary {
  out: string
  outputs: number
  written: number
  failedOutputs: number
  failed: FailedSource[]
  /** Outputs already journaled by an earlier, interrupted run of this export. */
  resumed: number
  seconds: number
}

/**
 * Ops that declare their render light (crop, flips, quarter turns, brightness/contrast: copies and one table),
 * raw pixels for npy included (libvips hands them over ready): the JS thread does little more than
 * the mask (a crop of a label map) and the files, so worker threads would add start-up and memory
 * and nothing else (npy, 200 pairs of 1024x768: 2.81 s inline vs 3.11 s with two workers, medians
 * of 3). Anything else (resampling, noise, blur) does pixel work in JS, and several outputs per
 * decoded source (epochs) keep decoded pixels in JS memory: two worker threads spread that over
 * both cores (5 epochs: 10.2 s with two workers vs 11.4 s inline).
 */
/** What autoWorkers does, in words (the CLI's help of --workers auto). */
export const AUTO_WORKERS_RULE =
  '0 when every op declares its render light (crops, flips, 90° turns, brightness/contrast: copies and one table) and each source yields one output (one epoch, no steps past one pass), whatever the formats; else 2'
export function autoWorkers(recipe: Recipe, reusesDecodes = false): number {
  return !reusesDecodes && lightRecipe(recipe) ? 0 : 2
}

/** The renderer for an export: worker threads, or the calling thread (workers 0). */
export function makeRenderer(setup: RenderSetup, workers: number, inflightPerWorker?: number): Renderer {
  return workers === 0
    ? new InlineRenderer(setup, inflightPerWorker ?? (Number(process.env.LOCKSTEP_INFLIGHT) || 4))
    : new WorkerPool(setup, workers, inflightPerWorker ?? (Number(process.env.LOCKSTEP_INFLIGHT) || 2))
}

/** Progress calls at most every `interval` ms (and on demand). */
function progressReporter(o: ExportRunOptions, total: number, resumed: number, t0: number) {
  let last = 0
  return (done: number, failed: number, force = false) => {
    if (!o.onProgress) return
    const now = Date.now()
    if (!force && now - last < (o.progressIntervalMs ?? 100)) return
    last = now
    const seconds = (now - t0) / 1000
    const rate = seconds > 0 ? (done - resumed) / seconds : 0
    o.onProgress({ done, total, failed, rate, etaSeconds: rate > 0 ? (total - done) / rate : null })
  }
}

/** A manifest line: where the output came from, and its plan and files (or why it failed). The stream's records are these lines without files. */
export function manifestLine(
  slot: Slot,
  o: { seed: number },
  source: SourcePair,
  hashes: { image: string; mask: string } | undefined,
  body: { plan: unknown; files?: Record<string, unknown>; sha256?: OutputHashes } | { error: ErrorPayload },
): Record<string, unknown> {
  return {
    ordinal: slot.ordinal,
    epoch: slot.epoch,
    batch: slot.batch,
    index: slot.index,
    draw: slot.draw,
    sampleId: source.key,
    source: { id: source.id ?? null, image: source.imagePath, mask: source.maskPath, imageSha256: hashes?.image ?? null, maskSha256: hashes?.mask ?? null },
    seed: o.seed,
    ...('error' in body
      ? { error: { code: body.error.code, message: body.error.message } }
      : { plan: body.plan, ...(body.files ? { files: body.files } : {}), ...(body.sha256 ? { sha256: body.sha256 } : {}) }),
  }
}

export async function runExport(o: ExportRunOptions): Promise<ExportSummary> {
  const t0 = Date.now()
  const out = resolve(o.out)
  const sources = sortSources(o.sources)
  const formatOptions = checkFormatOptions(o.formats, o.formatOptions)
  if (o.normalize && !needsOf(o.formats).raw) {
    throw new LockstepError(
      'INVALID_INPUT',
      `Normalisation makes float32 batches: it needs a format of raw pixels (npy), and the formats are ${o.formats.join(', ')}`,
    )
  }
  const order = makeOrder({ ...o, formatOptions }, sources.length)
  if (o.signal?.aborted) throw cancelledError(out)

  const journal = await Journal.open(out, exportDescriptor(o, sources, order), order)
  const start = journal.start
  const writers = new WriterSet(
    o.formats,
    { outDir: out, order, epochs: o.epochs, imageFormat: o.imageFormat, imageExt: IMAGE_EXT[o.imageFormat] },
    formatOptions,
  )
  let feed: RenderFeed | null = null
  let ok = false
  let written = 0
  let failedOutputs = 0
  const progress = progressReporter(o, order.length, journal.resumed, t0)
  try {
    await writers.begin({ start, written: (from) => journal.writtenSince(from) })
    const needs = writers.needs
    const setup: RenderSetup = {
      recipe: o.recipe,
      seed: o.seed,
      encoded: needs.encoded ? { format: o.imageFormat, quality: o.quality } : null,
      raw: needs.raw,
      normalize: o.normalize ?? null,
      hashOutputs: true,
    }
    const workers = o.workers ?? autoWorkers(o.recipe, o.epochs > 1 || order.shape.length > sources.length)
    const budget = o.memoryBudget ?? 256 * 2 ** 20
    feed = new RenderFeed(
      {
        sources,
        order,
        renderer: makeRenderer(setup, workers, o.inflightPerWorker),
        window: outputWindow(o, budget),
        budget,
        workers,
        signal: o.signal,
        onChecks: o.onChecks,
      },
      [[start, order.end]],
    )
    progress(start - order.first, 0, true)
    for (let r: Ready | null; (r = await feed.take());) {
      const source = sources[r.slot.sample]
      const hashes = feed.hashes.get(r.slot.sample)
      if (r.item) {
        const output: RenderedOutput = { slot: r.slot, source, hashes: hashes!, plan: r.item.plan, image: r.item.image, mask: r.item.mask, raw: r.item.raw }
        journal.add(manifestLine(r.slot, o, source, hashes, { plan: r.item.plan, files: await writers.write(output), sha256: r.item.sha256 }))
        written++
      } else {
        await writers.skip(r.slot)
        journal.add(manifestLine(r.slot, o, source, hashes, { error: feed.failed.get(r.slot.sample)! }))
        failedOutputs++
      }
      await journal.flush(writers.durableUpTo(), false)
      progress(r.slot.ordinal + 1 - order.first, failedOutputs)
    }
    if (o.signal?.aborted) throw cancelledError(out)
    await writers.end()
    await journal.flush(writers.durableUpTo(), true)
    await journal.sync()
    ok = true
  } finally {
    await feed?.close()
    if (!ok) {
      // Keep every output handed to the writers (batches and tars closed short) and journal it,
      // so a re-run resumes right after it.
      await writers.abort()
      await journal.flush(writers.durableUpTo(), true).catch(() => {})
      await journal.sync().catch(() => {})
      progress(journal.count, failedOutputs, true)
    }
    await journal.close()
  }
  progress(order.length, failedOutputs, true)

  const failed: FailedSource[] = [...feed.failed].map(([i, error]) => {
    const s = sources[i]
    return { key: s.key, image: s.imagePath, mask: s.maskPath, error }
  })
  failed.sort((x, y) => compareKeys(x.key, y.key))
  return { out, outputs: order.length, written, failedOutputs, failed, resumed: journal.resumed, seconds: (Date.now() - t0) / 1000 }
}

export { toErrorPayload }
