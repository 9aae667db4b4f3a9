// Rasterising annotation shapes into a label map, with one exact rule for every shape: a pixel
// (x, y) takes the class when its centre (x + 0.5, y + 0.5) lies inside the shape or on its
// boundary. Coordinates are continuous image coordinates with (0, 0) the top-left corner of the
// top-left pixel (labelme's and COCO's convention), so a rectangle from (10, 10) to (20, 20) covers
// exactly the 10x10 pixels 10..19. Polygons use the even-odd rule (self-intersections leave
// holes, as OpenCV's pointPolygonTest and SVG's evenodd do). Every inside/outside decision at a
// crossing is made by a cross product, not by a divided x, so a centre exactly on an edge is
// decided exactly for coordinates that are short binary fractions (what annotation tools write).
// The tests compare against OpenCV's pointPolygonTest pixel by pixel.

export interface Canvas {
  width: number
  height: number
  data: Uint8Array | Uint16Array
}

type Pt = readonly [number, number]

/** Which side of the edge a→b the point p is on, scaled: > 0 right of a→b going down, 0 on its line. */
function cross(a: Pt, b: Pt, px: number, py: number): number {
  return (px - a[0]) * (b[1] - a[1]) - (py - a[1]) * (b[0] - a[0])
}

function span(c: Canvas, y: number, x0: number, x1: number, value: number): void {
  const a = Math.max(0, x0)
  const b = Math.min(c.width - 1, x1)
  if (a <= b) c.data.fill(value, y * c.width + a, y * c.width + b + 1)
}

/**
 * The first pixel whose centre is at or right of the crossing of edge a→b with row centre yc
 * (`strict`: strictly right), found from the divided x and then settled by the cross product.
 */
function firstRightOf(a: Pt, b: Pt, yc: number, strict: boolean): number {
  const x = a[0] + ((yc - a[1]) * (b[0] - a[0])) / (b[1] - a[1])
  const s = Math.sign(b[1] - a[1])
  // side(px) > 0: centre right of the crossing; = 0: on it
  const side = (px: number) => cross(a, b, px + 0.5, yc) * s
  const ok = (px: number) => (strict ? side(px) > 0 : side(px) >= 0)
  let px = Math.ceil(x - 0.5)
  while (ok(px - 1)) px--
  while (!ok(px)) px++
  return px
}

/** Fills one polygon (even-odd, centres inside or on the boundary) with `value`. */
export function fillPolygon(c: Canvas, pts: readonly Pt[], value: number): void {
  const n = pts.length
  if (n === 0) return
  let minY = Infinity
  let maxY = -Infinity
  for (const p of pts) {
    minY = Math.min(minY, p[1])
    maxY = Math.max(maxY, p[1])
  }
  const rowFrom = Math.max(0, Math.ceil(minY - 0.5))
  const rowTo = Math.min(c.height - 1, Math.floor(maxY - 0.5))
  const crossings: { a: Pt; b: Pt; x: number }[] = []
  for (let y = rowFrom; y <= rowTo; y++) {
    const yc = y + 0.5
    crossings.length = 0
    for (let i = 0; i < n; i++) {
      const a = pts[i]
      const b = pts[(i + 1) % n]
      const lo = Math.min(a[1], b[1])
      const hi = Math.max(a[1], b[1])
      if (yc < lo || yc > hi) continue
      if (a[1] === b[1]) {
        // a horizontal edge on the row's centre line: its centres are boundary
        span(c, y, Math.ceil(Math.min(a[0], b[0]) - 0.5), Math.floor(Math.max(a[0], b[0]) - 0.5), value)
        continue
      }
      // half-open in y for the even-odd count; the closed end (a vertex on the line) is boundary
      if (yc < hi) crossings.push({ a, b, x: a[0] + ((yc - a[1]) * (b[0] - a[0])) / (b[1] - a[1]) })
      else {
        const px = firstRightOf(a, b, yc, false)
        if (cross(a, b, px + 0.5, yc) === 0) span(c, y, px, px, value)
      }
    }
    crossings.sort((p, q) => p.x - q.x)
    for (let k = 0; k + 1 < crossings.length; k += 2) {
      const l = crossings[k]
      const r = crossings[k + 1]
      span(c, y, firstRightOf(l.a, l.b, yc, false), firstRightOf(r.a, r.b, yc, true) - 1, value)
    }
  }
}

/** Fills the pixels whose centres lie in the closed rectangle with corners p and q. */
export function fillRectangle(c: Canvas, p: Pt, q: Pt, value: number): void {
  const [x0, x1] = [Math.min(p[0], q[0]), Math.max(p[0], q[0])]
  const [y0, y1] = [Math.min(p[1], q[1]), Math.max(p[1], q[1])]
  const ya = Math.max(0, Math.ceil(y0 - 0.5))
  const yb = Math.min(c.height - 1, Math.floor(y1 - 0.5))
  for (let y = ya; y <= yb; y++) span(c, y, Math.ceil(x0 - 0.5), Math.floor(x1 - 0.5), value)
}

/** Fills the pixels whose centres lie in the closed disc of centre `o` through point `p` (labelme's circle). */
export function fillCircle(c: Canvas, o: Pt, p: Pt, value: number): void {
  const r2 = (p[0] - o[0]) ** 2 + (p[1] - o[1]) ** 2
  const r = Math.sqrt(r2)
  const inside = (px: number, yc: number) => (px + 0.5 - o[0]) ** 2 + (yc - o[1]) ** 2 <= r2
  const ya = Math.max(0, Math.ceil(o[1] - r - 0.5) - 1)
  const yb = Math.min(c.height - 1, Math.floor(o[1] + r - 0.5) + 1)
  for (let y = ya; y <= yb; y++) {
    const yc = y + 0.5
    if ((yc - o[1]) ** 2 > r2) continue
    const half = Math.sqrt(Math.max(0, r2 - (yc - o[1]) ** 2))
    let a = Math.ceil(o[0] - half - 0.5)
    while (inside(a - 1, yc)) a--
    while (!inside(a, yc) && a <= o[0]) a++
    let b = Math.floor(o[0] + half - 0.5)
    while (inside(b + 1, yc)) b++
    while (!inside(b, yc) && b >= o[0] - 1) b--
    if (inside(a, yc)) span(c, y, a, b, value)
  }
}

/**
 * COCO run-length encoding: runs over the image in COLUMN-major order, alternating 0s and 1s and
 * starting with 0s. `counts` is the uncompressed list or pycocotools' compressed string (6-bit
 * characters from '0', 5 bits of value each, a continuation bit, sign-extended, and every count
 * from the fourth on stored as the difference from the count two before it).
 */
export function decodeRleCounts(counts: number[] | string): number[] {
  if (Array.isArray(counts)) return counts
  const out: number[] = []
  let p = 0
  while (p < counts.length) {
    let x = 0
    let k = 0
    let more = true
    while (more) {
      if (p >= counts.length) throw new Error(`the compressed RLE string ends inside a count (at character ${p})`)
      const ch = counts.charCodeAt(p) - 48
      if (ch < 0 || ch > 63) throw new Error(`the compressed RLE string has an invalid character ${JSON.stringify(counts[p])} at ${p}`)
      x |= (ch & 0x1f) << (5 * k)
      more = (ch & 0x20) !== 0
      p++
      k++
      if (!more && ch & 0x10) x |= -1 << (5 * k)
      if (k >= 6 && more) throw new Error(`the compressed RLE string has a count longer than 6 characters at ${p}`)
    }
    if (out.length > 2) x += out[out.length - 2]
    out.push(x)
  }
  return out
}

/** Paints the 1-runs of a COCO RLE (size [h, w], column-major) with `value`. */
export function fillRle(c: Canvas, size: readonly [number, number], counts: number[] | string, value: number): void {
  const [h, w] = size
  if (h !== c.height || w !== c.width) throw new Error(`the RLE is ${w}x${h} but the image is ${c.width}x${c.height}`)
  const runs = decodeRleCounts(counts)
  const total = w * h
  let at = 0
  for (let i = 0; i < runs.length; i++) {
    const n = runs[i]
    if (!Number.isInteger(n) || n < 0) throw new Error(`RLE count ${i} is ${n}, not a non-negative integer`)
    if (at + n > total) throw new Error(`the RLE covers ${at + n} pixels but the image has ${total}`)
    if (i % 2 === 1) {
      for (let k = at; k < at + n; k++) {
        const x = Math.floor(k / h)
        const y = k - x * h
        c.data[y * w + x] = value
      }
    }
    at += n
  }
  if (at !== total) throw new Error(`the RLE covers ${at} pixels but the image has ${total}`)
}
