#!/usr/bin/env node
// npm run bench:stream — a consumer that only reads `lockstep stream` against the npy export of
// the same recipe and options: outputs per second, whole process (spawn to the last byte), round-
// robin, median of RUNS. Target: the stream gets >= 90% of the export's own rate.
//
// env: RUNS=3  SIZE=1024x768:200  EPOCHS=2  BATCH=32  WORKERS=auto  RECIPE=<json file>
//      BENCH_DIR=<folder with make_data.py> (default ../shared/bench)  DATA_ROOT=/tmp/bench-data
// Needs `npm run build` first (it runs the built CLI, as a user would).
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, rmSync } from 'node:fs'
import { createConnection } from 'node:net'
import { loadavg } from 'node:os'
import { join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'

const repo = resolve(import.meta.dirname, '..', '..')
const cli = join(repo, 'bin', 'lockstep.js')
if (!existsSync(join(repo, 'out', 'main', 'cli.js'))) {
  console.error('bench:stream: run `npm run build` first (the benchmark runs the built CLI)')
  process.exit(1)
}
const RUNS = Number(process.env.RUNS ?? 3)
const [wh, n] = (process.env.SIZE ?? '1024x768:200').split(':')
const [w, h] = wh.split('x')
const EPOCHS = Number(process.env.EPOCHS ?? 2)
const BATCH = Number(process.env.BATCH ?? 32)
const WORKERS = process.env.WORKERS ?? 'auto'
const recipe = process.env.RECIPE ?? join(repo, 'scripts', 'bench', 'export-recipe.json')
const work = process.env.BENCH_WORK ?? '/tmp/lockstep-bench-stream'
const data = join(process.env.DATA_ROOT ?? '/tmp/bench-data', `${wh}-n${n}`)
const benchDir = [process.env.BENCH_DIR, join(repo, '..', 'shared', 'bench'), '/work/shared/bench'].find((d) => d && existsSync(join(d, 'make_data.py')))
mkdirSync(work, { recursive: true })

if (!existsSync(join(data, 'images'))) {
  if (!benchDir) {
    console.error('bench:stream: no data and no make_data.py (set BENCH_DIR, or DATA_ROOT to a folder holding ${SIZE}/images and masks)')
    process.exit(1)
  }
  const r = spawnSync('/usr/bin/python3', [join(benchDir, 'make_data.py'), '--out', data, '-n', n, '--width', w, '--height', h, '--if-missing'], {
    stdio: 'inherit',
  })
  if (r.status !== 0) process.exit(1)
}

const common = [
  '--images',
  join(data, 'images'),
  '--masks',
  join(data, 'masks'),
  '--recipe',
  recipe,
  '--seed',
  '1',
  '--epochs',
  String(EPOCHS),
  '--batch-size',
  String(BATCH),
  '--workers',
  WORKERS,
]
const outputs = Number(n) * EPOCHS

function exportRow() {
  const out = join(work, 'export')
  rmSync(out, { recursive: true, force: true })
  const t0 = performance.now()
  const p = spawnSync('node', [cli, 'export', ...common, '--format', 'npy', '--out', out], { encoding: 'utf8' })
  const s = (performance.now() - t0) / 1000
  if (p.status !== 0) throw new Error(`export failed: ${p.stderr.slice(-500)}`)
  return { whole: outputs / s }
}

/** Reads every frame and drops it: a trainer that does nothing but read. */
function consume(address, token) {
  return new Promise((resolve, reject) => {
    const m = /^unix:(.+)$/.exec(address)
    const socket = createConnection(m[1])
    let header = null
    let pending = Buffer.alloc(0) // bytes of a line or a frame length still being assembled
    let skip = 0 // frame bytes still to drop
    let frames = 0
    let rows = 0
    let geometry = null
    socket.on('connect', () => socket.write(JSON.stringify({ token }) + '\n'))
    socket.on('error', reject)
    socket.on('data', (chunk) => {
      let pos = 0
      while (pos < chunk.length) {
        if (!header) {
          const nl = chunk.indexOf(0x0a, pos)
          if (nl < 0) return void (pending = Buffer.concat([pending, chunk.subarray(pos)]))
          header = JSON.parse(Buffer.concat([pending, chunk.subarray(pos, nl)]).toString())
          if (header.error) return reject(new Error(header.error.message))
          geometry = header.height * header.width
          pending = Buffer.alloc(0)
          pos = nl + 1
          continue
        }
        if (skip > 0) {
          const k = Math.min(skip, chunk.length - pos)
          skip -= k
          pos += k
          continue
        }
        // a frame starts: its length, then its JSON header (small: assembled), then pixels (dropped)
        pending = Buffer.concat([pending, chunk.subarray(pos, pos + 1)])
        pos++
        if (pending.length >= 4) {
          const hl = pending.readUInt32LE(0)
          if (hl === 0) {
            socket.destroy()
            return resolve({ frames, rows })
          }
          if (pending.length === 4 + hl) {
            const f = JSON.parse(pending.subarray(4).toString())
            const xItem = header.dtype === 'float32' ? 4 : 1
            skip = f.n * geometry * 3 * xItem + f.n * geometry * (f.maskDtype === 'uint16' ? 2 : 1)
            frames++
            rows += f.n
            pending = Buffer.alloc(0)
          }
        }
      }
    })
  })
}

async function streamRow() {
  const sock = join(work, 'bench.sock')
  const t0 = performance.now()
  const child = spawn('node', [cli, 'stream', ...common, '--socket', sock], { stdio: ['ignore', 'pipe', 'inherit'] })
  const line = await new Promise((resolve, reject) => {
    let text = ''
    child.stdout.on('data', (c) => {
      text += c
      if (text.includes('\n')) resolve(text.split('\n')[0])
    })
    child.on('exit', (code) => reject(new Error(`stream exited ${code}`)))
  })
  const [, address, token] = /^Lockstep stream at (\S+) token=(\w+)$/.exec(line)
  const t1 = performance.now()
  const r = await consume(address, token)
  const t2 = performance.now()
  child.kill('SIGINT')
  await new Promise((r) => child.on('exit', r))
  if (r.rows !== outputs) throw new Error(`the stream sent ${r.rows} rows, expected ${outputs}`)
  return { whole: outputs / ((t2 - t0) / 1000), served: outputs / ((t2 - t1) / 1000) }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const ex = []
const st = []
const load0 = loadavg()[0]
for (let i = 0; i < RUNS; i++) {
  const a = exportRow()
  const b = await streamRow()
  ex.push(a.whole)
  st.push(b)
  console.error(`  run ${i + 1}: export npy ${a.whole.toFixed(1)}/s   stream ${b.whole.toFixed(1)}/s whole, ${b.served.toFixed(1)}/s from connect`)
}
const load1 = loadavg()[0]
const e = median(ex)
const s = median(st.map((x) => x.whole))
const served = median(st.map((x) => x.served))
console.log(
  `\n${n} pairs ${wh}, ${EPOCHS} epochs, batch ${BATCH}, recipe ${recipe.split('/').pop()}, workers ${WORKERS}; outputs/s, whole process, median of ${RUNS} (loadavg ${load0.toFixed(1)} -> ${load1.toFixed(1)})`,
)
console.log(`${'export --format npy'.padEnd(34)} ${e.toFixed(1).padStart(8)}`)
console.log(`${'stream, a consumer that only reads'.padEnd(34)} ${s.toFixed(1).padStart(8)}   (${served.toFixed(1)}/s from connect to the end frame)`)
console.log(`target: stream >= 90% of the export: ${((s / e) * 100).toFixed(0)}% -> ${s >= 0.9 * e ? 'PASS' : 'FAIL'}`)
