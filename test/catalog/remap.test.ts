// classes.remap as a job through dispatch: merge 3 into 1 and move 7 to the ignore index across
// masks of different encodings; each changed mask versioned (reason 'remap'), untouched masks not
// rewritten, a target that does not fit a mask's encoding named per sample, the catalog's class
// counts following; undone by restoring the versions (byte-identical originals).
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { decode as decodePng } from 'fast-png'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Catalog } from '../../src/main/catalog/catalog'
import { runImport } from '../../src/main/catalog/importer'
import { undoJob } from '../../src/main/catalog/remap'
import type { ClassInfo, SampleDetail } from '../../src/shared/contract/catalog'
import type { MaskVersionInfo, RemapSummary } from '../../src/shared/contract/labels'
import { imagePng, tempDir } from './fixtures'
import { call, context, failure, fixturePng, put, type Ctx } from './labels-helpers'

const W = 10
const H = 6
const value = (key: string) => (x: number, y: number) => (key === 'none' ? (x < 5 ? 0 : 2) : [0, 1, 3, 7][(x + y) % 4])

describe('classes.remap', () => {
  const t = tempDir('remap')
  let ctx: Ctx
  let jobDone: (id: string) => Promise<{ status: string }>
  let catalog: Catalog
  const originals = new Map<string, Buffer>()
  const id = (key: string) => catalog.db.prepare('SELECT id FROM samples WHERE key = ?').pluck().get(key) as number

  beforeAll(async () => {
    for (const k of ['g8', 'g16', 'pal', 'none']) put(join(t.dir, 'images', `${k}.png`), await imagePng(W, H, k.length))
    put(join(t.dir, 'masks', 'g8.png'), fixturePng(W, H, value('g8')))
    put(join(t.dir, 'masks', 'g16.png'), fixturePng(W, H, value('g16'), { depth: 16 }))
    put(join(t.dir, 'masks', 'pal.png'), fixturePng(W, H, value('pal'), { palette: Array.from({ length: 8 }, (_, i) => [i * 30, 0, 0]) }))
    put(join(t.dir, 'masks', 'none.png'), fixturePng(W, H, value('none')))
    for (const k of ['g8', 'g16', 'pal', 'none']) originals.set(k, readFileSync(join(t.dir, 'masks', `${k}.png`)))
    ;({ ctx, jobDone } = context())
    await call(ctx, 'project.create', { dir: join(t.dir, 'proj') })
    catalog = ctx.session.requireCatalog()
    await runImport(catalog, { images: join(t.dir, 'images'), masks: join(t.dir, 'masks') })
  })
  afterAll(() => {
    ctx.session.close()
    t.cleanup()
  })

  it('merges 3 into 1 and moves 7 to 255 in every mask that has them, versioning each', async () => {
    const mtime = statSync(join(t.dir, 'masks', 'none.png')).mtimeMs
    const { jobId } = await call<{ jobId: string }>(ctx, 'classes.remap', {
      mapping: [
        { from: 3, to: 1 },
        { from: 7, to: 255 },
      ],
    })
    expect((await jobDone(jobId)).status).toBe('done')
    const s = await call<RemapSummary>(ctx, 'classes.remapSummary', { jobId })
    expect(s).toMatchObject({ jobId, scanned: 4, changed: 3, failed: [] })
    expect(await call(ctx, 'classes.remapSummary', {})).toEqual(s)
    for (const k of ['g8', 'g16', 'pal']) {
      const png = decodePng(readFileSync(join(t.dir, 'masks', `${k}.png`)))
      const want: number[] = []
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) want.push(({ 3: 1, 7: 255 } as Record<number, number>)[value(k)(x, y)] ?? value(k)(x, y))
      expect(Array.from(png.data)).toEqual(want)
      expect(png.depth).toBe(k === 'g16' ? 16 : 8)
      if (k === 'pal') expect(png.palette!.length).toBe(256) // the palette grew to index 255
      const v = await call<MaskVersionInfo[]>(ctx, 'mask.versions', { sampleId: id(k) })
      expect(v).toHaveLength(1)
      expect(v[0]).toMatchObject({ reason: 'remap', note: 'remap 3->1, 7->255', bytes: originals.get(k)!.length })
      const d = await call<SampleDetail>(ctx, 'samples.get', { id: id(k) })
      expect(d.classes!.map((c) => c.index)).toEqual([0, 1, 255])
    }
    // the mask without 3 or 7 was known from its class counts and never rewritten
    expect(statSync(join(t.dir, 'masks', 'none.png')).mtimeMs).toBe(mtime)
    const classes = await call<ClassInfo[]>(ctx, 'classes.list', {})
    expect(classes.find((c) => c.index === 3)).toMatchObject({ sampleCount: 0 })
    let sevens = 0
    let onesAndThrees = 0
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const v = value('g8')(x, y)
        if (v === 7) sevens++
        else if (v === 1 || v === 3) onesAndThrees++
      }
    }
    expect(classes.find((c) => c.index === 255)).toMatchObject({ sampleCount: 3, pixelCount: 3 * sevens })
    expect(classes.find((c) => c.index === 1)).toMatchObject({ sampleCount: 3, pixelCount: 3 * onesAndThrees })

    // undone by restoring the versions the job kept: the original bytes come back
    const u = await undoJob(catalog, jobId)
    expect(u).toEqual({ restored: 3, skipped: [] })
    for (const k of ['g8', 'g16', 'pal']) expect(readFileSync(join(t.dir, 'masks', `${k}.png`)).equals(originals.get(k)!)).toBe(true)
  })

  it('a target an encoding cannot hold fails that sample only, named; bad mappings are refused', async () => {
    const { jobId } = await call<{ jobId: string }>(ctx, 'classes.remap', { mapping: [{ from: 7, to: 300 }], sampleIds: [id('g8'), id('g16'), 999] })
    expect((await jobDone(jobId)).status).toBe('done')
    const s = await call<RemapSummary>(ctx, 'classes.remapSummary', { jobId })
    expect(s, JSON.stringify(s)).toMatchObject({ changed: 1 })
    expect(s.failed).toEqual([
      { sampleId: 999, message: 'Sample 999 is not in the catalog' },
      { sampleId: id('g8'), message: expect.stringContaining(`Class index 300 does not fit mask ${join(t.dir, 'masks', 'g8.png')}`) },
    ])
    expect(readFileSync(join(t.dir, 'masks', 'g8.png')).equals(originals.get('g8')!)).toBe(true)
    expect(Array.from(decodePng(readFileSync(join(t.dir, 'masks', 'g16.png'))).data)).toContain(300)
    const dup = await call<{ jobId: string }>(ctx, 'classes.remap', {
      mapping: [
        { from: 1, to: 2 },
        { from: 1, to: 3 },
      ],
    })
    expect(await jobDone(dup.jobId)).toMatchObject({
      status: 'failed',
      error: { code: 'INVALID_INPUT', message: 'Class 1 is mapped twice; give each source index one target' },
    })
    expect(await failure(ctx, 'classes.remap', { mapping: [] })).toMatchObject({ code: 'INVALID_INPUT' })
  })

  it('classes.remapUndo: a job restoring what the remap changed, a mask changed since left alone and named', async () => {
    const before = new Map(['g8', 'pal'].map((k) => [k, readFileSync(join(t.dir, 'masks', `${k}.png`))]))
    const { jobId } = await call<{ jobId: string }>(ctx, 'classes.remap', { mapping: [{ from: 0, to: 2 }], sampleIds: [id('g8'), id('pal')] })
    expect((await jobDone(jobId)).status).toBe('done')
    for (const k of ['g8', 'pal']) expect(readFileSync(join(t.dir, 'masks', `${k}.png`)).equals(before.get(k)!)).toBe(false)
    // pal is edited after the remap (its remap version restored by hand): the undo must not overwrite that
    const [palVersion] = await call<MaskVersionInfo[]>(ctx, 'mask.versions', { sampleId: id('pal') })
    await call(ctx, 'mask.restore', { sampleId: id('pal'), versionId: palVersion.id })
    const palNow = readFileSync(join(t.dir, 'masks', 'pal.png'))
    const undo = await call<{ jobId: string }>(ctx, 'classes.remapUndo', { jobId })
    expect(undo.jobId).not.toBe(jobId)
    expect((await jobDone(undo.jobId)).status).toBe('done')
    const s = await call<RemapSummary>(ctx, 'classes.remapSummary', { jobId: undo.jobId })
    expect(s).toMatchObject({ jobId: undo.jobId, scanned: 2, changed: 1 })
    expect(s.failed).toEqual([{ sampleId: id('pal'), message: expect.stringContaining('was changed after the job') }])
    expect(readFileSync(join(t.dir, 'masks', 'g8.png')).equals(before.get('g8')!)).toBe(true)
    expect(readFileSync(join(t.dir, 'masks', 'pal.png')).equals(palNow)).toBe(true)
    // an unknown job is the undo job's failure, named
    const none = await call<{ jobId: string }>(ctx, 'classes.remapUndo', { jobId: 'no-such-job' })
    expect(await jobDone(none.jobId)).toMatchObject({
      status: 'failed',
      error: { code: 'NOT_FOUND', message: expect.stringContaining('Job no-such-job changed no mask') },
    })
  })
})
