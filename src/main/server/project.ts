// Which project a door opens when the user names none: the sample project in the user data
// folder (CATALOG's openOrCreateSampleProject).
import { homedir } from 'node:os'
import { join } from 'node:path'
import type { ServiceContext } from '../services'

/** The same folder Electron's app.getPath('userData') gives for an app named "lockstep"; LOCKSTEP_USER_DATA overrides. */
export function defaultUserDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.LOCKSTEP_USER_DATA) return env.LOCKSTEP_USER_DATA
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'lockstep')
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'lockstep')
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'lockstep')
}

export async function openDefaultProject(_ctx: ServiceContext, _userDataDir: string = defaultUserDataDir()): Promise<void> {
  // Wired to CATALOG's openOrCreateSampleProject(userDataDir) once it lands.
}
