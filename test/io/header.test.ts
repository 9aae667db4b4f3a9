import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { headerSize } from '../../src/main/io/header'
import { imageSize } from '../../src/main/io/image'
import { join } from 'node:path'
import { writeFileSync } from 'node:fs'
import { tmp } from '../export/helpers'

describe('headerSize (oriented size from the bytes export hashes)', () => {
  it('agrees with the decoder for PNG, JPEG and every EXIF orientation', async () => {
    const dir = tmp()
    const raw = { raw: { width: 37, height: 21, channels: 3 as const } }
    const pixels = Buffer.alloc(37 * 21 * 3, 90)
    const files: Array<[string, Buffer]> = [
      ['a.png', await sharp(pixels, raw).png().toBuffer()],
      ['b.jpg', await sharp(pixels, raw).jpeg().toBuffer()],
      ['p.jpg', await sharp(pixels, raw).jpeg({ progressive: true }).toBuffer()],
    ]
    for (let o = 1; o <= 8; o++) files.push([`o${o}.jpg`, await sharp(pixels, raw).jpeg().withMetadata({ orientation: o }).toBuffer()])
    for (const [name, buf] of files) {
      const path = join(dir, name)
      writeFileSync(path, buf)
      const want = await imageSize(path)
      expect(headerSize(buf), name).toEqual({ width: want.width, height: want.height })
    }
    expect(headerSize(Buffer.from('not an image'))).toBeNull()
    expect(headerSize(files[1][1].subarray(0, 20))).toBeNull()
  })
})
