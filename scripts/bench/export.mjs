#!/usr/bin/env node
// npm run bench:export — Lockstep's exporter against the peers of ../shared/bench (run_all.sh),
// then extra rows in one round-robin of their own: the raw-sharp peer, one epoch to folders, five
// epochs from the same sources (decode reuse), the npy and webdataset writers, with peak RSS.
//
// Part 3: the general recipe (scripts/bench/general-recipe.json: one affine, random crop, flips,
// brightness/contrast, hue, Gaussian noise p 0.5, salt and pepper p 0.3) against a hand-written
// OpenCV Pool(2) peer (scripts/bench/peer_opencv_general.py) and Albumentations 1.3.1 loading the
// same pipeline with A.load (a row only where it is importable from ALBU_PYTHONPATH), with and
// without the native kernels. Albumentations from source where PyPI is out of reach:
//   git clone -q --depth 1 -b 1.3.1 https://github.com/albumentations-team/albumentations /tmp/peers/albumentations-1.3.1
//   git clone -q --depth 1 -b 0.0.4 https://github.com/arsenyinfo/qudida /tmp/peers/qudida-0.0.4
//   apt-get install -y python3-scipy python3-skimage python3-sklearn python3-yaml
//
// env: RUNS=3  SIZES="1024x768:200 4000x3000:30"  ENVS=default,tuned  EXPORT_WORKERS=2
//      BENCH_DIR=<repo>/../shared/bench (or /work/shared/bench)  SKIP_PEERS=1 (only the second part)
//      GENERAL_ONLY=1 (only part 3)  SKIP_GENERAL=1 (parts 1 and 2 only)
//      GENERAL_ROWS=lockstep (part 3: only the rows whose label holds one of these words, e.g. the
//      addon ratio alone: GENERAL_ONLY=1 GENERAL_ROWS=lockstep SIZES=1024x768:200; a check whose rows
//      did not run says so)
//      ROWS="folders 1 epoch,npy 1 epoch" (part 2: only the lockstep rows whose label holds one of these)
//      BEFORE=<another checkout, built> (part 2: each lockstep row runs that checkout's CLI too, as
//      "<row> [before]", in the same round-robin: a change's before and after on the same machine load)
// Needs `npm run build` first (it runs the built CLI, as a user would).
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'

const repo = resolve(import.meta.dirname, '..', '..')
const cli = join(repo, 'bin', 'lockstep.js')
const recipe = join(repo, 'scripts', 'bench', 'export-recipe.json')
if (!existsSync(join(repo, 'out', 'main', 'cli.js'))) {
  console.error('bench:export: run `npm run build` first (the benchmark runs the built CLI)')
  process.exit(1)
}
const benchDir = [process.env.BENCH_DIR, join(repo, '..', 'shared', 'bench'), '/work/shared/bench'].find((d) => d && existsSync(join(d, 'run_all.sh')))
if (!benchDir) {
  console.error('bench:export: cannot find the shared bench (set BENCH_DIR to the folder with run_all.sh)')
  process.exit(1)
}
const RUNS = Number(process.env.RUNS ?? 3)
const SIZES = process.env.SIZES ?? '1024x768:200 4000x3000:30'
const WORKERS = process.env.EXPORT_WORKERS ?? 'auto'
const work = process.env.BENCH_WORK ?? '/tmp/lockstep-bench'
const dataRoot = process.env.DATA_ROOT ?? '/tmp/bench-data'
const results = join(work, 'results-export')
mkdirSync(results, { recursive: true })

const exportCmd = (extra, cliPath = cli) =>
  `node ${cliPath} export --images {data}/images --masks {data}/masks --recipe ${recipe} --seed 1 --workers ${WORKERS} ${extra} --out {out}`

// ---- part 1: run_all.sh with our one-epoch folders export as the reference row -------------------
if (!process.env.SKIP_PEERS && !process.env.GENERAL_ONLY) {
  const r = spawnSync('bash', [join(benchDir, 'run_all.sh')], {
    stdio: 'inherit',
    // A private OUT_ROOT: other benches on this machine use /tmp/bench-out with the same row labels.
    env: {
      ...process.env,
      EXPORTER_CMD: exportCmd('--format folders --image-format jpeg --quality 90'),
      RESULTS: results,
      RUNS: String(RUNS),
      OUT_ROOT: process.env.OUT_ROOT ?? join(work, 'out-run-all'),
    },
  })
  if (r.status !== 0) {
    console.error(`bench:export: run_all.sh failed (exit ${r.status})`)
    process.exit(1)
  }
}

// ---- part 2: our extra rows, round-robin, with peak RSS ------------------------------------------
const time = existsSync('/usr/bin/time') ? '/usr/bin/time' : null
function runRow(cmd, data, out) {
  rmSync(out, { recursive: true, force: true })
  mkdirSync(out, { recursive: true })
  const shell = cmd.replaceAll('{data}', data).replaceAll('{out}', out)
  const argv = time ? [time, '-f', 'MAXRSS_KB %M CPU_S %U %S', 'bash', '-c', shell] : ['bash', '-c', shell]
  const t0 = performance.now()
  const p = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', maxBuffer: 64 << 20 })
  const seconds = (performance.now() - t0) / 1000
  const m = /MAXRSS_KB (\d+) CPU_S ([\d.]+) ([\d.]+)/.exec(p.stderr ?? '')
  if (p.status !== 0) console.error(`  failed (${p.status}): ${shell}\n${(p.stderr ?? '').slice(-600)}`)
  // CPU seconds (user + system, every thread): what a busy machine distorts least
  return { ok: p.status === 0, seconds, rssMb: m ? Number(m[1]) / 1024 : null, cpu: m ? Number(m[2]) + Number(m[3]) : null }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : null
}
const peer = `node ${join(work, 'peer_sharp.mjs')} --data {data} --out {out} --inflight 4`
const lockstepRows = (cliPath, suffix) =>
  [
    { label: 'lockstep folders 1 epoch', cmd: exportCmd('--format folders', cliPath), epochs: 1 },
    { label: 'lockstep folders 5 epochs', cmd: exportCmd('--format folders --epochs 5', cliPath), epochs: 5 },
    { label: 'lockstep npy 1 epoch', cmd: exportCmd('--format npy', cliPath), epochs: 1 },
    { label: 'lockstep webdataset 1 epoch', cmd: exportCmd('--format webdataset', cliPath), epochs: 1 },
    {
      label: 'lockstep folders 5 epochs, 2 workers',
      cmd: exportCmd('--format folders --epochs 5', cliPath).replace(`--workers ${WORKERS}`, '--workers 2'),
      epochs: 5,
    },
  ]
    .filter((r) => !process.env.ROWS || process.env.ROWS.split(',').some((w) => r.label.includes(w.trim())))
    .map((r) => ({ ...r, label: r.label + suffix }))
const before = process.env.BEFORE ? join(resolve(process.env.BEFORE), 'bin', 'lockstep.js') : null
if (before && !existsSync(join(resolve(process.env.BEFORE), 'out', 'main', 'cli.js'))) {
  console.error(`bench:export: BEFORE=${process.env.BEFORE} is not a built checkout (npm run build there first)`)
  process.exit(1)
}
const rows = [
  { label: 'C sharp conc-default 4-inflight', cmd: peer, epochs: 1 },
  ...lockstepRows(cli, '').flatMap((r, i) => (before ? [r, lockstepRows(before, ' [before]')[i]] : [r])),
]
if (!process.env.GENERAL_ONLY && !existsSync(join(work, 'peer_sharp.mjs'))) {
  console.error(`bench:export: ${work}/peer_sharp.mjs is missing (run without SKIP_PEERS once: run_all.sh copies it and installs sharp there)`)
  process.exit(1)
}

const report = []
const checks = []
for (const spec of process.env.GENERAL_ONLY ? [] : SIZES.trim().split(/\s+/)) {
  const [wh, n] = spec.split(':')
  const data = join(dataRoot, `${wh}-n${n}`)
  const pairs = Number(n)
  const stats = new Map(rows.map((r) => [r.label, { runs: [], rss: [], cpu: [] }]))
  const load0 = (await import('node:os')).loadavg()[0]
  for (let i = 0; i < RUNS; i++) {
    for (const row of rows) {
      const r = runRow(row.cmd, data, join(work, 'out-export', row.label.replace(/[^A-Za-z0-9]+/g, '_')))
      const s = stats.get(row.label)
      if (r.ok) s.runs.push((pairs * row.epochs) / r.seconds)
      if (r.rssMb !== null) s.rss.push(r.rssMb)
      if (r.ok && r.cpu !== null) s.cpu.push((r.cpu * 1000) / (pairs * row.epochs))
      console.error(
        `  ${wh} run ${i + 1} ${row.label.padEnd(34)} ${r.seconds.toFixed(2)}s  cpu ${r.cpu?.toFixed(2) ?? '?'}s  rss ${r.rssMb?.toFixed(0) ?? '?'} MB`,
      )
    }
  }
  const load1 = (await import('node:os')).loadavg()[0]
  const med = (label) => (stats.has(label) ? median(stats.get(label).runs) : null)
  const sharp = med('C sharp conc-default 4-inflight')
  const folders = med('lockstep folders 1 epoch')
  const lines = [
    `\n${pairs} pairs ${wh} -> 512x512, whole-process output pairs/s, median of ${RUNS} (loadavg ${load0.toFixed(1)} -> ${load1.toFixed(1)}), ${WORKERS} workers`,
  ]
  lines.push(`${'row'.padEnd(36)} ${'pairs/s'.padStart(9)} ${'vs sharp'.padStart(9)} ${'peak RSS MB'.padStart(12)} ${'CPU ms/output'.padStart(14)}`)
  for (const row of rows) {
    const v = med(row.label)
    const rss = Math.max(...stats.get(row.label).rss)
    const cpu = median(stats.get(row.label).cpu)
    lines.push(
      `${row.label.padEnd(36)} ${(v?.toFixed(1) ?? '-').padStart(9)} ${(v && sharp ? (v / sharp).toFixed(2) + 'x' : '-').padStart(9)} ${(Number.isFinite(rss) ? rss.toFixed(0) : '-').padStart(12)} ${(cpu?.toFixed(1) ?? '-').padStart(14)}`,
    )
  }
  report.push(...lines)
  const has = (label) => stats.has(label)
  const five = med('lockstep folders 5 epochs')
  if (has('lockstep folders 5 epochs'))
    checks.push(`${wh}: five epochs ${five?.toFixed(1)} vs 1.5 x sharp ${(1.5 * sharp).toFixed(1)} -> ${five >= 1.5 * sharp ? 'PASS' : 'FAIL'}`)
  for (const f of ['lockstep npy 1 epoch', 'lockstep webdataset 1 epoch'].filter((f) => has(f) && has('lockstep folders 1 epoch'))) {
    const v = med(f)
    checks.push(
      `${wh}: ${f} ${v?.toFixed(1)} vs folders ${folders?.toFixed(1)} (${((v / folders - 1) * 100).toFixed(0)}%) -> ${v >= 0.9 * folders ? 'PASS' : 'FAIL'}`,
    )
  }
  if (wh === '4000x3000' && has('lockstep folders 5 epochs, 2 workers')) {
    const rss = Math.max(...rows.filter((r) => r.label.startsWith('lockstep')).flatMap((r) => stats.get(r.label).rss))
    const rss2 = Math.max(...stats.get('lockstep folders 5 epochs, 2 workers').rss)
    checks.push(
      `${wh}: peak RSS with 2 workers (5 epochs, decode reuse) ${rss2.toFixed(0)} MB, of any lockstep row ${rss.toFixed(0)} MB, <= 600 MB -> ${Math.max(rss, rss2) <= 600 ? 'PASS' : 'FAIL'}`,
    )
  }
  // part 1: the project row against every peer row (both envs) of run_all's own table
  const f1 = join(results, `${wh}-n${n}.json`)
  if (!process.env.SKIP_PEERS && existsSync(f1)) {
    const t = JSON.parse(readFileSync(f1, 'utf8'))
    const ours = t.table.find((r) => r.row === 'project exporter')
    const peers = t.table.filter((r) => /^[ABC] /.test(r.row))
    let best = { v: 0, label: '' }
    for (const p of peers) for (const e of t.envs) if ((p[e]?.whole ?? 0) > best.v) best = { v: p[e].whole, label: `${p.row} (${e})` }
    const mine = ours?.[t.envs[0]]?.whole
    checks.push(
      `${wh}: one epoch to folders ${mine?.toFixed(1)} (default env) vs best peer ${best.v.toFixed(1)} [${best.label}] -> ${mine > best.v ? 'PASS' : 'FAIL'}`,
    )
  }
}
/** Part 3's row filter (GENERAL_ROWS: words any of which the label must hold; unset: every row). */
function wantGeneral(label) {
  const words = process.env.GENERAL_ROWS?.split(',').map((w) => w.trim().toLowerCase())
  return !words || words.some((w) => label.toLowerCase().includes(w))
}

// ---- part 3: the general recipe -----------------------------------------------------------------------
if (!process.env.SKIP_GENERAL) await generalRecipe()

async function generalRecipe() {
  const py = '/usr/bin/python3'
  const general = join(repo, 'scripts', 'bench', 'general-recipe.json')
  const albuPath = process.env.ALBU_PYTHONPATH ?? '/tmp/peers/albumentations-1.3.1:/tmp/peers/qudida-0.0.4'
  const albu = spawnSync(py, ['-c', 'import albumentations as A; print(A.__version__)'], { encoding: 'utf8', env: { ...process.env, PYTHONPATH: albuPath } })
  const albuWhy =
    albu.status === 0
      ? null
      : `Albumentations is not importable from ALBU_PYTHONPATH=${albuPath} (${(albu.stderr.trim().split('\n').pop() ?? '').slice(0, 80)}); its row is skipped`
  // the same pipeline as Albumentations 1.3.1 JSON, for A.load (SaltAndPepper exists from 1.4.21: that row drops it, said below)
  const albuJson = join(work, 'general-albumentations.json')
  const conv = spawnSync('node', [cli, 'recipe', 'convert', general, '--to', 'albumentations'], { encoding: 'utf8' })
  if (conv.status === 0 || conv.stdout) {
    // 1.3.1 has no SaltAndPepper (convert emits it for 1.4.21+): A.load would fail on it, so the
    // Albumentations row runs without that step (less work than the other rows do)
    const pipeline = JSON.parse(conv.stdout)
    pipeline.transform.transforms = pipeline.transform.transforms.filter((t) => t.__class_fullname__ !== 'SaltAndPepper')
    writeFileSync(albuJson, JSON.stringify(pipeline, null, 2))
  }
  const genCmd = `node ${cli} export --images {data}/images --masks {data}/masks --recipe ${general} --seed 1 --workers ${WORKERS} --format folders --image-format jpeg --quality 90 --out {out}`
  const peerScript = join(repo, 'scripts', 'bench', 'peer_opencv_general.py')
  const rows = [
    { label: 'lockstep general', cmd: genCmd },
    { label: 'lockstep general, LOCKSTEP_NATIVE=0', cmd: `LOCKSTEP_NATIVE=0 ${genCmd}` },
    { label: 'OpenCV general, Pool(2)', cmd: `${py} ${peerScript} --data {data} --out {out} --procs 2` },
    { label: 'OpenCV general, 1 process', cmd: `${py} ${peerScript} --data {data} --out {out} --procs 1` },
  ]
  if (!albuWhy && wantGeneral('Albumentations 1.3.1 general, Pool(2)')) {
    const load = `import albumentations as A, cv2, os, sys, multiprocessing as mp\nT = A.load("${albuJson}")\nd, o = sys.argv[1], sys.argv[2]\nnames = sorted(f[:-4] for f in os.listdir(d + "/images"))\ndef one(n):\n    cv2.setNumThreads(1)\n    r = T(image=cv2.imread(d + "/images/" + n + ".jpg"), mask=cv2.imread(d + "/masks/" + n + ".png", cv2.IMREAD_UNCHANGED))\n    cv2.imwrite(o + "/images/" + n + ".jpg", r["image"], [cv2.IMWRITE_JPEG_QUALITY, 90]); cv2.imwrite(o + "/masks/" + n + ".png", r["mask"])\nos.makedirs(o + "/images", exist_ok=True); os.makedirs(o + "/masks", exist_ok=True)\nwith mp.get_context("fork").Pool(2) as p: list(p.imap_unordered(one, names, chunksize=2))`
    writeFileSync(join(work, 'albu_general.py'), load)
    rows.push({
      label: 'Albumentations 1.3.1 general, Pool(2)',
      note: 'without salt-and-pepper (not in 1.3.1)',
      cmd: `PYTHONPATH=${albuPath} ${py} ${join(work, 'albu_general.py')} {data} {out}`,
    })
  }
  for (let i = rows.length - 1; i >= 0; i--) if (!wantGeneral(rows[i].label)) rows.splice(i, 1)
  const lines = ['', 'general recipe (scripts/bench/general-recipe.json), whole process, output pairs/s, median of ' + RUNS]
  if (albuWhy) lines.push(`note: ${albuWhy}`)
  for (const spec of SIZES.trim().split(/\s+/)) {
    const [wh, n] = spec.split(':')
    const data = join(dataRoot, `${wh}-n${n}`)
    if (!existsSync(join(data, 'images'))) {
      const [w, h] = wh.split('x')
      const make = [join(work, 'make_data.py'), join(benchDir ?? '', 'make_data.py')].find((f) => existsSync(f))
      spawnSync(py, [make, '--out', data, '-n', n, '--width', w, '--height', h, '--if-missing'], { stdio: 'inherit' })
    }
    const stats = new Map(rows.map((r) => [r.label, []]))
    const load0 = (await import('node:os')).loadavg()[0]
    for (let i = 0; i < RUNS; i++) {
      for (const row of rows) {
        const r = runRow(row.cmd, data, join(work, 'out-general', row.label.replace(/[^A-Za-z0-9]+/g, '_')))
        if (r.ok) stats.get(row.label).push(Number(n) / r.seconds)
        console.error(`  general ${wh} run ${i + 1} ${row.label.padEnd(40)} ${r.seconds.toFixed(2)}s  rss ${r.rssMb?.toFixed(0) ?? '?'} MB`)
      }
    }
    const load1 = (await import('node:os')).loadavg()[0]
    const med = (label) => median(stats.get(label) ?? [])
    lines.push(`${n} pairs ${wh} -> 512x512 (loadavg ${load0.toFixed(1)} -> ${load1.toFixed(1)})`)
    for (const row of rows) lines.push(`  ${row.label.padEnd(42)} ${(med(row.label)?.toFixed(1) ?? '-').padStart(7)}${row.note ? `  (${row.note})` : ''}`)
    const ours = med('lockstep general'),
      plain = med('lockstep general, LOCKSTEP_NATIVE=0'),
      cvp = med('OpenCV general, Pool(2)')
    const ran = (...labels) => labels.every((l) => rows.some((r) => r.label === l))
    const skipped = (what) => `${wh} general: ${what} not run (GENERAL_ROWS=${process.env.GENERAL_ROWS})`
    checks.push(
      ran('lockstep general', 'OpenCV general, Pool(2)')
        ? `${wh} general: lockstep ${ours?.toFixed(1)} vs 1.2 x OpenCV Pool(2) ${(1.2 * cvp).toFixed(1)} -> ${ours >= 1.2 * cvp ? 'PASS' : 'FAIL'}`
        : skipped('the OpenCV check'),
    )
    const al = med('Albumentations 1.3.1 general, Pool(2)')
    checks.push(
      al
        ? `${wh} general: lockstep ${ours?.toFixed(1)} vs 1.5 x Albumentations Pool(2) ${(1.5 * al).toFixed(1)} -> ${ours >= 1.5 * al ? 'PASS' : 'FAIL'}`
        : `${wh} general: Albumentations row skipped (${albuWhy ? 'not importable here' : wantGeneral('Albumentations') ? 'failed' : 'GENERAL_ROWS'})`,
    )
    checks.push(
      ran('lockstep general', 'lockstep general, LOCKSTEP_NATIVE=0')
        ? `${wh} general: without the native kernels ${plain?.toFixed(1)} vs half of with ${(ours / 2).toFixed(1)} (at most 2x slower) -> ${plain >= ours / 2 ? 'PASS' : 'FAIL'}`
        : skipped('the no-addon check'),
    )
  }
  report.push(...lines)
}

const text = [...report, '', 'targets:', ...checks.map((c) => '  ' + c)].join('\n')
console.log(text)
writeFileSync(join(results, 'export-extra.txt'), text + '\n')
