// The native decoders (native/decoders, src/main/io/native.ts) are a speed-up that must never
// change a byte: the JPEG region decode must equal sharp's decode of the same region, with the
// rows mirrored and the values mapped exactly as the JS path does; files they do not take, or
// find broken, must reach the JS-side decoders (which say what is wrong). Where the addon could
// not be built (no libjpeg-turbo headers) these tests say so and skip; CI sets
// LOCKSTEP_REQUIRE_NATIVE=1, where a missing addon fails.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp, { type Sharp } from 'sharp'
import { afterAll, describe, expect, it } from 'vitest'
import { Rng } from '../../src/main/augment/rng'
import { decodeImage, decodeImageRegion } from '../../src/main/io'
import {
  CHECK_H,
  CHECK_W,
  checkDigests,
  decodeJpegRegion,
  encodeJpegNative,
  JPEG_444,
  JPEG_PROGRESSIVE,
  JPEG_RESTARTS,
  loadAddon,
  mapRegionNative,
  selfCheck,
  SHARP_DIGESTS,
} from '../../src/main/io/native'
import { jpegOptions } from '../../src/main/io/image'
import { LockstepError } from '../../src/shared/errors'
import { drawScene } from '../fixtures/pairs'

const { addon, why } = loadAddon()
if (!addon) console.log(`native decoders: tests skipped: ${why}`)
const dir = mkdtempSync(join(tmpdir(), 'lockstep-native-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

it.skipIf(process.env.LOCKSTEP_REQUIRE_NATIVE !== '1')('are built where CI requires them (LOCKSTEP_REQUIRE_NATIVE=1)', () => {
  expect(addon, why).not.toBeNull()
})

it("pins the start-up check's digests to what sharp writes and decodes (update SHARP_DIGESTS when sharp changes them)", async () => {
  const digests = await checkDigests(
    (px, quality, flags) =>
      sharp(px, { raw: { width: CHECK_W, height: CHECK_H, channels: 3 } })
        .jpeg({ ...jpegOptions(quality), chromaSubsampling: flags & JPEG_444 ? '4:4:4' : '4:2:0', progressive: (flags & JPEG_PROGRESSIVE) !== 0 })
        .toBuffer(),
    async (file, r, flop, lut) => {
      const px = await sharp(file).extract(r).flop(flop).raw().toBuffer()
      if (lut) for (let i = 0; i < px.length; i++) px[i] = lut[px[i]]
      return px
    },
  )
  expect(digests, 'src/main/io/native.ts SHARP_DIGESTS').toEqual(SHARP_DIGESTS)
})

/** A scene (shapes, gradients, noise) of odd size, so the last iMCU row and column are partial. */
function scene(width: number, height: number, seed: number): Buffer {
  const s = drawScene(width, height, seed)
  const rng = Rng.fromParts('native-noise', seed)
  const px = Buffer.from(s.rgb)
  for (let i = 0; i < px.length; i++) px[i] = Math.max(0, Math.min(255, px[i] + rng.int(-12, 12) + ((i / 3) % width) / 8))
  return px
}

const W = 517
const H = 389
const raw = { raw: { width: W, height: H, channels: 3 as const } }
const variants: Array<[string, (s: Sharp) => Sharp]> = [
  ['4:2:0 baseline', (s) => s.jpeg({ quality: 90 })],
  ['4:4:4 baseline', (s) => s.jpeg({ quality: 95, chromaSubsampling: '4:4:4' })],
  ['4:2:0 progressive', (s) => s.jpeg({ quality: 80, progressive: true })],
  ['4:4:4 progressive, optimised Huffman', (s) => s.jpeg({ quality: 70, progressive: true, chromaSubsampling: '4:4:4', optimiseCoding: true })],
]

describe.skipIf(!addon)('JPEG region decode (libjpeg-turbo)', () => {
  it('passes its own start-up check against sharp, and the check refuses a decoder or encoder one bit off', async () => {
    expect(await selfCheck(addon!)).toEqual({ decode: null, encode: null })
    const a = addon!
    const offDecode = {
      ...a,
      jpegRegion: async (...args: Parameters<typeof a.jpegRegion>) => {
        const ok = await a.jpegRegion(...args)
        args[5][args[5].length - 1] ^= 1
        return ok
      },
    }
    expect(await selfCheck(offDecode)).toEqual({ encode: null, decode: expect.stringMatching(/decodes/) })
    const offEncode = {
      ...a,
      jpegEncode: async (...args: Parameters<typeof a.jpegEncode>) => {
        const n = await a.jpegEncode(...args)
        if (args[5] === 0 && args[3] === 100) args[4][n - 3] ^= 1
        return n
      },
    }
    const check = await selfCheck(offEncode)
    expect(check.encode).toMatch(/encodes/)
  })

  for (const [name, encode] of variants) {
    it(`${name}: any region, mirrored or not, mapped or not, equals sharp's decode of it`, async () => {
      const file = await encode(sharp(scene(W, H, name.length), raw)).toBuffer()
      const rng = Rng.fromParts('native-regions', name)
      const lut = Uint8Array.from({ length: 256 }, () => rng.int(0, 255))
      const regions = [
        { left: 0, top: 0, width: W, height: H },
        { left: W - 1, top: H - 1, width: 1, height: 1 },
        { left: 16, top: 16, width: 16, height: 16 },
        { left: W - 300, top: H - 200, width: 300, height: 200 },
        ...Array.from({ length: 30 }, () => {
          const left = rng.int(0, W - 1),
            top = rng.int(0, H - 1)
          return { left, top, width: rng.int(1, W - left), height: rng.int(1, H - top) }
        }),
      ]
      for (const [k, r] of regions.entries()) {
        const flop = k % 2 === 1
        const mapped = k % 3 === 1
        const ours = await decodeJpegRegion(file, r, { flop, lut: mapped ? lut : null })
        const theirs = await sharp(file).extract(r).flop(flop).raw().toBuffer()
        if (mapped) for (let i = 0; i < theirs.length; i++) theirs[i] = lut[theirs[i]]
        expect(ours, JSON.stringify(r)).not.toBeNull()
        expect(ours!.data.equals(theirs), `${JSON.stringify(r)} flop=${flop} mapped=${mapped}`).toBe(true)
      }
    })
  }

  it("4:2:2 (written by Pillow, as sharp cannot): any region, mirrored and mapped, equals sharp's decode", async () => {
    const png = join(dir, 'scene422.png')
    const jpg = join(dir, 'scene422.jpg')
    await sharp(scene(W, H, 3), raw)
      .png()
      .toFile(png)
    const py = spawnSync(
      '/usr/bin/python3',
      ['-c', 'import sys; from PIL import Image; Image.open(sys.argv[1]).save(sys.argv[2], quality=90, subsampling=1)', png, jpg],
      { encoding: 'utf8' },
    )
    expect(py.status, `Pillow (python3-pil) writes the 4:2:2 file: ${py.stderr}`).toBe(0)
    const file = readFileSync(jpg)
    const rng = Rng.fromParts('native-422')
    const lut = Uint8Array.from({ length: 256 }, (_, v) => 255 - v)
    for (let k = 0; k < 24; k++) {
      const left = rng.int(0, W - 1),
        top = rng.int(0, H - 1)
      const r = { left, top, width: rng.int(1, W - left), height: rng.int(1, H - top) }
      const flop = k % 2 === 0
      const ours = await decodeJpegRegion(file, r, { flop, lut: k % 3 === 0 ? lut : null })
      const theirs = await sharp(file).extract(r).flop(flop).raw().toBuffer()
      if (k % 3 === 0) for (let i = 0; i < theirs.length; i++) theirs[i] = lut[theirs[i]]
      expect(ours, JSON.stringify(r)).not.toBeNull()
      expect(ours!.data.equals(theirs), JSON.stringify(r)).toBe(true)
    }
  })

  it("restart markers (every MCU row, written by the addon as sharp cannot), baseline and progressive: any region equals sharp's decode", async () => {
    const px = scene(W, H, 13)
    for (const flags of [JPEG_RESTARTS, JPEG_RESTARTS | JPEG_PROGRESSIVE, JPEG_RESTARTS | JPEG_444]) {
      const out = Buffer.alloc(px.length + 8192)
      const n = await addon!.jpegEncode(px, W, H, 88, out, flags)
      const file = out.subarray(0, n)
      expect(file.includes(Buffer.from([0xff, 0xdd])), 'has a DRI marker').toBe(true)
      const rng = Rng.fromParts('native-restarts', flags)
      for (let k = 0; k < 12; k++) {
        const left = rng.int(0, W - 1),
          top = rng.int(0, H - 1)
        const r = { left, top, width: rng.int(1, W - left), height: rng.int(1, H - top) }
        const ours = await decodeJpegRegion(file, r, { flop: k % 2 === 1 })
        const theirs = await sharp(file)
          .extract(r)
          .flop(k % 2 === 1)
          .raw()
          .toBuffer()
        expect(ours?.data.equals(theirs), `flags ${flags} ${JSON.stringify(r)}`).toBe(true)
      }
    }
  })

  it('on corrupted files (headers or data) never crashes, and gives either nothing (sharp then decodes) or exactly what sharp decodes', async () => {
    const file = await sharp(scene(W, H, 17), raw)
      .jpeg({ quality: 85 })
      .toBuffer()
    const clean = await sharp(file).extract({ left: 100, top: 120, width: 300, height: 200 }).raw().toBuffer()
    const rng = Rng.fromParts('native-corrupt')
    const r = { left: 100, top: 120, width: 300, height: 200 }
    let refused = 0
    let changed = 0
    for (let k = 0; k < 120; k++) {
      const bad = Buffer.from(file)
      // a third of the variants hit the headers (tables, frame), the rest the entropy-coded data
      const [lo, hi] = k % 3 === 0 ? [2, 620] : [620, bad.length - 3]
      for (let j = 0; j < 1 + (k % 4); j++) bad[rng.int(lo, hi)] = rng.int(0, 255)
      const ours = await decodeJpegRegion(bad, r)
      const theirs = await sharp(bad, { failOn: 'error' })
        .extract(r)
        .raw()
        .toBuffer()
        .catch(() => null)
      if (!ours) {
        refused++
        continue
      }
      expect(theirs && ours.data.equals(theirs), `variant ${k}`).toBe(true)
      if (!ours.data.equals(clean)) changed++
    }
    expect(refused).toBeGreaterThan(0)
    expect(changed).toBeGreaterThan(0)
  })

  it("decodeImage and decodeImageRegion from bytes give sharp's pixels", async () => {
    const file = await sharp(scene(W, H, 5), raw)
      .jpeg({ quality: 88 })
      .toBuffer()
    const path = join(dir, 'plain.jpg')
    writeFileSync(path, file)
    const whole = await decodeImage(path, file)
    expect(whole.data.equals(await sharp(file).raw().toBuffer())).toBe(true)
    const r = { left: 33, top: 47, width: 200, height: 150 }
    const region = await decodeImageRegion(path, r, file)
    expect(region.data.equals(await sharp(file).extract(r).raw().toBuffer())).toBe(true)
  })

  it('leaves to sharp the JPEGs whose pixels sharp changes (EXIF turn, ICC profile), grey JPEGs and non-JPEGs', async () => {
    const px = scene(64, 48, 9)
    const r64 = { raw: { width: 64, height: 48, channels: 3 as const } }
    const turned = await sharp(px, r64).jpeg().withMetadata({ orientation: 6 }).toBuffer()
    const icc = await sharp(px, r64).jpeg().withIccProfile('p3').toBuffer()
    const grey = await sharp(px, r64).toColourspace('b-w').jpeg().toBuffer() // one component
    const png = await sharp(px, r64).png().toBuffer()
    const region = { left: 0, top: 0, width: 16, height: 16 }
    for (const b of [turned, icc, grey, png]) expect(await decodeJpegRegion(b, region)).toBeNull()
    // and the decode through sharp still applies them: the turned file decodes 48 wide
    const path = join(dir, 'turned.jpg')
    writeFileSync(path, turned)
    expect((await decodeImage(path, turned)).width).toBe(48)
  })

  it('gives up on a cut-short or corrupt JPEG, and the decode reports the file through sharp', async () => {
    const file = await sharp(scene(W, H, 7), raw)
      .jpeg({ quality: 90 })
      .toBuffer()
    const cut = file.subarray(0, file.length >> 1)
    const region = { left: 0, top: H - 64, width: 64, height: 64 }
    expect(await decodeJpegRegion(cut, region)).toBeNull()
    const path = join(dir, 'cut.jpg')
    writeFileSync(path, cut)
    const err = await decodeImageRegion(path, region, cut).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(LockstepError)
    expect((err as LockstepError).code).toBe('CORRUPT')
    expect((err as LockstepError).message).toContain(path)
    // a region outside the image is refused by the addon too (sharp then says so)
    expect(await decodeJpegRegion(file, { left: W - 10, top: 0, width: 20, height: 20 })).toBeNull()
    // the file itself is untouched by all this
    expect(readFileSync(path).equals(cut)).toBe(true)
  })
})

describe.skipIf(!addon)('JPEG encode (libjpeg-turbo)', () => {
  it("writes sharp's bytes for jpeg(jpegOptions(q)) at every size and quality tried", async () => {
    for (const [w, h, seed] of [
      [1, 1, 1],
      [17, 9, 2],
      [W, H, 3],
      [512, 512, 4],
    ] as const) {
      const px = w * h > 16 ? scene(w, h, seed) : Buffer.from([10, 200, 30].slice(0, w * h * 3))
      for (const quality of [1, 10, 25, 50, 75, 85, 90, 95, 100]) {
        const ours = await encodeJpegNative(px, w, h, quality)
        const theirs = await sharp(px, { raw: { width: w, height: h, channels: 3 } })
          .jpeg(jpegOptions(quality))
          .toBuffer()
        expect(ours, `${w}x${h} q${quality}`).not.toBeNull()
        expect(ours!.equals(theirs), `${w}x${h} q${quality}`).toBe(true)
      }
    }
  })

  it('says when the file does not fit the output buffer (the caller then encodes with sharp), and refuses a bad quality', async () => {
    const px = scene(64, 48, 8)
    expect(await addon!.jpegEncode(px, 64, 48, 100, Buffer.alloc(100))).toBe(-1)
    expect(() => addon!.jpegEncode(px, 64, 48, 101, Buffer.alloc(100_000))).toThrow(/quality from 1 to 100/)
  })
})

describe.skipIf(!addon)('region of decoded pixels (mapRegion)', () => {
  it('copies, mirrors and maps any region exactly as the JS reference does, and refuses one outside the source', () => {
    const px = scene(W, H, 11)
    const rng = Rng.fromParts('map-region')
    const lut = Uint8Array.from({ length: 256 }, () => rng.int(0, 255))
    for (let k = 0; k < 40; k++) {
      const left = rng.int(0, W - 1),
        top = rng.int(0, H - 1)
      const r = { left, top, width: rng.int(1, W - left), height: rng.int(1, H - top) }
      const flop = k % 2 === 0,
        mapped = k % 3 === 0
      const ours = mapRegionNative(px, W, r, { flop, lut: mapped ? lut : null })!
      const ref = Buffer.alloc(r.width * r.height * 3)
      for (let y = 0; y < r.height; y++)
        for (let x = 0; x < r.width; x++)
          for (let c = 0; c < 3; c++) {
            const v = px[((r.top + y) * W + r.left + (flop ? r.width - 1 - x : x)) * 3 + c]
            ref[(y * r.width + x) * 3 + c] = mapped ? lut[v] : v
          }
      expect(ours.equals(ref), JSON.stringify(r)).toBe(true)
    }
    expect(() => mapRegionNative(px, W, { left: W - 5, top: 0, width: 10, height: 1 }, {})).toThrow(/outside the source/)
    expect(() => mapRegionNative(px, W, { left: 0, top: H - 1, width: 5, height: 2 }, {})).toThrow(/outside the source/)
  })
})
