// `lockstep init`: create a project (a folder holding lockstep.db) to import datasets into.
import { resolve } from 'node:path'
import { LockstepError } from '../../../shared/errors'
import { Catalog, DB_FILE } from '../../catalog/catalog'
import { probeProjectDir } from '../../catalog/project'
import { parse, type Command } from '../command'

const NAME = 'init'

const HELP = `usage: lockstep init [DIR] [--name NAME]

Creates a Lockstep project in DIR (default: the current folder): the folder, if missing, and its
catalog (${DB_FILE}). A folder that already holds files may become a project too; the files stay
where they are. Running it on an existing project changes nothing and says so.

  --name NAME   the project's name shown in the studio (default: the folder's name)

Next: lockstep import IMAGES_DIR --masks MASKS_DIR --project DIR, then lockstep serve --project DIR.`

export const initCommand: Command = {
  name: NAME,
  help: HELP,
  async run(argv) {
    const { values, positionals } = parse(NAME, argv, { name: { type: 'string' } }, true)
    if (positionals.length > 1)
      throw new LockstepError('INVALID_INPUT', `lockstep ${NAME}: expected at most one DIR but received ${positionals.length} (see lockstep ${NAME} --help)`)
    if (values.name !== undefined && !values.name.trim()) throw new LockstepError('INVALID_INPUT', `lockstep ${NAME}: --name must not be empty`)
    const dir = resolve(positionals[0] ?? '.')
    const probe = probeProjectDir(dir)
    if (probe.state === 'unusable') throw new LockstepError('INVALID_INPUT', `Cannot create a project: ${probe.reason}`)
    if (probe.state === 'project') {
      console.log(`${dir} is already a Lockstep project ("${probe.name}"); nothing changed`)
      return 0
    }
    const catalog = Catalog.open(dir, { create: true, ...(values.name ? { name: values.name.trim() } : {}) })
    try {
      console.log(`Created project "${catalog.name}" in ${dir}`)
      console.log(`Next: lockstep import IMAGES_DIR --masks MASKS_DIR --project ${dir}`)
      return 0
    } finally {
      catalog.close()
    }
  },
}
