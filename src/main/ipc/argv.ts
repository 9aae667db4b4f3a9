// What a launch asks for: `lockstep-app [--project DIR | DIR]`. The first instance reads its own
// process.argv; a second launch's argv is forwarded to the first (single-instance lock).
import { isAbsolute, resolve } from 'node:path'

export interface LaunchRequest {
  project?: string
}

/**
 * `argv` without the executable (and, unpackaged, without the app path). Chromium/Electron
 * switches (`--foo`, `--foo=bar`) are ignored; a URL-looking argument is never taken as a project.
 */
export function parseLaunchArgs(argv: readonly string[], cwd: string): LaunchRequest {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--project' && i + 1 < argv.length) return { project: toAbs(argv[i + 1], cwd) }
    if (a.startsWith('--project=')) return { project: toAbs(a.slice('--project='.length), cwd) }
    if (a.startsWith('-')) continue
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(a)) continue
    return { project: toAbs(a, cwd) }
  }
  return {}
}

const toAbs = (p: string, cwd: string) => (isAbsolute(p) ? p : resolve(cwd, p))

/** The user arguments in process.argv: packaged apps have [exe, ...args], `electron .` has [exe, appPath, ...args]. */
export function userArgs(argv: readonly string[], packaged: boolean): string[] {
  return argv.slice(packaged ? 1 : 2)
}
