// `lockstep classes remap` and `lockstep classes export`: the class table's dataset-wide edits,
// headless.
import { writeFileSync } from 'node:fs'
import { LockstepError } from '../../../shared/errors'
import { exportPalette } from '../../catalog/classes'
import { runRemap, undoJob } from '../../catalog/remap'
import { parse, type Command } from '../command'
import { interruptible, openProject, sampleId } from './labels-common'
import { progressPrinter } from './progress'

const REMAP = 'classes remap'

const REMAP_HELP = `usage: lockstep classes remap --map FROM:TO [--map FROM:TO]... [--sample ID|KEY]... [--project DIR] [--json]
       lockstep classes remap --undo JOB_ID [--project DIR]

Rewrites class indices in the project's masks: --map 3:1 merges class 3 into class 1, --map 7:255
moves class 7 to the ignore index. Every mask that changes is first kept in the project's
history/ (a mask version, reason 'remap'), written crash-safely in its own encoding (8-bit,
16-bit or palette), and its catalog row updated. Masks known to hold none of the FROM indices are
not read. A target a mask's encoding cannot hold (300 in an 8-bit mask) fails that mask, named.

  --map FROM:TO       class index FROM becomes TO (repeatable; each FROM once)
  --sample ID|KEY     only these samples (repeatable; default every sample with a mask)
  --undo JOB_ID       restore every mask the job changed that nobody changed since
  --project DIR       project folder (default: the current folder)
  --json              print the summary as JSON

Exit status: 0 done (also when some masks failed: they are listed), 1 error, 2 bad usage, 130 interrupted.`

function mapping(raw: string[] | undefined): { from: number; to: number }[] {
  if (!raw?.length) throw new LockstepError('INVALID_INPUT', `lockstep ${REMAP}: give at least one --map FROM:TO (see lockstep ${REMAP} --help)`)
  return raw.map((m) => {
    const r = /^(\d+):(\d+)$/.exec(m.trim())
    const from = Number(r?.[1])
    const to = Number(r?.[2])
    if (!r || from > 65535 || to > 65535)
      throw new LockstepError('INVALID_INPUT', `lockstep ${REMAP}: expected --map FROM:TO with indices 0..65535 but received ${JSON.stringify(m)}`)
    return { from, to }
  })
}

export const classesRemapCommand: Command = {
  name: REMAP,
  help: REMAP_HELP,
  async run(argv) {
    const { values } = parse(REMAP, argv, {
      map: { type: 'string', multiple: true },
      sample: { type: 'string', multiple: true },
      undo: { type: 'string' },
      project: { type: 'string' },
      json: { type: 'boolean' },
    })
    const catalog = openProject(values.project)
    try {
      if (values.undo) {
        const r = await undoJob(catalog, values.undo)
        console.log(
          values.json
            ? JSON.stringify(r, null, 2)
            : [`Restored ${r.restored} mask(s) changed by job ${values.undo}`, ...r.skipped.map((s) => `  kept: ${s.message}`)].join('\n'),
        )
        return 0
      }
      const map = mapping(values.map)
      const sampleIds = values.sample?.map((s) => sampleId(catalog, REMAP, s))
      const stop = interruptible('the masks changed so far are versioned; undo with --undo JOB_ID')
      const progress = progressPrinter(REMAP)
      try {
        const s = await runRemap(catalog, { mapping: map, sampleIds }, { signal: stop.signal, progress: progress.update })
        progress.end()
        console.log(
          values.json
            ? JSON.stringify(s, null, 2)
            : [
                `Remapped ${map.map((m) => `${m.from}->${m.to}`).join(', ')}: ${s.changed} of ${s.scanned} mask(s) changed in ${s.seconds.toFixed(1)} s (job ${s.jobId}; undo: lockstep ${REMAP} --undo ${s.jobId})`,
                ...s.failed.map((f) => `  failed: sample ${f.sampleId}: ${f.message}`),
              ].join('\n'),
        )
        return 0
      } catch (err) {
        progress.end()
        if (stop.signal.aborted) {
          console.error(`lockstep ${REMAP}: interrupted; the masks changed so far are versioned (lockstep ${REMAP} --undo restores them)`)
          return 130
        }
        throw err
      } finally {
        stop.done()
      }
    } finally {
      catalog.close()
    }
  },
}

const EXPORT = 'classes export'

export const classesExportCommand: Command = {
  name: EXPORT,
  help: `usage: lockstep classes export [--format json|csv] [--out FILE] [--project DIR]

Prints the project's class table (index, name, colour, ignore) in display order, as JSON (default)
or CSV: the formats the app's palette import (and classes.importPalette) reads back.

  --format F      json | csv (default json; an --out name ending in .csv picks csv)
  --out FILE      write to FILE instead of stdout
  --project DIR   project folder (default: the current folder)`,
  async run(argv) {
    const { values } = parse(EXPORT, argv, { format: { type: 'string' }, out: { type: 'string' }, project: { type: 'string' } })
    const format = values.format ?? (values.out && /\.csv$/i.test(values.out) ? 'csv' : 'json')
    if (format !== 'json' && format !== 'csv')
      throw new LockstepError('INVALID_INPUT', `lockstep ${EXPORT}: expected --format json or csv but received ${JSON.stringify(format)}`)
    const catalog = openProject(values.project)
    try {
      const text = exportPalette(catalog.classes(), format)
      if (values.out) writeFileSync(values.out, text)
      else process.stdout.write(text)
      return 0
    } finally {
      catalog.close()
    }
  },
}
