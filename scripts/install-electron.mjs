// Runs electron's own binary download from our postinstall, because package.json's
// allowScripts blocks electron's install script: where the download is impossible (no network to
// its host) `npm install` must still pass, so a failure prints one line and carries on.
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'

const require = createRequire(import.meta.url)
let installJs
try {
  installJs = join(dirname(require.resolve('electron/package.json')), 'install.js')
} catch {
  process.exit(0) // production install without devDependencies: nothing to fetch
}
if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD || !existsSync(installJs)) process.exit(0)
const r = spawnSync(process.execPath, [installJs], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 })
if (r.status === 0) {
  console.log('lockstep: Electron binary ready')
  // The app also needs an Electron-ABI better-sqlite3 (node_modules keeps the Node build for tests).
  spawnSync(process.execPath, [join(import.meta.dirname, 'build-electron-sqlite.mjs')], { stdio: 'inherit', timeout: 900_000 })
} else {
  const why = (r.stderr?.toString() ?? '').split('\n').find((l) => /error|fail|ENOTFOUND|ECONN/i.test(l)) ?? `exit ${r.status ?? r.signal}`
  console.log(
    `lockstep: Electron binary not downloaded (${why.trim().slice(0, 160)}); the desktop app is unavailable here, browser mode and the CLI work (npm start falls back).`,
  )
}
