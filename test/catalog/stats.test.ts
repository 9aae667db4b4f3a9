import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Catalog } from '../../src/main/catalog/catalog'
import { runImport } from '../../src/main/catalog/importer'
import { computeStats, Moments } from '../../src/main/catalog/stats'
import { readLabels } from '../../src/main/io'
import { canCountLabels, labelHistogram, walkPng } from '../../src/main/catalog/png'
import { writePair } from '../fixtures/pairs'
import { maskPng, tempDir } from './fixtures'

async function rgb(file: string, width: number, height: number, pixels: number[][]) {
  await sharp(Buffer.from(pixels.flat()), { raw: { width, height, channels: 3 } })
    .png()
    .toFile(file)
}

describe('stats job', () => {
  const t = tempDir('stats')
  let c: Catalog
  beforeAll(async () => {
    mkdirSync(join(t.dir, 'images'), { recursive: true })
    mkdirSync(join(t.dir, 'masks'), { recursive: true })
    const img = (n: string) => join(t.dir, 'images', n)
    const msk = (n: string) => join(t.dir, 'masks', n)
    await rgb(img('a.png'), 2, 1, [
      [10, 20, 30],
      [30, 40, 50],
    ])
    writeFileSync(msk('a.png'), await maskPng(2, 1, (x) => x)) // [0, 1]
    await rgb(img('b.png'), 1, 2, [
      [50, 60, 70],
      [70, 80, 90],
    ])
    writeFileSync(msk('b.png'), await maskPng(1, 2, () => 1)) // [1, 1]
    await rgb(img('c.png'), 1, 1, [[255, 255, 255]]) // val: must not count
    writeFileSync(msk('c.png'), await maskPng(1, 1, () => 5))
    await rgb(img('d.png'), 2, 2, [
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
    ]) // broken: skipped
    writeFileSync(msk('d.png'), await maskPng(3, 3, () => 0))
    c = Catalog.open(join(t.dir, 'p'), { create: true })
    await runImport(c, { images: join(t.dir, 'images'), masks: join(t.dir, 'masks') })
    const id = (k: string) => c.query({ filter: { pathContains: k } }).rows[0].id
    c.update({ target: { ids: [id('a'), id('b'), id('d')] }, split: 'train' })
    c.update({ target: { ids: [id('c')] }, split: 'val' })
  })
  afterAll(() => {
    c.close()
    t.cleanup()
  })

  it('matches the hand-computed featurewise mean/std and class counts, and is stored', async () => {
    const s = await computeStats(c, 'train')
    // R: 10 30 50 70 -> mean 40, deviations +-10 +-30 -> variance (900+100+100+900)/4 = 500; G and B shift by 10
    expect(s.mean[0]).toBeCloseTo(40, 10)
    expect(s.mean[1]).toBeCloseTo(50, 10)
    expect(s.mean[2]).toBeCloseTo(60, 10)
    for (const sd of s.std) expect(sd).toBeCloseTo(Math.sqrt(500), 10)
    expect([s.sampleCount, s.pixelCount, s.skipped]).toEqual([2, 4, 1])
    expect(s.classes.map((k) => [k.index, k.pixels, k.samples])).toEqual([
      [0, 1, 1],
      [1, 3, 2],
    ])
    expect(c.getStats('train')).toEqual(s)
    expect(c.getStats('test')).toBeNull()
    const all = await computeStats(c, 'all')
    expect(all.sampleCount).toBe(3)
    expect(all.classes.map((k) => k.index)).toEqual([0, 1, 5])
  })

  it('merging per-image moments equals one pass over all pixels', () => {
    const a = Uint8Array.from({ length: 300 }, (_, i) => (i * 7919) % 256)
    const b = Uint8Array.from({ length: 30 }, (_, i) => (i * 31) % 256)
    const m = new Moments()
    m.addImage(a)
    m.addImage(b)
    const all = [...a, ...b]
    for (let ch = 0; ch < 3; ch++) {
      const xs = all.filter((_, i) => i % 3 === ch)
      const mean = xs.reduce((p, x) => p + x, 0) / xs.length
      const sd = Math.sqrt(xs.reduce((p, x) => p + (x - mean) ** 2, 0) / xs.length)
      expect(m.mean[ch]).toBeCloseTo(mean, 9)
      expect(m.std()[ch]).toBeCloseTo(sd, 9)
    }
  })

  it('refuses a split with no healthy samples, naming it', async () => {
    await expect(computeStats(c, 'test')).rejects.toThrow(/No healthy samples in split test/)
  })
})

describe('label histograms on the import fast path agree with the engine decoder', () => {
  const t = tempDir('png-fast')
  afterAll(() => t.cleanup())

  for (const variant of ['grey8', 'grey16', 'palette'] as const) {
    it(variant, async () => {
      const w = await writePair(t.dir, `m-${variant}`, { mask: variant, width: 37, height: 23, seed: 3 })
      const buf = (await import('node:fs')).readFileSync(w.mask)
      const walk = walkPng(buf)
      if (!walk.ok) throw new Error(walk.problem)
      expect(canCountLabels(walk.info)).toBe(true)
      const hist = await labelHistogram(buf, walk.info)
      const labels = await readLabels(w.mask)
      const expected = new Map<number, number>()
      for (const v of labels.data) expected.set(v, (expected.get(v) ?? 0) + 1)
      expect([...hist.entries()].sort((a, b) => a[0] - b[0])).toEqual([...expected.entries()].sort((a, b) => a[0] - b[0]))
    })
  }

  it('every PNG row filter (none, sub, up, average, paeth) unfilters exactly, as the engine decodes it', async () => {
    const width = 19,
      height = 15
    const data = new Uint8Array(width * height)
    for (let i = 0; i < data.length; i++) data[i] = (i * 37 + (i >> 3)) % 7
    // Filter row y with type y % 5 (PNG spec 9.2, bpp = 1), deflate, wrap in chunks.
    const raw = Buffer.alloc((width + 1) * height)
    for (let y = 0; y < height; y++) {
      const type = y % 5
      raw[y * (width + 1)] = type
      for (let x = 0; x < width; x++) {
        const cur = data[y * width + x]
        const a = x > 0 ? data[y * width + x - 1] : 0
        const b = y > 0 ? data[(y - 1) * width + x] : 0
        const c = x > 0 && y > 0 ? data[(y - 1) * width + x - 1] : 0
        const p = a + b - c
        const pred = [
          0,
          a,
          b,
          (a + b) >> 1,
          Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c,
        ][type]
        raw[y * (width + 1) + 1 + x] = (cur - pred) & 255
      }
    }
    const { deflateSync, crc32 } = await import('node:zlib')
    const chunk = (type: string, body: Buffer) => {
      const len = Buffer.alloc(4)
      len.writeUInt32BE(body.length)
      const crc = Buffer.alloc(4)
      crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type), body])) >>> 0)
      return Buffer.concat([len, Buffer.from(type), body, crc])
    }
    const ihdr = Buffer.alloc(13)
    ihdr.writeUInt32BE(width, 0)
    ihdr.writeUInt32BE(height, 4)
    ihdr[8] = 8
    const png = Buffer.concat([
      Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
      chunk('IHDR', ihdr),
      chunk('IDAT', deflateSync(raw)),
      chunk('IEND', Buffer.alloc(0)),
    ])
    const walk = walkPng(png)
    if (!walk.ok) throw new Error(walk.problem)
    const hist = await labelHistogram(png, walk.info)
    const expected = new Map<number, number>()
    for (const v of data) expected.set(v, (expected.get(v) ?? 0) + 1)
    expect(new Map([...hist].sort((a, b) => a[0] - b[0]))).toEqual(new Map([...expected].sort((a, b) => a[0] - b[0])))
    // and the engine's decoder reads the same pixels from this file
    const file = join(t.dir, 'filters.png')
    writeFileSync(file, png)
    expect([...(await readLabels(file)).data]).toEqual([...data])
  })
})
