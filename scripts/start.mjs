// `npm start`: builds, then opens the desktop app on the last (or the sample) project where the
// Electron binary exists; where it does not, says so in one line and starts browser mode
// (`lockstep serve`), which opens the default browser where a display exists and otherwise says
// to open the printed URL. A --project folder that is not a project yet is offered for creation.
//   npm start -- [--project DIR] [--no-build]
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { electronBinary } from './electron-binary.mjs'

const root = join(import.meta.dirname, '..')
const args = process.argv.slice(2)
const noBuild = args.includes('--no-build')
const pass = args.filter((a) => a !== '--no-build')

function run(cmd, argv) {
  const child = spawn(cmd, argv, { cwd: root, stdio: 'inherit' })
  const forward = (sig) => child.kill(sig)
  process.on('SIGINT', forward)
  process.on('SIGTERM', forward)
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)))
}

if (!noBuild) {
  const b = spawnSync(process.execPath, [join(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  if (b.status !== 0) {
    console.error('lockstep: the build failed (see above); fix it or run with --no-build to use the last build')
    process.exit(1)
  }
}

const electron = electronBinary()
if (electron.path) {
  if (!existsSync(join(root, '.electron-sqlite', 'better_sqlite3.node'))) {
    spawnSync(process.execPath, [join(root, 'scripts/build-electron-sqlite.mjs')], { cwd: root, stdio: 'inherit' })
  }
  run(electron.path, [root, ...pass])
} else {
  console.log(`lockstep: no desktop app here (${electron.reason}); starting browser mode instead.`)
  // serve opens the default browser where a display exists, or says to open the printed address
  run(process.execPath, [join(root, 'bin/lockstep.js'), 'serve', ...pass])
}
