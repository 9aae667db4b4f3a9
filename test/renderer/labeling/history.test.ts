// Undo/redo puts back exactly what was there, keeps at least 200 ordinary steps, and stays within
// its memory budget however large the steps are (the oldest go first).
import { describe, expect, it } from 'vitest'
import { TileMap } from '../../../src/renderer/src/lib/labeling/tiles'
import { History, decodeRuns, encodeRuns } from '../../../src/renderer/src/lib/labeling/history'
import { brushSpans } from '../../../src/renderer/src/lib/labeling/raster'
import { digest, int, rng, sameBytes } from './rng'

const snapshot = (m: TileMap) => digest(m.toFlat())

function stroke(h: History, value: number, x: number, y: number, size: number, locked: Uint8Array | null = null) {
  const e = h.begin(value, locked, 'brush')
  for (const [yy, a, b] of brushSpans({ x, y }, { x: x + 40, y: y + 25 }, size, h.map.width, h.map.height)) e.span(yy, a, b)
  return h.commit(e)
}

describe('run-length tiles', () => {
  it('decode(encode(tile)) is the tile, for 8 and 16 bits; noise stays raw', () => {
    const r = rng(3)
    const t16 = new Uint16Array(65536)
    for (let i = 0; i < t16.length;) {
      const len = int(r, 1, 900)
      t16.fill(int(r, 0, 65535), i, i + len)
      i += len
    }
    const runs = encodeRuns(t16)!
    expect(runs.byteLength).toBeLessThan(t16.byteLength)
    const back = new Uint16Array(65536)
    decodeRuns(runs, back)
    expect(sameBytes(back, t16)).toBe(true)
    expect(encodeRuns(new Uint8Array(65536).fill(9))).toEqual(new Uint32Array([((65535 << 16) | 9) >>> 0]))
    const noise = Uint8Array.from({ length: 65536 }, () => int(r, 0, 255))
    expect(encodeRuns(noise)).toBeNull()
  })
})

describe('History', () => {
  it('undoes and redoes strokes to the exact earlier content, and knows when it matches the save', () => {
    const map = new TileMap(700, 530, 8)
    const h = new History(map)
    const states = [snapshot(map)]
    const r = rng(11)
    for (let k = 0; k < 12; k++) {
      stroke(h, int(r, 1, 5), int(r, 0, 690), int(r, 0, 520), int(r, 1, 90))
      if (k % 4 === 3) h.compact()
      states.push(snapshot(map))
    }
    expect(h.undoCount).toBe(12)
    h.markSaved()
    expect(h.dirty).toBe(false)
    for (let k = 11; k >= 0; k--) {
      expect(h.undo()).not.toBeNull()
      expect(snapshot(map)).toBe(states[k])
      expect(h.dirty).toBe(true)
    }
    expect(h.undo()).toBeNull()
    h.compact()
    for (let k = 1; k <= 12; k++) {
      h.redo()
      expect(snapshot(map)).toBe(states[k])
    }
    expect(h.dirty).toBe(false)
    expect(h.redo()).toBeNull()
  })

  it('a new step clears the redo stack; a step that changes nothing is not recorded', () => {
    const map = new TileMap(300, 300, 16)
    const h = new History(map)
    stroke(h, 3, 10, 10, 20)
    stroke(h, 4, 50, 50, 20)
    h.undo()
    expect(h.redoCount).toBe(1)
    stroke(h, 5, 100, 100, 20)
    expect(h.redoCount).toBe(0)
    expect(h.undoCount).toBe(2)
    expect(stroke(h, 5, 100, 100, 20)).toBeNull()
    expect(h.undoCount).toBe(2)
  })

  it('an edit reverted before its commit (the wand re-growing) records only what it finally changed', () => {
    const map = new TileMap(600, 300, 8)
    const h = new History(map)
    const e = h.begin(4, null, 'wand')
    for (let y = 0; y < 300; y++) e.span(y, 0, 599)
    e.revert()
    for (let y = 0; y < 10; y++) e.span(y, 0, 9)
    const step = h.commit(e)!
    expect(step.snaps.map((s) => s.tile)).toEqual([0])
    h.undo()
    expect(map.toFlat().every((v) => v === 0)).toBe(true)
    const e2 = h.begin(4, null, 'wand')
    e2.span(5, 5, 5)
    e2.revert()
    expect(h.commit(e2)).toBeNull()
  })

  it('keeps 250 brush strokes on a 4000x3000 map within the default budget', () => {
    const map = new TileMap(4000, 3000, 8)
    const h = new History(map)
    const r = rng(5)
    for (let k = 0; k < 250; k++) {
      stroke(h, int(r, 1, 9), int(r, 0, 3900), int(r, 0, 2900), int(r, 5, 120))
      if (k % 10 === 9) h.compact()
    }
    h.compact()
    expect(h.undoCount).toBe(250)
    expect(h.bytes).toBeLessThan(h.limits.maxBytes)
  })

  it('drops the oldest steps to stay under its byte budget, and still undoes the newest exactly', () => {
    const map = new TileMap(512, 512, 8)
    const h = new History(map, { maxBytes: 1024 * 1024, maxSteps: 1000 })
    const r = rng(9)
    let before = ''
    for (let k = 0; k < 12; k++) {
      before = snapshot(map)
      // a step over the whole map that leaves noise behind: no run-length gain, 256 KiB per step
      const e = h.begin(int(r, 1, 250), null, 'noise')
      for (let y = 0; y < 512; y++) for (let x = 0; x < 512; x++) if (r() < 0.5) e.span(y, x, x)
      h.commit(e)
      h.compact()
      expect(h.bytes).toBeLessThanOrEqual(1024 * 1024)
    }
    expect(h.undoCount).toBe(3)
    h.undo()
    expect(snapshot(map)).toBe(before)
  })

  it('caps the number of steps', () => {
    const map = new TileMap(200, 200, 8)
    const h = new History(map, { maxBytes: 1 << 30, maxSteps: 30 })
    for (let k = 0; k < 50; k++) stroke(h, (k % 5) + 1, k, k, 9)
    expect(h.undoCount).toBe(30)
  })
})
