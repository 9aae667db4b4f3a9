// resolveMedia with the real decoders: label bytes as the wire promises, EXIF-oriented images.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encode } from 'fast-png'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resolveMedia, lexicalRoot } from '../../src/main/media'
import { createContext } from '../../src/main/services'
import { fakeCatalog, sampleRef } from './helpers'

let dir: string
const ctx = createContext({ emit: () => {} })
const mask16 = new Uint16Array([0, 1, 2, 3, 258, 1000, 40000, 65535, 7, 8, 9, 10])

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lockstep-media-'))
  mkdirSync(join(dir, 'images'))
  mkdirSync(join(dir, 'masks'))
  // 4x3 16-bit grey mask, 4x3 8-bit grey mask
  writeFileSync(join(dir, 'masks', 'deep.png'), encode({ width: 4, height: 3, data: mask16, depth: 16, channels: 1 }))
  const m8 = Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255])
  writeFileSync(
    join(dir, 'masks', 'flat.png'),
    await sharp(m8, { raw: { width: 4, height: 3, channels: 1 } })
      .png()
      .toBuffer(),
  )
  // 6 wide x 2 high JPEG, EXIF orientation 6 (rotate 90° clockwise to display): shows as 2 wide x 6 high
  const rgb = Buffer.alloc(6 * 2 * 3, 128)
  writeFileSync(
    join(dir, 'images', 'rot.jpg'),
    await sharp(rgb, { raw: { width: 6, height: 2, channels: 3 } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer(),
  )
  writeFileSync(
    join(dir, 'images', 'plain.tif'),
    await sharp(rgb, { raw: { width: 6, height: 2, channels: 3 } })
      .tiff()
      .toBuffer(),
  )
  ctx.session.attach(
    fakeCatalog(
      dir,
      [
        sampleRef(1, 'images/rot', join(dir, 'images', 'rot.jpg'), join(dir, 'masks', 'deep.png')),
        sampleRef(2, 'images/plain', join(dir, 'images', 'plain.tif'), join(dir, 'masks', 'flat.png')),
        sampleRef(3, 'images/plain', join(dir, 'images', 'plain.tif'), join(dir, 'masks', 'not-a-png.png')),
      ],
      [join(dir, 'images'), join(dir, 'masks')],
    ),
  )
  writeFileSync(join(dir, 'masks', 'not-a-png.png'), 'garbage')
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('resolveMedia', () => {
  it('serves 16-bit labels as little-endian Uint16 with width/height/depth headers', async () => {
    const r = await resolveMedia('/media/sample/1/labels', ctx)
    expect(r.status).toBe(200)
    expect(r.headers).toMatchObject({ 'x-lockstep-width': '4', 'x-lockstep-height': '3', 'x-lockstep-depth': '16' })
    expect(r.body.length).toBe(24)
    expect([...Array(12).keys()].map((i) => r.body.readUInt16LE(i * 2))).toEqual([...mask16])
  })

  it('serves 8-bit labels as one byte per pixel', async () => {
    const r = await resolveMedia('/media/sample/2/labels', ctx)
    expect(r.headers['x-lockstep-depth']).toBe('8')
    expect([...r.body]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255])
  })

  it('serves a rotated JPEG EXIF-oriented (as the mask is aligned) and a TIFF as PNG', async () => {
    const rot = await resolveMedia('/media/sample/1/image', ctx)
    expect(rot.contentType).toBe('image/png')
    expect(await sharp(rot.body).metadata()).toMatchObject({ width: 2, height: 6 })
    const tif = await resolveMedia('/media/sample/2/image', ctx)
    expect(tif.contentType).toBe('image/png')
    expect(await sharp(tif.body).metadata()).toMatchObject({ width: 6, height: 2, format: 'png' })
  })

  it('answers a corrupt mask with a status and a message naming the file, no stack', async () => {
    const r = await resolveMedia('/media/sample/3/labels', ctx)
    expect(r.status).toBeGreaterThanOrEqual(400)
    expect(r.body.toString()).toContain('not-a-png.png')
    expect(r.body.toString()).not.toMatch(/\n\s+at /)
  })

  it('uses the catalog thumbnail by default', async () => {
    const r = await resolveMedia('/media/sample/2/thumb-overlay', ctx)
    expect(r.status).toBe(200)
    expect(r.contentType).toBe('image/jpeg')
    expect(r.body.toString()).toBe('catalog thumb 2 true')
  })

  it('derives the dataset root from the key and the mask folder', () => {
    expect(lexicalRoot(sampleRef(1, 'images/sub/x', '/d/ds/images/sub/x.jpg', '/d/ds/masks/sub/x.png'))).toBe('/d/ds')
    expect(lexicalRoot(sampleRef(1, 'sub/x', '/d/imgs/sub/x.jpg', null))).toBe('/d/imgs')
    expect(lexicalRoot(sampleRef(1, 'x', '/d/imgs/x.jpg', '/e/masks/x.png'))).toBe('/')
  })
})
