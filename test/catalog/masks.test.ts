// mask.save / mask.versions / mask.restore through dispatch, on masks of every encoding a dataset
// has: the file on disk is read back by fast-png (not Lockstep's reader) and must hold exactly the
// saved indices in its original encoding; the replaced content must be in history/ and listed;
// the catalog (hash, classes, error, totals, filters, thumbnails) must follow in the same step.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { decode as decodePng } from 'fast-png'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Catalog } from '../../src/main/catalog/catalog'
import { runImport, runRescan } from '../../src/main/catalog/importer'
import { refreshClassCounts } from '../../src/main/catalog/classes'
import { thumbCacheDir } from '../../src/main/catalog/thumbnails'
import { previewPairs } from '../../src/main/augment/preview-store'
import type { SampleDetail } from '../../src/shared/contract/catalog'
import type { MaskSaveResult, MaskVersionInfo } from '../../src/shared/contract/labels'
import { imagePng, tempDir } from './fixtures'
import { call, context, failure, fixturePng, labelMap, payload, pngChunks, put, sha1, sha256, type Ctx } from './labels-helpers'

const W = 12
const H = 8
// (fast-png writes tRNS for the entries with alpha < 255 only, so they come first)
const PALETTE = [
  [0, 0, 0, 0],
  [200, 10, 10, 128],
  [10, 200, 10, 255],
  [10, 10, 200, 255],
]

/** The indices of a PNG read by fast-png: palette indices, grey values, or R of an R=G=B RGB. */
function indicesOf(file: string): { values: number[]; depth: number; channels: number; palette?: number[][] } {
  const png = decodePng(readFileSync(file))
  const values: number[] = []
  for (let i = 0; i < png.width * png.height; i++) {
    const v = png.data[i * png.channels]
    for (let c = 1; c < Math.min(3, png.channels); c++) expect(png.data[i * png.channels + c]).toBe(v)
    values.push(v)
  }
  return { values, depth: png.depth, channels: png.channels, palette: png.palette }
}

describe('mask.save, mask.versions, mask.restore', () => {
  const t = tempDir('masks')
  let ctx: Ctx
  let events: { name: string; payload: unknown }[]
  let catalog: Catalog
  const ids = new Map<string, number>()
  const detail = (key: string) => call<SampleDetail>(ctx, 'samples.get', { id: ids.get(key)! })
  const save = async (
    key: string,
    data: Uint8Array | Uint16Array,
    o: { depth?: 8 | 16; base?: string | null; force?: boolean; width?: number; height?: number } = {},
  ) => {
    const d = await detail(key)
    return call<MaskSaveResult>(ctx, 'mask.save', {
      sampleId: d.id,
      width: o.width ?? W,
      height: o.height ?? H,
      depth: o.depth ?? (data instanceof Uint16Array ? 16 : 8),
      data: payload(data),
      baseHash: o.base === undefined ? d.maskHash : o.base,
      force: o.force,
    })
  }

  beforeAll(async () => {
    for (const k of ['g8', 'g16', 'pal', 'rgb', 'bare', 'sizes', 'sub/deep']) put(join(t.dir, 'images', `${k}.png`), await imagePng(W, H, k.length))
    put(
      join(t.dir, 'masks', 'g8.png'),
      fixturePng(W, H, (x) => (x < 6 ? 0 : 1)),
    )
    put(
      join(t.dir, 'masks', 'g16.png'),
      fixturePng(W, H, (x) => (x < 6 ? 0 : 1000), { depth: 16 }),
    )
    put(
      join(t.dir, 'masks', 'pal.png'),
      fixturePng(W, H, (x, y) => (x + y) % 4, { palette: PALETTE }),
    )
    put(
      join(t.dir, 'masks', 'rgb.png'),
      fixturePng(W, H, (x) => (x < 6 ? 0 : 2), { channels: 3 }),
    )
    put(
      join(t.dir, 'masks', 'sizes.png'),
      fixturePng(W - 2, H, () => 1),
    )
    ;({ ctx, events } = context())
    await call(ctx, 'project.create', { dir: join(t.dir, 'proj') })
    catalog = ctx.session.requireCatalog()
    await runImport(catalog, { images: join(t.dir, 'images'), masks: join(t.dir, 'masks') })
    for (const r of catalog.db.prepare('SELECT id, key FROM samples').all() as { id: number; key: string }[]) ids.set(r.key, r.id)
  })
  afterAll(() => {
    ctx.session.close()
    t.cleanup()
  })

  it('8-bit grey stays 8-bit grey: exact pixels, the old file kept in history/ and listed, the catalog updated', async () => {
    const file = join(t.dir, 'masks', 'g8.png')
    const before = readFileSync(file)
    const labels = labelMap(W, H, (x, y) => (y < 3 ? 2 : x % 3))
    events.length = 0
    const r = await save('g8', labels)
    const after = readFileSync(file)
    expect(indicesOf(file)).toMatchObject({ values: Array.from(labels), depth: 8, channels: 1 })
    expect(r.sample.maskHash).toBe(sha1(after))
    expect(r.sample.maskBytes).toBe(after.length)
    // the replaced content: in history/ under its sha256, recorded before the mask was replaced
    expect(r.replaced).toMatchObject({ reason: 'save', hash: sha256(before), bytes: before.length, maskPath: 'g8.png', sampleId: ids.get('g8') })
    expect(r.replaced!.author.length).toBeGreaterThan(0)
    const kept = join(t.dir, 'proj', 'history', sha256(before).slice(0, 2), `${sha256(before)}.png`)
    expect(readFileSync(kept).equals(before)).toBe(true)
    const versions = await call<MaskVersionInfo[]>(ctx, 'mask.versions', { sampleId: ids.get('g8') })
    expect(versions).toEqual([r.replaced])
    // class counts of the sample, the filters, the totals
    const counts = new Map<number, number>()
    for (const v of labels) counts.set(v, (counts.get(v) ?? 0) + 1)
    expect(r.sample.classes).toEqual([...counts].sort((a, b) => a[0] - b[0]).map(([index, pixels]) => ({ index, pixels })))
    const page = await call<{ rows: { key: string }[] }>(ctx, 'samples.query', { filter: { classPresent: [2] } })
    expect(page.rows.map((x) => x.key)).toContain('g8')
    expect(events).toContainEqual({ name: 'catalog.changed', payload: { what: 'samples' } })
    // nothing temporary is left next to the mask
    expect(readdirSync(join(t.dir, 'masks')).filter((f) => f.startsWith('.'))).toEqual([])
  })

  it('16-bit stays 16-bit with values above 255', async () => {
    const labels = labelMap(W, H, (x, y) => (x < 4 ? 0 : x < 8 ? 300 : 1000 + y), 16)
    await save('g16', labels)
    expect(indicesOf(join(t.dir, 'masks', 'g16.png'))).toMatchObject({ values: Array.from(labels), depth: 16, channels: 1 })
    expect((await detail('g16')).maskDepth).toBe(16)
  })

  it('a palette PNG keeps its PLTE and tRNS and gets indices; new indices extend the palette with class colours', async () => {
    const file = join(t.dir, 'masks', 'pal.png')
    const before = pngChunks(readFileSync(file))
    await call(ctx, 'classes.update', { classes: [{ index: 5, name: 'five', color: '#123456' }] })
    const labels = labelMap(W, H, (x) => [0, 1, 2, 3, 5][x % 5])
    await save('pal', labels)
    const got = indicesOf(file)
    expect(got.values).toEqual(Array.from(labels))
    expect(got.depth).toBe(8)
    const after = pngChunks(readFileSync(file))
    expect(after.get('IHDR')![9]).toBe(3) // colour type: palette
    expect(after.get('PLTE')!.subarray(0, 12).equals(before.get('PLTE')!)).toBe(true)
    expect([...after.get('PLTE')!.subarray(15, 18)]).toEqual([0x12, 0x34, 0x56])
    expect(after.get('tRNS')!.equals(before.get('tRNS')!)).toBe(true)
  })

  it('a value the encoding cannot hold is a named error; the file and the history stay as they were', async () => {
    for (const key of ['pal', 'g8']) {
      const file = join(t.dir, 'masks', `${key}.png`)
      const before = readFileSync(file)
      const versions = await call<MaskVersionInfo[]>(ctx, 'mask.versions', { sampleId: ids.get(key) })
      const e = await failure(ctx, 'mask.save', {
        sampleId: ids.get(key),
        width: W,
        height: H,
        depth: 16,
        data: payload(labelMap(W, H, (x) => (x === 3 ? 300 : 1), 16)),
        baseHash: (await detail(key)).maskHash,
      })
      expect(e.code).toBe('INVALID_INPUT')
      expect(e.message).toContain(`Class index 300 does not fit mask ${file}`)
      expect(e.message).toMatch(key === 'pal' ? /palette \(8-bit, \d+ colours\) PNG, which holds indices 0-255/ : /8-bit grey PNG, which holds indices 0-255/)
      expect(readFileSync(file).equals(before)).toBe(true)
      expect(await call(ctx, 'mask.versions', { sampleId: ids.get(key) })).toEqual(versions)
    }
  })

  it('a grey-valued RGB mask stays RGB with R = G = B', async () => {
    const labels = labelMap(W, H, (x, y) => (x + y) % 3)
    await save('rgb', labels)
    expect(indicesOf(join(t.dir, 'masks', 'rgb.png'))).toMatchObject({ values: Array.from(labels), channels: 3, depth: 8 })
  })

  it('an image without a mask gets masks/<stem>.png (sub-folders kept) and stops being a problem', async () => {
    // the class table holds index 1000 (from g16.png), so a new mask is 16-bit grey (see the one-folder test for 8-bit)
    expect(catalog.classes().some((c) => c.index > 255)).toBe(true)
    for (const key of ['bare', 'sub/deep']) {
      const before = await detail(key)
      expect(before.error?.kind).toBe('MISSING_MASK')
      const labels = labelMap(W, H, (x) => (x > 5 ? 4 : 0))
      const r = await save(key, labels, { base: null })
      const file = join(t.dir, 'masks', `${key}.png`)
      expect(indicesOf(file)).toMatchObject({ values: Array.from(labels), depth: 16, channels: 1 })
      expect(r.replaced).toBeNull()
      expect(r.sample).toMatchObject({ error: null, maskPath: `${key}.png`, maskAbsPath: file, maskHash: sha1(readFileSync(file)) })
    }
    expect((await call<{ byError: Record<string, number> }>(ctx, 'samples.counts', {})).byError.MISSING_MASK).toBe(0)
    // what an export selects: the sample is healthy now, with its new mask file
    expect(catalog.selectSamples({ error: ['none'] }).find((r) => r.key === 'bare')).toMatchObject({ maskPath: join(t.dir, 'masks', 'bare.png') })
    // a re-scan agrees: the files pair by the same pattern, nothing changed
    const [s] = await runRescan(catalog, undefined)
    expect(s).toMatchObject({ changed: 0, added: 0, removed: 0 })
    expect((await detail('bare')).error).toBeNull()
  })

  it('a mask that fixes a size mismatch clears it; a label map of the wrong size is refused', async () => {
    expect((await detail('sizes')).error?.kind).toBe('SIZE_MISMATCH')
    const wrong = await failure(ctx, 'mask.save', {
      sampleId: ids.get('sizes'),
      width: W - 2,
      height: H,
      depth: 8,
      data: payload(labelMap(W - 2, H, () => 1)),
      baseHash: (await detail('sizes')).maskHash,
    })
    expect(wrong).toMatchObject({ code: 'SIZE_MISMATCH' })
    expect(wrong.message).toContain(`The label map is ${W - 2}x${H} but the image of sample ${ids.get('sizes')} (sizes) is ${W}x${H}`)
    const r = await save(
      'sizes',
      labelMap(W, H, () => 1),
    )
    expect(r.sample.error).toBeNull()
    expect(r.sample.classes).toEqual([{ index: 1, pixels: W * H }])
  })

  it('a stale baseHash is a conflict unless forced; force keeps the replaced content as a version', async () => {
    const d = await detail('g8')
    const stale = 'f'.repeat(40)
    const e = await failure(ctx, 'mask.save', { sampleId: d.id, width: W, height: H, depth: 8, data: payload(labelMap(W, H, () => 0)), baseHash: stale })
    expect(e.code).toBe('INVALID_INPUT')
    expect(e.message).toMatch(/^Conflict: mask .*g8\.png changed since the editor opened it/)
    expect(e.details).toMatchObject({ conflict: true, currentHash: d.maskHash })
    const n = (await call<MaskVersionInfo[]>(ctx, 'mask.versions', { sampleId: d.id })).length
    const current = readFileSync(join(t.dir, 'masks', 'g8.png'))
    const r = await save(
      'g8',
      labelMap(W, H, () => 0),
      { base: stale, force: true },
    )
    expect(r.replaced?.hash).toBe(sha256(current))
    expect((await call<MaskVersionInfo[]>(ctx, 'mask.versions', { sampleId: d.id })).length).toBe(n + 1)
  })

  it('restore brings a version back byte for byte, and keeps what it replaced (reason restore)', async () => {
    const id = ids.get('g8')!
    const versions = await call<MaskVersionInfo[]>(ctx, 'mask.versions', { sampleId: id })
    const oldest = versions[versions.length - 1]
    const kept = readFileSync(join(t.dir, 'proj', 'history', oldest.hash.slice(0, 2), `${oldest.hash}.png`))
    const current = readFileSync(join(t.dir, 'masks', 'g8.png'))
    const r = await call<MaskSaveResult>(ctx, 'mask.restore', { sampleId: id, versionId: oldest.id })
    expect(readFileSync(join(t.dir, 'masks', 'g8.png')).equals(kept)).toBe(true)
    expect(r.replaced).toMatchObject({ reason: 'restore', hash: sha256(current) })
    expect(r.sample.maskHash).toBe(sha1(kept))
    expect(r.sample.classes).toEqual([
      { index: 0, pixels: 6 * H },
      { index: 1, pixels: 6 * H },
    ])
    const after = await call<MaskVersionInfo[]>(ctx, 'mask.versions', { sampleId: id })
    expect(after[0]).toEqual(r.replaced)
    expect(after.length).toBe(versions.length + 1)
    expect(await failure(ctx, 'mask.restore', { sampleId: ids.get('g16'), versionId: oldest.id })).toMatchObject({ code: 'NOT_FOUND' })
  })

  it('a damaged history file is refused, naming it', async () => {
    const id = ids.get('g8')!
    const v = (await call<MaskVersionInfo[]>(ctx, 'mask.versions', { sampleId: id }))[0]
    const file = join(t.dir, 'proj', 'history', v.hash.slice(0, 2), `${v.hash}.png`)
    const good = readFileSync(file)
    writeFileSync(file, Buffer.concat([good.subarray(0, 20), Buffer.alloc(good.length - 20)]))
    const e = await failure(ctx, 'mask.restore', { sampleId: id, versionId: v.id })
    expect(e).toMatchObject({ code: 'CORRUPT' })
    expect(e.message).toContain(file)
    writeFileSync(file, good)
  })

  it('bad payloads are refused: not zlib, inflating past width*height, too short', async () => {
    const base = { sampleId: ids.get('g8'), width: W, height: H, depth: 8, baseHash: null, force: true }
    expect(await failure(ctx, 'mask.save', { ...base, data: Buffer.from('not zlib at all').toString('base64') })).toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/not a zlib \(deflate\) stream/),
    })
    expect(await failure(ctx, 'mask.save', { ...base, data: payload(new Uint8Array(W * H * 50)) })).toMatchObject({
      code: 'INVALID_INPUT',
      message: `The label map inflates to more than ${W}x${H}x1 = ${W * H} bytes`,
    })
    expect(await failure(ctx, 'mask.save', { ...base, data: payload(new Uint8Array(W * H - 1)) })).toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/inflates to 95 bytes, but 12x8 at 8 bits needs 96/),
    })
  })

  it('the class totals follow each save as a full recount would, and thumbnails and previews follow the new mask', async () => {
    const table = () => catalog.db.prepare('SELECT idx, pixel_count, sample_count FROM classes ORDER BY idx').all()
    const incremental = table()
    catalog.db.transaction(() => refreshClassCounts(catalog.db))()
    expect(table()).toEqual(incremental)

    const id = ids.get('rgb')!
    const thumbs = () => (existsSync(thumbCacheDir(catalog)) ? readdirSync(thumbCacheDir(catalog)) : [])
    const first = await catalog.thumbnail(id, true)
    const ref = catalog.getSample(id)!
    const before = await previewPairs.load({ image: ref.imagePath, mask: ref.maskPath }, `${ref.imageHash}:${ref.maskHash}`)
    const r = await save(
      'rgb',
      labelMap(W, H, () => 2),
    )
    const second = await catalog.thumbnail(id, true)
    expect(thumbs().filter((f) => f.includes(r.sample.maskHash!)).length).toBe(1)
    expect(second.equals(first)).toBe(false)
    const now = catalog.getSample(id)!
    const after = await previewPairs.load({ image: now.imagePath, mask: now.maskPath }, `${now.imageHash}:${now.maskHash}`)
    expect(Array.from(before.labels!.data).every((v) => v === 2)).toBe(false)
    expect(Array.from(after.labels!.data).every((v) => v === 2)).toBe(true)
  })
})

describe('a one-folder dataset', () => {
  const t = tempDir('masks1')
  afterAll(() => t.cleanup())

  it('a new mask is named by the dataset pattern in the images folder, and a re-scan pairs it', async () => {
    put(join(t.dir, 'data', 'a.png'), await imagePng(W, H, 1))
    put(
      join(t.dir, 'data', 'a_mask.png'),
      fixturePng(W, H, () => 1),
    )
    put(join(t.dir, 'data', 'b.png'), await imagePng(W, H, 2))
    const { ctx } = context()
    await call(ctx, 'project.create', { dir: join(t.dir, 'proj') })
    const catalog = ctx.session.requireCatalog()
    await runImport(catalog, { images: join(t.dir, 'data') })
    const b = catalog.db.prepare("SELECT id FROM samples WHERE key = 'b'").pluck().get() as number
    const labels = labelMap(W, H, (x) => x % 2)
    const r = await call<MaskSaveResult>(ctx, 'mask.save', { sampleId: b, width: W, height: H, depth: 8, data: payload(labels), baseHash: null })
    expect(r.sample).toMatchObject({ maskPath: 'b_mask.png', error: null })
    expect(indicesOf(join(t.dir, 'data', 'b_mask.png'))).toMatchObject({ values: Array.from(labels), depth: 8, channels: 1 })
    const [s] = await runRescan(catalog, undefined)
    expect(s).toMatchObject({ added: 0, changed: 0, removed: 0, seen: 2 })
    ctx.session.close()
  })
})

describe('a save a killed process left half-done is settled when the project opens', () => {
  const t = tempDir('settle')
  afterAll(() => t.cleanup())

  it('landed (file renamed, catalog not yet updated): the catalog follows the file; not landed: the version is dropped', async () => {
    for (const k of ['landed', 'lost']) {
      put(join(t.dir, 'images', `${k}.png`), await imagePng(W, H, k.length))
      put(
        join(t.dir, 'masks', `${k}.png`),
        fixturePng(W, H, () => 1),
      )
    }
    const proj = join(t.dir, 'proj')
    const c = Catalog.open(proj, { create: true })
    await runImport(c, { images: join(t.dir, 'images'), masks: join(t.dir, 'masks') })
    const ids = new Map((c.db.prepare('SELECT key, id FROM samples').all() as { key: string; id: number }[]).map((r) => [r.key, r.id]))
    const id = (k: string) => ids.get(k)!
    // a pid that is certainly dead: a process that has exited
    const { spawnSync } = await import('node:child_process')
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout
    const { hostname } = await import('node:os')
    const newBytes = fixturePng(W, H, (x) => (x < 3 ? 2 : 1))
    for (const k of ['landed', 'lost']) {
      const old = readFileSync(join(t.dir, 'masks', `${k}.png`))
      const v = c.db
        .prepare(
          "INSERT INTO mask_versions(sample_id, sample_key, reason, hash, bytes, file, mask_path, replaced_by, author, created_at) VALUES (?, ?, 'save', ?, ?, ?, ?, ?, 'x', 1)",
        )
        .run(id(k), k, sha256(old), old.length, `history/${sha256(old).slice(0, 2)}/${sha256(old)}.png`, `${k}.png`, sha1(newBytes)).lastInsertRowid
      put(join(proj, 'history', sha256(old).slice(0, 2), `${sha256(old)}.png`), old)
      c.db
        .prepare('INSERT INTO mask_journal(sample_id, version_id, mask_path, new_hash, pid, host, started_at) VALUES (?, ?, ?, ?, ?, ?, 1)')
        .run(id(k), v, `${k}.png`, sha1(newBytes), Number(dead), hostname())
    }
    writeFileSync(join(t.dir, 'masks', 'landed.png'), newBytes) // the rename happened for this one
    c.close()

    const { ctx } = context()
    await call(ctx, 'project.open', { dir: proj })
    const catalog = ctx.session.requireCatalog()
    expect(catalog.db.prepare('SELECT COUNT(*) FROM mask_journal').pluck().get()).toBe(0)
    const landed = catalog.sampleDetail(id('landed'))
    expect(landed.maskHash).toBe(sha1(newBytes))
    expect(landed.classes).toEqual([
      { index: 1, pixels: (W - 3) * H },
      { index: 2, pixels: 3 * H },
    ])
    expect(await call<MaskVersionInfo[]>(ctx, 'mask.versions', { sampleId: id('landed') })).toHaveLength(1)
    expect(await call<MaskVersionInfo[]>(ctx, 'mask.versions', { sampleId: id('lost') })).toEqual([])
    expect(catalog.sampleDetail(id('lost')).maskHash).toBe(sha1(readFileSync(join(t.dir, 'masks', 'lost.png'))))
    ctx.session.close()
  })
})
