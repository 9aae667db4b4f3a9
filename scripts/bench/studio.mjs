// The studio in Chromium against `lockstep serve`, for the browser benchmarks (bench:ui,
// bench:label): start the server on a project, launch Debian's Chromium headless, and the
// figures' median and format.
import { spawn } from 'node:child_process'
import { join, resolve } from 'node:path'
import { chromium } from 'playwright-core'

export const ROOT = resolve(import.meta.dirname, '../..')
const CHROMIUM = process.env.LOCKSTEP_CHROMIUM ?? '/usr/bin/chromium'

/**
 * `lockstep serve` on `project` at a free port; resolves with its address once it says it is
 * serving. LOCKSTEP_BIN: another build of the CLI (e.g. to compare a fix); default the checkout's.
 */
export function serve(project, userData) {
  const child = spawn(process.execPath, [process.env.LOCKSTEP_BIN ?? join(ROOT, 'bin/lockstep.js'), 'serve', '--project', project, '--port', '0'], {
    env: { ...process.env, LOCKSTEP_USER_DATA: userData },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stderr.on('data', (d) => (out += d))
  return new Promise((res, rej) => {
    child.stdout.on('data', (d) => {
      out += d
      const m = /Lockstep is serving at (\S+)/.exec(out)
      if (m) res({ url: m[1], child })
    })
    child.once('exit', (code) => rej(new Error(`lockstep serve exited ${code}: ${out}`)))
  })
}

/** Headless Chromium (LOCKSTEP_CHROMIUM, default /usr/bin/chromium) with its profile in `profile`. */
export function launchChromium(profile, extraArgs = []) {
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1440, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', ...extraArgs],
  })
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN
}
export const fmt = (x) => (Number.isFinite(x) ? x.toFixed(1) : String(x))
