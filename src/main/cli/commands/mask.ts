// `lockstep mask versions` and `lockstep mask restore`: a sample's kept mask versions, headless.
import { intOption, parse, type Command } from '../command'
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
