// Where the app's own files are, from the source tree (tests) or the build (out/main/*.js).
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The folder holding Lockstep's package.json, found by walking up from this module. */
export function appRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from
  for (;;) {
    const pkg = join(dir, 'package.json')
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'lockstep') return dir
      } catch {
        // not ours; keep walking
      }
    }
    const up = dirname(dir)
    if (up === dir) throw new Error(`Cannot find Lockstep's package.json above ${from}`)
    dir = up
  }
}

export function rendererDir(): string {
  return join(appRoot(), 'out', 'renderer')
}
