// Builds Lockstep's native decoders (native/decoders: libjpeg-turbo region decode and 8-bit PNG
// label regions, a Node-API addon, so the same build loads in Node and in Electron) with node-gyp,
// from the project's postinstall. They are a speed-up only: where they cannot be built (no C
// compiler, no libjpeg-turbo or zlib headers: Debian's libjpeg62-turbo-dev and zlib1g-dev) this
// prints one line and exits 0, and sharp and the JS decoders do the work, to the same bytes.
// --strict: exit non-zero when the build fails (CI uses it through LOCKSTEP_REQUIRE_NATIVE=1).
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'

const root = join(import.meta.dirname, '..')
const dir = join(root, 'native', 'decoders')
const strict = process.argv.includes('--strict') || process.env.LOCKSTEP_REQUIRE_NATIVE === '1'

// npm hands its own node-gyp to lifecycle scripts; run by hand, find the one npm ships with.
const candidates = [
  process.env.npm_config_node_gyp,
  join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
]
const gyp = candidates.find((p) => p && existsSync(p))
const nodedir = process.env.npm_config_nodedir ?? spawnSync('npm', ['config', 'get', 'nodedir'], { encoding: 'utf8' }).stdout?.trim()
const args = ['rebuild', '--directory', dir, ...(nodedir && nodedir !== 'undefined' ? [`--nodedir=${nodedir}`] : [])]
const r = gyp ? spawnSync(process.execPath, [gyp, ...args], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 }) : null
const built = existsSync(join(dir, 'build', 'Release', 'decoders.node'))
if (r?.status === 0 && built) {
  console.log('lockstep: native decoders built (libjpeg-turbo region decode, PNG label regions)')
} else {
  const lines = `${r?.stdout ?? ''}\n${r?.stderr ?? ''}`.split('\n')
  const why = !gyp
    ? 'node-gyp not found'
    : (lines.find((l) => /fatal error|error:|not found|No such file/i.test(l)) ?? `exit ${r?.status ?? r?.signal}`).trim().slice(0, 160)
  console.log(`lockstep: native decoders not built (${why}); sharp and the JS decoders do their work, more slowly.`)
  if (process.env.LOCKSTEP_DEBUG) process.stderr.write(`${r?.stdout ?? ''}${r?.stderr ?? ''}`)
  if (strict) process.exit(1)
}
