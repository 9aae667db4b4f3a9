// SIGKILL during mask saves (issue 11: "nothing lost, ever"). A child process saves masks in a loop
// through the built catalog and is killed at random moments, many times. After every kill each
// mask file must be exactly the content of the last save that returned or of the one in flight,
// never a mix or a partial file, and every mask_versions row must have its history file, complete
// (its sha256). The next process settles what a killed one left (mask_journal) as it saves; at
// the end the catalog agrees with the files (hashes, class counts), no journal row is left, and
// each sample's versions are exactly the contents its landed saves replaced, in order. Files the
// kill can leave without a row are dot-prefixed temporary files (never cataloged: a re-scan adds
// nothing) and history copies named by their content (a complete copy, harmless).
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import Database from 'better-sqlite3'
import { decode as decodePng } from 'fast-png'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Catalog } from '../../src/main/catalog/catalog'
import { runImport, runRescan } from '../../src/main/catalog/importer'
import { labelCounts, settleJournal } from '../../src/main/catalog/mask-store'
import { Rng } from '../../src/main/augment/rng'
import { imagePng, tempDir } from './fixtures'
import { fixturePng, put } from './labels-helpers'
// @ts-expect-error: a plain .mjs module (the child process runs it)
import { contentFor, KH, KW } from './mask-kill-child.mjs'

const ROOT = resolve(import.meta.dirname, '../..')
const LIB = join(ROOT, 'out/main/lib.js')
const CHILD = join(import.meta.dirname, 'mask-kill-child.mjs')
const KILLS = 20 // each child needs ~1 s to start (loading the built library) on a busy machine
const sha1 = (b: Uint8Array) => createHash('sha1').update(b).digest('hex')
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

/** Which iteration's content a mask file holds (-1: the fixture it started as), checking every pixel. */
function iterationOf(file: string, original: Uint8Array | undefined): number {
  const png = decodePng(readFileSync(file)) // throws on a partial file
  const data = Array.from(png.data as Uint8Array)
  if (original && data.every((v, i) => v === original[i])) return -1
  const k = data[0] - 10 + 200 * (data[1] - 10)
  expect(data, `${file} holds neither the fixture nor a saved label map`).toEqual(Array.from(contentFor(k) as Uint8Array))
  return k
}

function walk(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]))
}

interface Run {
  started: Map<number, number>
  done: Map<number, number>
  doneCount: Map<number, number>
  last: number
}

async function runChild(project: string, start: number, ids: number[], killAfterMs: number | null, stopAfter?: number): Promise<Run> {
  const args = [CHILD, LIB, project, String(start), ids.join(','), ...(stopAfter ? [String(stopAfter)] : [])]
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  const run: Run = { started: new Map(), done: new Map(), doneCount: new Map(), last: start - 1 }
  let buf = ''
  let err = ''
  let first: () => void
  const firstStart = new Promise<void>((r) => (first = r))
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString()
    let nl: number
    while ((nl = buf.indexOf('\n')) >= 0) {
      const [what, k, id] = buf.slice(0, nl).split(' ')
      buf = buf.slice(nl + 1)
      if (what === 'start') {
        run.started.set(Number(id), Number(k))
        run.last = Number(k)
        first()
      } else {
        run.done.set(Number(id), Number(k))
        run.doneCount.set(Number(id), (run.doneCount.get(Number(id)) ?? 0) + 1)
      }
    }
  })
  child.stderr.on('data', (d: Buffer) => (err += d.toString()))
  const exited = new Promise<NodeJS.Signals | number | null>((r) => child.on('exit', (code, signal) => r(signal ?? code)))
  if (killAfterMs !== null) {
    await Promise.race([firstStart, exited])
    await new Promise((r) => setTimeout(r, killAfterMs))
    child.kill('SIGKILL')
    const how = await exited
    expect(how, err).toBe('SIGKILL')
  } else expect(await exited, err).toBe(0)
  return run
}

describe('SIGKILL while saving masks', () => {
  const t = tempDir('maskkill')
  const project = join(t.dir, 'proj')
  const ids: number[] = []
  const keys = ['g8', 'pal', 'bare']
  const originals = new Map<number, Uint8Array>()
  const files = new Map<number, string>()

  beforeAll(async () => {
    if (!existsSync(LIB)) throw new Error('out/main/lib.js is missing: run `npm run build` before these tests')
    for (const k of keys) put(join(t.dir, 'images', `${k}.png`), await imagePng(KW, KH, k.length))
    const orig = (x: number, y: number) => (x < KW / 2 ? 0 : 1 + (y % 2))
    put(join(t.dir, 'masks', 'g8.png'), fixturePng(KW, KH, orig))
    put(
      join(t.dir, 'masks', 'pal.png'),
      fixturePng(KW, KH, orig, {
        palette: [
          [0, 0, 0],
          [255, 0, 0],
          [0, 255, 0],
        ],
      }),
    )
    const c = Catalog.open(project, { create: true })
    await runImport(c, { images: join(t.dir, 'images'), masks: join(t.dir, 'masks') })
    for (const k of keys) {
      const id = c.db.prepare('SELECT id FROM samples WHERE key = ?').pluck().get(k) as number
      ids.push(id)
      files.set(id, join(t.dir, 'masks', `${k}.png`))
      if (k !== 'bare')
        originals.set(
          id,
          Uint8Array.from({ length: KW * KH }, (_, i) => orig(i % KW, Math.floor(i / KW))),
        )
    }
    c.close()
  })
  afterAll(() => t.cleanup())

  it(`${KILLS} kills at random moments: every mask old or new, never partial; history and table consistent after`, async () => {
    const rng = Rng.fromParts('mask-kill', 1)
    // per sample: the iterations whose content landed on disk, in order (-1: the fixture)
    const landed = new Map<number, number[]>(ids.map((id) => [id, originals.has(id) ? [-1] : []]))
    let next = 0
    const observe = (run: Run) => {
      for (const id of ids) {
        const file = files.get(id)!
        const list = landed.get(id)!
        const doneK = run.done.get(id)
        const startK = run.started.get(id)
        // completed saves of this run landed, in order
        for (let k = next; k <= run.last; k++) if (k % ids.length === ids.indexOf(id) && doneK !== undefined && k <= doneK) list.push(k)
        if (!existsSync(file)) {
          expect(list, `${file} is missing though saves of it completed`).toEqual([])
          continue
        }
        const k = iterationOf(file, originals.get(id))
        const allowed = new Set([list[list.length - 1], startK])
        expect(allowed.has(k), `${file} holds iteration ${k}; allowed: the last completed ${list[list.length - 1]} or the one in flight ${startK}`).toBe(true)
        if (k !== list[list.length - 1]) list.push(k) // the killed save had renamed its file
      }
    }
    const checkHistory = () => {
      const db = new Database(join(project, 'lockstep.db'), { readonly: true })
      try {
        for (const v of db.prepare('SELECT id, hash, file FROM mask_versions').all() as { id: number; hash: string; file: string }[]) {
          const f = join(project, v.file)
          expect(existsSync(f), `version ${v.id} has no file ${f}`).toBe(true)
          expect(sha256(readFileSync(f)), `version ${v.id}'s file is not complete`).toBe(v.hash)
        }
      } finally {
        db.close()
      }
    }
    let midSave = 0
    for (let kill = 0; kill < KILLS; kill++) {
      const run = await runChild(project, next, ids, rng.int(20, 400))
      if ([...run.started].some(([id, k]) => run.done.get(id) !== k)) midSave++
      observe(run)
      checkHistory()
      next = run.last + 1
    }
    expect(midSave).toBeGreaterThan(KILLS / 2) // the kills did land inside saves
    // a last process saves each sample once more (settling what the killed ones left) and exits
    const final = await runChild(project, next, ids, null, ids.length * 2)
    observe(final)
    expect(landed.get(ids[0])!.length).toBeGreaterThan(5) // the loop really saved

    const c = Catalog.open(project)
    try {
      await settleJournal(c)
      expect(c.db.prepare('SELECT COUNT(*) FROM mask_journal').pluck().get()).toBe(0)
      expect(c.db.pragma('integrity_check', { simple: true })).toBe('ok')
      for (const id of ids) {
        const file = files.get(id)!
        const bytes = readFileSync(file)
        const d = c.sampleDetail(id)
        expect(d.maskHash).toBe(sha1(bytes))
        expect(d.error).toBeNull()
        const counts = labelCounts({ depth: 8, data: decodePng(bytes).data as Uint8Array })
        expect(d.classes).toEqual([...counts].sort((a, b) => a[0] - b[0]).map(([index, pixels]) => ({ index, pixels })))
        // the versions are exactly the contents the landed saves replaced, oldest first
        const list = landed.get(id)!
        const versions = (c.db.prepare('SELECT file FROM mask_versions WHERE sample_id = ? ORDER BY id').pluck().all(id) as string[]).map((f) =>
          iterationOf(join(project, f), originals.get(id)),
        )
        expect(versions).toEqual(list.slice(0, -1))
        expect(iterationOf(file, originals.get(id))).toBe(list[list.length - 1])
      }
      // what a kill may leave: hidden temporary files, and complete history copies named by content
      for (const f of [...walk(join(t.dir, 'masks')), ...walk(join(project, 'history'))]) {
        const name = relative(t.dir, f)
        const base = f.slice(f.lastIndexOf('/') + 1)
        if (base.startsWith('.')) expect(base, name).toMatch(/^\.lockstep-.*\.tmp$/)
        else if (name.includes('history')) expect(base).toBe(`${sha256(readFileSync(f))}.png`)
        else expect(keys.map((k) => `${k}.png`)).toContain(base)
      }
      const [s] = await runRescan(c, undefined)
      expect(s).toMatchObject({ added: 0, removed: 0, changed: 0, seen: keys.length })
    } finally {
      c.close()
    }
  }, 300_000)
})
