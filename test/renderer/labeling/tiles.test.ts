// The tile store holds exactly the label map it was given, at any size and depth.
import { describe, expect, it } from 'vitest'
import { TILE, TileMap } from '../../../src/renderer/src/lib/labeling/tiles'
import { int, rng, sameBytes } from './rng'

describe('TileMap', () => {
  it.each([
    [1, 1, 8],
    [TILE, TILE, 8],
    [TILE + 1, 3, 16],
    [517, 300, 8],
    [300, 517, 16],
  ] as const)('round-trips a %ix%i %i-bit map through its tiles', (w, h, depth) => {
    const r = rng(w * 31 + h)
    const flat = depth === 16 ? Uint16Array.from({ length: w * h }, () => int(r, 0, 65535)) : Uint8Array.from({ length: w * h }, () => int(r, 0, 255))
    const map = TileMap.fromFlat(w, h, depth, flat)
    expect(map.cols).toBe(Math.ceil(w / TILE))
    expect(map.rows).toBe(Math.ceil(h / TILE))
    const back = map.toFlat()
    expect(back).toBeInstanceOf(depth === 16 ? Uint16Array : Uint8Array)
    expect(sameBytes(back, flat)).toBe(true)
    for (let k = 0; k < 200; k++) {
      const x = int(r, 0, w - 1)
      const y = int(r, 0, h - 1)
      expect(map.get(x, y)).toBe(flat[y * w + x])
    }
  })

  it('counts pixels per class over the image only (not the padding of edge tiles)', () => {
    const w = 300
    const h = 260
    const flat = new Uint8Array(w * h)
    for (let i = 0; i < flat.length; i++) flat[i] = i % 3 === 0 ? 7 : 0
    const hist = TileMap.fromFlat(w, h, 8, flat).histogram()
    expect(hist[7]).toBe(Math.ceil((w * h) / 3))
    expect(hist[0]).toBe(w * h - Math.ceil((w * h) / 3))
    expect(hist.reduce((a, b) => a + b, 0)).toBe(w * h)
  })

  it('names the problem for a short buffer or a bad size', () => {
    expect(() => TileMap.fromFlat(10, 10, 8, new Uint8Array(99))).toThrow(/99 values, expected 10x10/)
    expect(() => new TileMap(0, 5, 8)).toThrow(/positive integer size/)
  })
})
