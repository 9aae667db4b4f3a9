// The engine's channels through the real dispatcher: validation, conversion, and preview
// rendering into the preview store. How fast the preview renders is measured by
// `npm run bench:ui` (its preview stage), not asserted here.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import sharp from 'sharp'
import { createContext, dispatch, type ServiceContext } from '../../src/main/services'
import type { SampleRef } from '../../src/main/catalog/types'
import { previewTile } from '../../src/main/augment'
import { parseMediaPath } from '../../src/shared/media'
import { writeBadInputs, writePair } from '../fixtures/pairs'

let dir: string
let ctx: ServiceContext
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lockstep-handlers-'))
  const big = await writePair(dir, 'big', { width: 1024, height: 768, seed: 2, image: 'jpeg' })
  const bad = await writeBadInputs(join(dir, 'bad'))
  const samples = new Map<number, SampleRef>([
    [1, { id: 1, key: 'big', imagePath: big.image, maskPath: big.mask, width: 1024, height: 768, imageHash: null, maskHash: null, error: null }],
    [
      2,
      { id: 2, key: 'truncated', imagePath: bad.truncatedImage, maskPath: bad.good.mask, width: 96, height: 64, imageHash: null, maskHash: null, error: null },
    ],
  ])
  ctx = createContext({ emit: () => {} })
  ctx.session.attach({ projectDir: dir, getSample: (id: number) => samples.get(id), close: () => {} } as never)
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const recipe = {
  schema: 'lockstep.recipe/1',
  output: { width: 512, height: 512 },
  ops: [{ type: 'random_crop', width: 512, height: 512 }, { type: 'hflip', p: 0.5 }, { type: 'rotate', degrees: [-15, 15], p: 0.5 }, { type: 'brightness' }],
}

describe('engine channels', () => {
  it('recipe.validate returns the normalised recipe or every problem', async () => {
    const ok = await dispatch('recipe.validate', { recipe }, ctx)
    expect(ok.ok && (ok.result as { ok: boolean }).ok).toBe(true)
    const bad = await dispatch('recipe.validate', { recipe: { ...recipe, ops: [{ type: 'rotate', degrees: [30, -30] }, { type: 'blur' }] } }, ctx)
    expect(bad).toMatchObject({ ok: true, result: { ok: false } })
    const problems = (bad as { result: { problems: string[] } }).result.problems
    expect(problems[0]).toBe('ops[0].degrees: expected [min, max] with min <= max, received [30, -30]')
    expect(problems[1]).toMatch(/^ops\[1\]\.type: expected one of .* received "blur"$/)
  })

  it('recipe.convert goes both ways and names what has no counterpart', async () => {
    const r = await dispatch('recipe.convert', { recipe: { ...recipe, ops: [...recipe.ops, { type: 'hsv_power' }] }, to: 'albumentations' }, ctx)
    expect(r.ok).toBe(true)
    const res = (r as { result: { recipe: { transform: { transforms: { __class_fullname__: string }[] } }; unsupported: string[] } }).result
    expect(res.recipe.transform.transforms.map((t) => t.__class_fullname__)).toEqual([
      'PadIfNeeded',
      'RandomCrop',
      'HorizontalFlip',
      'Rotate',
      'RandomBrightnessContrast',
    ])
    expect(res.unsupported).toEqual(['ops[4] hsv_power'])
  })

  it('preview.render: 8 tiles of 512x512 from 1024x768, served from the store', async () => {
    const reply = await dispatch('preview.render', { sampleIds: [1, 2, 99], recipe, seed: 7, count: 8 }, ctx)
    expect(reply.ok).toBe(true)
    const res = (
      reply as {
        result: {
          token: string
          tiles: {
            index: number
            k: number
            sampleId: number
            imagePath: string
            labelsPath: string
            width: number
            height: number
            plan: { key: { epoch: number } }
          }[]
          errors: { sampleId: number; message: string }[]
        }
      }
    ).result
    expect(res.tiles).toHaveLength(8)
    expect(res.errors.map((e) => e.sampleId)).toEqual([2, 99])
    expect(res.errors[0].message).toContain('truncated.jpg')
    res.tiles.forEach((t, i) => {
      expect([t.index, t.k, t.width, t.height, t.plan.key.epoch]).toEqual([i, i, 512, 512, i])
      expect(parseMediaPath(t.imagePath)).toEqual({ kind: 'preview', token: res.token, index: i, what: 'image' })
      expect(parseMediaPath(t.labelsPath)).toEqual({ kind: 'preview', token: res.token, index: i, what: 'labels' })
      const tile = previewTile(res.token, i)!
      expect([tile.image[0], tile.image[1], tile.image[2]]).toEqual([0xff, 0xd8, 0xff]) // JPEG
      expect(tile.labels!.data.length).toBe(512 * 512)
    })
    const meta = await sharp(previewTile(res.token, 0)!.image).metadata()
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 512, 512])
    expect(previewTile(res.token, 8)).toBeUndefined()
    expect(previewTile('nope', 0)).toBeUndefined()
  })

  it('preview.render keeps decoded pairs between edits, but decodes a file again once it changes on disk', async () => {
    const w = await writePair(join(dir, 'changing'), 'c', { width: 96, height: 64, seed: 4 })
    const samples = new Map<number, SampleRef>([
      [5, { id: 5, key: 'c', imagePath: w.image, maskPath: w.mask, width: 96, height: 64, imageHash: null, maskHash: null, error: null }],
    ])
    const c = createContext({ emit: () => {} })
    c.session.attach({ projectDir: dir, getSample: (id: number) => samples.get(id), close: () => {} } as never)
    const flat = { schema: 'lockstep.recipe/1', output: { width: 96, height: 64 }, ops: [{ type: 'hflip', p: 0 }] }
    const labelsOf = async () => {
      const r = (await dispatch('preview.render', { sampleIds: [5], recipe: flat, seed: 1, count: 1 }, c)) as { ok: true; result: { token: string } }
      return Array.from(previewTile(r.result.token, 0)!.labels!.data)
    }
    expect(await labelsOf()).toEqual(Array.from(w.maskValues))
    expect(await labelsOf()).toEqual(Array.from(w.maskValues)) // from the cache
    await new Promise((r) => setTimeout(r, 20)) // a new modification time
    await sharp(Buffer.alloc(96 * 64, 3), { raw: { width: 96, height: 64, channels: 1 } })
      .toColourspace('b-w')
      .png()
      .toFile(w.mask)
    expect(await labelsOf()).toEqual(new Array(96 * 64).fill(3))
  })

  it('preview.render rejects bad input before rendering', async () => {
    const r = await dispatch('preview.render', { sampleIds: [1], recipe, seed: 1, count: 33 }, ctx)
    expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } })
    const r2 = await dispatch('preview.render', { sampleIds: [1], recipe: { ...recipe, output: { width: 0, height: 1 } }, seed: 1, count: 1 }, ctx)
    expect(r2).toMatchObject({ ok: false, error: { code: 'INVALID_RECIPE' } })
  })
})
