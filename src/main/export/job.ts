// Runs one export: order -> render tasks (worker pool, bounded, windowed for decode reuse) ->
// reorder buffer -> writers (in output order) -> manifest journal. The output bytes depend only
// on the sources, the recipe and the options, never on the worker count, timing or a resume.
import { createHash } from 'node:crypto'
import { promises as fsp } from 'node:fs'
import { join, resolve } from 'node:path'
import type { ExportFormat, ImageFormat } from '../../shared/contract/export'
import { LockstepError, toErrorPayload, type ErrorPayload } from '../../shared/errors'
import type { Recipe } from '../../shared/recipe'
import { lightRecipe } from '../augment/plan'
import { ENCODERS_VERSION } from '../io/image'
import { ensureDir, ioError, removePartials, writeAtomic } from './files'
import { ExportOrder, type Slot } from './order'
import { InlineRenderer, WorkerPool, type Renderer } from './pool'
import type { RenderResult, RenderSetup, RenderTask } from './render'
import { IMAGE_EXT, type RenderedOutput, type SourcePair, type Writer, type WriterContext } from './types'
import { FoldersWriter } from './writers/folders'
import { NpyWriter } from './writers/npy'
import { WebDatasetWriter } from './writers/webdataset'

export const LOCKSTEP_VERSION = process.env.LOCKSTEP_VERSION ?? '0.1.0'
export const EXPORT_SCHEMA = 'lockstep.export/1'

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
  formats: ExportFormat[]
  out: string
  shard?: { index: number; count: number }
  /** 0 = render on the calling thread. Default: autoWorkers() (0 for libvips-only recipes, else 2). */
  workers?: number
  /** Render tasks in flight per worker thread (sharp decodes on libuv's pool meanwhile). Default 2. */
  inflightPerWorker?: number
  /** Class table and featurewise stats for export.json, when a catalog has them. */
  classes?: unknown
  stats?: { mean: number[]; std: number[] } | null
  /** Extra facts about the sources for export.json (e.g. dataset content hashes from a catalog). */
  sourceInfo?: Record<string, unknown>
  /** Bytes of rendered outputs held for reordering and decode reuse. Default 256 MiB. */
  memoryBudget?: number
  /** Target samples per webdataset tar (whole batches). Default 1000. */
  wdsSamples?: number
  /** Target bytes per webdataset tar. Default 1 GiB. */
  wdsBytes?: number
  signal?: AbortSignal
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

export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
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

/** Batches per webdataset tar: about `samples` samples, at most about `bytes` bytes. */
export function tarChunkBatches(batchSize: number, samples: number, bytes: number, bytesPerSample: number): number {
  const bySamples = Math.max(1, Math.round(samples / batchSize))
  const byBytes = Math.max(1, Math.floor(bytes / Math.max(1, bytesPerSample * batchSize)))
  return Math.min(bySamples, byBytes)
}

export function bytesPerOutput(size: { width: number; height: number }, formats: ExportFormat[], imageFormat: ImageFormat): number {
  const px = size.width * size.height
  const encoded = imageFormat === 'png' ? px * 2.2 : px * 0.5
  const mask = px * 0.1
  let n = 0
  if (formats.includes('folders')) n += encoded + mask
  if (formats.includes('webdataset')) n += encoded + mask + 1536 + 1024
  if (formats.includes('npy')) n += px * 4
  return Math.ceil(n)
}

export function makeOrder(o: Pick<ExportRunOptions, 'seed' | 'epochs' | 'batchSize' | 'stepsPerEpoch' | 'dropLast' | 'shard' | 'formats' | 'recipe' | 'imageFormat' | 'wdsSamples' | 'wdsBytes'>, samples: number): ExportOrder {
  const size = recipeOutputSize(o.recipe)
  const chunkBatches = o.formats.includes('webdataset')
    ? tarChunkBatches(o.batchSize, o.wdsSamples ?? 1000, o.wdsBytes ?? 2 ** 30, bytesPerOutput(size, ['webdataset'], o.imageFormat))
    : 1
  return new ExportOrder({
    samples,
    seed: o.seed,
    epochs: o.epochs,
    batchSize: o.batchSize,
    stepsPerEpoch: o.stepsPerEpoch,
    dropLast: o.dropLast,
    shard: o.shard,
    chunkBatches,
  })
}

/** Sorts by key and rejects duplicate keys (two sources would claim the same output names). */
export function sortSources(sources: SourcePair[]): SourcePair[] {
  const sorted = [...sources].sort((a, b) => compareKeys(a.key, b.key))
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.key === sorted[i - 1]!.key) {
      throw new LockstepError('INVALID_INPUT', `Two sources share the key ${JSON.stringify(sorted[i]!.key)}: ${sorted[i - 1]!.imagePath} and ${sorted[i]!.imagePath}`)
    }
  }
  return sorted
}

function stableJson(x: unknown): string {
  return JSON.stringify(x, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]])) : v,
  )
}

/** The export.json document: everything that determines the bytes, nothing that does not (no time, no worker count). */
export function exportDescriptor(o: ExportRunOptions, sources: SourcePair[], order: ExportOrder): Record<string, unknown> {
  const list = createHash('sha256')
  for (const s of sources) list.update(`${s.key}\u0000${s.imagePath}\u0000${s.maskPath}\u0000${s.imageHash ?? ''}\u0000${s.maskHash ?? ''}\n`)
  return {
    schema: EXPORT_SCHEMA,
    lockstep: LOCKSTEP_VERSION,
    encoders: ENCODERS_VERSION,
    recipe: o.recipe,
    recipeVersionId: o.recipeVersionId ?? null,
    seed: o.seed,
    options: {
      epochs: o.epochs,
      batchSize: o.batchSize,
      stepsPerEpoch: o.stepsPerEpoch ?? null,
      dropLast: o.dropLast,
      imageFormat: o.imageFormat,
      quality: o.quality,
      formats: [...o.formats].sort(),
      shard: o.shard ?? null,
    },
    order: {
      samples: sources.length,
      outputsPerEpoch: order.shape.length,
      batchesPerEpoch: order.shape.batches,
      totalOutputs: order.shape.length * o.epochs,
      batchesPerTar: o.formats.includes('webdataset') ? order.chunkBatches : null,
      shardOrdinals: [order.first, order.end],
    },
    classes: o.classes ?? null,
    featurewise: o.stats ?? null,
    sources: { count: sources.length, listSha256: list.digest('hex'), ...(o.sourceInfo ?? {}) },
  }
}

/** Reads the journal: complete lines only (a torn last line is cut off). */
async function readJournal(path: string): Promise<{ lines: string[]; validBytes: number } | null> {
  let text: string
  try {
    text = await fsp.readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw ioError(err, path, 'reading')
  }
  const lines: string[] = []
  let pos = 0
  for (;;) {
    const nl = text.indexOf('\n', pos)
    if (nl < 0) break
    const line = text.slice(pos, nl)
    try {
      JSON.parse(line)
    } catch {
      break
    }
    lines.push(line)
    pos = nl + 1
  }
  return { lines, validBytes: Buffer.byteLength(text.slice(0, pos)) }
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
export function autoWorkers(recipe: Recipe, reusesDecodes = false): number {
  return !reusesDecodes && lightRecipe(recipe) ? 0 : 2
}

export function makeWriters(formats: ExportFormat[], ctx: WriterContext): Writer[] {
  const uniq = [...new Set(formats)]
  return uniq.map((f) => (f === 'folders' ? new FoldersWriter(ctx) : f === 'npy' ? new NpyWriter(ctx) : new WebDatasetWriter(ctx)))
}

export async function runExport(o: ExportRunOptions): Promise<ExportSummary> {
  const t0 = Date.now()
  const out = resolve(o.out)
  const sources = sortSources(o.sources)
  const order = makeOrder(o, sources.length)
  const signal = o.signal
  const cancelled = () => new LockstepError('CANCELLED', `Export to ${out} was cancelled`)
  if (signal?.aborted) throw cancelled()

  // The folder: a fresh one, or an earlier run of the same export (resume).
  await ensureDir(out)
  const descriptor = exportDescriptor(o, sources, order)
  const descriptorText = JSON.stringify(descriptor, null, 2) + '\n'
  const descPath = join(out, 'export.json')
  const manifestPath = join(out, 'manifest.jsonl')
  let previous: string | null = null
  try {
    previous = await fsp.readFile(descPath, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(err, descPath, 'reading')
  }
  let journal = await readJournal(manifestPath)
  if (previous !== null) {
    let same = false
    try {
      same = stableJson(JSON.parse(previous)) === stableJson(JSON.parse(descriptorText))
    } catch {
      same = false
    }
    if (!same) {
      throw new LockstepError(
        'INVALID_INPUT',
        `${out} already holds a different export (its export.json differs: another recipe, seed, options or source set); choose an empty folder or the same options to resume`,
      )
    }
  } else if (journal && journal.lines.length > 0) {
    throw new LockstepError('INVALID_INPUT', `${manifestPath} exists without export.json: ${out} is not a folder this export can resume; choose an empty folder`)
  } else {
    await writeAtomic(descPath, Buffer.from(descriptorText))
    journal = null
  }
  await removePartials(out)

  const resumed = journal ? journal.lines.length : 0
  if (resumed > order.length) throw new LockstepError('INVALID_INPUT', `${manifestPath} has ${resumed} lines but this export has only ${order.length} outputs`)
  const start = order.first + resumed
  let manifest: fsp.FileHandle
  try {
    manifest = await fsp.open(manifestPath, journal ? 'r+' : 'w')
    if (journal) await manifest.truncate(journal.validBytes)
  } catch (err) {
    throw ioError(err, manifestPath)
  }
  let manifestPos = journal ? journal.validBytes : 0

  const ctx: WriterContext = { outDir: out, order, epochs: o.epochs, imageFormat: o.imageFormat, imageExt: IMAGE_EXT[o.imageFormat] }
  const writers = makeWriters(o.formats, ctx)
  for (const w of writers) await w.begin(start)
  const needEncoded = writers.some((w) => w.needs.encoded)
  const needRaw = writers.some((w) => w.needs.raw)
  const setup: RenderSetup = {
    recipe: o.recipe,
    seed: o.seed,
    encoded: needEncoded ? { format: o.imageFormat, quality: o.quality } : null,
    raw: needRaw,
  }
  const workers = o.workers ?? autoWorkers(o.recipe, o.epochs > 1 || order.shape.length > sources.length)
  const renderer: Renderer = workers === 0 ? new InlineRenderer(setup, o.inflightPerWorker ?? (Number(process.env.LOCKSTEP_INFLIGHT) || 4)) : new WorkerPool(setup, workers, o.inflightPerWorker ?? (Number(process.env.LOCKSTEP_INFLIGHT) || 2))

  const total = order.length
  const perOutput = Math.max(1, bytesPerOutput(recipeOutputSize(o.recipe), o.formats, o.imageFormat))
  const budget = o.memoryBudget ?? 256 * 2 ** 20
  const window = Math.max(o.batchSize, Math.min(100_000, Math.floor(budget / perOutput)))

  const hashes = new Map<number, { image: string; mask: string }>()
  // Source hashes for the manifest: sha256 of the bytes actually read by this run (a catalog's
  // hashes may be older than the files; they go into export.json's source list instead).
  const failedBySample = new Map<number, ErrorPayload>()
  const ready = new Map<number, { slot: Slot; result: { plan: unknown; image?: Uint8Array; mask?: Uint8Array; raw?: RenderedOutput['raw'] } | null }>()
  let next = start // next ordinal to write
  let journaled = start
  let failedOutputs = 0
  let written = 0
  const pendingLines: string[] = []
  let fatal: unknown = null
  // One condition variable for the producer, the consumer and teardown: every change wakes all.
  let waiters: Array<() => void> = []
  const notify = () => {
    const w = waiters
    waiters = []
    for (const f of w) f()
  }
  const sleep = () => new Promise<void>((r) => waiters.push(r))

  const lineFor = (slot: Slot, files: Record<string, unknown> | null, plan: unknown, error: ErrorPayload | null): string => {
    const s = sources[slot.sample]!
    const h = hashes.get(slot.sample)
    return JSON.stringify({
      ordinal: slot.ordinal,
      epoch: slot.epoch,
      batch: slot.batch,
      index: slot.index,
      sampleId: s.key,
      source: { id: s.id ?? null, image: s.imagePath, mask: s.maskPath, imageSha256: h?.image ?? null, maskSha256: h?.mask ?? null },
      seed: o.seed,
      ...(error ? { error: { code: error.code, message: error.message } } : { plan, files }),
    })
  }

  const flushJournal = async (force: boolean) => {
    // Up to where every writer has committed, then back to a point every writer can resume from
    // (a re-run starts each writer afresh there: an npy batch or a tar shard is never half redone).
    let upTo = Math.min(...writers.map((w) => w.committed))
    for (const w of writers) upTo = w.resumePoint(upTo)
    const n = Math.min(upTo - journaled, pendingLines.length)
    if (n <= 0) return
    if (!force && n < 16 && upTo < order.end) return
    const text = Buffer.from(pendingLines.splice(0, n).map((l) => l + '\n').join(''))
    try {
      await manifest.write(text, 0, text.byteLength, manifestPos)
    } catch (err) {
      throw ioError(err, manifestPath)
    }
    manifestPos += text.byteLength
    journaled += n
  }

  let lastProgress = 0
  const progress = (force = false) => {
    if (!o.onProgress) return
    const now = Date.now()
    if (!force && now - lastProgress < (o.progressIntervalMs ?? 100)) return
    lastProgress = now
    const done = next - order.first
    const seconds = (now - t0) / 1000
    const rate = seconds > 0 ? (done - resumed) / seconds : 0
    o.onProgress({ done, total, failed: failedOutputs, rate, etaSeconds: rate > 0 ? (total - done) / rate : null })
  }

  // Consumer: writes outputs strictly in order as they become ready.
  const consume = async () => {
    while (next < order.end) {
      if (fatal || signal?.aborted) return
      const item = ready.get(next)
      if (!item) {
        if (signal?.aborted) return
        await sleep()
        continue
      }
      ready.delete(next)
      const { slot, result } = item
      const source = sources[slot.sample]!
      if (result) {
        const output: RenderedOutput = { slot, source, hashes: hashes.get(slot.sample)!, plan: result.plan, image: result.image, mask: result.mask, raw: result.raw }
        const files: Record<string, unknown> = {}
        for (const w of writers) files[w.format] = await w.write(output)
        pendingLines.push(lineFor(slot, files, result.plan, null))
        written++
      } else {
        for (const w of writers) await w.skip(slot)
        pendingLines.push(lineFor(slot, null, null, failedBySample.get(slot.sample)!))
        failedOutputs++
      }
      next++
      await flushJournal(false)
      progress()
      notify()
    }
  }

  // Producer: windows of outputs, one task per source per window, dispatched in first-ordinal order.
  let taskId = 0
  let inFlight = 0
  let wholeInFlight = 0
  // Tasks holding a decoded pair: one per worker until the first reports its size, then as many
  // as half the memory budget holds (at most the renderer's capacity).
  let maxWhole = Math.max(1, workers)
  let largestPair = 0
  const produce = async () => {
    for (let a = start; a < order.end; a += window) {
      const b = Math.min(order.end, a + window)
      const groups = new Map<number, Slot[]>()
      for (let i = a; i < b; i++) {
        const s = order.slot(i)
        let g = groups.get(s.sample)
        if (!g) groups.set(s.sample, (g = []))
        g.push(s)
      }
      for (const [sample, slots] of groups) {
        // Bounded: a few tasks in flight per worker, and never more than two windows of outputs held.
        // A task that decodes a whole pair (several outputs) holds it in memory: at most one per worker.
        const decodesWhole = slots.length > 1
        while (
          !fatal &&
          !signal?.aborted &&
          (inFlight >= renderer.capacity || (decodesWhole && wholeInFlight >= maxWhole) || slots[slots.length - 1]!.ordinal - next >= 2 * window)
        ) {
          await sleep()
        }
        if (fatal || signal?.aborted) return
        const failed = failedBySample.get(sample)
        if (failed) {
          for (const s of slots) ready.set(s.ordinal, { slot: s, result: null })
          notify()
          continue
        }
        // A sample drawn twice in one epoch has one plan key: render it once.
        const uniq = [...new Map(slots.map((s) => [s.epoch, s])).values()]
        const task: RenderTask = {
          id: ++taskId,
          source: sources[sample]!,
          outputs: uniq.map((s) => ({ ordinal: s.ordinal, epoch: s.epoch })),
          hash: !hashes.has(sample),
        }
        inFlight++
        if (decodesWhole) wholeInFlight++
        renderer.run(task).then(
          (r: RenderResult) => {
            inFlight--
            if (decodesWhole) wholeInFlight--
            if (r.ok) {
              if (r.decodedBytes && r.decodedBytes > largestPair) {
                largestPair = r.decodedBytes
                maxWhole = Math.max(1, Math.min(renderer.capacity, Math.floor(budget / 2 / largestPair)))
              }
              if (r.hashes) hashes.set(sample, r.hashes)
              const byEpoch = new Map(r.items.map((it, k) => [uniq[k]!.epoch, it]))
              for (const s of slots) ready.set(s.ordinal, { slot: s, result: byEpoch.get(s.epoch)! })
            } else {
              failedBySample.set(sample, r.error)
              for (const s of slots) ready.set(s.ordinal, { slot: s, result: null })
            }
            notify()
          },
          (err: unknown) => {
            inFlight--
            if (decodesWhole) wholeInFlight--
            fatal ??= err
            notify()
          },
        )
      }
    }
  }

  const onAbort = () => notify()
  signal?.addEventListener('abort', onAbort)
  let ok = false
  try {
    progress(true)
    const consumer = consume().catch((err) => {
      fatal ??= err
      notify()
    })
    await produce()
    await consumer
    if (fatal) throw fatal
    if (signal?.aborted) throw cancelled()
    for (const w of writers) await w.end()
    await flushJournal(true)
    await manifest.sync().catch((err) => {
      throw ioError(err, manifestPath)
    })
    ok = true
  } finally {
    signal?.removeEventListener('abort', onAbort)
    // Let in-flight renders settle before tearing the pool down.
    while (inFlight > 0) await sleep().then(() => undefined)
    await renderer.close()
    if (!ok) {
      for (const w of writers) await w.abort().catch(() => {})
      // Journal what is complete, so a re-run resumes from there.
      await flushJournal(true).catch(() => {})
      await manifest.sync().catch(() => {})
    }
    await manifest.close().catch(() => {})
  }
  progress(true)

  const failed: FailedSource[] = [...failedBySample].map(([i, error]) => {
    const s = sources[i]!
    return { key: s.key, image: s.imagePath, mask: s.maskPath, error }
  })
  failed.sort((x, y) => compareKeys(x.key, y.key))
  return { out, outputs: total, written, failedOutputs, failed, resumed, seconds: (Date.now() - t0) / 1000 }
}

export { toErrorPayload }
