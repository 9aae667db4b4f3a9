// Issue 13 items 1 and 2 at import: every file is checked whole once and the verdict recorded
// against its content hash (file_checks); a JPEG whose frame header claims more rows than its scan
// data holds (end-of-image marker present) and a mask whose zlib check fails are CORRUPT rows
// naming the file. A project export then reads just a crop's window only of files whose bytes
// still hash to a sound verdict; anything else is checked beside the render.
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseRecipe } from '../../src/main/augment'
import { Catalog } from '../../src/main/catalog/catalog'
import { recordChecks } from '../../src/main/catalog/file-checks'
import { runImport, runRescan } from '../../src/main/catalog/importer'
import { renderTask } from '../../src/main/export/render'
import { catalogInputs } from '../../src/main/export/sources'
import { forgetVerdicts } from '../../src/main/io/verify'
import { badAdler, jpegScene, labelPng, shortScan } from '../fixtures/corrupt'
import { drawScene } from '../fixtures/pairs'
import { tempDir } from './fixtures'

const W = 96
const H = 80
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex')
const sha1 = (b: Buffer) => createHash('sha1').update(b).digest('hex')

describe('whole-file checks at import, reused by project exports', () => {
  const t = tempDir('file-checks')
  let catalog: Catalog
  let images: string
  let masks: string
  beforeAll(async () => {
    images = join(t.dir, 'images')
    masks = join(t.dir, 'masks')
    mkdirSync(images)
    mkdirSync(masks)
    for (const [i, key] of ['good', 'short', 'adler'].entries()) {
      const jpeg = await jpegScene(W, H, i + 1)
      const mask = labelPng(W, H, drawScene(W, H, i + 1).labels)
      writeFileSync(join(images, `${key}.jpg`), key === 'short' ? shortScan(jpeg, 0.9) : jpeg)
      writeFileSync(join(masks, `${key}.png`), key === 'adler' ? badAdler(mask) : mask)
    }
    catalog = Catalog.open(join(t.dir, 'project'), { create: true })
    await runImport(catalog, { images, masks })
  })
  afterAll(() => {
    catalog?.close()
    t.cleanup()
  })

  it('names the short-scan JPEG and the bad-Adler mask as CORRUPT rows', () => {
    const rows = Object.fromEntries(catalog.query({ limit: 10 }).rows.map((r) => [r.key, r]))
    expect(rows.good.error).toBeNull()
    expect(rows.short.error).toEqual({
      kind: 'CORRUPT',
      message: expect.stringMatching(
        /^Image short\.jpg is corrupt: scan 1 ends early: its data stops at byte \d+ \(EOI\) after \d+ of 30 MCUs the 96x80 frame needs$/,
      ),
    })
    expect(rows.adler.error).toEqual({ kind: 'CORRUPT', message: 'Mask adler.png is corrupt: the image data is corrupt (zlib: incorrect data check)' })
  })

  it('records one verdict per file against its sha256, with the sha1 samples keep', () => {
    const checks = catalog.db.prepare('SELECT sha256, sha1, ok, code, problem, format FROM file_checks').all() as {
      sha256: string
      sha1: string
      ok: number
      code: string | null
      problem: string | null
      format: string
    }[]
    expect(checks).toHaveLength(6)
    for (const dirName of ['images', 'masks']) {
      for (const key of ['good', 'short', 'adler']) {
        const bytes = readFileSync(join(t.dir, dirName, `${key}.${dirName === 'images' ? 'jpg' : 'png'}`))
        const c = checks.find((x) => x.sha256 === sha256(bytes))!
        expect(c.sha1).toBe(sha1(bytes))
        const bad = (dirName === 'images' && key === 'short') || (dirName === 'masks' && key === 'adler')
        expect([c.ok, c.code], `${dirName}/${key}`).toEqual(bad ? [0, 'CORRUPT'] : [1, null])
      }
    }
  })

  it('a project export learns which files are sound; only those skip the check, only while their bytes hash the same', async () => {
    const inputs = catalogInputs(catalog, [])
    expect(inputs.sources.map((s) => s.key)).toEqual(['good'])
    const good = inputs.sources[0]
    expect(good.imageSound).toBe(sha256(readFileSync(good.imagePath)))
    expect(good.maskSound).toBe(sha256(readFileSync(good.maskPath)))

    // A sound verdict is what lets the render skip the check: recorded (wrongly, by hand) for the
    // short-scan file, the render reads just the window and succeeds; without it the pair fails.
    const recipe = parseRecipe({ schema: 'lockstep.recipe/1', output: { width: 16, height: 16 }, ops: [{ type: 'center_crop', width: 16, height: 16 }] })
    const setup = { recipe, seed: 1, encoded: { format: 'jpeg' as const, quality: 90 }, raw: false }
    const shortBytes = readFileSync(join(images, 'short.jpg'))
    const source = { key: 'short', imagePath: join(images, 'short.jpg'), maskPath: join(masks, 'short.png') }
    forgetVerdicts()
    const unchecked = await renderTask(setup, { id: 1, source, outputs: [{ ordinal: 0, epoch: 0 }], hash: true })
    expect(unchecked.ok).toBe(false)
    expect(!unchecked.ok && unchecked.error.message).toMatch(/short\.jpg: corrupt JPEG \(scan 1 ends early/)
    recordChecks(catalog.db, [{ sha256: sha256(shortBytes), sha1: sha1(shortBytes), verdict: { ok: true, format: 'JPEG' } }])
    forgetVerdicts()
    const trusted = await renderTask(setup, {
      id: 2,
      source: { ...source, imageSound: sha256(shortBytes), maskSound: sha256(readFileSync(source.maskPath)) },
      outputs: [{ ordinal: 0, epoch: 0 }],
      hash: true,
    })
    expect(trusted.ok).toBe(true)
    // the bytes changed since: the recorded verdict is not theirs, so they are checked again
    const changed = { ...source, imageSound: 'f'.repeat(64), maskSound: sha256(readFileSync(source.maskPath)) }
    forgetVerdicts()
    const rechecked = await renderTask(setup, { id: 3, source: changed, outputs: [{ ordinal: 0, epoch: 0 }], hash: true })
    expect(rechecked.ok).toBe(false)
  })

  it('a re-scan finds a file that went bad since, and records its new verdict', async () => {
    const goodMask = join(masks, 'good.png')
    writeFileSync(goodMask, badAdler(readFileSync(goodMask)))
    await runRescan(catalog, undefined)
    const row = catalog.query({ limit: 10 }).rows.find((r) => r.key === 'good')!
    expect(row.error).toEqual({ kind: 'CORRUPT', message: 'Mask good.png is corrupt: the image data is corrupt (zlib: incorrect data check)' })
    const ok = catalog.db
      .prepare('SELECT ok FROM file_checks WHERE sha256 = ?')
      .pluck()
      .get(sha256(readFileSync(goodMask)))
    expect(ok).toBe(0)
    expect(catalogInputs(catalog, []).sources).toEqual([])
  })
})
