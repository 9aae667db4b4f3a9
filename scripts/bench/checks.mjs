#!/usr/bin/env node
// npm run bench:checks — the whole-file JPEG check (native/decoders/check_jpeg.c) in C, CPU ms per
// file (the thread's own clock, best of REPS after a warm-up), beside the check before its hot
// loops were rewritten (native/decoders/test/check_jpeg_old.c, the fuzzer's differential
// reference) and libjpeg-turbo reading the same file's coefficients (Huffman decode, no IDCT) and
// decoding it fully, in the same run. Files: the bench:export data (../shared/bench make_data.py:
// quality 90, 4:2:0) at 1024x768 and 4000x3000, and each re-encoded progressive by sharp.
//
//   npm run bench:checks [reps]        env: DATA_ROOT=/tmp/bench-data  BENCH_DIR=<the shared bench>
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import sharp from 'sharp'

const repo = resolve(import.meta.dirname, '..', '..')
const src = join(repo, 'native', 'decoders')
const REPS = Number(process.argv[2] ?? 15)
const work = join(process.env.BENCH_WORK ?? '/tmp/lockstep-bench', 'checks')
const dataRoot = process.env.DATA_ROOT ?? '/tmp/bench-data'
const benchDir = [process.env.BENCH_DIR, join(repo, '..', 'shared', 'bench'), '/work/shared/bench'].find((d) => d && existsSync(join(d, 'make_data.py')))
mkdirSync(work, { recursive: true })

function sh(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 16 << 20 })
  if (r.status !== 0) {
    console.error(`bench:checks: ${cmd} ${args.join(' ')} failed:\n${r.stderr}`)
    process.exit(1)
  }
  return r.stdout
}

// the same bench program twice: the check as it is, and as it was (its entry point renamed back)
const cc = (out, check, defs = []) =>
  sh('gcc', [
    '-std=c11',
    '-D_DEFAULT_SOURCE',
    '-O2',
    '-ffp-contract=off',
    ...defs,
    '-o',
    join(work, out),
    join(src, 'test', 'bench_check.c'),
    join(src, check),
    join(src, 'files.c'),
    '-ljpeg',
    '-lz',
    '-lm',
  ])
cc('bench_now', 'check_jpeg.c')
cc('bench_old', join('test', 'check_jpeg_old.c'), ['-Dcheck_jpeg_old=check_jpeg'])

const files = []
for (const [w, h, n] of [
  [1024, 768, 200],
  [4000, 3000, 30],
]) {
  const dir = join(dataRoot, `${w}x${h}-n${n}`)
  if (!existsSync(join(dir, 'images', '00000.jpg'))) {
    if (!benchDir) {
      console.error(`bench:checks: no ${dir} and no shared bench to make it (set BENCH_DIR or DATA_ROOT)`)
      process.exit(1)
    }
    sh('/usr/bin/python3', [join(benchDir, 'make_data.py'), '--out', dir, '-n', String(n), '--width', String(w), '--height', String(h), '--if-missing'])
  }
  for (const i of [0, 1, 2]) {
    const f = join(dir, 'images', `0000${i}.jpg`)
    files.push({ label: `${w}x${h} baseline #${i}`, path: f })
    if (i === 0) {
      const p = join(work, `${w}x${h}-progressive.jpg`)
      if (!existsSync(p)) writeFileSync(p, await sharp(readFileSync(f)).jpeg({ quality: 90, progressive: true }).toBuffer())
      files.push({ label: `${w}x${h} progressive`, path: p })
    }
  }
}

const measure = (exe, kinds) => {
  const out = new Map()
  for (const line of sh(join(work, exe), [String(REPS), kinds, ...files.map((f) => f.path)])
    .trim()
    .split('\n')) {
    const [path, kind, bytes, ms] = line.split(' ')
    out.set(`${path} ${kind}`, { bytes: Number(bytes), ms: Number(ms) })
  }
  return out
}
const load0 = (await import('node:os')).loadavg()[0]
const old = measure('bench_old', 'c')
const now = measure('bench_now', 'ckd')
const load1 = (await import('node:os')).loadavg()[0]

const rows = files.map((f) => {
  const get = (m, k) => m.get(`${f.path} ${k}`)?.ms
  return {
    file: f.label,
    bytes: now.get(`${f.path} check`).bytes,
    before: get(old, 'check'),
    after: get(now, 'check'),
    coefficients: get(now, 'coefficients'),
    decode: get(now, 'decode'),
  }
})
const pad = (s, n) => String(s).padStart(n)
const lines = [
  `whole-file JPEG check, CPU ms per file (best of ${REPS}; loadavg ${load0.toFixed(1)} -> ${load1.toFixed(1)})`,
  `${'file'.padEnd(26)} ${pad('bytes', 9)} ${pad('before', 8)} ${pad('after', 8)} ${pad('speed-up', 9)} ${pad('libjpeg coef', 13)} ${pad('libjpeg decode', 15)}`,
  ...rows.map(
    (r) =>
      `${r.file.padEnd(26)} ${pad(r.bytes, 9)} ${pad(r.before.toFixed(2), 8)} ${pad(r.after.toFixed(2), 8)} ${pad((r.before / r.after).toFixed(2) + 'x', 9)} ${pad(r.coefficients.toFixed(2), 13)} ${pad(r.decode.toFixed(2), 15)}`,
  ),
]
console.log(lines.join('\n'))
writeFileSync(join(work, 'results.json'), JSON.stringify({ reps: REPS, loadavg: [load0, load1], rows }, null, 2))
