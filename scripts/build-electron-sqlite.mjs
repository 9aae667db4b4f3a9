// Builds an Electron-ABI copy of better-sqlite3 into .electron-sqlite/better_sqlite3.node, leaving
// node_modules/better-sqlite3 (the Node build that tests and the CLI use) untouched. The Electron
// main process passes that file to better-sqlite3 as `nativeBinding` (src/main/index.ts).
//
// How: copy the package (without its build/) into .electron-sqlite/work/node_modules, then let
// @electron/rebuild fetch a prebuilt binary for this Electron or compile it against Electron's
// headers. Both need the network (GitHub releases / electronjs.org headers); where neither is
// reachable it prints one line and exits 0 unless --strict is given.
// Packaged apps do not need this: electron-builder rebuilds native modules for Electron itself.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, copyFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = join(import.meta.dirname, '..')
if (!process.argv.includes('--child')) {
  // node-gyp and prebuild-install talk a lot on failure: run the build in a child and say one line.
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', ...process.argv.slice(2)], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const said = (r.stdout ?? '')
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('lockstep:'))
  if (said.length) console.log(said.at(-1))
  else console.log(`lockstep: Electron build of better-sqlite3 not made (${(r.stderr ?? '').trim().split('\n')[0] || `exit ${r.status}`})`)
  if ((r.stderr ?? '').length && process.env.LOCKSTEP_DEBUG) process.stderr.write(r.stderr)
  process.exit(r.status ?? 1)
}
const outDir = join(root, '.electron-sqlite')
const outFile = join(outDir, 'better_sqlite3.node')
const stampFile = join(outDir, 'built-for.json')
const strict = process.argv.includes('--strict')
const require = createRequire(import.meta.url)

function fail(why) {
  rmSync(join(outDir, 'work'), { recursive: true, force: true })
  console.log(
    `lockstep: Electron build of better-sqlite3 not made (${why}); the desktop app cannot open projects until \`node scripts/build-electron-sqlite.mjs\` succeeds (tests, CLI and browser mode are unaffected).`,
  )
  process.exit(strict ? 1 : 0)
}

let electronVersion, sqliteDir, sqliteVersion
try {
  electronVersion = JSON.parse(readFileSync(require.resolve('electron/package.json'), 'utf8')).version
  sqliteDir = dirname(require.resolve('better-sqlite3/package.json'))
  sqliteVersion = JSON.parse(readFileSync(join(sqliteDir, 'package.json'), 'utf8')).version
} catch (err) {
  fail(`electron or better-sqlite3 is not installed: ${err.message}`)
}
const want = { electron: electronVersion, betterSqlite3: sqliteVersion, platform: process.platform, arch: process.arch }
if (existsSync(outFile) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === JSON.stringify(want)) {
  console.log(`lockstep: ${outFile} is up to date (Electron ${electronVersion})`)
  process.exit(0)
}

const work = join(outDir, 'work')
rmSync(work, { recursive: true, force: true })
mkdirSync(join(work, 'node_modules'), { recursive: true })
writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'electron-sqlite-build', private: true, dependencies: { 'better-sqlite3': sqliteVersion } }))
cpSync(sqliteDir, join(work, 'node_modules', 'better-sqlite3'), { recursive: true, filter: (src) => !src.startsWith(join(sqliteDir, 'build')) })

let rebuild
try {
  ;({ rebuild } = require('@electron/rebuild'))
} catch {
  fail('@electron/rebuild is not installed (it comes with electron-builder)')
}
const timer = setTimeout(() => fail('timed out after 10 minutes'), 600_000)
try {
  await rebuild({ buildPath: work, electronVersion, onlyModules: ['better-sqlite3'], force: true, mode: 'sequential' })
} catch (err) {
  clearTimeout(timer)
  const line = (
    String(err?.message ?? err)
      .split('\n')
      .find((l) => l.trim()) ?? 'unknown error'
  ).trim()
  // node-gyp's own reason went to stderr; the usual one here is the headers download
  fail(/node-gyp failed/.test(line) ? `${line.slice(0, 160)}: no prebuilt binary and Electron's headers could not be downloaded` : line.slice(0, 200))
}
clearTimeout(timer)
const built = join(work, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node')
if (!existsSync(built)) fail(`the rebuild finished without ${built}`)
copyFileSync(built, outFile)
writeFileSync(stampFile, JSON.stringify(want))
rmSync(work, { recursive: true, force: true })
console.log(`lockstep: built ${outFile} for Electron ${electronVersion}`)
