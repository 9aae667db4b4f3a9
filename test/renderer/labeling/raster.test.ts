// Brush and polygon pixels, compared with references written another way: a pixel-by-pixel
// distance in BigInt for the brush, a crossing-number point-in-polygon with an on-edge test for
// the polygon. Plus small cases worked out by hand.
import { describe, expect, it } from 'vitest'
import { brushSpans, polygonSpans, type Pt, type Span } from '../../../src/renderer/src/lib/labeling/raster'
import { int, rng } from './rng'

function toGrid(spans: Span[], w: number, h: number): Uint8Array {
  const g = new Uint8Array(w * h)
  for (const [y, a, b] of spans) {
    if (!(0 <= a && a <= b && b < w && 0 <= y && y < h)) throw new Error(`span ${y}: ${a}..${b} is outside ${w}x${h} or empty`)
    for (let x = a; x <= b; x++) {
      if (g[y * w + x]) throw new Error(`pixel ${x},${y} is in two spans`)
      g[y * w + x] = 1
    }
  }
  return g
}
const rows = (g: Uint8Array, w: number) => Array.from({ length: g.length / w }, (_, y) => [...g.subarray(y * w, y * w + w)].join(''))

/** 4 * d^2 <= size^2, with d the distance from P to segment AB, using exact rationals (BigInt). */
function brushRef(x: number, y: number, a: Pt, b: Pt, size: number): boolean {
  const B = BigInt
  const [px, py, ax, ay, bx, by] = [x, y, a.x, a.y, b.x, b.y].map((v) => B(v))
  const dx = bx - ax
  const dy = by - ay
  const l2 = dx * dx + dy * dy
  const s2 = B(size * size)
  const dist2 = (qx: bigint, qy: bigint) => (px - qx) * (px - qx) + (py - qy) * (py - qy)
  if (l2 === 0n) return 4n * dist2(ax, ay) <= s2
  const t = (px - ax) * dx + (py - ay) * dy
  // closest point C = A + (t / l2) (B - A), clamped; |P - C|^2 * l2^2 as an integer
  const tc = t < 0n ? 0n : t > l2 ? l2 : t
  const cx = px * l2 - (ax * l2 + tc * dx)
  const cy = py * l2 - (ay * l2 + tc * dy)
  return 4n * (cx * cx + cy * cy) <= s2 * l2 * l2
}

function polyRef(x: number, y: number, pts: Pt[]): boolean {
  let inside = false
  for (let i = 0, j = pts.length - 1; i < pts.length; j = i++) {
    const p = pts[j]
    const q = pts[i]
    // on the segment p-q?
    const cross = (q.x - p.x) * (y - p.y) - (q.y - p.y) * (x - p.x)
    if (cross === 0 && Math.min(p.x, q.x) <= x && x <= Math.max(p.x, q.x) && Math.min(p.y, q.y) <= y && y <= Math.max(p.y, q.y)) return true
    if (p.y > y !== q.y > y) {
      // x of the edge at this y, compared without dividing: x < xe  <=>  (x - p.x)(q.y - p.y) < (y - p.y)(q.x - p.x) (sign-aware)
      const lhs = (x - p.x) * (q.y - p.y)
      const rhs = (y - p.y) * (q.x - p.x)
      if (q.y - p.y > 0 ? lhs < rhs : lhs > rhs) inside = !inside
    }
  }
  return inside
}

describe('brush', () => {
  it('paints the pixels a hand count gives', () => {
    const dab = (size: number) => rows(toGrid(brushSpans({ x: 3, y: 3 }, { x: 3, y: 3 }, size, 7, 7), 7, 7), 7)
    expect(dab(1)).toEqual(['0000000', '0000000', '0000000', '0001000', '0000000', '0000000', '0000000'])
    expect(dab(2)).toEqual(['0000000', '0000000', '0001000', '0011100', '0001000', '0000000', '0000000'])
    expect(dab(3)).toEqual(['0000000', '0000000', '0011100', '0011100', '0011100', '0000000', '0000000'])
    expect(dab(5)).toEqual(['0000000', '0011100', '0111110', '0111110', '0111110', '0011100', '0000000'])
    // a horizontal segment of size 1 is the pixels between the endpoints
    expect(rows(toGrid(brushSpans({ x: 1, y: 1 }, { x: 5, y: 1 }, 1, 7, 3), 7, 3), 7)).toEqual(['0000000', '0111110', '0000000'])
  })

  it('equals the exact distance rule on random segments and sizes, clipped at the borders', () => {
    const r = rng(21)
    const w = 97
    const h = 61
    for (let k = 0; k < 150; k++) {
      const a = { x: int(r, -20, w + 20), y: int(r, -20, h + 20) }
      const b = k % 4 === 0 ? a : { x: a.x + int(r, -60, 60), y: a.y + int(r, -60, 60) }
      const size = int(r, 1, 41)
      const got = toGrid(brushSpans(a, b, size, w, h), w, h)
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          if (got[y * w + x] !== (brushRef(x, y, a, b, size) ? 1 : 0)) throw new Error(`pixel ${x},${y} differs for ${JSON.stringify({ a, b, size })}`)
        }
      }
    }
  })
})

describe('polygon', () => {
  it('fills a right triangle with its edges', () => {
    const g = toGrid(
      polygonSpans(
        [
          { x: 1, y: 1 },
          { x: 5, y: 1 },
          { x: 1, y: 5 },
        ],
        7,
        7,
      ),
      7,
      7,
    )
    expect(rows(g, 7)).toEqual(['0000000', '0111110', '0111100', '0111000', '0110000', '0100000', '0000000'])
  })

  it('includes thin and degenerate shapes: a line, a point', () => {
    expect(
      rows(
        toGrid(
          polygonSpans(
            [
              { x: 0, y: 0 },
              { x: 4, y: 4 },
            ],
            5,
            5,
          ),
          5,
          5,
        ),
        5,
      ),
    ).toEqual(['10000', '01000', '00100', '00010', '00001'])
    expect(rows(toGrid(polygonSpans([{ x: 2, y: 1 }], 5, 3), 5, 3), 5)).toEqual(['00000', '00100', '00000'])
  })

  it('equals a point-in-polygon reference on random (also self-crossing, off-image) polygons', () => {
    const r = rng(7)
    const w = 80
    const h = 70
    for (let k = 0; k < 400; k++) {
      const n = int(r, 3, 9)
      const pts = Array.from({ length: n }, () => ({ x: int(r, -15, w + 15), y: int(r, -15, h + 15) }))
      if (k % 5 === 0) pts.splice(1, 0, { x: pts[0].x + 7, y: pts[0].y }) // horizontal edges
      const got = toGrid(polygonSpans(pts, w, h), w, h)
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          if (got[y * w + x] !== (polyRef(x, y, pts) ? 1 : 0)) throw new Error(`pixel ${x},${y} differs for ${JSON.stringify(pts)}`)
        }
      }
    }
  })
})
