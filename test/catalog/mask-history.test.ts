// Pruning kept mask versions: which versions go (--keep per sample, --older-than), the history
// files no version names any more (and only those: content shared by a kept version stays), a dry
// run that changes nothing, the jobs that lose versions, and a save that meets a prune between
// keeping its history file and recording its version (the file is written again, never missing).
import { spawnSync } from 'node:child_process'
import { existsSync, promises as fsp, readFileSync, readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Catalog } from '../../src/main/catalog/catalog'
import { runImport } from '../../src/main/catalog/importer'
import { pruneMaskHistory } from '../../src/main/catalog/mask-history'
import { historyPath } from '../../src/main/catalog/mask-store'
import type { SampleDetail } from '../../src/shared/contract/catalog'
import type { MaskSaveResult, MaskVersionInfo } from '../../src/shared/contract/labels'
import { imagePng, tempDir } from './fixtures'
import { call, context, fixturePng, labelMap, payload, put, type Ctx } from './labels-helpers'

const W = 8
const H = 6
const DAY = 24 * 60 * 60 * 1000
const CLI = resolve(import.meta.dirname, '../../bin/lockstep.js') // the BUILT CLI (npm run build first)
const runCli = (args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('mask prune', () => {
  let t: ReturnType<typeof tempDir>
  let ctx: Ctx
  let catalog: Catalog
  const ids = new Map<string, number>()
  const save = async (key: string, fill: number) => {
    const d = await call<SampleDetail>(ctx, 'samples.get', { id: ids.get(key)! })
    return call<MaskSaveResult>(ctx, 'mask.save', {
      sampleId: d.id,
      width: W,
      height: H,
      depth: 8,
      data: payload(labelMap(W, H, (x) => (x < 4 ? 0 : fill))),
      baseHash: d.maskHash,
    })
  }
  const versions = (key: string) => call<MaskVersionInfo[]>(ctx, 'mask.versions', { sampleId: ids.get(key)! })
  const historyFiles = () => readdirSync(join(t.dir, 'proj', 'history'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length
  /** Ages a version: as if it had been kept `days` ago. */
  const age = (id: number, days: number) => catalog.db.prepare('UPDATE mask_versions SET created_at = ? WHERE id = ?').run(Date.now() - days * DAY, id)

  beforeEach(async () => {
    t = tempDir('prune')
    for (const k of ['a', 'b']) {
      put(join(t.dir, 'images', `${k}.png`), await imagePng(W, H, k.charCodeAt(0)))
      put(
        join(t.dir, 'masks', `${k}.png`),
        fixturePng(W, H, () => 1),
      )
    }
    ;({ ctx } = context())
    await call(ctx, 'project.create', { dir: join(t.dir, 'proj') })
    catalog = ctx.session.requireCatalog()
    await runImport(catalog, { images: join(t.dir, 'images'), masks: join(t.dir, 'masks') })
    for (const r of catalog.db.prepare('SELECT id, key FROM samples').all() as { id: number; key: string }[]) ids.set(r.key, r.id)
  })
  afterEach(() => {
    vi.restoreAllMocks()
    ctx.session.close()
    t.cleanup()
  })

  it('keeps the newest N of every sample, removes the rest and the files only they named', async () => {
    for (const fill of [2, 3, 4, 5]) await save('a', fill) // a: 4 versions (contents 1, 2, 3, 4)
    await save('b', 2) // b: 1 version (content 1: the same bytes as a's oldest, one shared file)
    const aBefore = await versions('a')
    expect(aBefore).toHaveLength(4)
    expect(historyFiles()).toBe(4)
    const r = await pruneMaskHistory(catalog, { keep: 2 })
    expect(r).toMatchObject({ versions: 2, files: 1, jobs: [] })
    expect(r.bytes).toBeGreaterThan(0)
    const aAfter = await versions('a')
    expect(aAfter).toEqual(aBefore.slice(0, 2)) // the two newest
    expect(await versions('b')).toHaveLength(1)
    // content 1 is still named by b's version: its file stays; content 2's file is gone
    expect(historyFiles()).toBe(3)
    for (const v of [...aAfter, ...(await versions('b'))]) {
      const row = catalog.db.prepare('SELECT file FROM mask_versions WHERE id = ?').get(v.id) as { file: string }
      expect(readFileSync(historyPath(catalog, row.file)).length).toBe(v.bytes)
    }
    // the kept versions still restore, byte for byte
    const restored = await call<MaskSaveResult>(ctx, 'mask.restore', { sampleId: ids.get('a'), versionId: aAfter[1].id })
    expect(restored.sample.maskHash).toBeTruthy()
  })

  it('--older-than prunes only versions kept before the cutoff, and keep + age combine', async () => {
    for (const fill of [2, 3, 4]) await save('a', fill)
    const v = await versions('a') // newest first
    age(v[2].id, 40)
    age(v[1].id, 10)
    let r = await pruneMaskHistory(catalog, { before: Date.now() - 30 * DAY })
    expect(r.versions).toBe(1)
    expect((await versions('a')).map((x) => x.id)).toEqual([v[0].id, v[1].id])
    // beyond the newest 1 AND older than 5 days: only v[1]
    r = await pruneMaskHistory(catalog, { keep: 1, before: Date.now() - 5 * DAY })
    expect(r.versions).toBe(1)
    expect((await versions('a')).map((x) => x.id)).toEqual([v[0].id])
  })

  it('a dry run reports the same numbers and changes nothing', async () => {
    for (const fill of [2, 3, 4]) await save('a', fill)
    const before = await versions('a')
    const files = historyFiles()
    const dry = await pruneMaskHistory(catalog, { keep: 0, dryRun: true })
    expect(await versions('a')).toEqual(before)
    expect(historyFiles()).toBe(files)
    const real = await pruneMaskHistory(catalog, { keep: 0 })
    expect(real).toEqual(dry)
    expect(historyFiles()).toBe(0)
  })

  it('names the remap jobs whose undo loses versions, and refuses a prune without a rule', async () => {
    await save('a', 2)
    catalog.db.prepare("UPDATE mask_versions SET job_id = 'remap-7', reason = 'remap'").run()
    const r = await pruneMaskHistory(catalog, { keep: 0 })
    expect(r.jobs).toEqual(['remap-7'])
    await expect(pruneMaskHistory(catalog, {})).rejects.toThrow(/--keep N .* --older-than DAYS/)
    await expect(pruneMaskHistory(catalog, { keep: -1 })).rejects.toThrow(/--keep must be a whole number/)
  })

  it('a save that finds its content already kept, and a prune that removes that file before the save records it: the file is written again', async () => {
    await save('b', 2) // b's version: the imported content (a and b were imported with the same bytes), file F
    // a save of a keeps that same content: step 2 finds F; a prune removes b's version and F before step 3
    const real = fsp.stat.bind(fsp)
    let pruned = false
    vi.spyOn(fsp, 'stat').mockImplementation(async (p, o) => {
      const st = await real(p, o as never)
      if (!pruned && String(p).includes(`${join('proj', 'history')}`)) {
        pruned = true
        await pruneMaskHistory(catalog, { keep: 0 }) // between step 2 (found the file) and step 3 (the row)
      }
      return st
    })
    const r = await save('a', 2)
    expect(pruned).toBe(true)
    const row = catalog.db.prepare('SELECT file, hash FROM mask_versions WHERE id = ?').get(r.replaced!.id) as { file: string; hash: string }
    expect(existsSync(historyPath(catalog, row.file))).toBe(true)
    expect(readFileSync(historyPath(catalog, row.file)).length).toBe(r.replaced!.bytes)
  })

  it('lockstep mask prune: --dry-run, the summary, bad options named', async () => {
    for (const fill of [2, 3]) await save('a', fill)
    ctx.session.close()
    const project = join(t.dir, 'proj')
    const dry = runCli(['mask', 'prune', '--keep', '1', '--dry-run', '--project', project])
    expect(dry.code).toBe(0)
    expect(dry.stdout).toMatch(/Would prune 1 versions and remove 1 history files .*nothing was changed/)
    const real = runCli(['mask', 'prune', '--keep', '1', '--project', project])
    expect(real.stdout).toMatch(/Pruned 1 versions; removed 1 history files/)
    const bad = runCli(['mask', 'prune', '--older-than', 'soon', '--project', project])
    expect(bad.code).not.toBe(0)
    expect(bad.stderr).toMatch(/--older-than must be a number of days/)
    const none = runCli(['mask', 'prune', '--project', project])
    expect(none.code).not.toBe(0)
    expect(none.stderr).toMatch(/--keep N .* --older-than DAYS/)
    ;({ ctx } = context()) // afterEach closes a session
  })
})
