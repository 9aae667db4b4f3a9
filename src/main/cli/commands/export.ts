// `lockstep export`: epochs of augmented image/mask pairs in the registered formats, from a project
// or from two folders. The options become the contract's export options (one schema with the
// studio's `export.start`), and the export starts through the export area's one start function.
import { resolve } from 'node:path'
import { EXPORT_LIMITS, exportOptionsSchema, IMAGE_FORMATS } from '../../../shared/contract/export'
import { LockstepError, toErrorPayload } from '../../../shared/errors'
import type { Catalog } from '../../catalog/catalog'
import { FORMATS } from '../../export/formats'
import { AUTO_WORKERS_RULE, type ExportProgress } from '../../export/job'
import { parseExportOptions, prepareExport } from '../../export/start'
import { parse, requireOption, type Command, type Options } from '../command'
import { COMMON_ARGS, commonOptions, int, list, minOf, openSource, parseWithFlags } from './export-args'

const NAME = 'export'

const formatOptionLines = FORMATS.flatMap((f) => f.options.map((o) => `  ${`${o.flag} N`.padEnd(25)}${f.name}: ${o.help} (default ${o.default})`))

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
  --format LIST            ${FORMATS.map((f) => f.name).join(',')} (any of them, comma-separated; default folders)
  --image-format F         ${IMAGE_FORMATS.join(' | ')} (default jpeg); masks are always single-channel PNG
  --quality Q              1..100 for jpeg/webp (default 90)
  --normalize N            npy's x as float32: featurewise ((x - mean) / std per channel, the project's
                           featurewise statistics; over the --images folder without a project),
                           samplewise (each output's own mean and std) or rescale=F (e.g. rescale=1/255)
${formatOptionLines.join('\n')}
running
  --workers N|auto         render threads, 0..${EXPORT_LIMITS.workers} (0 = on the main thread). auto (default): ${AUTO_WORKERS_RULE}
  --memory MB              memory for reordering and decode reuse, ${EXPORT_LIMITS.memoryMb.min}..${EXPORT_LIMITS.memoryMb.max} (default ${EXPORT_LIMITS.memoryMb.default})
                           (an output may have at most ${Math.round(EXPORT_LIMITS.outputPixels / 1e6)} Mpx, e.g. 8192x8192)

Layout:
${FORMATS.map((f) => `  ${f.name.padEnd(11)}${f.layout}`).join('\n')}
Always manifest.jsonl (one line per output: epoch, batch, index, sources and their sha256, the plan,
the files) and export.json (recipe, recipe version, seed, options, class table, featurewise mean/std,
Lockstep version); a project's first export computes its featurewise statistics if it has none.
Ctrl-C stops cleanly (every complete output kept and journaled; run the same command again to resume).
Exit status: 0 all written, 1 some pairs failed (each named on stderr) or an error, 2 bad usage.`

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

const ARGS: Options = {
  ...COMMON_ARGS,
  'image-format': { type: 'string' },
  quality: { type: 'string' },
  format: { type: 'string' },
  out: { type: 'string' },
  shard: { type: 'string' },
  ...Object.fromEntries(FORMATS.flatMap((f) => f.options.map((o) => [o.flag.slice(2), { type: 'string' as const }]))),
}

/** The command line as the contract's export options (parsed by its schema; a bad value names its flag). */
export function exportOptionsFromArgs(v: Record<string, unknown>): ReturnType<typeof parseExportOptions> {
  const s = (k: string) => v[k] as string | undefined
  const formatOptions: Record<string, Record<string, number>> = {}
  for (const f of FORMATS) {
    for (const o of f.options) {
      const n = int(NAME, s(o.flag.slice(2)), o.flag)
      if (n !== undefined) (formatOptions[f.name] ??= {})[o.key] = n
    }
  }
  const raw = {
    ...commonOptions(NAME, v, exportOptionsSchema),
    imageFormat: s('image-format'),
    quality: int(NAME, s('quality'), '--quality', minOf(exportOptionsSchema, 'quality')),
    formats: list(s('format')),
    formatOptions,
    out: resolve(requireOption(NAME, s('out'), '--out')),
    shard: parseShard(s('shard')),
  }
  return parseWithFlags(NAME, raw, parseExportOptions)
}

export const exportCommand: Command = {
  name: NAME,
  help: HELP,
  async run(argv) {
    const { values: v } = parse(NAME, argv, ARGS)
    const options = exportOptionsFromArgs(v)

    let catalog: Catalog | null = null
    const controller = new AbortController()
    let interrupts = 0
    const onSigint = () => {
      interrupts++
      if (interrupts > 1) process.exit(130)
      process.stderr.write('\nlockstep export: stopping after the outputs in progress (Ctrl-C again to quit at once)\n')
      controller.abort()
    }
    process.on('SIGINT', onSigint)
    const bar = progressPrinter()
    try {
      const opened = await openSource(NAME, v)
      catalog = opened.catalog
      const prepared = prepareExport(options, opened.source)
      prepared.record()
      const { summary, problems, failedPairs } = await prepared.run({
        signal: controller.signal,
        onProgress: (p) => bar.update(p),
        onNote: (text) => process.stderr.write(`lockstep export: ${text}\n`),
      })
      bar.done()
      for (const p of problems) process.stderr.write(`lockstep export: failed: ${p}\n`)
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
      if (toErrorPayload(err).code === 'CANCELLED') {
        process.stderr.write(`lockstep export: cancelled; every complete output is kept, run the same command again to resume\n`)
        return 130
      }
      throw err
    } finally {
      process.off('SIGINT', onSigint)
      catalog?.close()
    }
  },
}
