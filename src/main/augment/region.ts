// What an output reads: the fused geometry's valid rectangle (exact chains), the source region a
// warp reads (so only that region is decoded), and the per-row span of output pixels whose centre
// lies inside every canvas the chain passed through (outside it: the fill).
import type { Rect } from '../io/image'
import { apply, compose, invert, isExact, type Affine } from './affine'
import type { Size } from './ops/types'
import type { FusedGeometry } from './plan'

/** Output pixels whose centre lies inside every canvas of an exact chain: [x0, x1) x [y0, y1). */
export function validRect(g: FusedGeometry): { x0: number; y0: number; x1: number; y1: number } {
  let x0 = 0,
    y0 = 0,
    x1 = g.width,
    y1 = g.height
  for (const b of g.bounds) {
    const back = invert(b.toCanvas)
    const [ax, ay] = apply(back, 0, 0)
    const [bx, by] = apply(back, b.width, b.height)
    x0 = Math.max(x0, Math.round(Math.min(ax, bx)))
    x1 = Math.min(x1, Math.round(Math.max(ax, bx)))
    y0 = Math.max(y0, Math.round(Math.min(ay, by)))
    y1 = Math.min(y1, Math.round(Math.max(ay, by)))
  }
  return { x0, y0, x1: Math.max(x0, x1), y1: Math.max(y0, y1) }
}

function bbox(points: Array<[number, number]>) {
  const us = points.map((c) => c[0]),
    vs = points.map((c) => c[1])
  return { u0: Math.min(...us), v0: Math.min(...vs), u1: Math.max(...us), v1: Math.max(...vs) }
}
const corners = (m: Affine, w: number, h: number): Array<[number, number]> => [apply(m, 0, 0), apply(m, w, 0), apply(m, 0, h), apply(m, w, h)]

/** The source pixels the output reads (null: none, the output is all fill). */
export function sourceRegion(g: FusedGeometry, source: Size): Rect | null {
  let u0: number, v0: number, u1: number, v1: number
  if (isExact(g.toSource)) {
    const r = validRect(g)
    if (r.x1 <= r.x0 || r.y1 <= r.y0) return null
    ;({ u0, v0, u1, v1 } = bbox([apply(g.toSource, r.x0, r.y0), apply(g.toSource, r.x1, r.y1)]))
  } else {
    ;({ u0, v0, u1, v1 } = bbox(corners(g.toSource, g.width, g.height)))
    // each canvas the chain passed through limits what can be read
    for (const b of g.bounds.slice(1)) {
      const c = bbox(corners(compose(g.toSource, invert(b.toCanvas)), b.width, b.height))
      u0 = Math.max(u0, c.u0)
      v0 = Math.max(v0, c.v0)
      u1 = Math.min(u1, c.u1)
      v1 = Math.min(v1, c.v1)
    }
    const m = 2 // bilinear taps reach half a pixel beyond a point, plus rounding slack
    u0 -= m
    v0 -= m
    u1 += m
    v1 += m
  }
  const left = Math.max(0, Math.floor(u0))
  const top = Math.max(0, Math.floor(v0))
  const right = Math.min(source.width, Math.ceil(u1))
  const bottom = Math.min(source.height, Math.ceil(v1))
  if (right <= left || bottom <= top) return null
  return { left, top, width: right - left, height: bottom - top }
}

/** Flattened bounds for the per-pixel inside test: [a, b, c, d, e, f, w, h] per canvas. */
export function flatBounds(g: FusedGeometry): Float64Array {
  const out = new Float64Array(g.bounds.length * 8)
  g.bounds.forEach((b, i) => {
    out.set(b.toCanvas, i * 8)
    out[i * 8 + 6] = b.width
    out[i * 8 + 7] = b.height
  })
  return out
}

function inside(fb: Float64Array, xc: number, yc: number): boolean {
  for (let i = 0; i < fb.length; i += 8) {
    const u = fb[i] * xc + fb[i + 1] * yc + fb[i + 2]
    const v = fb[i + 3] * xc + fb[i + 4] * yc + fb[i + 5]
    if (u < 0 || v < 0 || u >= fb[i + 6] || v >= fb[i + 7]) return false
  }
  return true
}

/**
 * The output pixels of row y whose centre is inside every canvas: [x0, x1). Each canvas is
 * convex, so along a row the inside set is one interval: solved analytically, then its ends
 * settled with the exact per-pixel test (so it equals testing every pixel).
 */
export function rowSpan(fb: Float64Array, y: number, W: number): [number, number] {
  const span = new Int32Array(2)
  rowSpanInto(fb, y, W, span)
  return [span[0], span[1]]
}

/** rowSpan written into `span` ([x0, x1]): no allocation per row for the kernels' loops. */
export function rowSpanInto(fb: Float64Array, y: number, W: number, span: Int32Array): void {
  const yc = y + 0.5
  let lo = -Infinity,
    hi = Infinity
  span[0] = span[1] = 0
  for (let i = 0; i < fb.length && lo <= hi; i += 8) {
    for (let k = 0; k <= 3; k += 3) {
      const lim = fb[i + 6 + (k === 0 ? 0 : 1)]
      const a = fb[i + k],
        rest = fb[i + k + 1] * yc + fb[i + k + 2]
      // 0 <= a * xc + rest < lim
      if (a === 0) {
        if (rest < 0 || rest >= lim) return
        continue
      }
      const t0 = (0 - rest) / a,
        t1 = (lim - rest) / a
      lo = Math.max(lo, Math.min(t0, t1))
      hi = Math.min(hi, Math.max(t0, t1))
    }
  }
  if (!(lo <= hi)) return
  let x0 = Math.max(0, Math.floor(lo - 0.5) - 1)
  let x1 = Math.min(W, Math.ceil(hi - 0.5) + 2)
  while (x0 < x1 && !inside(fb, x0 + 0.5, yc)) x0++
  while (x1 > x0 && !inside(fb, x1 - 0.5, yc)) x1--
  span[0] = x0
  span[1] = x1
}
