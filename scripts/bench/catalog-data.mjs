// Generates many small, distinct image/mask pairs fast for the catalog benchmark and tests: one
// base PNG of each kind made by sharp, made unique per pair by a tEXt chunk (so every file has
// its own content hash) without re-encoding pixels.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { crc32 } from 'node:zlib'
import sharp from 'sharp'

function chunk(type, data) {
  const len = Buffer.alloc(4)
  len.writeUInt32BE(data.length)
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(td) >>> 0)
  return Buffer.concat([len, td, crc])
}

/** Inserts a tEXt chunk after IHDR (signature 8 + IHDR 25 bytes). */
function withText(png, text) {
  return Buffer.concat([png.subarray(0, 33), chunk('tEXt', Buffer.from(`lockstep\0${text}`, 'latin1')), png.subarray(33)])
}

export async function basePair(width = 16, height = 16) {
  const rgb = Buffer.alloc(width * height * 3)
  for (let i = 0; i < rgb.length; i++) rgb[i] = (i * 37) & 255
  const labels = Buffer.alloc(width * height)
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) labels[y * width + x] = x < width / 2 ? 0 : 1 + (y % 3)
  const image = await sharp(rgb, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer()
  const mask = await sharp(labels, { raw: { width, height, channels: 1 } })
    .toColourspace('b-w')
    .png()
    .toBuffer()
  return { image, mask }
}

/**
 * Writes `count` pairs as root/images/dNNN/pNNNNNNN.png and root/masks/dNNN/pNNNNNNN.png
 * (1,000 per sub-folder). Returns { images, masks } folders.
 */
export async function writeManyPairs(root, count, { perDir = 1000, start = 0 } = {}) {
  const { image, mask } = await basePair()
  const images = join(root, 'images')
  const masks = join(root, 'masks')
  for (let i = start; i < start + count; i++) {
    const dir = `d${String(Math.floor(i / perDir)).padStart(3, '0')}`
    if (i % perDir === 0 || i === start) {
      mkdirSync(join(images, dir), { recursive: true })
      mkdirSync(join(masks, dir), { recursive: true })
    }
    const name = `p${String(i).padStart(7, '0')}.png`
    writeFileSync(join(images, dir, name), withText(image, `image ${i}`))
    writeFileSync(join(masks, dir, name), withText(mask, `mask ${i}`))
  }
  return { images, masks }
}
