// `lockstep export`: epochs of augmented image/mask pairs as folders, NumPy batches and/or
// WebDataset shards, from a project or from two folders.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { EXPORT_FORMATS, IMAGE_FORMATS, type ExportFormat, type ImageFormat } from '../../../shared/contract/vocabulary'
import { LockstepError, toErrorPayload } from '../../../shared/errors'
import { parseJsonText } from '../../../shared/recipe'
import type { Catalog } from '../../catalog/catalog'
import { runExport, type ExportProgress } from '../../export/job'
import { catalogInputs, folderInputs, resolveRecipe, type ExportInputs } from '../../export/sources'
import { intOption, parse, requireOption, type Command } from '../command'

const NAME = 'export'

const HELP = `usage: lockstep export (--project DIR | --images DIR --masks DIR) (--recipe FILE | --recipe-version ID) --out DIR [options]

Writes augmented image/mask pairs, transformed in lockstep, epoch by epoch. The output depends only
on the sources, the recipe, the seed and the options: any --workers count, any --shard split and any
resume after an interruption give byte-identical files.

sources
  --project DIR            a Lockstep project (its catalog's pairs; broken pairs are reported)
  --split NAME[,NAME]      with --project: only these splits (train, val, test, unassigned)
  --images DIR --masks DIR two folders, paired by file stem (images/a/x.jpg <-> masks/a/x.png)
  --mask-pattern P         mask file name pattern with {stem}, e.g. '{stem}_mask.png' (repeatable)
recipe
  --recipe FILE            a Lockstep recipe or an Albumentations JSON file (A.save(..., 'json'))
  --recipe-version ID      a saved recipe version of the project
order
  --seed N                 seed of the permutations and of every random parameter (default 0)
  --epochs E               epochs; each is a new permutation of the samples (default 1)
  --batch-size B           outputs per batch (default 32)
  --steps-per-epoch S      S batches per epoch; past one pass samples are drawn with replacement
  --drop-last              drop each epoch's last short batch (otherwise it is short, never padded)
  --shard i/n              write only slice i of n (0-based); the slices' union is the whole export
output
  --out DIR                output folder (re-running into it resumes an interrupted export)
  --format LIST            folders,npy,webdataset (any of them, comma-separated; default folders)
  --image-format F         png | jpeg | webp (default jpeg); masks are always single-channel PNG
  --quality Q              1..100 for jpeg/webp (default 90)
  --wds-samples N          about N samples per WebDataset tar (whole batches; default 1000)
running
  --workers N|auto         render threads (0 = on the main thread). auto (default): 0 when every op
                           runs inside libvips (crops, flips, 90° turns, brightness/contrast), one
                           epoch, no npy; else 2
  --memory MB              memory for reordering and decode reuse (default 256)

Layout: folders -> images/<key>.<ext> + masks/<key>.png (one epoch) or images/eEEEE/<key>.<ext>
(several); npy -> npy/x_eEEEE_bBBBBB.npy (uint8 BxHxWx3) + npy/y_...npy (uint8/uint16 BxHxW);
webdataset -> webdataset/NNNNNN.tar with KEY.<ext>, KEY.mask.png, KEY.json. Always manifest.jsonl
(one line per output: epoch, batch, index, sources and their sha256, the plan, the files) and
export.json (recipe, seed, options, class table, featurewise mean/std, Lockstep version).
Ctrl-C stops cleanly (complete files only; run the same command again to resume).
Exit status: 0 all written, 1 some pairs failed (each named on stderr) or an error, 2 bad usage.`

function list<T extends string>(value: string | undefined, allowed: readonly T[], flag: string, fallback: T[]): T[] {
  if (value === undefined) return fallback
  const items = value.split(',').map((s) => s.trim()).filter(Boolean)
  for (const it of items) {
    if (!(allowed as readonly string[]).includes(it)) {
      throw new LockstepError('INVALID_INPUT', `lockstep ${NAME}: expected ${flag} to be one or more of ${allowed.join(', ')} but received ${JSON.stringify(it)}`)
    }
  }
  if (items.length === 0) throw new LockstepError('INVALID_INPUT', `lockstep ${NAME}: ${flag} is empty`)
  return [...new Set(items)] as T[]
}

export function parseShard(value: string | undefined): { index: number; count: number } | undefined {
  if (value === undefined) return undefined
  const m = /^(\d+)\/(\d+)$/.exec(value)
  const index = m ? Number(m[1]) : NaN
  const count = m ? Number(m[2]) : NaN
  if (!m || count < 1 || index >= count) {
    throw new LockstepError('INVALID_INPUT', `lockstep ${NAME}: expected --shard i/n with 0 <= i < n (e.g. 0/4) but received ${JSON.stringify(value)}`)
  }
  return { index, count }
}

function fmtSeconds(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '?'
  if (s < 60) return `${Math.round(s)}s`
  return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`
}

/** A progress bar on a TTY, a plain line every few seconds otherwise. */
function progressPrinter(): { update(p: ExportProgress): void; done(): void } {
  const tty = process.stderr.isTTY === true
  let lastPlain = 0
  let drawn = false
  return {
    update(p) {
      const pct = p.total ? p.done / p.total : 1
      const text = `${p.done}/${p.total} outputs  ${p.rate.toFixed(1)}/s  ETA ${fmtSeconds(p.etaSeconds)}${p.failed ? `  ${p.failed} failed` : ''}`
      if (tty) {
        const width = 30
        const fill = Math.round(pct * width)
        process.stderr.write(`\r[${'#'.repeat(fill)}${'-'.repeat(width - fill)}] ${(pct * 100).toFixed(0).padStart(3)}%  ${text}\u001b[K`)
        drawn = true
      } else {
        const now = Date.now()
        if (now - lastPlain >= 5000 || p.done === p.total) {
          lastPlain = now
          process.stderr.write(`lockstep export: ${text}\n`)
        }
      }
    },
    done() {
      if (drawn) process.stderr.write('\n')
    },
  }
}

export const exportCommand: Command = {
  name: NAME,
  help: HELP,
  async run(argv) {
    const { values: v } = parse(NAME, argv, {
      project: { type: 'string' },
      split: { type: 'string', multiple: true },
      images: { type: 'string' },
      masks: { type: 'string' },
      'mask-pattern': { type: 'string', multiple: true },
      recipe: { type: 'string' },
      'recipe-version': { type: 'string' },
      seed: { type: 'string' },
      epochs: { type: 'string' },
      'batch-size': { type: 'string' },
      'steps-per-epoch': { type: 'string' },
      'drop-last': { type: 'boolean' },
      'image-format': { type: 'string' },
      quality: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      shard: { type: 'string' },
      workers: { type: 'string' },
      memory: { type: 'string' },
      'wds-samples': { type: 'string' },
    })
    const out = resolve(requireOption(NAME, v.out, '--out'))
    if (v.project && (v.images || v.masks)) throw new LockstepError('INVALID_INPUT', `lockstep ${NAME}: give either --project or --images/--masks, not both`)
    if (!v.project && !(v.images && v.masks)) throw new LockstepError('INVALID_INPUT', `lockstep ${NAME}: give --project DIR, or --images DIR and --masks DIR (see lockstep ${NAME} --help)`)
    if (!!v.recipe === !!v['recipe-version']) throw new LockstepError('INVALID_INPUT', `lockstep ${NAME}: give exactly one of --recipe FILE and --recipe-version ID`)
    if (v.split && !v.project) throw new LockstepError('INVALID_INPUT', `lockstep ${NAME}: --split needs --project`)
    const seed = intOption(NAME, v.seed, '--seed', 0)
    if (seed > 0xffffffff) throw new LockstepError('INVALID_INPUT', `lockstep ${NAME}: --seed must be < 2^32`)
    const epochs = intOption(NAME, v.epochs, '--epochs', 1, 1)
    const batchSize = intOption(NAME, v['batch-size'], '--batch-size', 32, 1)
    const stepsPerEpoch = v['steps-per-epoch'] === undefined ? undefined : intOption(NAME, v['steps-per-epoch'], '--steps-per-epoch', 1, 1)
    const imageFormat = list<ImageFormat>(v['image-format'], IMAGE_FORMATS, '--image-format', ['jpeg'])
    if (imageFormat.length !== 1) throw new LockstepError('INVALID_INPUT', `lockstep ${NAME}: --image-format takes one format`)
    const quality = intOption(NAME, v.quality, '--quality', 90, 1)
    if (quality > 100) throw new LockstepError('INVALID_INPUT', `lockstep ${NAME}: expected --quality in 1..100 but received ${quality}`)
    const formats = list<ExportFormat>(v.format, EXPORT_FORMATS, '--format', ['folders'])
    const workers = v.workers === undefined || v.workers === 'auto' ? undefined : intOption(NAME, v.workers, '--workers', 2, 0)
    const memoryMb = intOption(NAME, v.memory, '--memory', 256, 16)
    const wdsSamples = intOption(NAME, v['wds-samples'], '--wds-samples', 1000, 1)
    const shard = parseShard(v.shard)

    let catalog: Catalog | null = null
    let exportId: number | null = null
    const controller = new AbortController()
    let interrupts = 0
    const onSigint = () => {
      interrupts++
      if (interrupts > 1) process.exit(130)
      process.stderr.write('\nlockstep export: stopping after the files in progress (Ctrl-C again to quit at once)\n')
      controller.abort()
    }
    process.on('SIGINT', onSigint)
    const bar = progressPrinter()
    try {
      let inputs: ExportInputs
      let recipeJson: { versionId: number } | { json: unknown }
      if (v.recipe) {
        const file = resolve(v.recipe)
        let text: string
        try {
          text = readFileSync(file, 'utf8')
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code
          throw new LockstepError(code === 'ENOENT' ? 'NOT_FOUND' : 'UNREADABLE', `Cannot read recipe ${file}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`)
        }
        recipeJson = { json: parseJsonText(text, file) }
      } else {
        recipeJson = { versionId: intOption(NAME, v['recipe-version'], '--recipe-version', 1, 1) }
      }
      if (v.project) {
        // loaded only for projects: a folder export never pays for SQLite
        const { Catalog } = await import('../../catalog/catalog')
        catalog = Catalog.open(v.project)
        const splits = (v.split ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean)
        inputs = catalogInputs(catalog, splits)
      } else {
        inputs = folderInputs(v.images!, v.masks!, v['mask-pattern'])
      }
      const { recipe, versionId } = resolveRecipe(catalog, recipeJson)
      const options = { seed, epochs, batchSize, stepsPerEpoch, dropLast: !!v['drop-last'], imageFormat: imageFormat[0]!, quality, formats, out, shard, workers }
      if (catalog) exportId = catalog.recordExport({ recipeVersionId: versionId, seed, options, out })

      const summary = await runExport({
        ...options,
        recipe,
        recipeVersionId: versionId,
        sources: inputs.sources,
        classes: inputs.classes,
        stats: inputs.stats,
        sourceInfo: inputs.sourceInfo,
        memoryBudget: memoryMb * 2 ** 20,
        wdsSamples,
        signal: controller.signal,
        onProgress: (p) => bar.update(p),
      })
      bar.done()
      const problems = [
        ...inputs.problems.map((p) => `${p.file}: ${p.message}`),
        ...summary.failed.map((f) => `${f.error.message.includes(f.image) || f.error.message.includes(f.mask) ? f.error.message : `${f.image}: ${f.error.message}`}`),
      ]
      for (const p of problems) process.stderr.write(`lockstep export: failed: ${p}\n`)
      const failedPairs = inputs.problems.length + summary.failed.length
      if (catalog && exportId !== null) {
        catalog.updateExport(exportId, {
          status: failedPairs ? 'failed' : 'done',
          outputs: summary.written,
          failed: summary.failedOutputs,
          error: failedPairs ? problems.join('\n').slice(0, 4000) : null,
          endedAt: Date.now(),
        })
      }
      const rate = summary.seconds > 0 ? (summary.outputs - summary.resumed) / summary.seconds : 0
      console.log(
        `exported ${summary.written} outputs to ${summary.out} in ${summary.seconds.toFixed(1)}s (${rate.toFixed(1)} outputs/s)` +
          (summary.resumed ? `, resuming after ${summary.resumed} already written` : ''),
      )
      if (failedPairs) {
        process.stderr.write(
          `lockstep export: ${failedPairs} source pair(s) failed (${summary.failedOutputs} outputs not written); every other output was written\n`,
        )
        return 1
      }
      return 0
    } catch (err) {
      bar.done()
      if (catalog && exportId !== null) {
        const e = toErrorPayload(err)
        catalog.updateExport(exportId, { status: e.code === 'CANCELLED' ? 'cancelled' : 'failed', error: e.message, endedAt: Date.now() })
      }
      if (toErrorPayload(err).code === 'CANCELLED') {
        process.stderr.write(`lockstep export: cancelled; complete files are kept, run the same command again to resume\n`)
        return 130
      }
      throw err
    } finally {
      process.off('SIGINT', onSigint)
      catalog?.close()
    }
  },
}
