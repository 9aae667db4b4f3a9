// Which project a door (the desktop app, `lockstep serve`) opens when the user names none: the
// sample project in the user data folder (CATALOG's openOrCreateSampleProject imports
// resources/sample into it on first use).
import { homedir } from 'node:os'
import { join } from 'node:path'
import { toErrorPayload } from '../../shared/errors'
import { openOrCreateSampleProject } from '../catalog/project'
import { settleJournal } from '../catalog/mask-store'
import type { ServiceContext } from './context'

/** The same folder Electron's app.getPath('userData') gives for an app named "lockstep"; LOCKSTEP_USER_DATA overrides. */
export function defaultUserDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.LOCKSTEP_USER_DATA) return env.LOCKSTEP_USER_DATA
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'lockstep')
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'lockstep')
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'lockstep')
}

/**
 * Opens the sample project. When it cannot (no resources/sample in this build, a damaged
 * project), the door still starts, with no project open, and says why in one line on stderr.
 */
export async function openDefaultProject(ctx: ServiceContext, userDataDir: string = defaultUserDataDir(), sampleDir?: string): Promise<boolean> {
  try {
    const catalog = await openOrCreateSampleProject(userDataDir, ...(sampleDir === undefined ? [] : [sampleDir]))
    await settleJournal(catalog) // mask saves a killed process left half-recorded (catalog/mask-store.ts)
    ctx.session.attach(catalog)
    ctx.events.emit('catalog.changed', { what: 'project' })
    return true
  } catch (err) {
    console.error(`lockstep: the sample project could not be opened (${toErrorPayload(err).message}); starting with no project open`)
    return false
  }
}
