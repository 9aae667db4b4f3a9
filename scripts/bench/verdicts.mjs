#!/usr/bin/env node
// node scripts/bench/verdicts.mjs — what recorded verdicts save a project export: the bench:export
// data imported into a project, its file_checks emptied (a project imported before the whole-file
// checks existed), then two project exports to folders, CPU ms per output each (the first checks
// every file beside the render and records the verdicts, the second reads just the crops' windows).
// BEFORE=<another checkout, built> runs the same two exports with that checkout's CLI too, in turn.
//
//   npm run build && node scripts/bench/verdicts.mjs [rounds]     env: DATA=/tmp/bench-data/4000x3000-n30
import { spawnSync } from 'node:child_process'
import { existsSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { basename, join, resolve } from 'node:path'

const repo = resolve(import.meta.dirname, '..', '..')
const data = process.env.DATA ?? '/tmp/bench-data/4000x3000-n30'
const ROUNDS = Number(process.argv[2] ?? 2)
const work = join(process.env.BENCH_WORK ?? '/tmp/lockstep-bench', 'verdicts')
const project = join(work, `project-${basename(data)}`)
const recipe = join(repo, 'scripts', 'bench', 'export-recipe.json')
const clis = { after: join(repo, 'bin', 'lockstep.js'), ...(process.env.BEFORE ? { before: join(resolve(process.env.BEFORE), 'bin', 'lockstep.js') } : {}) }
if (!existsSync(join(data, 'images'))) {
  console.error(`verdicts: no ${data}/images (run npm run bench:export once, or set DATA)`)
  process.exit(1)
}
const Database = createRequire(import.meta.url)('better-sqlite3')
const pairs = Number(spawnSync('sh', ['-c', `ls ${data}/images | wc -l`], { encoding: 'utf8' }).stdout)

function cpu(cli, args) {
  const r = spawnSync('/usr/bin/time', ['-f', 'CPU_S %U %S', 'node', cli, ...args], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`${cli} ${args.join(' ')}: ${r.stderr.slice(-400)}`)
  const m = /CPU_S ([\d.]+) ([\d.]+)/.exec(r.stderr)
  return Number(m[1]) + Number(m[2])
}
const sql = (q) => {
  const db = new Database(join(project, 'lockstep.db'))
  try {
    return db.prepare(q).reader ? db.prepare(q).pluck().get() : db.prepare(q).run()
  } finally {
    db.close()
  }
}

rmSync(work, { recursive: true, force: true })
cpu(clis.after, ['import', join(data, 'images'), '--masks', join(data, 'masks'), '--project', project])
const exportArgs = (out) => ['export', '--project', project, '--recipe', recipe, '--seed', '1', '--format', 'folders', '--out', join(work, out)]
cpu(clis.after, exportArgs('warm-up')) // (the project's statistics, computed once)
const lines = [`${pairs} pairs of ${basename(data)}, project export to folders, CPU ms per output (file_checks emptied before each pair of exports)`]
for (let round = 1; round <= ROUNDS; round++) {
  for (const [who, cli] of Object.entries(clis)) {
    sql('DELETE FROM file_checks')
    const first = cpu(cli, exportArgs(`${who}-${round}-1`))
    const recorded = sql('SELECT COUNT(*) FROM file_checks')
    const second = cpu(cli, exportArgs(`${who}-${round}-2`))
    lines.push(
      `round ${round} ${who.padEnd(6)}: first export ${((first * 1000) / pairs).toFixed(1)}, second ${((second * 1000) / pairs).toFixed(1)} (verdicts recorded by the first: ${recorded})`,
    )
  }
}
console.log(lines.join('\n'))
