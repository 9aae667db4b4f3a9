// Geometry kernels: an output target read from a source view through the fused transform
// (output -> source). Exact transforms (signed permutations with integer offsets: crops, pads,
// flips, quarter turns) copy pixels; others sample the image bilinearly (taps clamped to the
// source's edge) and the mask by nearest neighbour, both from the same transform. Points outside
// any canvas of the chain get the fill (image 0, mask ignoreIndex).
import type { OpKernels } from '../io/native'
import type { Affine } from './affine'
import { checkRgb, fast, sameBytes } from './fast'
import { plainBytes } from './ops/cv8'
import { rowSpanInto } from './region'

/** Source pixels available to a warp: a region (or all) of the source. */
export interface SourceView<T extends Uint8Array | Uint16Array> {
  data: T
  /** region placement in the source */
  left: number
  top: number
  width: number
  height: number
  /** the whole source's size (bounds and edge clamping) */
  sourceWidth: number
  sourceHeight: number
}

/**
 * src over other data, built as one literal in SourceView's field order: an object spread
 * (`{ ...src, data }`) in optimised code gives each result a hidden class of its own (V8 11), and
 * the row kernels reading it then deoptimise on a new map every output (see render.ts sourceView).
 */
export function viewWith<T extends Uint8Array | Uint16Array>(src: SourceView<T>, data: T): SourceView<T> {
  return { data, left: src.left, top: src.top, width: src.width, height: src.height, sourceWidth: src.sourceWidth, sourceHeight: src.sourceHeight }
}

/** A Buffer (what decoders hand over) as a plain Uint8Array over the same memory (plainBytes: V8's loops run faster over it); other arrays as they are. */
const plain = <T extends Uint8Array | Uint16Array>(d: T): T => (d instanceof Uint8Array ? (plainBytes(d) as T) : d)

export type Valid = { x0: number; y0: number; x1: number; y1: number }

/** An exact transform's copy (crops, pads, flips, quarter turns): `fill` outside `valid` (the native kernel when it agrees). */
export function warpExact<T extends Uint8Array | Uint16Array>(
  src: SourceView<T> | null,
  ch: 1 | 3,
  A: Affine,
  W: number,
  valid: Valid,
  fill: number,
  out: T,
): T {
  const k = src && fast('opWarpExact', checkExact)
  if (!k || !src) return warpExactJs(src, ch, A, W, valid, fill, out)
  prefill(src, ch, W, valid, fill, out)
  k.opWarpExact(src.data, viewOf(src), ch, Float64Array.from(A), W, Int32Array.of(valid.x0, valid.y0, valid.x1, valid.y1), out)
  return out
}

/** `fill` everywhere unless the copy covers the whole output (a new buffer already holds 0). */
function prefill(src: SourceView<Uint8Array | Uint16Array> | null, ch: number, W: number, valid: Valid, fill: number, out: Uint8Array | Uint16Array): void {
  const { x0, x1, y0, y1 } = valid
  const covered = src && x0 === 0 && y0 === 0 && x1 === W && y1 * W * ch === out.length
  if (fill !== 0 && !covered) out.fill(fill)
}

/** The quarter turns and mirrors of a 13 x 9 source's window, RGB and 16-bit: opWarpExact's start-up check. */
function checkExact(k: OpKernels): boolean {
  const rgb = checkRgb(13, 9)
  const lab = Uint16Array.from(rgb.subarray(0, 13 * 9), (v, i) => v * 257 + i)
  const turns: Affine[] = [
    [0, 1, 2, -1, 0, 9],
    [0, -1, 11, 1, 0, 1],
    [-1, 0, 12, 0, -1, 8],
    [1, 0, 1, 0, -1, 9],
  ]
  return turns.every((A) => {
    const valid = { x0: 1, y0: 0, x1: 7, y1: 6 }
    const agree = <T extends Uint8Array | Uint16Array>(data: T, ch: 1 | 3, a: T, b: T) => {
      const v: SourceView<T> = { data, left: 0, top: 0, width: 13, height: 9, sourceWidth: 13, sourceHeight: 9 }
      warpExactJs(v, ch, A, 8, valid, 0, a)
      k.opWarpExact(data, viewOf(v), ch, Float64Array.from(A), 8, Int32Array.of(1, 0, 7, 6), b)
      return sameBytes(a, b)
    }
    return agree(rgb, 3, new Uint8Array(8 * 7 * 3), new Uint8Array(8 * 7 * 3)) && agree(lab, 1, new Uint16Array(56), new Uint16Array(56))
  })
}

export function warpExactJs<T extends Uint8Array | Uint16Array>(
  src: SourceView<T> | null,
  ch: 1 | 3,
  A: Affine,
  W: number,
  valid: Valid,
  fill: number,
  out: T,
): T {
  const [a, b, c, d, e, f] = A
  const { x0, x1, y0, y1 } = valid
  prefill(src, ch, W, valid, fill, out)
  if (!src) return out
  const { left, top, width: rw } = src
  for (let y = y0; y < y1; y++) {
    const sx0 = Math.floor(a * 0.5 + b * (y + 0.5) + c)
    const sy0 = Math.floor(d * 0.5 + e * (y + 0.5) + f)
    const o = (y * W + x0) * ch
    const n = x1 - x0
    if (d === 0) {
      // one source row, forwards (a = 1: one copy) or backwards (a = -1: mirrored)
      const s = ((sy0 - top) * rw + (sx0 + a * x0 - left)) * ch
      if (a === 1) out.set(src.data.subarray(s, s + n * ch), o)
      else if (ch === 3) mirrorRgb(src.data as Uint8Array, s, out as Uint8Array, o, n)
      else if (out instanceof Uint8Array) mirror8(src.data as Uint8Array, s, out, o, n)
      else mirror16(src.data as Uint16Array, s, out, o, n)
      continue
    }
    // a source column (quarter turns): stride through the rows
    const s = ((sy0 + d * x0 - top) * rw + (sx0 - left)) * ch
    const step = d * rw * ch
    if (ch === 3) column3(src.data as Uint8Array, s, step, out as Uint8Array, o, n)
    else if (out instanceof Uint8Array) column1(src.data as Uint8Array, s, step, out, o, n)
    else column1(src.data as Uint16Array, s, step, out, o, n)
  }
  return out
}

function mirrorRgb(src: Uint8Array, s: number, out: Uint8Array, o: number, n: number): void {
  for (let i = 0; i < n; i++, s -= 3, o += 3) {
    out[o] = src[s]
    out[o + 1] = src[s + 1]
    out[o + 2] = src[s + 2]
  }
}
/** A single-channel row backwards: a copy, then the engine's own reverse (2x a JS loop here). */
function mirror8(src: Uint8Array, s: number, out: Uint8Array, o: number, n: number): void {
  out.set(src.subarray(s - n + 1, s + 1), o)
  out.subarray(o, o + n).reverse()
}
function mirror16(src: Uint16Array, s: number, out: Uint16Array, o: number, n: number): void {
  out.set(src.subarray(s - n + 1, s + 1), o)
  out.subarray(o, o + n).reverse()
}
function column3(src: Uint8Array, s: number, step: number, out: Uint8Array, o: number, n: number): void {
  for (let i = 0; i < n; i++, s += step, o += 3) {
    out[o] = src[s]
    out[o + 1] = src[s + 1]
    out[o + 2] = src[s + 2]
  }
}
function column1<T extends Uint8Array | Uint16Array>(src: T, s: number, step: number, out: T, o: number, n: number): void {
  for (let i = 0; i < n; i++, s += step) out[o + i] = src[s]
}

const viewOf = (v: SourceView<Uint8Array | Uint16Array>) => Int32Array.of(v.left, v.top, v.width, v.height, v.sourceWidth, v.sourceHeight)

/** A rotation with a crop window as its bounds, on a 13 x 9 source: the kernels' start-up check. */
function checkWarp(k: OpKernels, labels: boolean): boolean {
  const src: SourceView<Uint8Array> = { data: checkRgb(13, 9), left: 0, top: 0, width: 13, height: 9, sourceWidth: 13, sourceHeight: 9 }
  const A: Affine = [0.9, -0.4, 3.1, 0.35, 0.88, -1.2]
  const fb = Float64Array.of(...A, 13, 9, 1, 0, -0.5, 0, 1, 0.25, 10, 8)
  if (labels) {
    const lab = viewWith(src, src.data.subarray(0, 13 * 9))
    const a = warpNearestJs(lab, A, fb, 11, 7, 200, new Uint8Array(77)),
      b = new Uint8Array(77)
    k.opWarpNearest(lab.data, viewOf(lab), Float64Array.from(A), fb, 11, 7, 200, b)
    return sameBytes(a, b)
  }
  const a = warpBilinearRgbJs(src, A, fb, 11, 7, new Uint8Array(231)),
    b = new Uint8Array(231)
  k.opWarpBilinearRgb(src.data, viewOf(src), Float64Array.from(A), fb, 11, 7, b)
  return sameBytes(a, b)
}

/** The mask through one affine: nearest neighbour, `fill` outside (the native kernel when it agrees). */
export function warpNearest<T extends Uint8Array | Uint16Array>(
  src: SourceView<T> | null,
  A: Affine,
  fb: Float64Array,
  W: number,
  H: number,
  fill: number,
  out: T,
): T {
  const k = src && fast('opWarpNearest', (k) => checkWarp(k, true))
  if (!k || !src) return warpNearestJs(src, A, fb, W, H, fill, out)
  k.opWarpNearest(src.data, viewOf(src), Float64Array.from(A), fb, W, H, fill, out)
  return out
}

/** The image through one affine: bilinear, taps clamped to the source, 0 outside (the native kernel when it agrees). */
export function warpBilinearRgb(src: SourceView<Uint8Array> | null, A: Affine, fb: Float64Array, W: number, H: number, out: Uint8Array): Uint8Array {
  const k = src && fast('opWarpBilinearRgb', (k) => checkWarp(k, false))
  if (!k || !src) return warpBilinearRgbJs(src, A, fb, W, H, out)
  k.opWarpBilinearRgb(src.data, viewOf(src), Float64Array.from(A), fb, W, H, out)
  return out
}

// ---- kernels 2: OpenCV's fixed-point bilinear ----------------------------------------------------
// Coordinates in 1/1024 pixel (cvRound of a double computed once per column and once per row), taps
// at 1/32 pixel, integer weights (32 - fx)(32 - fy), fx(32 - fy), ... summing to 1024, the sum
// rounded by a shift: what cv2.warpAffine(INTER_LINEAR) computes, so inside the source the bytes
// are OpenCV's. Integers throughout: ops_q.c computes the same bytes in any order.

const LIM = 2 ** 29
/** cvRound (to nearest, ties to even) of a double, saturated to +-2^29 (ops_q.c rne_sat). */
export function rneSat(v: number): number {
  if (!(v > -LIM)) return -LIM
  if (v >= LIM) return LIM
  const f = Math.floor(v),
    d = v - f
  return d > 0.5 || (d === 0.5 && (f & 1) !== 0) ? f + 1 : f
}

/** The image through one affine, kernels 2 (the native kernel when it agrees). */
export function warpBilinearQ(src: SourceView<Uint8Array> | null, A: Affine, fb: Float64Array, W: number, H: number, out: Uint8Array): Uint8Array {
  const k =
    src &&
    fast('opWarpBilinearQ', (k) => {
      const v: SourceView<Uint8Array> = { data: checkRgb(13, 9), left: 0, top: 0, width: 13, height: 9, sourceWidth: 13, sourceHeight: 9 }
      const B: Affine = [0.9, -0.4, 3.1, 0.35, 0.88, -1.2]
      const fb2 = Float64Array.of(...B, 13, 9, 1, 0, -0.5, 0, 1, 0.25, 10, 8)
      const a = warpBilinearQJs(v, B, fb2, 11, 7, new Uint8Array(231)),
        b = new Uint8Array(231)
      k.opWarpBilinearQ(v.data, viewOf(v), Float64Array.from(B), fb2, 11, 7, b)
      return sameBytes(a, b)
    })
  if (!k || !src) return warpBilinearQJs(src, A, fb, W, H, out)
  k.opWarpBilinearQ(src.data, viewOf(src), Float64Array.from(A), fb, W, H, out)
  return out
}

export function warpBilinearQJs(src: SourceView<Uint8Array> | null, A: Affine, fb: Float64Array, W: number, H: number, out: Uint8Array): Uint8Array {
  if (!src) return out
  const [a, b, c, d, e, f] = A
  // index coordinates: s = A(x + 0.5, y + 0.5) - 0.5
  const m2 = a * 0.5 + b * 0.5 + c - 0.5,
    m5 = d * 0.5 + e * 0.5 + f - 0.5
  const ad = new Int32Array(W),
    bd = new Int32Array(W)
  for (let x = 0; x < W; x++) {
    ad[x] = rneSat(a * x * 1024)
    bd[x] = rneSat(d * x * 1024)
  }
  const span = new Int32Array(2)
  const view = viewWith(src, plain(src.data)),
    to = plain(out)
  const words = new DataView(view.data.buffer, view.data.byteOffset, view.data.byteLength)
  // rows go four at a time: the columns where all four rows' taps are inside the source take one
  // loop over the four rows (bilinearQInner4); the rest of each row goes alone (a pixel's bytes
  // depend on its own taps only, so the grouping moves no byte)
  const rows = new Int32Array(24) // per row of the group: xa, xb, i0, i1, X0, Y0
  for (let y = 0; y < H; y += 4) {
    const n = Math.min(4, H - y)
    for (let r = 0; r < n; r++) {
      rowSpanInto(fb, y + r, W, span) // outside: fill 0
      const X0 = rneSat((b * (y + r) + m2) * 1024) + 16,
        Y0 = rneSat((e * (y + r) + m5) * 1024) + 16
      innerRun(view, ad, bd, X0, Y0, span[0], Math.max(span[0], span[1]), rows, r * 6) // empty span: no pixel
    }
    // the four rows' inner runs in common: [c0, c1) (a last group of fewer rows goes row by row)
    const c0 = Math.max(rows[2], rows[8], rows[14], rows[20]),
      c1 = n === 4 ? Math.min(rows[3], rows[9], rows[15], rows[21]) : c0
    for (let r = 0; r < n; r++) {
      const k = r * 6,
        o = (y + r) * W * 3
      const xa = rows[k],
        xb = rows[k + 1],
        i0 = rows[k + 2],
        i1 = rows[k + 3],
        X0 = rows[k + 4],
        Y0 = rows[k + 5]
      if (xa < i0) bilinearQEdge(view, ad, bd, X0, Y0, xa, i0, to, o + xa * 3)
      if (c0 < c1) {
        if (i0 < c0) bilinearQInner(view, words, ad, bd, X0, Y0, i0, c0, to, o + i0 * 3)
        if (c1 < i1) bilinearQInner(view, words, ad, bd, X0, Y0, c1, i1, to, o + c1 * 3)
      } else if (i0 < i1) bilinearQInner(view, words, ad, bd, X0, Y0, i0, i1, to, o + i0 * 3)
      if (i1 < xb) bilinearQEdge(view, ad, bd, X0, Y0, i1, xb, to, o + i1 * 3)
    }
    if (c0 < c1) bilinearQInner4(view, words, ad, bd, rows, c0, c1, to, (y * W + c0) * 3, W * 3)
  }
  return out
}

/**
 * A row's pixels [xa, xb) of warpBilinearQJs, as run[k..k+5] = xa, xb, i0, i1, X0, Y0: [i0, i1)
 * is the run whose taps' 2 x 2 neighbourhood lies inside the source. A tap's source column and row
 * only grow (or only shrink) along a row, so those pixels are one run: it takes the straight loop,
 * the pixels before and after it clamp each tap to the edge (the same sum either way).
 */
function innerRun(
  src: SourceView<Uint8Array>,
  ad: Int32Array,
  bd: Int32Array,
  X0: number,
  Y0: number,
  xa: number,
  xb: number,
  run: Int32Array,
  k: number,
): void {
  // inside the region's data too (sourceRegion's margin makes every tap a pixel inside reads so): the
  // 32-bit reads never leave the data, and a narrower region's other pixels take bilinearQEdge,
  // whose indices for taps inside the source are the straight loop's
  const { left, top, width: rw } = src
  const rh = Math.min(src.height, Math.floor(src.data.length / (3 * rw)))
  const x0 = Math.max(0, left),
    x1 = Math.min(src.sourceWidth, left + rw) - 1,
    y0 = Math.max(0, top),
    y1 = Math.min(src.sourceHeight, top + rh) - 1
  const inner = (x: number) => {
    const ix = (X0 + ad[x]) >> 10,
      iy = (Y0 + bd[x]) >> 10
    return ix >= x0 && ix < x1 && iy >= y0 && iy < y1
  }
  let i0 = xa
  while (i0 < xb && !inner(i0)) i0++
  let i1 = xb
  while (i1 > i0 && !inner(i1 - 1)) i1--
  run[k] = xa
  run[k + 1] = xb
  run[k + 2] = i0
  run[k + 3] = i1
  run[k + 4] = X0
  run[k + 5] = Y0
}

/**
 * Pixels [xa, xb) whose taps are all inside the source. `words` is the source's bytes as a
 * DataView: a tap row's two pixels are two 32-bit reads (bytes p..p+3 and p+2..p+5, so no read
 * passes the right tap), 4 reads a pixel instead of 12 byte reads. The sum is computed in the
 * separable form (the same integer as w00 p00 + w01 p01 + w10 p10 + w11 p11, regrouped exactly:
 * with h = 32 a + fx (b - a) per tap row, (32 - fy) h0 + fy h1 = 32 h0 + fy (h1 - h0)), and R and
 * B of a tap row share one int: 32 a + fx (b - a) of the packed R | B << 16 is linear, so it is
 * R's h + B's h << 16, each in [0, 8160] (a convex combination of bytes, times 32) and the total
 * within int32; the halves come back exactly. 7 multiplies a pixel instead of 16.
 */
function bilinearQInner(
  src: SourceView<Uint8Array>,
  words: DataView,
  ad: Int32Array,
  bd: Int32Array,
  X0: number,
  Y0: number,
  xa: number,
  xb: number,
  out: Uint8Array,
  o: number,
): void {
  // `| 0`: at left = top = 0 the product is -0, a double, and every index below would be computed
  // in floating point (double adds and a check that each index is an integer: 1.35x slower). The
  // indices' `| 0` (p, q, o and their offsets, all far below 2^31: Math.imul already wraps the row
  // offset) lets V8 add them as int32s without an overflow check and deoptimisation point each
  const r3 = (src.width * 3) | 0,
    base = (-(src.top * src.width + src.left) * 3) | 0
  for (let x = xa; x < xb; x++, o = (o + 3) | 0) {
    const X = (X0 + ad[x]) >> 5,
      Y = (Y0 + bd[x]) >> 5
    const fx = X & 31,
      fy = Y & 31
    // Math.imul: an int32 multiply without the overflow and -0 checks of `*` on unknown ranges
    const p = (Math.imul(Y >> 5, r3) + (X >> 5) * 3 + base) | 0,
      q = (p + r3) | 0
    // little-endian words: u = R0 G0 B0 R1, w = B0 R1 G1 B1 (bytes from low to high)
    const u0 = words.getInt32(p, true),
      w0 = words.getInt32((p + 2) | 0, true),
      u1 = words.getInt32(q, true),
      w1 = words.getInt32((q + 2) | 0, true)
    let a = u0 & 0xff00ff
    const rb0 = (a << 5) + fx * (((w0 >> 8) & 0xff00ff) - a)
    a = u1 & 0xff00ff
    const rb1 = (a << 5) + fx * (((w1 >> 8) & 0xff00ff) - a)
    a = (u0 >> 8) & 255
    const g0 = (a << 5) + fx * (((w0 >> 16) & 255) - a)
    a = (u1 >> 8) & 255
    const g1 = (a << 5) + fx * (((w1 >> 16) & 255) - a)
    let h = rb0 & 0xffff
    out[o] = ((h << 5) + fy * ((rb1 & 0xffff) - h) + 512) >> 10
    out[(o + 1) | 0] = ((g0 << 5) + fy * (g1 - g0) + 512) >> 10
    h = rb0 >>> 16
    out[(o + 2) | 0] = ((h << 5) + fy * ((rb1 >>> 16) - h) + 512) >> 10
  }
}

/**
 * Pixels [xa, xb) of four rows (X0, Y0 of row r at rows[6 r + 4], rows[6 r + 5]; out at o + r * stride)
 * whose taps are all inside the source: bilinearQInner's arithmetic for the four rows in one loop.
 * The pixels of an iteration share the column's ad/bd reads and the loop's own work (V8 repeats the
 * arrays' map checks and field loads every iteration: it does not hoist them out of a loop this
 * long), and their independent arithmetic overlaps: ~6% less time than two rows a loop.
 * Written out four times: the per-pixel block as a function is over V8's inlining limit
 * (460 bytes of bytecode, --trace-turbo-inlining: "reason: 5"), and a call per pixel is ~1.7x slower.
 */
function bilinearQInner4(
  src: SourceView<Uint8Array>,
  words: DataView,
  ad: Int32Array,
  bd: Int32Array,
  rows: Int32Array,
  xa: number,
  xb: number,
  out: Uint8Array,
  o: number,
  stride: number,
): void {
  const r3 = (src.width * 3) | 0,
    base = (-(src.top * src.width + src.left) * 3) | 0
  const xA = rows[4],
    yA = rows[5],
    xB = rows[10],
    yB = rows[11],
    xC = rows[16],
    yC = rows[17],
    xD = rows[22],
    yD = rows[23]
  for (
    let x = xa, ob = (o + stride) | 0, oc = (ob + stride) | 0, od = (oc + stride) | 0;
    x < xb;
    x++, o = (o + 3) | 0, ob = (ob + 3) | 0, oc = (oc + 3) | 0, od = (od + 3) | 0
  ) {
    const adx = ad[x],
      bdx = bd[x]
    {
      const X = (xA + adx) >> 5,
        Y = (yA + bdx) >> 5
      const fx = X & 31,
        fy = Y & 31
      const p = (Math.imul(Y >> 5, r3) + (X >> 5) * 3 + base) | 0,
        q = (p + r3) | 0
      const u0 = words.getInt32(p, true),
        w0 = words.getInt32((p + 2) | 0, true),
        u1 = words.getInt32(q, true),
        w1 = words.getInt32((q + 2) | 0, true)
      let a = u0 & 0xff00ff
      const rb0 = (a << 5) + fx * (((w0 >> 8) & 0xff00ff) - a)
      a = u1 & 0xff00ff
      const rb1 = (a << 5) + fx * (((w1 >> 8) & 0xff00ff) - a)
      a = (u0 >> 8) & 255
      const g0 = (a << 5) + fx * (((w0 >> 16) & 255) - a)
      a = (u1 >> 8) & 255
      const g1 = (a << 5) + fx * (((w1 >> 16) & 255) - a)
      let h = rb0 & 0xffff
      out[o] = ((h << 5) + fy * ((rb1 & 0xffff) - h) + 512) >> 10
      out[(o + 1) | 0] = ((g0 << 5) + fy * (g1 - g0) + 512) >> 10
      h = rb0 >>> 16
      out[(o + 2) | 0] = ((h << 5) + fy * ((rb1 >>> 16) - h) + 512) >> 10
    }
    {
      const X = (xB + adx) >> 5,
        Y = (yB + bdx) >> 5
      const fx = X & 31,
        fy = Y & 31
      const p = (Math.imul(Y >> 5, r3) + (X >> 5) * 3 + base) | 0,
        q = (p + r3) | 0
      const u0 = words.getInt32(p, true),
        w0 = words.getInt32((p + 2) | 0, true),
        u1 = words.getInt32(q, true),
        w1 = words.getInt32((q + 2) | 0, true)
      let a = u0 & 0xff00ff
      const rb0 = (a << 5) + fx * (((w0 >> 8) & 0xff00ff) - a)
      a = u1 & 0xff00ff
      const rb1 = (a << 5) + fx * (((w1 >> 8) & 0xff00ff) - a)
      a = (u0 >> 8) & 255
      const g0 = (a << 5) + fx * (((w0 >> 16) & 255) - a)
      a = (u1 >> 8) & 255
      const g1 = (a << 5) + fx * (((w1 >> 16) & 255) - a)
      let h = rb0 & 0xffff
      out[ob] = ((h << 5) + fy * ((rb1 & 0xffff) - h) + 512) >> 10
      out[(ob + 1) | 0] = ((g0 << 5) + fy * (g1 - g0) + 512) >> 10
      h = rb0 >>> 16
      out[(ob + 2) | 0] = ((h << 5) + fy * ((rb1 >>> 16) - h) + 512) >> 10
    }
    {
      const X = (xC + adx) >> 5,
        Y = (yC + bdx) >> 5
      const fx = X & 31,
        fy = Y & 31
      const p = (Math.imul(Y >> 5, r3) + (X >> 5) * 3 + base) | 0,
        q = (p + r3) | 0
      const u0 = words.getInt32(p, true),
        w0 = words.getInt32((p + 2) | 0, true),
        u1 = words.getInt32(q, true),
        w1 = words.getInt32((q + 2) | 0, true)
      let a = u0 & 0xff00ff
      const rb0 = (a << 5) + fx * (((w0 >> 8) & 0xff00ff) - a)
      a = u1 & 0xff00ff
      const rb1 = (a << 5) + fx * (((w1 >> 8) & 0xff00ff) - a)
      a = (u0 >> 8) & 255
      const g0 = (a << 5) + fx * (((w0 >> 16) & 255) - a)
      a = (u1 >> 8) & 255
      const g1 = (a << 5) + fx * (((w1 >> 16) & 255) - a)
      let h = rb0 & 0xffff
      out[oc] = ((h << 5) + fy * ((rb1 & 0xffff) - h) + 512) >> 10
      out[(oc + 1) | 0] = ((g0 << 5) + fy * (g1 - g0) + 512) >> 10
      h = rb0 >>> 16
      out[(oc + 2) | 0] = ((h << 5) + fy * ((rb1 >>> 16) - h) + 512) >> 10
    }
    {
      const X = (xD + adx) >> 5,
        Y = (yD + bdx) >> 5
      const fx = X & 31,
        fy = Y & 31
      const p = (Math.imul(Y >> 5, r3) + (X >> 5) * 3 + base) | 0,
        q = (p + r3) | 0
      const u0 = words.getInt32(p, true),
        w0 = words.getInt32((p + 2) | 0, true),
        u1 = words.getInt32(q, true),
        w1 = words.getInt32((q + 2) | 0, true)
      let a = u0 & 0xff00ff
      const rb0 = (a << 5) + fx * (((w0 >> 8) & 0xff00ff) - a)
      a = u1 & 0xff00ff
      const rb1 = (a << 5) + fx * (((w1 >> 8) & 0xff00ff) - a)
      a = (u0 >> 8) & 255
      const g0 = (a << 5) + fx * (((w0 >> 16) & 255) - a)
      a = (u1 >> 8) & 255
      const g1 = (a << 5) + fx * (((w1 >> 16) & 255) - a)
      let h = rb0 & 0xffff
      out[od] = ((h << 5) + fy * ((rb1 & 0xffff) - h) + 512) >> 10
      out[(od + 1) | 0] = ((g0 << 5) + fy * (g1 - g0) + 512) >> 10
      h = rb0 >>> 16
      out[(od + 2) | 0] = ((h << 5) + fy * ((rb1 >>> 16) - h) + 512) >> 10
    }
  }
}

/** Pixels [xa, xb) near or past the source's edge: each tap clamped to it. */
function bilinearQEdge(
  src: SourceView<Uint8Array>,
  ad: Int32Array,
  bd: Int32Array,
  X0: number,
  Y0: number,
  xa: number,
  xb: number,
  out: Uint8Array,
  o: number,
): void {
  const { data, left, top, width: rw, sourceWidth: sw, sourceHeight: sh } = src
  for (let x = xa; x < xb; x++, o += 3) {
    const X = (X0 + ad[x]) >> 5,
      Y = (Y0 + bd[x]) >> 5
    const fx = X & 31,
      fy = Y & 31
    const ix = X >> 5,
      iy = Y >> 5
    const x0 = (ix < 0 ? 0 : ix >= sw ? sw - 1 : ix) - left,
      x1 = (ix + 1 < 0 ? 0 : ix + 1 >= sw ? sw - 1 : ix + 1) - left
    const y0 = (iy < 0 ? 0 : iy >= sh ? sh - 1 : iy) - top,
      y1 = (iy + 1 < 0 ? 0 : iy + 1 >= sh ? sh - 1 : iy + 1) - top
    const p00 = (y0 * rw + x0) * 3,
      p01 = (y0 * rw + x1) * 3,
      p10 = (y1 * rw + x0) * 3,
      p11 = (y1 * rw + x1) * 3
    const w00 = (32 - fx) * (32 - fy),
      w01 = fx * (32 - fy),
      w10 = (32 - fx) * fy,
      w11 = fx * fy
    out[o] = (w00 * data[p00] + w01 * data[p01] + w10 * data[p10] + w11 * data[p11] + 512) >> 10
    out[o + 1] = (w00 * data[p00 + 1] + w01 * data[p01 + 1] + w10 * data[p10 + 1] + w11 * data[p11 + 1] + 512) >> 10
    out[o + 2] = (w00 * data[p00 + 2] + w01 * data[p01 + 2] + w10 * data[p10 + 2] + w11 * data[p11 + 2] + 512) >> 10
  }
}

export function warpNearestJs<T extends Uint8Array | Uint16Array>(
  src: SourceView<T> | null,
  A: Affine,
  fb: Float64Array,
  W: number,
  H: number,
  fill: number,
  out: T,
): T {
  const [a, b, c, d, e, f] = A
  out.fill(fill)
  if (!src) return out
  const span = new Int32Array(2),
    spanB = new Int32Array(2)
  const view = viewWith(src, plain(src.data)),
    to = plain(out)
  // rows go two at a time: the columns both rows' spans hold take one loop (nearestRows2)
  for (let y = 0; y < H; y += 2) {
    const yc = y + 0.5
    const ru = b * yc + c,
      rv = e * yc + f
    rowSpanInto(fb, y, W, span)
    if (y + 1 === H) {
      nearestRow(view, a, d, ru, rv, span[0], span[1], to, y * W)
      break
    }
    const ycb = y + 1.5
    const rub = b * ycb + c,
      rvb = e * ycb + f
    rowSpanInto(fb, y + 1, W, spanB)
    const c0 = Math.max(span[0], spanB[0]),
      c1 = Math.min(span[1], spanB[1])
    if (c0 < c1) {
      nearestRow(view, a, d, ru, rv, span[0], c0, to, y * W)
      nearestRow(view, a, d, ru, rv, c1, span[1], to, y * W)
      nearestRow(view, a, d, rub, rvb, spanB[0], c0, to, (y + 1) * W)
      nearestRow(view, a, d, rub, rvb, c1, spanB[1], to, (y + 1) * W)
      nearestRows2(view, a, d, ru, rv, rub, rvb, c0, c1, to, y * W, W)
    } else {
      nearestRow(view, a, d, ru, rv, span[0], span[1], to, y * W)
      nearestRow(view, a, d, rub, rvb, spanB[0], spanB[1], to, (y + 1) * W)
    }
  }
  return out
}

/** One output row [xa, xb) of warpNearestJs: ru, rv are the row's source offsets. */
function nearestRow<T extends Uint8Array | Uint16Array>(
  src: SourceView<T>,
  a: number,
  d: number,
  ru: number,
  rv: number,
  xa: number,
  xb: number,
  out: T,
  o: number,
): void {
  const { data, left, top, width: rw } = src
  // `| 0`: a span's points are inside the source, so each floor is a small int; as int32s the index
  // is integer arithmetic (a double floor makes it floating point: 1.5x slower)
  // (xc counts x + 0.5 exactly: half-integers this small are exact doubles)
  let xc = xa + 0.5
  for (let i = o + xa, end = o + xb; i < end; i++, xc++) {
    out[i] = data[Math.imul((Math.floor(d * xc + rv) | 0) - top, rw) + (Math.floor(a * xc + ru) | 0) - left]
  }
}

/**
 * Columns [xa, xb) of two rows (ru, rv and rub, rvb; out at o and o + stride): nearestRow for both
 * in one loop. The column's products a * xc and d * xc are the same doubles for both rows, so each
 * is computed once (the same floors as two nearestRow calls); ~30% less time than two rows alone.
 */
function nearestRows2<T extends Uint8Array | Uint16Array>(
  src: SourceView<T>,
  a: number,
  d: number,
  ru: number,
  rv: number,
  rub: number,
  rvb: number,
  xa: number,
  xb: number,
  out: T,
  o: number,
  stride: number,
): void {
  const { data, left, top, width: rw } = src
  let xc = xa + 0.5
  for (let i = o + xa, j = i + stride, end = o + xb; i < end; i++, j++, xc++) {
    const u = a * xc,
      v = d * xc
    out[i] = data[Math.imul((Math.floor(v + rv) | 0) - top, rw) + (Math.floor(u + ru) | 0) - left]
    out[j] = data[Math.imul((Math.floor(v + rvb) | 0) - top, rw) + (Math.floor(u + rub) | 0) - left]
  }
}

export function warpBilinearRgbJs(src: SourceView<Uint8Array> | null, A: Affine, fb: Float64Array, W: number, H: number, out: Uint8Array): Uint8Array {
  const [a, b, c, d, e, f] = A
  if (!src) return out
  const { data, left, top, width: rw, sourceWidth: sw, sourceHeight: sh } = src
  const span = new Int32Array(2)
  for (let y = 0; y < H; y++) {
    const yc = y + 0.5
    rowSpanInto(fb, y, W, span) // outside: fill 0
    const xa = span[0],
      xb = span[1]
    const ru = b * yc + c - 0.5,
      rv = e * yc + f - 0.5
    for (let x = xa; x < xb; x++) {
      const xc = x + 0.5
      const fx = a * xc + ru,
        fy = d * xc + rv
      let x0 = Math.floor(fx),
        y0 = Math.floor(fy)
      const wx = fx - x0,
        wy = fy - y0
      let x1 = x0 + 1,
        y1 = y0 + 1
      if (x0 < 0) x0 = 0
      if (y0 < 0) y0 = 0
      if (x1 >= sw) x1 = sw - 1
      if (y1 >= sh) y1 = sh - 1
      const r0 = (y0 - top) * rw - left,
        r1 = (y1 - top) * rw - left
      const p00 = (r0 + x0) * 3,
        p01 = (r0 + x1) * 3,
        p10 = (r1 + x0) * 3,
        p11 = (r1 + x1) * 3
      const w00 = (1 - wx) * (1 - wy),
        w01 = wx * (1 - wy),
        w10 = (1 - wx) * wy,
        w11 = wx * wy
      const o = (y * W + x) * 3
      out[o] = Math.round(w00 * data[p00] + w01 * data[p01] + w10 * data[p10] + w11 * data[p11])
      out[o + 1] = Math.round(w00 * data[p00 + 1] + w01 * data[p01 + 1] + w10 * data[p10 + 1] + w11 * data[p11 + 1])
      out[o + 2] = Math.round(w00 * data[p00 + 2] + w01 * data[p01 + 2] + w10 * data[p10 + 2] + w11 * data[p11 + 2])
    }
  }
  return out
}
