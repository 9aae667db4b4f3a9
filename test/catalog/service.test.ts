import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, describe, expect, it } from 'vitest'
import { createContext, dispatch } from '../../src/main/services'
import type { JobInfo } from '../../src/shared/contract/app'
import { Catalog } from '../../src/main/catalog/catalog'
import { runImport } from '../../src/main/catalog/importer'
import { parsePalette } from '../../src/main/catalog/classes'
import { openOrCreateSampleProject } from '../../src/main/catalog/project'
import { thumbCacheDir } from '../../src/main/catalog/thumbnails'
import { imagePng, maskPng, simplePairs, tempDir, writePairs } from './fixtures'

function context() {
  const events: { name: string; payload: unknown }[] = []
  const ctx = createContext({ emit: (name, payload) => void events.push({ name, payload }) })
  const jobDone = (id: string) =>
    new Promise<JobInfo>((resolve) => {
      const tick = () => {
        const j = ctx.jobs.list().find((x) => x.id === id)
        if (j && j.status !== 'running') resolve(j)
        else setTimeout(tick, 10)
      }
      tick()
    })
  return { ctx, events, jobDone }
}

async function call<T>(ctx: ReturnType<typeof createContext>, name: string, input: unknown): Promise<T> {
  const reply = await dispatch(name, input, ctx)
  if (!reply.ok) throw Object.assign(new Error(reply.error.message), reply.error)
  return reply.result as T
}

describe('catalog channels through dispatch', () => {
  const t = tempDir('service')
  afterAll(() => t.cleanup())

  it('create, import as a job with progress, query, edit, summary, stats, close', async () => {
    await writePairs(t.dir, simplePairs(12))
    const { ctx, events, jobDone } = context()
    const none = await dispatch('samples.query', {}, ctx)
    expect(none).toMatchObject({ ok: false, error: { code: 'NO_PROJECT' } })
    const info = await call<{ dir: string; sampleCount: number }>(ctx, 'project.create', { dir: join(t.dir, 'proj') })
    expect(info.sampleCount).toBe(0)
    const { jobId } = await call<{ jobId: string }>(ctx, 'import.start', { images: join(t.dir, 'images'), masks: join(t.dir, 'masks') })
    const job = await jobDone(jobId)
    expect(job).toMatchObject({ kind: 'import', status: 'done', done: 12, total: 12 })
    expect(events.some((e) => e.name === 'job.progress')).toBe(true)
    expect(events.some((e) => e.name === 'catalog.changed' && (e.payload as { what: string }).what === 'samples')).toBe(true)
    const summary = await call<{ jobId: string; added: number }>(ctx, 'import.summary', { jobId })
    expect(summary).toMatchObject({ jobId, added: 12 })
    const page = await call<{ rows: { id: number }[]; total: number }>(ctx, 'samples.query', { filter: { split: ['unassigned'] }, limit: 5 })
    expect([page.rows.length, page.total]).toEqual([5, 12])
    await call(ctx, 'samples.update', { target: { ids: page.rows.map((r) => r.id) }, split: 'train', addTags: ['first'] })
    expect(await call(ctx, 'tags.list', {})).toEqual([{ name: 'first', count: 5 }])
    const split = await call<{ counts: Record<string, number> }>(ctx, 'samples.randomSplit', { seed: 1, ratios: { train: 2, val: 1, test: 1 } })
    expect(split.counts).toEqual({ train: 6, val: 3, test: 3 })
    const stats = await call<{ jobId: string }>(ctx, 'stats.run', { split: 'train' })
    expect((await jobDone(stats.jobId)).status).toBe('done')
    expect(await call<{ sampleCount: number }>(ctx, 'stats.get', { split: 'train' })).toMatchObject({ sampleCount: 6 })
    const detail = await call<{ key: string; notes: string; imageAbsPath: string }>(ctx, 'samples.get', { id: page.rows[0].id })
    expect(detail.imageAbsPath).toBe(join(t.dir, 'images', `${detail.key}.png`))
    // bad input is refused by the schema, with the path of the problem
    expect(await dispatch('samples.update', { target: { ids: [] } }, ctx)).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } })
    expect(await dispatch('samples.get', { id: 99999 }, ctx)).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND', message: 'Sample 99999 is not in the catalog' },
    })
    const classes = await call<{ index: number; name: string }[]>(ctx, 'classes.update', { classes: [{ index: 1, name: 'road', color: '#FF0000' }] })
    expect(classes.find((c) => c.index === 1)).toMatchObject({ name: 'road', color: '#ff0000' })
    const recipe = { schema: 'lockstep.recipe/1', output: { width: 8, height: 8 }, mask: { ignoreIndex: 255 }, ops: [] }
    const saved = await call<{ versionId: number; version: number }>(ctx, 'recipe.save', { name: 'r', recipe })
    expect(saved.version).toBe(1)
    expect(await call(ctx, 'project.close', {})).toEqual({ closed: true })
    expect(await call(ctx, 'project.info', {})).toBeNull()
    const reopened = await call<{ sampleCount: number }>(ctx, 'project.open', { dir: join(t.dir, 'proj') })
    expect(reopened.sampleCount).toBe(12)
    ctx.session.close()
  })

  it('an import of a missing folder or a bad pattern fails the call, naming the folder and the field, and starts no job', async () => {
    const { ctx } = context()
    await call(ctx, 'project.create', { dir: join(t.dir, 'proj2') })
    const missing = await dispatch('import.start', { images: join(t.dir, 'no-such-folder') }, ctx)
    expect(missing).toEqual({
      ok: false,
      error: { code: 'NOT_FOUND', message: `The images folder ${join(t.dir, 'no-such-folder')} does not exist`, details: { field: 'images' } },
    })
    const identity = await dispatch('import.start', { images: t.dir, maskPatterns: ['{stem}.png'] }, ctx)
    expect(identity).toMatchObject({
      ok: false,
      error: { code: 'INVALID_INPUT', message: expect.stringMatching(/cannot tell masks from images in one folder/), details: { field: 'maskPatterns' } },
    })
    expect(ctx.jobs.list()).toEqual([])
    ctx.session.close()
  })
})

describe('class palettes', () => {
  it('reads JSON arrays, JSON objects and CSV (hex or r,g,b), and lists every problem', () => {
    expect(parsePalette('[{"index":1,"name":"road","color":"#804080"},{"index":2,"name":"sky","color":[0,0,255],"ignore":true}]', 'json')).toEqual([
      { index: 1, name: 'road', color: '#804080' },
      { index: 2, name: 'sky', color: '#0000ff', ignore: true },
    ])
    expect(parsePalette('{"0":"background","255":{"name":"void","ignore":true}}', 'json')).toEqual([
      { index: 0, name: 'background' },
      { index: 255, name: 'void', ignore: true },
    ])
    expect(parsePalette('index,name,r,g,b\n0,bg,0,0,0\n7,car,0,0,142\n', 'csv')).toEqual([
      { index: 0, name: 'bg', color: '#000000' },
      { index: 7, name: 'car', color: '#00008e' },
    ])
    expect(parsePalette('3,person,#DC143C,false', 'csv')).toEqual([{ index: 3, name: 'person', color: '#dc143c', ignore: false }])
    expect(() => parsePalette('index,name,color\n1,a,#12\nx,b,#000000\n1,c,#000000', 'csv', 'p.csv')).toThrow(
      /p\.csv has 3 problem\(s\): p\.csv line 2: colour "#12".*; p\.csv line 3: index "x".*; p\.csv line 4: index 1 appears twice/,
    )
    expect(() => parsePalette('{oops', 'json', 'p.json')).toThrow(/p\.json: not valid JSON/)
  })

  it('imports a palette file into the class table', () => {
    const t = tempDir('palette')
    const c = Catalog.open(join(t.dir, 'p'), { create: true })
    try {
      writeFileSync(join(t.dir, 'pal.csv'), '0,background,#000000,true\n1,road,128 64 128\n')
      const classes = c.importPalette({ path: join(t.dir, 'pal.csv') })
      expect(classes.map((k) => [k.index, k.name, k.color, k.ignore])).toEqual([
        [0, 'background', '#000000', true],
        [1, 'road', '#804080', false],
      ])
      expect(() => c.importPalette({ path: join(t.dir, 'missing.json') })).toThrow(/Cannot read palette .*missing\.json/)
    } finally {
      c.close()
      t.cleanup()
    }
  })
})

describe('thumbnails', () => {
  const t = tempDir('thumbs')
  afterAll(() => t.cleanup())

  it('JPEG with longest side 256, overlay in class colours, cached by content and palette', async () => {
    mkdirSync(join(t.dir, 'images'), { recursive: true })
    mkdirSync(join(t.dir, 'masks'), { recursive: true })
    writeFileSync(join(t.dir, 'images', 'big.png'), await imagePng(600, 300, 1))
    writeFileSync(join(t.dir, 'masks', 'big.png'), await maskPng(600, 300, (x) => (x < 300 ? 0 : 1)))
    const c = Catalog.open(join(t.dir, 'p'), { create: true })
    try {
      await runImport(c, { images: join(t.dir, 'images'), masks: join(t.dir, 'masks') })
      const id = c.query({}).rows[0].id
      const plain = await c.thumbnail(id, false)
      const meta = await sharp(plain).metadata()
      expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 256, 128])
      c.updateClasses([{ index: 1, color: '#ff0000' }])
      const over = await c.thumbnail(id, true)
      const px = async (buf: Buffer, x: number) => {
        const { data, info } = await sharp(buf).raw().toBuffer({ resolveWithObject: true })
        const i = (64 * info.width + x) * info.channels
        return [data[i], data[i + 1], data[i + 2]]
      }
      // left half (class 0) is untouched; right half (class 1) is pushed towards red
      const [pl, ol] = [await px(plain, 20), await px(over, 20)]
      for (let k = 0; k < 3; k++) expect(Math.abs(pl[k] - ol[k])).toBeLessThanOrEqual(3)
      const [pr, or] = [await px(plain, 230), await px(over, 230)]
      expect(or[0] - pr[0]).toBeGreaterThan(30)
      expect(files()).toHaveLength(2)
      expect((await c.thumbnail(id, true)).equals(over)).toBe(true) // from the cache
      expect(files()).toHaveLength(2)
      c.updateClasses([{ index: 1, color: '#00ff00' }])
      const green = await c.thumbnail(id, true)
      expect(green.equals(over)).toBe(false)
      expect(files()).toHaveLength(3)
      await expect(c.thumbnail(9999, false)).rejects.toThrow(/Sample 9999 is not in the catalog/)
    } finally {
      c.close()
    }
    function files() {
      return readdirSync(thumbCacheDir(c)).filter((f) => f.endsWith('.jpg'))
    }
  })
})

describe('sample project', () => {
  it('imports the sample folder on first use, then just opens it', async () => {
    const t = tempDir('sample')
    try {
      const sample = join(t.dir, 'sample')
      await writePairs(sample, simplePairs(4))
      mkdirSync(join(sample, 'recipes'))
      writeFileSync(
        join(sample, 'recipes', 'flip.json'),
        JSON.stringify({ schema: 'lockstep.recipe/1', name: 'Flip', output: { width: 8, height: 6 }, mask: { ignoreIndex: 255 }, ops: [] }),
      )
      const user = join(t.dir, 'user')
      const first = await openOrCreateSampleProject(user, sample)
      expect(first.info().sampleCount).toBe(4)
      expect(first.listRecipes().map((r) => r.name)).toEqual(['Flip'])
      first.update({ target: { filter: {} }, addTags: ['mine'] })
      first.close()
      const again = await openOrCreateSampleProject(user, sample)
      expect(again.tags()).toEqual([{ name: 'mine', count: 4 }])
      expect(again.listRecipes()).toHaveLength(1)
      again.close()
      expect(existsSync(join(user, 'sample-project', 'lockstep.db'))).toBe(true)
      await expect(openOrCreateSampleProject(user, join(t.dir, 'nothing'))).rejects.toThrow(/sample dataset is missing/)
    } finally {
      t.cleanup()
    }
  })
})
