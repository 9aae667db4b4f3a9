// Bucket fill and magic wand against a plain breadth-first search on the flat map, and the lock
// rule: a locked class is never changed, by any tool.
import { describe, expect, it } from 'vitest'
import { TileMap } from '../../../src/renderer/src/lib/labeling/tiles'
import { History } from '../../../src/renderer/src/lib/labeling/history'
import { floodFill, growRegion } from '../../../src/renderer/src/lib/labeling/fill'
import { brushSpans, polygonSpans } from '../../../src/renderer/src/lib/labeling/raster'
import { int, rng, sameBytes } from './rng'

/** 4-connected region of `flat[seed]`'s value (or of `near`) by BFS, as a 0/1 grid. */
function bfs(w: number, h: number, x: number, y: number, same: (i: number) => boolean): Uint8Array {
  const out = new Uint8Array(w * h)
  const q = [y * w + x]
  out[q[0]] = 1
  while (q.length) {
    const i = q.pop()!
    const cx = i % w
    const cy = (i - cx) / w
    for (const [nx, ny] of [
      [cx - 1, cy],
      [cx + 1, cy],
      [cx, cy - 1],
      [cx, cy + 1],
    ] as const) {
      const j = ny * w + nx
      if (nx >= 0 && ny >= 0 && nx < w && ny < h && !out[j] && same(j)) {
        out[j] = 1
        q.push(j)
      }
    }
  }
  return out
}

/** Blobs of a few classes: regions with holes, diagonal-only contacts, tile-crossing shapes. */
function blobs(w: number, h: number, seed: number, depth: 8 | 16): Uint8Array | Uint16Array {
  const r = rng(seed)
  const flat = depth === 16 ? new Uint16Array(w * h) : new Uint8Array(w * h)
  for (let k = 0; k < 40; k++) {
    const v = depth === 16 ? [0, 1, 2, 300, 4000][int(r, 0, 4)] : int(r, 0, 4)
    const pts = Array.from({ length: int(r, 3, 6) }, () => ({ x: int(r, -20, w + 20), y: int(r, -20, h + 20) }))
    for (const [y, a, b] of polygonSpans(pts, w, h)) flat.fill(v, y * w + a, y * w + b + 1)
  }
  for (let i = 0; i < flat.length; i += int(r, 1, 60)) flat[i] = 1 // speckle
  return flat
}

describe('floodFill', () => {
  it.each([8, 16] as const)('fills exactly the 4-connected region of the seed class (%i-bit, across tiles)', (depth) => {
    const w = 600
    const h = 420
    const r = rng(depth)
    for (let k = 0; k < 8; k++) {
      const flat = blobs(w, h, k * 13 + depth, depth)
      const map = TileMap.fromFlat(w, h, depth, flat)
      const hist = new History(map)
      const x = int(r, 0, w - 1)
      const y = int(r, 0, h - 1)
      const target = flat[y * w + x]
      const value = depth === 16 ? 4097 : 9
      const edit = hist.begin(value, null, 'fill')
      const n = floodFill(map, x, y, edit)
      hist.commit(edit)
      const region = bfs(w, h, x, y, (j) => flat[j] === target)
      const expected = flat.slice()
      let count = 0
      for (let i = 0; i < region.length; i++) {
        if (!region[i]) continue
        expected[i] = value
        count++
      }
      expect(n).toBe(count)
      expect(sameBytes(map.toFlat(), expected)).toBe(true)
      hist.undo()
      expect(sameBytes(map.toFlat(), flat)).toBe(true)
    }
  })

  it('does nothing on a locked class or when the region already has the class', () => {
    const flat = blobs(300, 300, 1, 8)
    const map = TileMap.fromFlat(300, 300, 8, flat)
    const locked = new Uint8Array(256)
    locked[flat[150 * 300 + 150]] = 1
    expect(floodFill(map, 150, 150, new History(map).begin(7, locked, 'fill'))).toBe(0)
    expect(floodFill(map, 150, 150, new History(map).begin(flat[150 * 300 + 150], null, 'fill'))).toBe(0)
    expect(sameBytes(map.toFlat(), flat)).toBe(true)
  })
})

describe('the lock rule', () => {
  it('brush, eraser and polygon never change a locked class; "only over background" paints only class 0', () => {
    const w = 400
    const h = 300
    const flat = blobs(w, h, 5, 8)
    const map = TileMap.fromFlat(w, h, 8, flat)
    const hist = new History(map)
    // lock every class but the background
    const locked = new Uint8Array(256).fill(1)
    locked[0] = 0
    const e = hist.begin(3, locked, 'brush')
    for (const [y, a, b] of brushSpans({ x: 20, y: 30 }, { x: 380, y: 260 }, 61, w, h)) e.span(y, a, b)
    for (const [y, a, b] of polygonSpans(
      [
        { x: 0, y: 0 },
        { x: 399, y: 10 },
        { x: 200, y: 299 },
      ],
      w,
      h,
    ))
      e.span(y, a, b)
    hist.commit(e)
    const after = map.toFlat()
    let painted = 0
    let broken = 0
    for (let i = 0; i < flat.length; i++) {
      if (flat[i] !== 0) broken += after[i] === flat[i] ? 0 : 1
      else if (after[i] === 3) painted++
      else broken += after[i] === 0 ? 0 : 1
    }
    expect(broken).toBe(0)
    expect(painted).toBeGreaterThan(1000)
    // the eraser (writes 0) leaves locked class 2 alone and clears the others
    const lock2 = new Uint8Array(256)
    lock2[2] = 1
    const er = hist.begin(0, lock2, 'eraser')
    for (let y = 0; y < h; y++) er.span(y, 0, w - 1)
    hist.commit(er)
    const erased = map.toFlat()
    expect(erased.filter((v, i) => v !== (after[i] === 2 ? 2 : 0)).length).toBe(0)
    expect(erased.filter((v) => v === 2).length).toBeGreaterThan(100)
  })

  it('refuses a class the mask depth cannot hold', () => {
    const map = new TileMap(10, 10, 8)
    expect(() => new History(map).begin(256, null, 'brush')).toThrow(/Class 256 cannot be written into a 8-bit mask/)
  })
})

describe('growRegion (magic wand)', () => {
  it('takes the 4-connected pixels within the tolerance of the seed colour on every channel', () => {
    const w = 200
    const h = 150
    const r = rng(4)
    const data = new Uint8ClampedArray(w * h * 4)
    const base = blobs(w, h, 9, 8)
    for (let i = 0; i < w * h; i++) {
      const v = base[i] * 50
      data[i * 4] = v + int(r, 0, 12)
      data[i * 4 + 1] = 255 - v - int(r, 0, 12)
      data[i * 4 + 2] = int(r, 0, 12)
      data[i * 4 + 3] = 255
    }
    for (const tol of [0, 6, 12, 30, 255]) {
      const x = int(r, 0, w - 1)
      const y = int(r, 0, h - 1)
      const o = (y * w + x) * 4
      const spans = growRegion({ width: w, height: h, data }, x, y, tol)
      const got = new Uint8Array(w * h)
      for (const [yy, a, b] of spans) got.fill(1, yy * w + a, yy * w + b + 1)
      const ref = bfs(w, h, x, y, (j) => [0, 1, 2].every((c) => Math.abs(data[j * 4 + c] - data[o + c]) <= tol))
      expect(sameBytes(got, ref)).toBe(true)
      if (tol === 255) expect(got.every((v) => v === 1)).toBe(true)
    }
  })

  it('adds a second seed to the same selection without taking a pixel twice', () => {
    const w = 64
    const data = new Uint8ClampedArray(w * w * 4)
    for (let i = 0; i < w * w; i++) data[i * 4] = i % w < 32 ? 10 : 200
    const seen = new Uint8Array(w * w)
    const left = growRegion({ width: w, height: w, data }, 3, 3, 5, seen)
    const right = growRegion({ width: w, height: w, data }, 40, 3, 5, seen)
    const again = growRegion({ width: w, height: w, data }, 5, 9, 5, seen)
    expect(left.reduce((n, [, a, b]) => n + b - a + 1, 0)).toBe(32 * 64)
    expect(right.reduce((n, [, a, b]) => n + b - a + 1, 0)).toBe(32 * 64)
    expect(again).toEqual([])
  })
})
