// Writing masks back in their own encoding (io/png.ts encodeMaskPngAsync): every colour type and
// bit depth a mask file can have, read back by fast-png (an independent decoder) and by Lockstep's
// label reader, must hold exactly the indices written; a palette keeps its entries and tRNS and
// grows with the given colours; a value the encoding cannot hold is refused.
import { decode as decodePng, encode as encodePng } from 'fast-png'
import { describe, expect, it } from 'vitest'
import { encodeMaskPngAsync, maskEncodingOf, maxIndexOf, type MaskEncoding } from '../../src/main/io/png'
import { readLabels } from '../../src/main/io'
import { Rng } from '../../src/main/augment/rng'

const W = 13 // odd: packed rows end mid-byte
const H = 7

function values(max: number, seed: number): Uint16Array {
  const rng = Rng.fromParts('png-write', seed)
  return Uint16Array.from({ length: W * H }, () => rng.int(0, max))
}

function unpack(data: ArrayLike<number>, depth: number): number[] {
  if (depth >= 8) return Array.from(data)
  const rowBytes = Math.ceil((W * depth) / 8)
  const out: number[] = []
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) out.push((data[y * rowBytes + Math.floor((x * depth) / 8)] >> (8 - depth - ((x * depth) % 8))) & ((1 << depth) - 1))
  return out
}

const cases: MaskEncoding[] = [
  ...([1, 2, 4, 8, 16] as const).map((bitDepth) => ({ colorType: 0 as const, bitDepth })),
  ...([1, 2, 4, 8] as const).map((bitDepth) => ({
    colorType: 3 as const,
    bitDepth,
    plte: Uint8Array.from([0, 0, 0, 255, 0, 0]),
    trns: Uint8Array.from([0, 128]),
  })),
  { colorType: 2, bitDepth: 8 },
  { colorType: 2, bitDepth: 16 },
  { colorType: 4, bitDepth: 8 },
  { colorType: 6, bitDepth: 16 },
]

describe('encodeMaskPngAsync', () => {
  it.each(cases.map((c) => [`colour type ${c.colorType}, ${c.bitDepth}-bit`, c] as const))(
    '%s: fast-png and the label reader read back exactly what was written',
    async (_name, enc) => {
      const v = values(maxIndexOf(enc), enc.colorType * 100 + enc.bitDepth)
      const data = enc.bitDepth === 16 ? v : Uint8Array.from(v)
      const png = await encodeMaskPngAsync(W, H, data, enc, (i) => [i, 255 - i, 7])
      const d = decodePng(png)
      expect([d.width, d.height, d.depth]).toEqual([W, H, enc.bitDepth])
      const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[enc.colorType]
      expect(d.channels).toBe(channels)
      const first = Array.from({ length: W * H }, (_, i) => (channels === 1 ? 0 : d.data[i * channels]))
      const got = channels === 1 ? unpack(d.data, enc.bitDepth) : first
      expect(got).toEqual(Array.from(v))
      if (channels > 1) {
        const opaque = enc.bitDepth === 16 ? 65535 : 255
        for (let i = 0; i < W * H; i++) {
          const colour = enc.colorType === 4 ? 1 : 3
          for (let c = 1; c < colour; c++) expect(d.data[i * channels + c]).toBe(v[i])
          if (channels === 2 || channels === 4) expect(d.data[i * channels + channels - 1]).toBe(opaque)
        }
      }
      if (enc.colorType === 3) {
        const max = Math.max(...v)
        expect(d.palette!.length).toBe(Math.max(2, max + 1))
        expect(d.palette!.slice(0, 2).map((c) => c.slice(0, 3))).toEqual([
          [0, 0, 0],
          [255, 0, 0],
        ])
        for (let i = 2; i <= max; i++) expect(d.palette![i].slice(0, 3)).toEqual([i, 255 - i, 7])
        expect(d.transparency ? Array.from(d.transparency).slice(0, 2) : d.palette!.slice(0, 2).map((c) => c[3])).toEqual([0, 128])
      }
      // Lockstep's own reader: indices (grey, palette) or R=G=B values
      const labels = await readLabels('written.png', undefined, png)
      expect(Array.from(labels.data)).toEqual(Array.from(v))
      // and the encoding read back from the file is the one written (the palette grown)
      const back = maskEncodingOf(png)
      expect(back.ok && { colorType: back.encoding.colorType, bitDepth: back.encoding.bitDepth }).toEqual({ colorType: enc.colorType, bitDepth: enc.bitDepth })
    },
  )

  it('reads the encoding of files other encoders wrote (palette with alpha, 16-bit grey, RGB)', () => {
    const pal = encodePng({
      width: 2,
      height: 1,
      data: Uint8Array.from([0, 1]),
      depth: 8,
      channels: 1,
      palette: [
        [1, 2, 3, 10],
        [4, 5, 6, 255],
      ],
    })
    const e = maskEncodingOf(Buffer.from(pal))
    expect(e.ok && e.encoding).toMatchObject({ colorType: 3, bitDepth: 8 })
    expect(e.ok && Array.from(e.encoding.plte!)).toEqual([1, 2, 3, 4, 5, 6])
    expect(e.ok && Array.from(e.encoding.trns!)).toEqual([10])
    const g16 = encodePng({ width: 1, height: 1, data: Uint16Array.from([300]), depth: 16, channels: 1 })
    expect(maskEncodingOf(Buffer.from(g16))).toEqual({ ok: true, encoding: { colorType: 0, bitDepth: 16 } })
    expect(maskEncodingOf(Buffer.from('not a png at all, definitely not'))).toEqual({ ok: false, problem: 'not a PNG' })
  })

  it('a value the encoding cannot hold is refused', async () => {
    await expect(encodeMaskPngAsync(2, 1, Uint16Array.from([0, 256]), { colorType: 0, bitDepth: 8 })).rejects.toThrow(
      'class index 256 does not fit a 8-bit grey PNG',
    )
    await expect(encodeMaskPngAsync(2, 1, Uint8Array.from([0, 4]), { colorType: 3, bitDepth: 2, plte: new Uint8Array(6) })).rejects.toThrow(
      /class index 4 does not fit a palette \(2-bit, 2 colours\) PNG/,
    )
    await expect(encodeMaskPngAsync(2, 2, Uint8Array.from([0, 4]), { colorType: 0, bitDepth: 8 })).rejects.toThrow('expected 4 values for 2x2, got 2')
  })
})
