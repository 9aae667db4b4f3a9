// Where the Electron binary is, or why there is none: shared by `npm start` and the Electron e2e test.
// (Launching a missing binary makes playwright-core 1.65 throw uncaught errors, so callers check first.)
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

/** @returns {{ path: string } | { path: null, reason: string }} */
export function electronBinary() {
  let path
  try {
    path = require('electron') // node_modules/electron/index.js: the binary path, or throws when not downloaded
  } catch (err) {
    const first = String(err?.message ?? err).split('\n')[0]
    return {
      path: null,
      reason: /failed to install correctly/.test(first) ? 'the Electron binary was not downloaded (npm install could not reach its host)' : first,
    }
  }
  if (typeof path !== 'string' || !existsSync(path)) return { path: null, reason: `the Electron binary ${path} does not exist` }
  return { path }
}
