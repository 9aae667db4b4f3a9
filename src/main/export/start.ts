// The one way to start an export, for every door: options parsed with the contract's schema
// (exportOptionsSchema, the same for `lockstep export` and `export.start`), sources from a project
// or two folders, the limits checked, the export recorded in the project's history from start to
// end. The CLI runs it in the foreground; the contract handler runs it as a job.
import { isAbsolute } from 'node:path'
import { totalmem } from 'node:os'
import type { z } from 'zod'
import {
  EXPORT_LIMITS,
  exportOptionsSchema,
  streamOptionsSchema,
  type ExportEstimate,
  type ExportOptions,
  type StreamOptions,
} from '../../shared/contract/export'
import { LockstepError, toErrorPayload } from '../../shared/errors'
import type { Recipe } from '../../shared/recipe'
import type { Catalog } from '../catalog/catalog'
import { recordChecks, type FileCheck } from '../catalog/file-checks'
import { bytesPerOutput, checkFormatOptions, checkFormats, needsOf } from './formats'
import { runExport, type ExportProgress, type ExportSummary } from './job'
import type { ExportOrder } from './order'
import { resolveNormalization } from './normalize'
import { catalogInputs, folderInputs, folderStats, projectStats, resolveRecipe, type ExportInputs } from './sources'
import { makeOrder, recipeOutputSize } from './work'

/** Where the pairs come from: the open project (its splits), or two folders paired by stem. */
export type ExportSource = { catalog: Catalog } | { images: string; masks: string; maskPatterns?: string[] }

/** Options parsed with a contract schema; a bad field is an INVALID_INPUT naming it (details.issues: path + message). */
export function parseOptions<S extends z.ZodType>(schema: S, raw: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(raw)
  if (parsed.success) return parsed.data
  const issues = parsed.error.issues.map((i) => ({ path: i.path.map(String), message: i.message }))
  const text = issues.map((i) => `${i.path.length ? i.path.join('.') : '(options)'}: ${i.message}`).join('; ')
  throw new LockstepError('INVALID_INPUT', `Invalid ${what} options: ${text}`, { issues })
}

/** The contract's export options, parsed (the one schema of `lockstep export` and `export.start`). */
export function parseExportOptions(raw: unknown): ExportOptions {
  return parseOptions(exportOptionsSchema, raw, 'export')
}

/** `lockstep stream`'s options, parsed with the contract's stream schema (the export's, less files). */
export function parseStreamOptions(raw: unknown): StreamOptions {
  return parseOptions(streamOptionsSchema, raw, 'stream')
}

export interface ExportOutcome {
  summary: ExportSummary
  /** Every pair that was not exported, with why (broken before the export, or failed during it). */
  problems: string[]
  /** Pairs skipped (broken before) plus pairs that failed. */
  failedPairs: number
}

export interface ExportControl {
  signal?: AbortSignal
  onProgress?: (p: ExportProgress) => void
  /** A stage worth telling the user about (e.g. statistics computed before the first export). */
  onNote?: (text: string) => void
}

export interface PreparedExport {
  options: ExportOptions
  recipe: Recipe
  recipeVersionId: number | null
  inputs: ExportInputs
  order: ExportOrder
  estimate(): ExportEstimate
  /** Adds the export to the project's history as running (no-op for folder sources); returns its id. */
  record(): number | null
  /** Runs it (resuming into the same folder), and records how it ended. */
  run(control: ExportControl): Promise<ExportOutcome>
}

/** The machine's memory and the recipe's output size, which a schema cannot know (the export and the stream). */
export function checkMachineLimits(memoryMb: number, recipe: Recipe): void {
  const ram = totalmem()
  if (memoryMb * 2 ** 20 > ram * 0.75) {
    throw new LockstepError(
      'INVALID_INPUT',
      `memory ${memoryMb} MiB is more than this machine can give an export (${Math.floor((ram * 0.75) / 2 ** 20)} MiB, three quarters of ${Math.round(ram / 2 ** 30)} GiB)`,
    )
  }
  const size = recipeOutputSize(recipe)
  if (size.width * size.height > EXPORT_LIMITS.outputPixels) {
    throw new LockstepError(
      'INVALID_INPUT',
      `The recipe's output is ${size.width}x${size.height} (${Math.round((size.width * size.height) / 1e6)} Mpx); an export output may have at most ${Math.round(EXPORT_LIMITS.outputPixels / 1e6)} Mpx (e.g. 8192x8192): end the recipe with a smaller crop or resize`,
    )
  }
}

/** Checks what a schema cannot know: the output folder, the machine, the formats. */
function checkLimits(o: ExportOptions, recipe: Recipe): void {
  if (!isAbsolute(o.out)) throw new LockstepError('INVALID_INPUT', `The output folder must be an absolute path, received ${JSON.stringify(o.out)}`)
  checkMachineLimits(o.memoryMb, recipe)
  checkFormats(o.formats)
  checkFormatOptions(o.formats, o.formatOptions)
  if (o.normalize && !needsOf(o.formats).raw) {
    throw new LockstepError(
      'INVALID_INPUT',
      `Normalisation makes float32 batches: it needs a format of raw pixels (npy), and the formats are ${o.formats.join(', ')}`,
    )
  }
}

/** The recipe and the pairs of a project (its splits) or of two folders. */
export function resolveInputs(
  o: { recipe: ExportOptions['recipe']; splits: string[] },
  source: ExportSource,
): { recipe: Recipe; versionId: number | null; inputs: ExportInputs; catalog: Catalog | null } {
  const catalog = 'catalog' in source ? source.catalog : null
  if (!catalog && o.splits.length)
    throw new LockstepError('INVALID_INPUT', 'Splits select samples of a project; folders have none (give a project, or no splits)')
  const { recipe, versionId } = resolveRecipe(catalog, o.recipe)
  const inputs = 'catalog' in source ? catalogInputs(source.catalog, o.splits) : folderInputs(source.images, source.masks, source.maskPatterns)
  return { recipe, versionId, inputs, catalog }
}

/** The statistics an export records and normalises with: the project's (computed once if missing), or the folder's when featurewise needs them. */
export async function statsFor(
  catalog: Catalog | null,
  inputs: ExportInputs,
  normalize: ExportOptions['normalize'],
  control: Pick<ExportControl, 'signal' | 'onNote'>,
) {
  if (catalog) return projectStats(catalog, control)
  return normalize === 'featurewise' ? folderStats(inputs.sources, control) : (inputs.stats ?? null)
}

/**
 * What an export of a project does with the whole-file verdicts its renders computed (files with
 * no sound verdict recorded for their bytes, e.g. a project imported before the checks existed):
 * records them in file_checks, so the next export skips those files while their bytes hash the
 * same. Only a record of work done: a failed write is one note, never a failed export.
 */
export function verdictRecorder(catalog: Catalog | null, onNote?: (text: string) => void): ((checks: FileCheck[]) => void) | undefined {
  if (!catalog) return undefined
  let noted = false
  return (checks) => {
    try {
      recordChecks(catalog.db, checks)
    } catch (err) {
      if (!noted)
        onNote?.(
          `the files' whole-file verdicts could not be recorded in the project (${err instanceof Error ? err.message : String(err)}): the next export checks them again`,
        )
      noted = true
    }
  }
}

export function prepareExport(options: ExportOptions, source: ExportSource): PreparedExport {
  const { recipe, versionId, inputs, catalog } = resolveInputs(options, source)
  checkLimits(options, recipe)
  const order = makeOrder({ ...options, recipe }, inputs.sources.length)
  let exportId: number | null = null

  const finish = (u: Parameters<Catalog['updateExport']>[1]) => {
    if (catalog && exportId !== null) catalog.updateExport(exportId, { ...u, endedAt: Date.now() })
  }

  return {
    options,
    recipe,
    recipeVersionId: versionId,
    inputs,
    order,
    estimate: () => ({
      samples: inputs.sources.length,
      skipped: inputs.problems.length,
      epochs: options.epochs,
      batchesPerEpoch: order.shape.batches,
      outputs: order.length,
      batches: order.endBatch - order.firstBatch,
      approxBytes: order.length * bytesPerOutput(recipeOutputSize(recipe), options.formats, options.imageFormat),
    }),
    record() {
      if (catalog && exportId === null) exportId = catalog.recordExport({ recipeVersionId: versionId, seed: options.seed, options, out: options.out })
      return exportId
    },
    async run(control) {
      let journaled: number | undefined
      try {
        const stats = await statsFor(catalog, inputs, options.normalize, control)
        const normalize = resolveNormalization(options.normalize, stats)
        const summary = await runExport({
          ...options,
          recipe,
          recipeVersionId: versionId,
          sources: inputs.sources,
          classes: inputs.classes,
          stats,
          sourceInfo: inputs.sourceInfo,
          normalize,
          memoryBudget: options.memoryMb * 2 ** 20,
          signal: control.signal,
          onChecks: verdictRecorder(catalog, control.onNote),
          onProgress: (p) => {
            journaled = p.done
            control.onProgress?.(p)
          },
        })
        const problems = [
          ...inputs.problems.map((p) => `${p.file}: ${p.message}`),
          ...summary.failed.map((f) =>
            f.error.message.includes(f.image) || f.error.message.includes(f.mask) ? f.error.message : `${f.image}: ${f.error.message}`,
          ),
        ]
        finish({
          status: summary.failed.length ? 'failed' : 'done',
          outputs: summary.written,
          failed: summary.failedOutputs,
          error: problems.length ? problems.join('\n').slice(0, 4000) : null,
        })
        return { summary, problems, failedPairs: inputs.problems.length + summary.failed.length }
      } catch (err) {
        const e = toErrorPayload(err)
        // a stopped export reports last how many outputs it journaled (a re-run resumes after them)
        finish({ status: e.code === 'CANCELLED' ? 'cancelled' : 'failed', error: e.message, ...(journaled !== undefined ? { outputs: journaled } : {}) })
        throw err
      }
    },
  }
}
