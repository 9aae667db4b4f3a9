// Decoding: masks as class indices in every variant, EXIF orientation, and every bad input
// failing that pair with an error that names the file (never crashing the process).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decode as decodePng } from 'fast-png'
import { loadPair, parseRecipe, plan, renderFromFiles } from '../../src/main/augment'
import { decodeImage, encodeLabelsPng, readLabels } from '../../src/main/io'
import { LockstepError } from '../../src/shared/errors'
import { classOfColour, GREY16_VALUES, writeBadInputs, writePair, type BadInputs } from '../fixtures/pairs'

let dir: string
let bad: BadInputs
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lockstep-io-'))
  bad = await writeBadInputs(join(dir, 'bad'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function failure(p: Promise<unknown>): Promise<LockstepError> {
  try {
    await p
  } catch (err) {
    expect(err).toBeInstanceOf(LockstepError)
    return err as LockstepError
  }
  throw new Error('expected a failure')
}

describe('readLabels', () => {
  for (const variant of ['grey8', 'grey16', 'palette', 'rgb'] as const) {
    it(`${variant} masks decode to the stored class indices`, async () => {
      const w = await writePair(join(dir, variant), 'm', { width: 50, height: 30, mask: variant })
      const l = await readLabels(w.mask)
      expect([l.width, l.height, l.depth]).toEqual([50, 30, variant === 'grey16' ? 16 : 8])
      expect(Array.from(l.data)).toEqual(Array.from(w.maskValues))
      if (variant === 'grey16') expect(Math.max(...l.data)).toBe(GREY16_VALUES[4])
    })
  }

  it('encodeLabelsPng writes a single-channel PNG of the same depth, losslessly', async () => {
    for (const depth of [8, 16] as const) {
      const data = depth === 8 ? Uint8Array.from({ length: 35 }, (_, i) => (i * 37) % 256) : Uint16Array.from({ length: 35 }, (_, i) => i * 1871)
      const png = decodePng(await encodeLabelsPng({ width: 7, height: 5, depth, data }))
      expect([png.width, png.height, png.depth, png.channels]).toEqual([7, 5, depth, 1])
      expect(Array.from(png.data)).toEqual(Array.from(data))
    }
  })

  it('a colour mask (not R=G=B) is refused, naming the file and a pixel', async () => {
    const e = await failure(readLabels(bad.colourMask))
    expect(e.code).toBe('UNSUPPORTED_FORMAT')
    expect(e.message).toContain(bad.colourMask)
    expect(e.message).toMatch(/pixel \(\d+, \d+\) has colour/)
  })
})

describe('images', () => {
  it('EXIF orientation 6 is applied before anything: the pair lines up with its mask', async () => {
    const img = await decodeImage(bad.exif.image)
    expect([img.width, img.height]).toEqual([96, 64])
    const loaded = await loadPair({ image: bad.exif.image, mask: bad.exif.mask })
    let agree = 0
    for (let i = 0; i < 96 * 64; i++) if (classOfColour(img.data[i * 3], img.data[i * 3 + 1], img.data[i * 3 + 2]) === loaded.labels!.data[i]) agree++
    expect(agree / (96 * 64)).toBeGreaterThan(0.97) // JPEG blurs shape edges only
    // the region path orients too
    const r = parseRecipe({ schema: 'lockstep.recipe/1', output: { width: 40, height: 40 }, ops: [{ type: 'random_crop', width: 40, height: 40 }] })
    const p = plan(r, loaded, { seed: 1, epoch: 0, sampleId: 'exif' })
    const out = await renderFromFiles(p, { image: bad.exif.image, mask: bad.exif.mask }, { raw: true })
    expect([out.raw!.width, out.raw!.height]).toEqual([40, 40])
  })
})

describe('bad inputs fail the pair with an error naming the file', () => {
  it('truncated JPEG -> CORRUPT', async () => {
    const e = await failure(loadPair({ image: bad.truncatedImage, mask: bad.good.mask }))
    expect(e.code).toBe('CORRUPT')
    expect(e.message).toContain(bad.truncatedImage)
  })
  it('a text file named .jpg -> UNSUPPORTED_FORMAT', async () => {
    const e = await failure(loadPair({ image: bad.nonImage, mask: bad.good.mask }))
    expect(e.code).toBe('UNSUPPORTED_FORMAT')
    expect(e.message).toContain(bad.nonImage)
  })
  it('truncated PNG mask -> CORRUPT', async () => {
    const e = await failure(loadPair({ image: bad.good.image, mask: bad.truncatedMask }))
    expect(e.code).toBe('CORRUPT')
    expect(e.message).toContain(bad.truncatedMask)
  })
  it('decompression bomb (60000x60000 header) -> TOO_LARGE, for images and masks, on both paths', async () => {
    const e1 = await failure(loadPair({ image: bad.bombImage, mask: bad.good.mask }))
    expect(e1.code).toBe('TOO_LARGE')
    expect(e1.message).toContain(bad.bombImage)
    const e2 = await failure(readLabels(bad.bombMask))
    expect(e2.code).toBe('TOO_LARGE')
    expect(e2.message).toContain(bad.bombMask)
    const loaded = await loadPair({ image: bad.good.image, mask: bad.good.mask })
    const p = plan(parseRecipe({ schema: 'lockstep.recipe/1', output: { width: 8, height: 8 }, ops: [{ type: 'center_crop', width: 8, height: 8 }] }), loaded, {
      seed: 1,
      epoch: 0,
      sampleId: 'x',
    })
    const e3 = await failure(renderFromFiles(p, { image: bad.bombImage, mask: bad.good.mask }))
    expect(e3.code).toBe('TOO_LARGE')
  })
  it('image/mask size mismatch -> SIZE_MISMATCH naming both files', async () => {
    const e = await failure(loadPair(bad.mismatch))
    expect(e.code).toBe('SIZE_MISMATCH')
    expect(e.message).toContain(bad.mismatch.image)
    expect(e.message).toContain(bad.mismatch.mask)
    expect(e.message).toContain('96x64')
    expect(e.message).toContain('64x96')
    const p = plan(
      parseRecipe({ schema: 'lockstep.recipe/1', output: { width: 8, height: 8 }, ops: [{ type: 'center_crop', width: 8, height: 8 }] }),
      { width: 96, height: 64 },
      { seed: 1, epoch: 0, sampleId: 'x' },
    )
    expect((await failure(renderFromFiles(p, bad.mismatch))).code).toBe('SIZE_MISMATCH')
  })
  it('missing files -> MISSING_IMAGE / MISSING_MASK', async () => {
    const e1 = await failure(loadPair({ image: join(dir, 'nope.jpg'), mask: bad.good.mask }))
    expect(e1.code).toBe('MISSING_IMAGE')
    expect(e1.message).toContain('nope.jpg')
    const e2 = await failure(loadPair({ image: bad.good.image, mask: join(dir, 'nope.png') }))
    expect(e2.code).toBe('MISSING_MASK')
  })
  it('many bad pairs in flight do not crash the process, and good pairs still load', async () => {
    const results = await Promise.allSettled([
      loadPair({ image: bad.truncatedImage, mask: bad.good.mask }),
      loadPair({ image: bad.nonImage, mask: bad.good.mask }),
      loadPair({ image: bad.bombImage, mask: bad.bombMask }),
      loadPair(bad.mismatch),
      loadPair({ image: bad.good.image, mask: bad.good.mask }),
    ])
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected', 'fulfilled'])
  })
})
