// Exact rasterisation of the brush and the polygon into row spans, on the pixel lattice: a point
// (x, y) names pixel x, y (its centre), so every test below is integer arithmetic and the result
// is the same wherever it is computed (the e2e test recomputes it independently, pixel by pixel).
//
//   brush:   pixel P is painted iff its distance to the segment A-B is at most size / 2
//   polygon: pixel P is painted iff it is inside (even-odd) or on the boundary
//
// A span is [y, x0, x1] with x0 <= x1, both inclusive, clipped to the image.
export type Span = [y: number, x0: number, x1: number]
export interface Pt {
  x: number
  y: number
}

/** 4 * squared distance from lattice point (x, y) to segment a-b, compared with size^2 without rounding. */
export function inBrush(x: number, y: number, a: Pt, b: Pt, size: number): boolean {
  const dx = b.x - a.x
  const dy = b.y - a.y
  const px = x - a.x
  const py = y - a.y
  const l2 = dx * dx + dy * dy
  const t = px * dx + py * dy
  const s2 = size * size
  if (l2 === 0 || t <= 0) return 4 * (px * px + py * py) <= s2
  if (t >= l2) {
    const qx = x - b.x
    const qy = y - b.y
    return 4 * (qx * qx + qy * qy) <= s2
  }
  const cross = px * dy - py * dx
  return 4 * cross * cross <= s2 * l2
}

/** The x range of the capsule on row y with radius r, as floats (a superset when r is generous). */
function capsuleRow(y: number, a: Pt, b: Pt, r: number): [number, number] | null {
  let lo = Infinity
  let hi = -Infinity
  for (const p of [a, b]) {
    const d = y - p.y
    if (Math.abs(d) <= r) {
      const h = Math.sqrt(r * r - d * d)
      lo = Math.min(lo, p.x - h)
      hi = Math.max(hi, p.x + h)
    }
  }
  const dx = b.x - a.x
  const dy = b.y - a.y
  const l2 = dx * dx + dy * dy
  if (l2 > 0) {
    // 0 <= (x - ax) dx + (y - ay) dy <= l2   and   |(x - ax) dy - (y - ay) dx| <= r * sqrt(l2)
    let bandLo = -Infinity
    let bandHi = Infinity
    const k = (y - a.y) * dy
    const m = (y - a.y) * dx
    const rl = r * Math.sqrt(l2)
    const clip = (coef: number, min: number, max: number): boolean => {
      if (coef === 0) return min <= 0 && 0 <= max
      const u = min / coef
      const v = max / coef
      bandLo = Math.max(bandLo, a.x + Math.min(u, v))
      bandHi = Math.min(bandHi, a.x + Math.max(u, v))
      return true
    }
    if (clip(dx, -k, l2 - k) && clip(dy, m - rl, m + rl) && bandLo <= bandHi) {
      lo = Math.min(lo, bandLo)
      hi = Math.max(hi, bandHi)
    }
  }
  return lo <= hi ? [lo, hi] : null
}

/** The pixels of a brush dab (a = b) or stroke segment a-b of diameter `size`, clipped to width x height. */
export function brushSpans(a: Pt, b: Pt, size: number, width: number, height: number): Span[] {
  const out: Span[] = []
  const r = size / 2
  const y0 = Math.max(0, Math.floor(Math.min(a.y, b.y) - r))
  const y1 = Math.min(height - 1, Math.ceil(Math.max(a.y, b.y) + r))
  for (let y = y0; y <= y1; y++) {
    const est = capsuleRow(y, a, b, r + 1)
    if (!est) continue
    let lo = Math.max(0, Math.floor(est[0]))
    let hi = Math.min(width - 1, Math.ceil(est[1]))
    // the estimate contains the row's exact (convex) run: shrink it with the exact test
    while (lo <= hi && !inBrush(lo, y, a, b, size)) lo++
    while (hi >= lo && !inBrush(hi, y, a, b, size)) hi--
    if (lo <= hi) out.push([y, lo, hi])
  }
  return out
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b]
  return a
}

/** Merges each row's ranges (sorted by y, then x). */
function mergeRows(rows: Map<number, [number, number][]>): Span[] {
  const out: Span[] = []
  for (const y of [...rows.keys()].sort((p, q) => p - q)) {
    const rs = rows.get(y)!.sort((p, q) => p[0] - q[0])
    let [lo, hi] = rs[0]
    for (let i = 1; i < rs.length; i++) {
      const [a, b] = rs[i]
      if (a <= hi + 1) hi = Math.max(hi, b)
      else {
        out.push([y, lo, hi])
        ;[lo, hi] = [a, b]
      }
    }
    out.push([y, lo, hi])
  }
  return out
}

/** The pixels of a closed polygon with integer vertices (interior by even-odd, plus its boundary). */
export function polygonSpans(pts: Pt[], width: number, height: number): Span[] {
  const rows = new Map<number, [number, number][]>()
  const add = (y: number, x0: number, x1: number) => {
    if (y < 0 || y >= height) return
    const a = Math.max(0, x0)
    const b = Math.min(width - 1, x1)
    if (a > b) return
    let r = rows.get(y)
    if (!r) rows.set(y, (r = []))
    r.push([a, b])
  }
  const n = pts.length
  if (!n) return []
  // boundary: every lattice point on every edge
  for (let i = 0; i < n; i++) {
    const p = pts[i]
    const q = pts[(i + 1) % n]
    const g = gcd(Math.abs(q.x - p.x), Math.abs(q.y - p.y))
    if (g === 0) add(p.y, p.x, p.x)
    else {
      const sx = (q.x - p.x) / g
      const sy = (q.y - p.y) / g
      for (let k = 0; k <= g; k++) add(p.y + k * sy, p.x + k * sx, p.x + k * sx)
    }
  }
  // interior: crossings of each row with the edges (half-open in y), pixels strictly between pairs
  let ymin = Infinity
  let ymax = -Infinity
  for (const p of pts) {
    ymin = Math.min(ymin, p.y)
    ymax = Math.max(ymax, p.y)
  }
  const xs: number[] = []
  for (let y = Math.max(0, ymin); y <= Math.min(height - 1, ymax); y++) {
    xs.length = 0
    for (let i = 0; i < n; i++) {
      const p = pts[i]
      const q = pts[(i + 1) % n]
      if ((p.y <= y && y < q.y) || (q.y <= y && y < p.y)) xs.push(p.x + ((y - p.y) * (q.x - p.x)) / (q.y - p.y))
    }
    xs.sort((u, v) => u - v)
    for (let i = 0; i + 1 < xs.length; i += 2) {
      const lo = Math.floor(xs[i]) + 1
      const hi = Math.ceil(xs[i + 1]) - 1
      if (lo <= hi) add(y, lo, hi)
    }
  }
  return mergeRows(rows)
}
