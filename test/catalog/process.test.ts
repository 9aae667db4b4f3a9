// Real processes on one project: a SIGKILL in the middle of an import and a clean resume, and
// two processes at once. Runs the BUILT CLI (npm run build first).
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeManyPairs } from '../../scripts/bench/catalog-data.mjs'
import { tempDir } from './fixtures'

const ROOT = resolve(import.meta.dirname, '../..')
const CLI = join(ROOT, 'bin/lockstep.js')
const PAIRS = 6000

function cli(args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 })
}

function rowsIn(dbFile: string): number {
  if (!existsSync(dbFile)) return 0
  try {
    const db = new Database(dbFile, { readonly: true, timeout: 1000 })
    try {
      return db.prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 'samples'").pluck().get()
        ? (db.prepare('SELECT COUNT(*) FROM samples').pluck().get() as number)
        : 0
    } finally {
      db.close()
    }
  } catch {
    return 0
  }
}

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (cond()) return true
    await new Promise((r) => setTimeout(r, 20))
  }
  return cond()
}

describe('the built CLI on one project from several processes', () => {
  const t = tempDir('process')
  let images = ''
  let masks = ''
  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'out/main/cli.js'))) throw new Error('out/main/cli.js is missing: run `npm run build` before these tests')
    ;({ images, masks } = await writeManyPairs(t.dir, PAIRS))
  })
  afterAll(() => t.cleanup())

  it('SIGKILL mid-import, then the same command resumes: no duplicate rows, integrity ok, every pair once', async () => {
    const project = join(t.dir, 'killed')
    const dbFile = join(project, 'lockstep.db')
    const child = spawn(process.execPath, [CLI, 'import', images, '--masks', masks, '--project', project], { stdio: 'ignore' })
    const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_code, signal) => r(signal)))
    // kill once some batches are committed but well before the end
    const started = await until(() => rowsIn(dbFile) >= 1000, 60_000)
    expect(started).toBe(true)
    child.kill('SIGKILL')
    expect(await exited).toBe('SIGKILL')
    const partial = rowsIn(dbFile)
    expect(partial).toBeGreaterThan(0)
    expect(partial).toBeLessThan(PAIRS)

    // the lock of the killed process is stale and taken over; the import resumes after the checkpoint
    const again = cli(['import', images, '--masks', masks, '--project', project, '--json'])
    expect(again.stderr).not.toMatch(/error/)
    expect(again.status).toBe(0)
    const summary = JSON.parse(again.stdout)
    expect(summary.resumed).toBe(true)
    expect(summary.added).toBe(PAIRS) // counts carried over from the killed run
    expect(summary.removed).toBe(0)
    const db = new Database(dbFile, { readonly: true })
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
      expect(db.pragma('foreign_key_check')).toEqual([])
      expect(db.prepare('SELECT COUNT(*) FROM samples').pluck().get()).toBe(PAIRS)
      expect(db.prepare('SELECT COUNT(DISTINCT key) FROM samples').pluck().get()).toBe(PAIRS)
      expect(db.prepare('SELECT COUNT(*) FROM samples WHERE error_kind IS NOT NULL').pluck().get()).toBe(0)
      expect(db.prepare('SELECT COUNT(*) FROM samples WHERE class_set IS NULL').pluck().get()).toBe(0)
      // every pixel counted once: 16x16 masks
      expect(db.prepare('SELECT SUM(pixels) FROM sample_classes').pluck().get()).toBe(PAIRS * 256)
      expect(db.prepare("SELECT status FROM jobs WHERE kind = 'import' ORDER BY started_at").pluck().all()).toEqual(['resumed', 'done'])
    } finally {
      db.close()
    }
    // and a re-scan now finds nothing to do
    const third = JSON.parse(cli(['import', images, '--masks', masks, '--project', project, '--json']).stdout)
    expect([third.added, third.changed, third.removed, third.unchanged, third.resumed]).toEqual([0, 0, 0, PAIRS, false])
  })

  it('a second import while one runs fails clearly; readers keep working; nothing is corrupted', async () => {
    const project = join(t.dir, 'shared')
    const dbFile = join(project, 'lockstep.db')
    const first = spawn(process.execPath, [CLI, 'import', images, '--masks', masks, '--project', project], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    first.stdout.on('data', (d) => (out += d))
    const exited = new Promise<number | null>((r) => first.on('exit', (code) => r(code)))
    expect(await until(() => rowsIn(dbFile) > 0, 60_000)).toBe(true)

    const second = cli(['import', images, '--masks', masks, '--project', project])
    expect(second.status).toBe(1)
    expect(second.stderr).toMatch(
      new RegExp(`lockstep import: error: Project ${project.replace(/[/\\]/g, '.')} is busy: import of .* is running in process ${first.pid}`),
    )

    // a reader (another process) sees a consistent snapshot while the import writes
    const ls = cli(['ls', '--project', project, '--json', '--limit', '5'])
    expect(ls.status).toBe(0)
    expect(JSON.parse(ls.stdout).rows.length).toBeGreaterThan(0)

    expect(await exited).toBe(0)
    expect(out).toMatch(new RegExp(`samples ${PAIRS}: added ${PAIRS}`))
    const db = new Database(dbFile, { readonly: true })
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
      expect(db.prepare('SELECT COUNT(*) FROM samples').pluck().get()).toBe(PAIRS)
    } finally {
      db.close()
    }
    expect(existsSync(join(project, 'job.lock'))).toBe(false) // released
  })

  it('ls and stats through the CLI, with --json and clear usage errors', { timeout: 180_000 }, () => {
    const project = join(t.dir, 'killed')
    const ls = cli(['ls', '--project', project, '--path', 'p000001', '--json'])
    const page = JSON.parse(ls.stdout)
    expect(page.total).toBe(10) // p0000010..p0000019
    expect(page.rows[0]).toMatchObject({ key: 'd000/p0000010', width: 16, height: 16, split: 'unassigned', error: null })
    const text = cli(['ls', '--project', project, '--error', 'any'])
    expect(text.status).toBe(0)
    expect(text.stderr).toMatch(/^0 of 0 sample\(s\)/)
    const bad = cli(['ls', '--project', project, '--split', 'training'])
    expect(bad.status).toBe(2)
    expect(bad.stderr).toMatch(/expected --split to be one of train, val, test, unassigned but received "training"/)
    const stats = cli(['stats', '--project', project, '--split', 'unassigned', '--json'])
    expect(stats.status).toBe(0)
    const s = JSON.parse(stats.stdout)
    expect(s.sampleCount).toBe(PAIRS)
    expect(s.classes.map((c: { index: number }) => c.index)).toEqual([0, 1, 2, 3])
    expect(cli(['stats', '--project', project, '--split', 'val']).stderr).toMatch(/No healthy samples in split val/)
    expect(cli(['ls', '--project', join(t.dir, 'nothing-here')]).stderr).toMatch(/Project folder not found/)
    for (const cmd of ['import', 'ls', 'stats']) expect(cli([cmd, '--help']).stdout).toMatch(new RegExp(`^usage: lockstep ${cmd}`))
  })
})
