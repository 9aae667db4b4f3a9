// `lockstep mask versions` and `lockstep mask restore`: a sample's kept mask versions, headless.
import { intOption, parse, type Command } from '../command'
import { LockstepError } from '../../../shared/errors'
import { pruneMaskHistory } from '../../catalog/mask-history'
import { maskVersions } from '../../catalog/mask-store'
import { restoreMask } from '../../catalog/masks'
import { openProject, sampleId } from './labels-common'

const VERSIONS = 'mask versions'

export const maskVersionsCommand: Command = {
  name: VERSIONS,
  help: `usage: lockstep mask versions --sample ID|KEY [--project DIR] [--json]

Lists the kept earlier contents of a sample's mask, newest first: version id, when, who, why (the
save, restore, remap or annotation import that replaced it), size and sha256 of the copy in the
project's history/ folder. Restore one with lockstep mask restore.`,
  async run(argv) {
    const { values } = parse(VERSIONS, argv, { sample: { type: 'string' }, project: { type: 'string' }, json: { type: 'boolean' } })
    const catalog = openProject(values.project)
    try {
      const list = await maskVersions(catalog, sampleId(catalog, VERSIONS, values.sample))
      if (values.json) console.log(JSON.stringify(list, null, 2))
      else if (!list.length) console.log('No kept versions: the mask was never replaced by Lockstep')
      else
        for (const v of list)
          console.log(
            `${v.id}\t${new Date(v.createdAt).toISOString()}\t${v.author}\t${v.reason}\t${v.bytes} B\t${v.hash.slice(0, 16)}\t${v.maskPath}${v.note ? `\t${v.note}` : ''}`,
          )
      return 0
    } finally {
      catalog.close()
    }
  },
}

const RESTORE = 'mask restore'

export const maskRestoreCommand: Command = {
  name: RESTORE,
  help: `usage: lockstep mask restore --sample ID|KEY --version N [--project DIR]

Makes kept version N (see lockstep mask versions) the sample's mask again, byte for byte. The
content it replaces is kept as a version too (reason 'restore'), so a restore can be undone.`,
  async run(argv) {
    const { values } = parse(RESTORE, argv, { sample: { type: 'string' }, version: { type: 'string' }, project: { type: 'string' } })
    const catalog = openProject(values.project)
    try {
      const id = sampleId(catalog, RESTORE, values.sample)
      const r = await restoreMask(catalog, id, intOption(RESTORE, values.version, '--version', 0, 1))
      console.log(
        `Restored version ${values.version} of ${r.sample.key} to ${r.sample.maskAbsPath}${r.replaced ? ` (the content it replaced is version ${r.replaced.id})` : ''}`,
      )
      return 0
    } finally {
      catalog.close()
    }
  },
}

const PRUNE = 'mask prune'
const DAY_MS = 24 * 60 * 60 * 1000

export const maskPruneCommand: Command = {
  name: PRUNE,
  help: `usage: lockstep mask prune [--keep N] [--older-than DAYS] [--dry-run] [--project DIR]

Removes kept mask versions (lockstep mask versions) and the history/ files no version names any
more. --keep N keeps the newest N versions of every sample's mask; --older-than DAYS prunes only
versions kept more than DAYS days ago; given both, a version goes when it is beyond the newest N
and older than DAYS. --dry-run prints what would go and changes nothing. Versions a remap or an
annotation import replaced are named by job: after a prune, that job's undo cannot bring those
samples back. A save in progress (here or in the studio) is never pruned.`,
  async run(argv) {
    const { values } = parse(PRUNE, argv, {
      keep: { type: 'string' },
      'older-than': { type: 'string' },
      'dry-run': { type: 'boolean' },
      project: { type: 'string' },
    })
    const keep = values.keep === undefined ? undefined : intOption(PRUNE, values.keep, '--keep', 0, 0)
    const olderThan = values['older-than']?.trim()
    const days = olderThan === undefined ? undefined : Number(olderThan)
    if (olderThan !== undefined && !/^\d+(\.\d+)?$/.test(olderThan)) {
      throw new LockstepError(
        'INVALID_INPUT',
        `lockstep ${PRUNE}: --older-than must be a number of days >= 0, received ${JSON.stringify(values['older-than'])}`,
      )
    }
    const catalog = openProject(values.project)
    try {
      const dryRun = values['dry-run'] ?? false
      const r = await pruneMaskHistory(catalog, { keep, before: days === undefined ? undefined : Date.now() - days * DAY_MS, dryRun })
      const mb = (r.bytes / 1e6).toFixed(1)
      console.log(
        dryRun
          ? `Would prune ${r.versions} versions and remove ${r.files} history files (${mb} MB); nothing was changed`
          : `Pruned ${r.versions} versions; removed ${r.files} history files (${mb} MB)`,
      )
      if (r.jobs.length) console.log(`${dryRun ? 'These jobs would lose' : 'These jobs lost'} versions (their undo cannot restore them): ${r.jobs.join(', ')}`)
      return 0
    } finally {
      catalog.close()
    }
  },
}
