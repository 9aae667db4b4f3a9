// Small, deterministic datasets made by code for the catalog tests.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { crc32 } from 'node:zlib'
import sharp from 'sharp'

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `lockstep-${prefix}-`))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

function put(file: string, data: Buffer | string): void {
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, data)
}

/** RGB pixels whose values are a function of (x, y, seed): known means for the stats test. */
export function rgbPixels(width: number, height: number, seed: number): Buffer {
  const buf = Buffer.alloc(width * height * 3)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3
      buf[i] = (x * 16 + seed * 7) & 255
      buf[i + 1] = (y * 16 + seed * 11) & 255
      buf[i + 2] = (x * y + seed * 13) & 255
    }
  }
  return buf
}

export async function imagePng(width: number, height: number, seed = 0): Promise<Buffer> {
  return sharp(rgbPixels(width, height, seed), { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer()
}

export async function imageJpeg(width: number, height: number, seed = 0, orientation?: number): Promise<Buffer> {
  let s = sharp(rgbPixels(width, height, seed), { raw: { width, height, channels: 3 } })
  if (orientation) s = s.withMetadata({ orientation })
  return s.jpeg({ quality: 90 }).toBuffer()
}

/** A grey 8-bit mask whose label at (x, y) is labelAt(x, y). */
export async function maskPng(width: number, height: number, labelAt: (x: number, y: number) => number): Promise<Buffer> {
  const data = Buffer.alloc(width * height)
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = labelAt(x, y)
  return sharp(data, { raw: { width, height, channels: 1 } })
    .toColourspace('b-w')
    .png()
    .toBuffer()
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4)
  len.writeUInt32BE(data.length)
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(td) >>> 0)
  return Buffer.concat([len, td, crc])
}

/** A well-formed PNG header declaring width x height with no real pixel data: a decompression bomb's header. */
export function bombPng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr[8] = 8 // bit depth
  ihdr[9] = 0 // grey
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

export interface GoodPair {
  key: string
  width: number
  height: number
  labelAt: (x: number, y: number) => number
  seed: number
}

/** Writes `images/<key>.png` and `masks/<key>.png` (or another mask name) for each pair. */
export async function writePairs(root: string, pairs: GoodPair[], maskName = (key: string) => `${key}.png`): Promise<void> {
  for (const p of pairs) {
    put(join(root, 'images', `${p.key}.png`), await imagePng(p.width, p.height, p.seed))
    put(join(root, 'masks', maskName(p.key)), await maskPng(p.width, p.height, p.labelAt))
  }
}

/** Stripes: class (x % classes) — every mask holds classes 0..classes-1. */
export const stripes = (classes: number) => (x: number) => x % classes

export function simplePairs(n: number, opts: { width?: number; height?: number; labelAt?: (x: number, y: number, i: number) => number } = {}): GoodPair[] {
  return Array.from({ length: n }, (_, i) => ({
    key: `s${String(i).padStart(4, '0')}`,
    width: opts.width ?? 8,
    height: opts.height ?? 6,
    labelAt: opts.labelAt ? (x: number, y: number) => opts.labelAt!(x, y, i) : (x: number) => (x < 4 ? 0 : 1 + (i % 3)),
    seed: i,
  }))
}

/**
 * One dataset with every problem kind next to healthy pairs:
 *   ok, rot (JPEG with EXIF orientation 6 stored 8x6, shown 6x8, mask 6x8: healthy),
 *   rotbad (same JPEG, mask 8x6: SIZE_MISMATCH after orientation), nomask (MISSING_MASK),
 *   nomage (mask only: MISSING_IMAGE), sizes (SIZE_MISMATCH), garbage (CORRUPT), cut (truncated
 *   JPEG: CORRUPT), anim.gif (UNSUPPORTED_FORMAT by extension), fakepng (GIF bytes named .png:
 *   UNSUPPORTED_FORMAT), bomb (TOO_LARGE), dangling (UNREADABLE: a broken link).
 */
export async function writeProblemDataset(root: string): Promise<void> {
  const img = (k: string, b: Buffer) => put(join(root, 'images', k), b)
  const msk = (k: string, b: Buffer) => put(join(root, 'masks', k), b)
  const m86 = await maskPng(8, 6, (x) => (x < 4 ? 0 : 1))
  img('ok.png', await imagePng(8, 6, 1))
  msk('ok.png', m86)
  const rotated = await imageJpeg(8, 6, 2, 6)
  img('rot.jpg', rotated)
  msk('rot.png', await maskPng(6, 8, (_x, y) => (y < 4 ? 0 : 2)))
  img('rotbad.jpg', rotated)
  msk('rotbad.png', m86)
  img('nomask.png', await imagePng(8, 6, 3))
  msk('nomage.png', m86)
  img('sizes.png', await imagePng(10, 6, 4))
  msk('sizes.png', m86)
  img('garbage.png', Buffer.from('this is not an image at all, just text pretending'))
  msk('garbage.png', m86)
  const full = await imageJpeg(8, 6, 5)
  img('cut.jpg', full.subarray(0, Math.floor(full.length / 2)))
  msk('cut.png', m86)
  const gif = await sharp(rgbPixels(8, 6, 6), { raw: { width: 8, height: 6, channels: 3 } })
    .gif()
    .toBuffer()
  img('anim.gif', gif)
  msk('anim.png', m86)
  img('fakepng.png', gif)
  msk('fakepng.png', m86)
  img('bomb.png', bombPng(100_000, 100_000))
  msk('bomb.png', m86)
  mkdirSync(join(root, 'images'), { recursive: true })
  symlinkSync(join(root, 'nowhere', 'gone.png'), join(root, 'images', 'dangling.png'))
  msk('dangling.png', m86)
}

export const PROBLEM_EXPECTATIONS: Record<string, { kind: string | null; message?: RegExp }> = {
  ok: { kind: null },
  rot: { kind: null },
  rotbad: { kind: 'SIZE_MISMATCH', message: /rotbad\.jpg is 6x8 \(after EXIF orientation\) but mask rotbad\.png is 8x6/ },
  nomask: { kind: 'MISSING_MASK', message: /nomask\.png has no mask/ },
  nomage: { kind: 'MISSING_IMAGE', message: /nomage\.png has no image/ },
  sizes: { kind: 'SIZE_MISMATCH', message: /sizes\.png is 10x6 but mask sizes\.png is 8x6/ },
  garbage: { kind: 'CORRUPT', message: /garbage\.png/ },
  cut: { kind: 'CORRUPT', message: /cut\.jpg .*truncated/ },
  anim: { kind: 'UNSUPPORTED_FORMAT', message: /anim\.gif/ },
  fakepng: { kind: 'UNSUPPORTED_FORMAT', message: /fakepng\.png is GIF/ },
  bomb: { kind: 'TOO_LARGE', message: /bomb\.png declares 100000x100000/ },
  dangling: { kind: 'UNREADABLE', message: /dangling\.png cannot be read/ },
}
