#!/usr/bin/env node
// Engine benchmark: the paired export of ../shared/bench (JPEG image + PNG mask -> 512x512 random
// crop at the same place in both, hflip p=0.5, brightness/contrast on the image only -> JPEG q90
// image + 8-bit single-channel PNG mask) through the built engine (out/main/lib.js).
//
//   npm run bench                                  both sizes: Lockstep vs raw sharp, same run
//   node scripts/bench/engine.mjs --data DIR --out DIR [--inflight 4] [--seed 0]
//                                                  one export (the EXPORTER_CMD row of run_all.sh);
//                                                  prints 'RESULT {json}' (pairs, seconds, peak RSS)
//   EXPORTER_CMD='node /work/main/scripts/bench/engine.mjs --data {data} --out {out}' \
//     bash ../shared/bench/run_all.sh              the full peer table (OpenCV, Albumentations, sharp)
//
// Data: /tmp/bench-data/{1024x768-n200,4000x3000-n30}, made by ../shared/bench/make_data.py if absent.
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { performance } from 'node:perf_hooks'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const SHARED = process.env.LOCKSTEP_BENCH_SHARED ?? resolve(root, '..', 'shared', 'bench')
const DATA_ROOT = process.env.DATA_ROOT ?? '/tmp/bench-data'

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? process.argv[i + 1] : fallback
}

export const BENCH_RECIPE = {
  schema: 'lockstep.recipe/1',
  name: 'bench: 512 crop, hflip, brightness/contrast',
  output: { width: 512, height: 512 },
  mask: { ignoreIndex: 255 },
  ops: [
    { type: 'random_crop', p: 1, width: 512, height: 512, padIfNeeded: false },
    { type: 'hflip', p: 0.5 },
    { type: 'brightness', p: 1, limit: [-0.15, 0.15] },
    { type: 'contrast', p: 1, limit: [-0.2, 0.2] },
  ],
}

async function exportMode(data, out) {
  const t0 = performance.now()
  const lib = await import(pathToFileURL(join(root, 'out', 'main', 'lib.js')).href)
  const { engine } = lib
  const inflight = Number(arg('inflight', '4'))
  const seed = Number(arg('seed', '0'))
  const recipe = engine.parseRecipe(BENCH_RECIPE)
  const names = readdirSync(join(data, 'images'))
    .filter((f) => f.endsWith('.jpg'))
    .map((f) => f.slice(0, -4))
    .sort()
  mkdirSync(join(out, 'images'), { recursive: true })
  mkdirSync(join(out, 'masks'), { recursive: true })
  const tLoop = performance.now()
  let next = 0
  const failed = []
  async function worker() {
    while (next < names.length) {
      const name = names[next++]
      const paths = { image: join(data, 'images', `${name}.jpg`), mask: join(data, 'masks', `${name}.png`) }
      try {
        const r = await engine.renderSample(recipe, { seed, epoch: 0, sampleId: name }, paths, { image: { format: 'jpeg', quality: 90 } })
        await Promise.all([writeFile(join(out, 'images', `${name}.jpg`), r.image), writeFile(join(out, 'masks', `${name}.png`), r.mask)])
      } catch (err) {
        failed.push(`${name}: ${err.message}`)
      }
    }
  }
  await Promise.all(Array.from({ length: inflight }, worker))
  const seconds = (performance.now() - tLoop) / 1000
  for (const f of failed) console.error(`failed ${f}`)
  const rss = process.resourceUsage().maxRSS / 1024
  console.log(
    'RESULT ' +
      JSON.stringify({
        peer: 'lockstep-engine',
        pairs: names.length - failed.length,
        failed: failed.length,
        seconds: Number(seconds.toFixed(6)),
        pairs_per_sec: Number(((names.length - failed.length) / seconds).toFixed(3)),
        inflight,
        peak_rss_mb: Number(rss.toFixed(1)),
        startup_ms: Math.round(tLoop - t0),
      }),
  )
  return failed.length ? 1 : 0
}

function ensureData(w, h, n) {
  const dir = join(DATA_ROOT, `${w}x${h}-n${n}`)
  if (existsSync(join(dir, 'params.json'))) return dir
  console.error(`making ${dir} with ${SHARED}/make_data.py ...`)
  const r = spawnSync(
    '/usr/bin/python3',
    [join(SHARED, 'make_data.py'), '--out', dir, '-n', String(n), '--width', String(w), '--height', String(h), '--if-missing'],
    { stdio: 'inherit' },
  )
  if (r.status !== 0) throw new Error(`make_data.py failed (needs Debian python3-numpy python3-opencv; run_all.sh installs them)`)
  return dir
}

function timed(argv, cwd) {
  const t0 = performance.now()
  const r = spawnSync(process.execPath, argv, { cwd, encoding: 'utf8', maxBuffer: 1 << 24 })
  const wall = (performance.now() - t0) / 1000
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '))
  if (r.status !== 0 || !line) throw new Error(`${argv.join(' ')} failed (${r.status}): ${r.stderr.slice(-500)}`)
  return { wall, result: JSON.parse(line.slice(7)) }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

async function compareMode() {
  if (!existsSync(join(root, 'out', 'main', 'lib.js'))) throw new Error('build first: npm run build')
  const runs = Number(arg('runs', '3'))
  // raw sharp peer, run from this checkout so it resolves the same sharp
  const peerDir = join(root, 'test-output', 'bench-peer')
  mkdirSync(peerDir, { recursive: true })
  copyFileSync(join(SHARED, 'peer_sharp.mjs'), join(peerDir, 'peer_sharp.mjs'))
  const sizes = [
    [1024, 768, 200],
    [4000, 3000, 30],
  ]
  const rows = []
  for (const [w, h, n] of sizes) {
    const data = ensureData(w, h, n)
    const res = { ours: [], sharp: [], rss: [] }
    for (let i = 0; i < runs; i++) {
      // round-robin, fresh processes, whole-process pairs/second (start-up included)
      const outA = join('/tmp', 'lockstep-bench-out', 'engine')
      const outB = join('/tmp', 'lockstep-bench-out', 'sharp')
      rmSync(outA, { recursive: true, force: true })
      rmSync(outB, { recursive: true, force: true })
      const a = timed([fileURLToPath(import.meta.url), '--data', data, '--out', outA], root)
      const b = timed([join(peerDir, 'peer_sharp.mjs'), '--data', data, '--out', outB, '--inflight', '4'], root)
      res.ours.push(n / a.wall)
      res.sharp.push(n / b.wall)
      res.rss.push(a.result.peak_rss_mb)
      console.error(
        `  ${w}x${h} run ${i + 1}: lockstep ${(n / a.wall).toFixed(1)} pairs/s (loop ${a.result.pairs_per_sec}), sharp ${(n / b.wall).toFixed(1)} pairs/s (loop ${b.result.pairs_per_sec})`,
      )
    }
    rows.push({ size: `${w}x${h}`, n, ours: median(res.ours), sharp: median(res.sharp), rss: Math.max(...res.rss) })
  }
  console.log(`\n| size | pairs | Lockstep engine (whole, pairs/s) | raw sharp 4 in flight (whole) | engine / sharp | peak RSS (MB) |`)
  console.log(`|---|---|---|---|---|---|`)
  for (const r of rows)
    console.log(`| ${r.size} | ${r.n} | ${r.ours.toFixed(1)} | ${r.sharp.toFixed(1)} | ${(r.ours / r.sharp).toFixed(2)} | ${r.rss.toFixed(0)} |`)
  console.log(`\nmedian of ${runs} fresh-process runs each, round-robin; 2 shared cores, so expect 10-30% noise.`)
  console.log(`OpenCV/Albumentations rows: EXPORTER_CMD='node ${fileURLToPath(import.meta.url)} --data {data} --out {out}' bash ${SHARED}/run_all.sh`)
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)
if (isMain) {
  const data = arg('data')
  if (data) process.exitCode = await exportMode(resolve(data), resolve(arg('out', '/tmp/lockstep-bench-out/engine')))
  else await compareMode()
}
