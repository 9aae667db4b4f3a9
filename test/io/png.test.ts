// The PNG label reader (src/main/io/png.ts) against PNGs written here with every row filter, bit
// depth and colour type a mask can have: a region read must equal the same window of the whole,
// which must equal the values written; bad files must be refused in words.
import { crc32, deflateSync, inflateSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import sharp from 'sharp'
import { decode as decodeFast } from 'fast-png'
import {
  canDecodeLabels,
  decodeLabelRegion,
  encodeLabelPng,
  encodeLabelPngAsync,
  idatOf,
  inflateWhole,
  takeWholeInflate,
  walkPng,
  type PngInfo,
} from '../../src/main/io/png'
import { checkPngData, pngRows } from '../../src/main/io/check-png'
import { decodePngLabels8, loadAddon } from '../../src/main/io/native'
import { readLabelsRegion } from '../../src/main/io'
import { Rng } from '../../src/main/augment/rng'
import { LockstepError } from '../../src/shared/errors'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

function chunk(type: string, data: Uint8Array): Buffer {
  const c = Buffer.alloc(12 + data.length)
  c.writeUInt32BE(data.length, 0)
  c.write(type, 4, 'latin1')
  c.set(data, 8)
  c.writeUInt32BE(crc32(c.subarray(4, 8 + data.length)), 8 + data.length)
  return c
}

/** Packs values into scanline bytes of the given depth (big-endian for 16). */
function packRow(values: number[], depth: number): number[] {
  if (depth === 16) return values.flatMap((v) => [v >> 8, v & 255])
  if (depth === 8) return values
  const out: number[] = []
  const perByte = 8 / depth
  for (let i = 0; i < values.length; i += perByte) {
    let b = 0
    for (let k = 0; k < perByte; k++) b |= (values[i + k] ?? 0) << (8 - depth * (k + 1))
    out.push(b)
  }
  return out
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c
  const pa = Math.abs(p - a),
    pb = Math.abs(p - b),
    pc = Math.abs(p - c)
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c
}

/** A reference PNG writer: row y uses filter filters[y % 5], the IDAT split in `parts` chunks. */
function writePng(o: { width: number; height: number; depth: number; colorType: 0 | 3; values: number[]; parts?: number; interlace?: boolean }): Buffer {
  const bpp = Math.max(1, o.depth >> 3)
  const rows: number[][] = []
  for (let y = 0; y < o.height; y++) rows.push(packRow(o.values.slice(y * o.width, (y + 1) * o.width), o.depth))
  const out: number[] = []
  rows.forEach((row, y) => {
    const f = y % 5
    const up = y > 0 ? rows[y - 1] : row.map(() => 0)
    out.push(f)
    row.forEach((v, i) => {
      const a = i >= bpp ? row[i - bpp] : 0
      const b = up[i]
      const c = i >= bpp ? up[i - bpp] : 0
      const pred = f === 0 ? 0 : f === 1 ? a : f === 2 ? b : f === 3 ? (a + b) >> 1 : paeth(a, b, c)
      out.push((v - pred) & 255)
    })
  })
  const z = deflateSync(Buffer.from(out))
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(o.width, 0)
  ihdr.writeUInt32BE(o.height, 4)
  ihdr[8] = o.depth
  ihdr[9] = o.colorType
  ihdr[12] = o.interlace ? 1 : 0
  const parts: Buffer[] = []
  const n = o.parts ?? 1
  for (let k = 0; k < n; k++) parts.push(chunk('IDAT', z.subarray(Math.floor((k * z.length) / n), Math.floor(((k + 1) * z.length) / n))))
  const plte = o.colorType === 3 ? [chunk('PLTE', Buffer.from(Array.from({ length: 3 << o.depth }, (_, i) => (i * 53) % 256)))] : []
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), ...plte, ...parts, chunk('IEND', new Uint8Array(0))])
}

function values(width: number, height: number, depth: number, seed: number): number[] {
  const rng = Rng.fromParts('png-test', seed)
  const max = 2 ** depth - 1
  // blocks of classes, like a mask, with some noise so every filter sees varied bytes
  return Array.from({ length: width * height }, (_, i) => {
    const x = i % width,
      y = Math.floor(i / width)
    return rng.next() < 0.1 ? rng.int(0, max) : ((Math.floor(x / 7) + Math.floor(y / 5)) * 37) % (max + 1)
  })
}

function info(b: Buffer): PngInfo {
  const w = walkPng(b, true)
  if (!w.ok) throw new Error(w.problem)
  return w.info
}

const window = (v: number[], width: number, r: { left: number; top: number; width: number; height: number }) => {
  const out: number[] = []
  for (let y = r.top; y < r.top + r.height; y++) out.push(...v.slice(y * width + r.left, y * width + r.left + r.width))
  return out
}

describe('PNG label reader', () => {
  const cases = [...[1, 2, 4, 8, 16].map((depth) => ({ colorType: 0 as const, depth })), ...[1, 2, 4, 8].map((depth) => ({ colorType: 3 as const, depth }))]
  it('flat rows (filtered rows of zeros: Up repeating the row above, Sub its first byte), whole and in regions', () => {
    for (const depth of [8, 16]) {
      const width = 41,
        height = 30
      // constant rows in bands of 4, a band of one class per column half, and one varied row
      const v = Array.from({ length: width * height }, (_, i) => {
        const x = i % width,
          y = Math.floor(i / width)
        if (y === 17) return (x * 7) % 200
        return y >= 20 && y < 25 ? (x < 20 ? 3 : 9) : (Math.floor(y / 4) * 37) % 251
      })
      const png = writePng({ width, height, depth, colorType: 0, values: v })
      const i = info(png)
      expect(Array.from(decodeLabelRegion(png, i).data)).toEqual(v)
      for (const r of [
        { left: 0, top: 3, width, height: 20 },
        { left: 5, top: 16, width: 30, height: 10 },
        { left: 40, top: 0, width: 1, height: 30 },
      ])
        expect(Array.from(decodeLabelRegion(png, i, r).data), JSON.stringify(r)).toEqual(window(v, width, r))
    }
  })

  for (const { colorType, depth } of cases) {
    it(`${colorType === 0 ? 'grey' : 'palette'} ${depth}-bit: every filter, whole and any region, exact values`, () => {
      const width = 37,
        height = 29
      const v = values(width, height, depth, depth + colorType)
      const png = writePng({ width, height, depth, colorType, values: v, parts: 3 })
      const i = info(png)
      expect(canDecodeLabels(i)).toBe(true)
      const all = decodeLabelRegion(png, i)
      expect([all.width, all.height, all.depth]).toEqual([width, height, depth === 16 ? 16 : 8])
      expect(Array.from(all.data)).toEqual(v)
      const rng = Rng.fromParts('regions', depth, colorType)
      for (let k = 0; k < 25; k++) {
        const left = rng.int(0, width - 1),
          top = rng.int(0, height - 1)
        const r = { left, top, width: rng.int(1, width - left), height: rng.int(1, height - top) }
        expect(Array.from(decodeLabelRegion(png, i, r).data), JSON.stringify(r)).toEqual(window(v, width, r))
      }
    })
  }

  it('wide rows of long flat runs (the four-bytes-at-a-time paths and their tails): every filter, whole and any region, exact values', () => {
    for (const depth of [8, 16]) {
      const width = 203,
        height = 26
      const rng = Rng.fromParts('png-wide', depth)
      const max = 2 ** depth - 1
      // class blocks 23 wide and 3 tall, a few stray values, and a row of noise
      const v = Array.from({ length: width * height }, (_, i) => {
        const x = i % width,
          y = Math.floor(i / width)
        if (y === 11 || rng.next() < 0.02) return rng.int(0, max)
        return ((Math.floor(x / 23) + Math.floor(y / 3)) * 97) % (max + 1)
      })
      const png = writePng({ width, height, depth, colorType: 0, values: v })
      const i = info(png)
      expect(Array.from(decodeLabelRegion(png, i).data)).toEqual(v)
      for (let k = 0; k < 40; k++) {
        const left = rng.int(0, width - 1),
          top = rng.int(0, height - 1)
        const r = { left, top, width: rng.int(1, width - left), height: rng.int(1, height - top) }
        expect(Array.from(decodeLabelRegion(png, i, r).data), JSON.stringify(r)).toEqual(window(v, width, r))
      }
    }
  })

  it('agrees with libvips on 8-bit grey masks written by libvips with adaptive filtering, for regions near the top (prefix inflate)', async () => {
    const width = 300,
      height = 400
    const v = values(width, height, 8, 99).map((x) => x % 6)
    const png = await sharp(Uint8Array.from(v), { raw: { width, height, channels: 1 } })
      .toColourspace('b-w')
      .png({ adaptiveFiltering: true, compressionLevel: 9 })
      .toBuffer()
    const i = info(png)
    expect([i.colorType, i.bitDepth]).toEqual([0, 8])
    for (const r of [
      { left: 0, top: 0, width: 300, height: 1 },
      { left: 13, top: 20, width: 200, height: 40 },
      { left: 100, top: 350, width: 200, height: 50 },
    ]) {
      const ours = decodeLabelRegion(png, i, r)
      const theirs = await sharp(png).extract(r).extractChannel(0).raw().toBuffer()
      expect(Buffer.from(ours.data as Uint8Array).equals(theirs)).toBe(true)
    }
  })

  it('reads rows whose compressed bytes are unevenly spread (the prefix guess falls short, then the whole stream)', () => {
    const width = 64,
      height = 100
    const rng = Rng.fromParts('uneven')
    const v = Array.from({ length: width * height }, (_, i) => (i < (width * height) / 2 ? rng.int(0, 255) : 3))
    const png = writePng({ width, height, depth: 8, colorType: 0, values: v })
    const r = { left: 5, top: 40, width: 50, height: 20 }
    expect(Array.from(decodeLabelRegion(png, info(png), r).data)).toEqual(window(v, width, r))
  })

  it('a region read kept for the check: the check of the same bytes takes its whole inflate and gives the verdict it gives alone', () => {
    const width = 64,
      height = 60
    const v = values(width, height, 8, 5)
    const png = writePng({ width, height, depth: 8, colorType: 0, values: v })
    // row 50's filter byte set to 7: a file whose rows are sound down to the crop, unsound below it
    const raw = inflateSync(idatOf(png, info(png)))
    raw[50 * (width + 1)] = 7
    const bad = Buffer.concat([png.subarray(0, 33), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))])
    const r = { left: 3, top: 4, width: 40, height: 20 }
    for (const file of [png, bad]) {
      const layout = pngRows(info(file))
      const alone = checkPngData(idatOf(file, info(file)), layout)
      expect(Array.from(decodeLabelRegion(file, info(file), r, true).data)).toEqual(window(v, width, r))
      const kept = takeWholeInflate(file)
      expect(kept && 'out' in kept).toBe(true)
      expect(checkPngData(idatOf(file, info(file)), layout, kept)).toEqual(alone)
      expect(takeWholeInflate(file)).toBeUndefined() // taken once
    }
    expect(checkPngData(idatOf(bad, info(bad)), pngRows(info(bad)))).toMatchObject({ kind: 5, row: 50, filter: 7 })
    // without keepForCheck nothing is kept
    decodeLabelRegion(png, info(png), r)
    expect(takeWholeInflate(png)).toBeUndefined()
  })

  it('the kept inflate (one whole-size output buffer) is, on every stream, what the check would inflate in 64 KiB chunks, or nothing', () => {
    // the check reads its stream in PNG_CHUNK outputs (its verdict on a bad stream depends on them);
    // the label decode keeps one whole-size inflate for it, only when that ended cleanly with the
    // header's byte count. Random streams (sizes at and around whole chunks, zlib levels and
    // strategies) and their faults: a flipped byte, cut short, trailing bytes, rows over or under
    // the header's. Wherever the kept one exists it equals the chunked one (bytes and consumed),
    // and the check's verdict with it is the verdict it reaches alone.
    const rng = Rng.fromParts('png-kept-inflate', 1)
    const sizes: Array<[number, number]> = [
      [255, 256], // 256 * 256: exactly one chunk
      [127, 1024], // exactly two chunks
      [511, 129], // 512 * 129: a chunk and a bit
      [300, 218], // 301 * 218: just over one chunk
      [1, 1],
      [63, 3],
    ]
    for (let i = 0; i < 20; i++) sizes.push([rng.int(1, 400), rng.int(1, 160)])
    const flip = (z: Buffer) => {
      const c = Buffer.from(z)
      c[rng.int(0, c.length - 1)] ^= 1 << rng.int(0, 7)
      return c
    }
    let kept = 0,
      faults = 0
    for (const [width, height] of sizes) {
      const v = values(width, height, 8, width * 1000 + height)
      const png = writePng({ width, height, depth: 8, colorType: 0, values: v })
      const raw = inflateSync(idatOf(png, info(png)))
      const level = rng.int(0, 9)
      const z = deflateSync(raw, { level, strategy: rng.int(0, 4) })
      const streams: Array<[claimedHeight: number, z: Buffer]> = [
        [height, z],
        [height, flip(z)],
        [height, flip(flip(z))],
        [height, z.subarray(0, rng.int(0, z.length - 1))],
        [height, Buffer.concat([z, Buffer.from([rng.int(0, 255), 7])])],
        [Math.max(1, height - rng.int(1, 3)), z], // the stream holds rows past the header's
        [height + rng.int(1, 3), z], // short of them
      ]
      for (const [claimed, zz] of streams) {
        const ihdr = Buffer.alloc(13)
        ihdr.writeUInt32BE(width, 0)
        ihdr.writeUInt32BE(claimed, 4)
        ihdr[8] = 8
        const file = Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', zz), chunk('IEND', new Uint8Array(0))])
        const fi = info(file)
        const layout = pngRows(fi)
        const chunked = inflateWhole(zz, layout.expected)
        const whole = inflateWhole(zz, layout.expected, Math.max(64, layout.expected + 1))
        if (!('err' in whole) && whole.out.length === layout.expected) {
          expect('err' in chunked).toBe(false)
          if (!('err' in chunked)) {
            expect(whole.consumed).toBe(chunked.consumed)
            expect(whole.out.equals(chunked.out)).toBe(true)
          }
        }
        const alone = checkPngData(zz, layout)
        if (alone.kind !== 0) faults++
        const r = { left: 0, top: Math.floor(claimed / 3), width: Math.max(1, width >> 1), height: Math.max(1, claimed - Math.floor(claimed / 3)) }
        let decoded: number[] | string
        try {
          decoded = Array.from(decodeLabelRegion(file, fi, r, true).data)
        } catch (err) {
          decoded = (err as Error).message
        }
        let fresh: number[] | string
        try {
          fresh = Array.from(decodeLabelRegion(file, fi, r, false).data)
        } catch (err) {
          fresh = (err as Error).message
        }
        expect(decoded).toEqual(fresh)
        const k = takeWholeInflate(file)
        if (k) kept++
        expect(checkPngData(zz, layout, k)).toEqual(alone)
      }
    }
    expect(kept).toBeGreaterThan(sizes.length) // the clean streams, and faults that leave a clean stream (trailing bytes, a bad filter)
    expect(faults).toBeGreaterThan(sizes.length * 3)
  })

  it('refuses interlaced and colour PNGs (the general decoder takes those)', () => {
    const v = values(8, 8, 8, 1)
    const interlaced = writePng({ width: 8, height: 8, depth: 8, colorType: 0, values: v, interlace: true })
    expect(canDecodeLabels(info(interlaced))).toBe(false)
    expect(() => decodeLabelRegion(interlaced, info(interlaced))).toThrow(/interlaced/)
  })

  it('names what is wrong: a bad CRC, a file cut short, image data cut short', async () => {
    const v = values(40, 40, 8, 3)
    const png = writePng({ width: 40, height: 40, depth: 8, colorType: 0, values: v })
    const flipped = Buffer.from(png)
    flipped[50] ^= 0xff // inside IDAT data
    expect(walkPng(flipped, true)).toEqual({ ok: false, problem: expect.stringMatching(/IDAT chunk at byte \d+ fails its CRC check/) })
    expect(walkPng(png.subarray(0, png.length - 20), true)).toEqual({ ok: false, problem: expect.stringMatching(/truncated/) })
    // a well-formed file whose compressed rows stop early
    const short = writePng({ width: 40, height: 20, depth: 8, colorType: 0, values: v.slice(0, 800) })
    short.writeUInt32BE(40, 20) // IHDR now claims 40 rows
    short.writeUInt32BE(crc32(short.subarray(12, 29)), 29)
    expect(() => decodeLabelRegion(short, info(short), { left: 0, top: 30, width: 10, height: 10 })).toThrow(/ends at row 20 of 40 \(truncated\)/)
    // through the engine, the error is a LockstepError naming the file
    const dir = mkdtempSync(join(tmpdir(), 'lockstep-png-'))
    const file = join(dir, 'short.png')
    writeFileSync(file, short)
    const err = await readLabelsRegion(file, { left: 0, top: 30, width: 10, height: 10 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(LockstepError)
    expect((err as LockstepError).code).toBe('CORRUPT')
    expect((err as LockstepError).message).toContain(file)
  })
})

describe('PNG label writer', () => {
  it('writes 8- and 16-bit single-channel PNGs that other decoders read back exactly', async () => {
    for (const depth of [8, 16] as const) {
      const v = values(61, 17, depth, depth)
      const data = depth === 8 ? Uint8Array.from(v) : Uint16Array.from(v)
      const png = encodeLabelPng(61, 17, depth, data)
      const back = decodeFast(png)
      expect([back.width, back.height, back.depth, back.channels]).toEqual([61, 17, depth, 1])
      expect(Array.from(back.data)).toEqual(v)
      const meta = await sharp(png).metadata()
      expect([meta.channels, meta.depth]).toEqual([1, depth === 8 ? 'uchar' : 'ushort'])
      expect(Array.from(decodeLabelRegion(png, info(png)).data)).toEqual(v)
      // the thread-pool variant writes the same bytes (the same zlib call)
      expect((await encodeLabelPngAsync(61, 17, depth, data)).equals(png)).toBe(true)
    }
  })
})

describe('PNG label regions in native code (native/decoders pngLabels)', () => {
  const { addon, why } = loadAddon()
  if (!addon) console.log(`native PNG label regions: tests skipped: ${why}`)

  for (const colorType of [0, 3] as const) {
    it.skipIf(!addon)(
      `${colorType === 0 ? 'grey' : 'palette'} 8-bit: every filter, whole and any region, equal to the JS reader and to the values written`,
      async () => {
        const width = 203,
          height = 151
        const v = values(width, height, 8, 40 + colorType)
        const png = writePng({ width, height, depth: 8, colorType, values: v, parts: 4 })
        const i = info(png)
        const rng = Rng.fromParts('native-png', colorType)
        const regions = [
          { left: 0, top: 0, width, height },
          { left: width - 1, top: height - 1, width: 1, height: 1 },
          ...Array.from({ length: 40 }, () => {
            const left = rng.int(0, width - 1),
              top = rng.int(0, height - 1)
            return { left, top, width: rng.int(1, width - left), height: rng.int(1, height - top) }
          }),
        ]
        for (const r of regions) {
          const ours = await decodePngLabels8(idatOf(png, i), width, height, r)
          expect(ours, JSON.stringify(r)).not.toBeNull()
          expect(Buffer.from(ours!).equals(Buffer.from(decodeLabelRegion(png, i, r).data as Uint8Array)), JSON.stringify(r)).toBe(true)
          expect(Array.from(ours!), JSON.stringify(r)).toEqual(window(v, width, r))
        }
      },
    )
  }

  it.skipIf(!addon)('gives up on a cut-short or bad stream and on a bad filter byte, and the JS reader says what is wrong', async () => {
    const width = 64,
      height = 40
    const v = values(width, height, 8, 7)
    const png = writePng({ width, height, depth: 8, colorType: 0, values: v })
    const z = idatOf(png, info(png))
    const whole = { left: 0, top: 0, width, height }
    expect(await decodePngLabels8(z.subarray(0, z.length >> 1), width, height, whole)).toBeNull()
    const garbage = Buffer.from(z)
    garbage.fill(0xff, 2, 40)
    expect(await decodePngLabels8(garbage, width, height, whole)).toBeNull()
    const raw = Buffer.alloc((width + 1) * height)
    raw[0] = 9 // no such filter
    expect(await decodePngLabels8(deflateSync(raw), width, height, whole)).toBeNull()
    expect(await decodePngLabels8(z, width, height, { left: 60, top: 0, width: 10, height: 1 })).toBeNull() // outside
    // through the engine a bad filter byte is still CORRUPT, naming the file, in the JS reader's words
    const bad = Buffer.concat([png.subarray(0, 33), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))])
    const dir = mkdtempSync(join(tmpdir(), 'lockstep-png-'))
    const file = join(dir, 'badfilter.png')
    writeFileSync(file, bad)
    const err = await readLabelsRegion(file, whole).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(LockstepError)
    expect((err as LockstepError).code).toBe('CORRUPT')
    expect((err as LockstepError).message).toMatch(new RegExp(`${file}.*invalid row filter 9`))
  })
})
