import { appendFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Catalog } from '../../src/main/catalog/catalog'
import { runImport, runRescan } from '../../src/main/catalog/importer'
import { imagePng, maskPng, PROBLEM_EXPECTATIONS, simplePairs, tempDir, writePairs, writeProblemDataset } from './fixtures'

describe('import: every problem is a recorded, queryable error', () => {
  const t = tempDir('import-problems')
  let catalog: Catalog
  beforeAll(async () => {
    await writeProblemDataset(t.dir)
    catalog = Catalog.open(join(t.dir, 'project'), { create: true })
  })
  afterAll(() => {
    catalog?.close()
    t.cleanup()
  })

  it('records one row per pair/file with the right kind and a message naming the file', async () => {
    const summary = await runImport(catalog, { images: join(t.dir, 'images'), masks: join(t.dir, 'masks') })
    const rows = catalog.query({ limit: 1000 }).rows
    const byKey = Object.fromEntries(rows.map((r) => [r.key, r]))
    expect(Object.keys(byKey).sort()).toEqual(Object.keys(PROBLEM_EXPECTATIONS).sort())
    for (const [key, want] of Object.entries(PROBLEM_EXPECTATIONS)) {
      const row = byKey[key]
      expect(row.error?.kind ?? null, key).toBe(want.kind)
      if (want.message) expect(row.error!.message, key).toMatch(want.message)
    }
    // the EXIF-rotated JPEG is catalogued with its displayed size
    expect([byKey.rot.width, byKey.rot.height]).toEqual([6, 8])
    expect(summary.errors).toEqual({
      MISSING_MASK: 1,
      MISSING_IMAGE: 1,
      SIZE_MISMATCH: 2,
      CORRUPT: 2,
      UNSUPPORTED_FORMAT: 2,
      TOO_LARGE: 1,
      UNREADABLE: 1,
    })
    expect(summary.added).toBe(rows.length)
    // queryable: filter by kind, and 'none' gives the healthy pairs
    expect(catalog.query({ filter: { error: ['SIZE_MISMATCH'] } }).rows.map((r) => r.key)).toEqual(['rotbad', 'sizes'])
    expect(catalog.query({ filter: { error: ['none'] } }).rows.map((r) => r.key)).toEqual(['ok', 'rot'])
    const counts = catalog.counts()
    expect(counts.byError.none).toBe(2)
    expect(counts.byError.TOO_LARGE).toBe(1)
  })

  it('discovers classes from the healthy masks with pixel counts', () => {
    const classes = catalog.classes()
    // ok: 24 px of 0 and 24 of 1; rot: 24 of 0 and 24 of 2
    expect(classes.map((c) => [c.index, c.pixelCount, c.sampleCount])).toEqual([
      [0, 48, 2],
      [1, 24, 1],
      [2, 24, 1],
    ])
    const rot = catalog.query({ filter: { pathContains: 'rot', error: ['none'] } }).rows[0]
    expect(catalog.sampleDetail(rot.id).classes).toEqual([
      { index: 0, pixels: 24 },
      { index: 2, pixels: 24 },
    ])
    expect(catalog.query({ filter: { classPresent: [2] } }).rows.map((r) => r.key)).toEqual(['rot'])
    expect(catalog.query({ filter: { classAbsent: [2] } }).rows.map((r) => r.key)).toEqual(['ok'])
  })
})

describe('re-scan', () => {
  const t = tempDir('rescan')
  afterAll(() => t.cleanup())

  it('finds added, changed and removed pairs and keeps the labels of unchanged ones', async () => {
    await writePairs(t.dir, simplePairs(6))
    const catalog = Catalog.open(join(t.dir, 'project'), { create: true })
    try {
      const images = join(t.dir, 'images')
      const masks = join(t.dir, 'masks')
      const first = await runImport(catalog, { images, masks })
      expect([first.added, first.changed, first.removed, first.unchanged]).toEqual([6, 0, 0, 0])
      const id = (key: string) => catalog.query({ filter: { pathContains: key } }).rows[0].id
      catalog.update({ target: { ids: [id('s0000'), id('s0001')] }, split: 'val', status: 'accepted', addTags: ['sharp'], notes: 'checked' })
      catalog.update({ target: { ids: [id('s0002')] }, split: 'test', status: 'rejected', addTags: ['blurry'] })

      // s0001's mask changes, s0002 is removed, s0006 is added
      writeFileSync(join(masks, 's0001.png'), await maskPng(8, 6, () => 3))
      rmSync(join(images, 's0002.png'))
      rmSync(join(masks, 's0002.png'))
      writeFileSync(join(images, 's0006.png'), await imagePng(8, 6, 60))
      writeFileSync(join(masks, 's0006.png'), await maskPng(8, 6, () => 1))

      const [second] = await runRescan(catalog, undefined)
      expect([second.added, second.changed, second.removed, second.unchanged]).toEqual([1, 1, 1, 4])
      const s0 = catalog.sampleDetail(id('s0000'))
      expect([s0.split, s0.status, s0.tags, s0.notes]).toEqual(['val', 'accepted', ['sharp'], 'checked'])
      // changed content: split, tags and notes kept; the review is reset
      const s1 = catalog.sampleDetail(id('s0001'))
      expect([s1.split, s1.status, s1.tags, s1.notes]).toEqual(['val', 'unreviewed', ['sharp'], 'checked'])
      expect(s1.classes).toEqual([{ index: 3, pixels: 48 }])
      expect(catalog.query({ filter: { pathContains: 's0002' } }).total).toBe(0)
      expect(catalog.tags()).toEqual([{ name: 'sharp', count: 2 }]) // 'blurry' went with s0002
      expect(catalog.info().sampleCount).toBe(6)
      // a re-scan with nothing changed touches nothing
      const [third] = await runRescan(catalog, undefined)
      expect([third.added, third.changed, third.removed, third.unchanged]).toEqual([0, 0, 0, 6])
    } finally {
      catalog.close()
    }
  })

  it('a pair that becomes truncated turns into a CORRUPT row, with labels kept', async () => {
    const catalog = Catalog.open(join(t.dir, 'project'))
    try {
      const before = catalog.query({ filter: { pathContains: 's0003' } }).rows[0]
      catalog.update({ target: { ids: [before.id] }, addTags: ['keep'] })
      const file = join(t.dir, 'images', 's0003.png')
      const bytes = (await import('node:fs')).readFileSync(file)
      writeFileSync(file, bytes.subarray(0, bytes.length - 20))
      await runRescan(catalog, undefined)
      const after = catalog.sampleDetail(before.id)
      expect(after.error?.kind).toBe('CORRUPT')
      expect(after.error?.message).toMatch(/s0003\.png .*truncated/)
      expect(after.tags).toEqual(['keep'])
      appendFileSync(file, bytes.subarray(bytes.length - 20))
      await runRescan(catalog, undefined)
      expect(catalog.sampleDetail(before.id).error).toBeNull()
    } finally {
      catalog.close()
    }
  })
})

describe('formats and layouts', () => {
  const t = tempDir('formats')
  afterAll(() => t.cleanup())

  it('reads WebP and TIFF images, TIFF masks, and colour masks (R=G=B) through the engine decoder', async () => {
    const sharp = (await import('sharp')).default
    const { rgbPixels } = await import('./fixtures')
    const dir = join(t.dir, 'fmt')
    const raw = (w: number, h: number) => sharp(rgbPixels(w, h, 9), { raw: { width: w, height: h, channels: 3 } })
    const { mkdirSync } = await import('node:fs')
    mkdirSync(join(dir, 'images'), { recursive: true })
    mkdirSync(join(dir, 'masks'), { recursive: true })
    await raw(8, 6)
      .webp({ lossless: true })
      .toFile(join(dir, 'images', 'w.webp'))
    writeFileSync(join(dir, 'masks', 'w.png'), await maskPng(8, 6, () => 2))
    await raw(5, 4)
      .tiff()
      .toFile(join(dir, 'images', 't.tif'))
    const grey = Buffer.alloc(20, 3)
    await sharp(grey, { raw: { width: 5, height: 4, channels: 1 } })
      .tiff()
      .toFile(join(dir, 'masks', 't.tif'))
    // a colour mask whose pixels are grey (R=G=B) is a label map; a truly coloured one is not
    await raw(4, 4)
      .png()
      .toFile(join(dir, 'images', 'rgbok.png'))
    await sharp(Buffer.alloc(48, 4), { raw: { width: 4, height: 4, channels: 3 } })
      .png()
      .toFile(join(dir, 'masks', 'rgbok.png'))
    await raw(4, 4)
      .png()
      .toFile(join(dir, 'images', 'rgbbad.png'))
    await raw(4, 4)
      .png()
      .toFile(join(dir, 'masks', 'rgbbad.png'))
    const c = Catalog.open(join(t.dir, 'p-fmt'), { create: true })
    try {
      await runImport(c, { images: join(dir, 'images'), masks: join(dir, 'masks'), maskPatterns: ['{stem}.png', '{stem}.tif'] })
      const rows = Object.fromEntries(c.query({}).rows.map((r) => [r.key, r]))
      expect([rows.w.width, rows.w.height, rows.w.error]).toEqual([8, 6, null])
      expect([rows.t.width, rows.t.height, rows.t.error]).toEqual([5, 4, null])
      expect(c.sampleDetail(rows.w.id).imageFormat).toBe('webp')
      expect(c.sampleDetail(rows.t.id).classes).toEqual([{ index: 3, pixels: 20 }])
      expect(c.sampleDetail(rows.rgbok.id).classes).toEqual([{ index: 4, pixels: 16 }])
      expect(rows.rgbbad.error?.kind).toBe('UNSUPPORTED_FORMAT')
      expect(rows.rgbbad.error?.message).toMatch(/rgbbad\.png.*not a class index \(R=G=B\)/)
    } finally {
      c.close()
    }
  })

  it('one folder holding images and masks, told apart by the pattern', async () => {
    const dir = join(t.dir, 'one')
    const { mkdirSync } = await import('node:fs')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'a.png'), await imagePng(8, 6, 1))
    writeFileSync(join(dir, 'a_label.png'), await maskPng(8, 6, () => 1))
    writeFileSync(join(dir, 'b.png'), await imagePng(8, 6, 2))
    const c = Catalog.open(join(t.dir, 'p-one'), { create: true })
    try {
      const s = await runImport(c, { images: dir, maskPatterns: ['{stem}_label.png'] })
      expect(s.masksDir).toBeNull()
      const rows = c.query({}).rows
      expect(rows.map((r) => [r.key, r.imagePath, r.maskPath, r.error?.kind ?? null])).toEqual([
        ['a', 'a.png', 'a_label.png', null],
        ['b', 'b.png', null, 'MISSING_MASK'],
      ])
      expect(c.getSample(rows[0].id)!.maskPath).toBe(join(dir, 'a_label.png'))
    } finally {
      c.close()
    }
  })

  it('a cancelled import stops between batches and the next run resumes it', async () => {
    const dir = join(t.dir, 'cancel')
    await writePairs(dir, simplePairs(30))
    const c = Catalog.open(join(t.dir, 'p-cancel'), { create: true })
    try {
      const controller = new AbortController()
      await expect(
        runImport(
          c,
          { images: join(dir, 'images'), masks: join(dir, 'masks'), batchSize: 10, afterBatch: (n) => n >= 10 && controller.abort() },
          { signal: controller.signal },
        ),
      ).rejects.toMatchObject({ code: 'CANCELLED' })
      expect(c.info().sampleCount).toBe(10)
      const s = await runImport(c, { images: join(dir, 'images'), masks: join(dir, 'masks'), batchSize: 10 })
      expect([s.resumed, s.added, c.info().sampleCount]).toEqual([true, 30, 30])
    } finally {
      c.close()
    }
  })
})
