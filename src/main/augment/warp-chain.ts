// Kernels for chains (chain.ts): the point each output pixel reads (chainCoords), the source
// region those points need, the image sampled bilinearly and the mask by nearest neighbour from
// the same points with the fill mode of the canvas they land in, and the area prefilter. These are
// the reference; io/native's op kernels compute the same bytes (same float64 operations in the
// same order, no fused multiply-add), and tests compare them on random inputs.
import type { Rect } from '../io/image'
import type { OpKernels } from '../io/native'
import type { Chain, Link } from './chain'
import { checkRgb, fast, sameBytes } from './fast'
import { fieldAxisAt, fieldFormulaAt, fieldPerAxis } from './ops/distortion'
import type { Field, FieldFormula, FillMode } from './ops/types'
import type { SourceView } from './warp'

export const MODE_CODE: Record<FillMode, number> = { constant: 0, edge: 1, reflect: 2, symmetric: 3, wrap: 4 }

/** A point outside [0, n) folded back into it (continuous coordinates; pixel i covers [i, i+1)). */
export function foldCoord(u: number, n: number, mode: FillMode): number {
  switch (mode) {
    case 'edge': {
      const c = u - 0.5
      return (c < 0 ? 0 : c > n - 1 ? n - 1 : c) + 0.5
    }
    case 'reflect': {
      if (n === 1) return 0.5
      const P = 2 * (n - 1)
      const c = u - 0.5
      let t = c - P * Math.floor(c / P)
      if (t >= P || t < 0) t = 0
      return (t <= n - 1 ? t : P - t) + 0.5
    }
    case 'symmetric': {
      const P = 2 * n
      let t = u - P * Math.floor(u / P)
      if (t >= P || t < 0) t = 0
      const r = t < n ? t : P - t
      return r >= n ? n - 0.5 : r
    }
    case 'wrap': {
      const t = u - n * Math.floor(u / n)
      return t >= n || t < 0 ? 0 : t
    }
    default:
      return u
  }
}

/** A pixel index folded into [0, n) (constant: clamped, as the image's taps always were). */
export function foldIndex(i: number, n: number, mode: FillMode): number {
  if (i >= 0 && i < n) return i
  switch (mode) {
    case 'reflect': {
      if (n === 1) return 0
      const P = 2 * (n - 1)
      const t = i - P * Math.floor(i / P)
      return t < n ? t : P - t
    }
    case 'symmetric': {
      const P = 2 * n
      const t = i - P * Math.floor(i / P)
      return t < n ? t : P - 1 - t
    }
    case 'wrap':
      return i - n * Math.floor(i / n)
    default:
      return i < 0 ? 0 : n - 1
  }
}

/** A displacement field's value at a continuous point of its canvas (bilinear between pixel centres, clamped). */
export function fieldAt(f: Field, x: number, y: number, out: Float64Array): void {
  const fx = x - 0.5,
    fy = y - 0.5
  let x0 = Math.floor(fx),
    y0 = Math.floor(fy)
  const wx = fx - x0,
    wy = fy - y0
  let x1 = x0 + 1,
    y1 = y0 + 1
  const w = f.width,
    h = f.height
  if (x0 < 0) x0 = 0
  if (y0 < 0) y0 = 0
  if (x1 > w - 1) x1 = w - 1
  if (y1 > h - 1) y1 = h - 1
  if (x0 > w - 1) x0 = w - 1
  if (y0 > h - 1) y0 = h - 1
  const m = f.map
  const a = (y0 * w + x0) * 2,
    b = (y0 * w + x1) * 2,
    c = (y1 * w + x0) * 2,
    d = (y1 * w + x1) * 2
  const w00 = (1 - wx) * (1 - wy),
    w01 = wx * (1 - wy),
    w10 = (1 - wx) * wy,
    w11 = wx * wy
  out[0] = w00 * m[a] + w01 * m[b] + w10 * m[c] + w11 * m[d]
  out[1] = w00 * m[a + 1] + w01 * m[b + 1] + w10 * m[c + 1] + w11 * m[d + 1]
}

/**
 * Links as the native kernel takes them: [m0..m5, w, h, mode, nbounds, mapIndex, mapW, mapH, bounds...]
 * each (`mapOf`: each field's map); `q` (opChainCoordsQ): a formula kind after mapH (-1: none), a
 * formula field's parameters in place of its map.
 */
function linkRecords(links: Link[], mapOf: (f: Field, k: number) => Float64Array = (f) => f.map, q = false): { links: Float64Array; maps: Float64Array[] } {
  const out: number[] = []
  const maps: Float64Array[] = []
  for (const [k, L] of links.entries()) {
    const formula = q ? L.field?.formula : undefined
    const mi = L.field ? maps.push(formula ? formula.params : mapOf(L.field, k)) - 1 : -1
    out.push(...L.m, L.w, L.h, MODE_CODE[L.mode], L.bounds.length, mi, L.field?.width ?? 0, L.field?.height ?? 0)
    if (q) out.push(formula?.kind ?? -1)
    for (const b of L.bounds) out.push(...b.m, b.w, b.h)
  }
  return { links: Float64Array.from(out), maps }
}

/** Kernels 3: chains whose fields are formulas (or maps), every link kind and fold: opChainCoordsQ's start-up check. */
function checkChainQ(k: OpKernels): boolean {
  const { chain } = checkChain()
  const formulas: FieldFormula[] = [
    { kind: 0, params: Float64Array.from({ length: 9 + 7 }, (_, i) => (i < 9 ? i * 1.3 - 0.4 : (i - 9) * 0.9 + 0.7)) },
    { kind: 1, params: Float64Array.of(0.37, 4.1, 3.2, 4, 3) },
    { kind: 2, params: Float64Array.of(1.1, 0.05, -0.3, -0.02, 0.93, 0.4, 0.004, -0.01, 1) },
  ]
  const chains: Chain[] = [{ ...chain, kernels: 3 }]
  for (const formula of formulas)
    for (const mode of ['reflect', 'constant'] as const) {
      const field: Field = { width: 9, height: 7, map: new Float64Array(0), formula }
      const links = [{ ...chain.links[0] }, { ...chain.links[1], field, mode }]
      chains.push({ ...chain, width: 11, height: 6, links, kernels: 3 })
    }
  return chains.every((c) => {
    const out = new Float64Array(c.width * c.height * 2)
    const { links, maps } = linkRecords(c.links, undefined, true)
    k.opChainCoordsQ(links, maps, c.width, c.height, out)
    return sameBytes(out, chainCoordsJs(c))
  })
}

/** A chain with a field, bounds and folds on small canvases: the kernels' start-up check. */
function checkChain(): { chain: Chain; src: SourceView<Uint8Array>; lab: SourceView<Uint8Array> } {
  const map = new Float64Array(9 * 7 * 2)
  for (let i = 0; i < 63; i++) {
    map[i * 2] = (i % 9) * 1.37 - 2.2
    map[i * 2 + 1] = Math.floor(i / 9) * 1.21 + 0.3
  }
  const chain: Chain = {
    width: 8,
    height: 6,
    input: { width: 11, height: 7 },
    prefilter: null,
    links: [
      { field: null, m: [1.1, 0.2, -0.6, -0.15, 0.95, 0.4], bounds: [{ m: [1, 0, 0.5, 0, 1, 0.25], w: 9, h: 6.9 }], w: 9, h: 7, mode: 'wrap' },
      { field: { width: 9, height: 7, map }, m: [1, 0, 0.3, 0, 1, -0.7], bounds: [], w: 11, h: 7, mode: 'reflect' },
    ],
  }
  const data = checkRgb(11, 7, 3)
  const v = { left: 0, top: 0, width: 11, height: 7, sourceWidth: 11, sourceHeight: 7 }
  return { chain, src: { ...v, data }, lab: { ...v, data: data.subarray(0, 77) } }
}

/**
 * For each output pixel (row-major), the input-canvas point it reads: x, y, or NaN, NaN for the
 * fill; into a buffer from `buffer` (e.g. takeCoords) or one kept for the next call (the points
 * are then valid until the next chainCoords call: use them synchronously). An axis-aligned chain
 * of kernels 3 gives AXES (the samplers compute its points per column and per row).
 */
export function chainCoords(chain: Chain, buffer?: (n: number) => Float64Array): Float64Array {
  const k = fast('opChainCoords', (k) => {
    const { chain: c } = checkChain()
    const out = new Float64Array(c.width * c.height * 2)
    const { links, maps } = linkRecords(c.links)
    k.opChainCoords(links, maps, c.width, c.height, out)
    return sameBytes(out, chainCoordsJs(c))
  })
  const n = chain.width * chain.height * 2
  if (k && axesKernels(chain)) return AXES
  if (!k || (!chainKernelQ(chain) && chain.links.some((L) => L.field?.formula))) return chainCoordsJs(chain)
  const at = buffer ? buffer(n) : keptCoords(n)
  runLinks(k, chain, chain.links, fieldWindows(chain, at), at)
  return at
}

/** Kernels 3: op_chain_coords_q (formula fields; 4 points at a time), when it agrees with chainCoordsJs. */
const chainKernelQ = (chain: Chain): OpKernels | null => ((chain.kernels ?? 1) >= 3 ? fast('opChainCoordsQ', checkChainQ) : null)

/** The points of `links` (a chain's first links, or all) into `at`, natively (a chain with formula fields: chainKernelQ's). */
function runLinks(k: OpKernels, chain: Chain, links: Link[], mapOf: (f: Field, k: number) => Float64Array, at: Float64Array): void {
  const q = chainKernelQ(chain)
  if (q) q.opChainCoordsQ(...recordsOf(links, mapOf, true), chain.width, chain.height, at)
  else k.opChainCoords(...recordsOf(links, mapOf, false), chain.width, chain.height, at)
}
const recordsOf = (links: Link[], mapOf: (f: Field, k: number) => Float64Array, q: boolean): [Float64Array, Float64Array[]] => {
  const r = linkRecords(links, mapOf, q)
  return [r.links, r.maps]
}

// Points' buffers are kept between renders (up to 64 MB each): a fresh 4 MB array costs more
// (its first touch of every page) than computing the points into it.
const KEEP = 1 << 23
let coordsBuffer = new Float64Array(0)
function keptCoords(n: number): Float64Array {
  if (n > KEEP) return new Float64Array(n)
  if (coordsBuffer.length < n) coordsBuffer = new Float64Array(n)
  return coordsBuffer.subarray(0, n)
}
const pool: Float64Array[] = []
/** A buffer of n doubles for points held across an await (give it back with giveCoords; one not given back is collected). */
export function takeCoords(n: number): Float64Array {
  const i = pool.findIndex((b) => b.length >= n)
  const b = i >= 0 ? pool.splice(i, 1)[0] : new Float64Array(n)
  return b.subarray(0, n)
}
/** A buffer from takeCoords, once its points are no longer read. */
export function giveCoords(b: Float64Array | undefined): void {
  if (b && b.length > 0 && b.buffer.byteLength <= KEEP * 8 && pool.length < 4) pool.push(new Float64Array(b.buffer))
}

/**
 * Each field's map as the chain reads it: a field that can compute a part (Field.region) computes
 * the part its link reads, found by running the links before it (their points, into `scratch`).
 */
function fieldWindows(chain: Chain, scratch: Float64Array): (f: Field, k: number) => Float64Array {
  const ready = new Map<number, Float64Array>()
  const box = fast('opPointsBox', (k) => {
    const pts = chainCoordsJs(checkChain().chain)
    pts[7] = NaN
    const a = new Int32Array(4)
    k.opPointsBox(pts, 9, 7, a)
    return sameBytes(a, pointsBoxJs(pts, 9, 7)) && sameBytes(pointsBoxJs(pts.subarray(0, 6), 40, 40), (k.opPointsBox(pts.subarray(0, 6), 40, 40, a), a))
  })
  chain.links.forEach((L, k) => {
    const f = L.field
    if (!f?.region || f.formula) return
    let r = [0, 0, Math.min(f.width, chain.width + 1), Math.min(f.height, chain.height + 1)]
    if (k > 0 && box) {
      runLinks(box, chain, chain.links.slice(0, k), (g, j) => ready.get(j) ?? g.map, scratch)
      const a = new Int32Array(4)
      box.opPointsBox(scratch, f.width, f.height, a)
      r = [...a]
    } else if (k > 0) r = [0, 0, f.width, f.height]
    const into = scratchMap(k, f.width * f.height * 2)
    const held = scratchHeld[k]
    // the same field's same window, computed by the previous call (a plan's region, then its render)
    if (into && held?.field === f && held.rect.every((v, i) => v === r[i])) return void ready.set(k, into)
    scratchHeld[k] = into ? { field: f, rect: r } : undefined
    ready.set(k, f.region(r[0], r[1], r[0] + r[2], r[1] + r[3], into))
  })
  return (f, k) => ready.get(k) ?? f.map
}
/** Which field's window each kept buffer holds. */
const scratchHeld: Array<{ field: Field; rect: number[] } | undefined> = []

/**
 * A kept buffer for the window of link k's field (up to 32 MB each; larger: none): fresh pages
 * cost more than computing the window here, and a window is read only within chainCoords.
 */
const scratch: Float64Array[] = []
function scratchMap(k: number, n: number): Float64Array | undefined {
  if (n > 1 << 22) return undefined
  if (!(scratch[k]?.length >= n)) scratch[k] = new Float64Array(n)
  return scratch[k].subarray(0, n)
}

/** The map pixels fieldAt reads for these points (left, top, width, height; a NaN coordinate may read the corner). */
export function pointsBoxJs(pts: Float64Array, fw: number, fh: number): Int32Array {
  let lx = Infinity,
    ly = Infinity,
    hx = -Infinity,
    hy = -Infinity,
    corner = false
  for (let i = 0; i < pts.length; i += 2) {
    const u = pts[i] - 0.5,
      v = pts[i + 1] - 0.5
    if (Number.isNaN(u) || Number.isNaN(v)) corner = true
    if (!Number.isNaN(u)) {
      lx = Math.min(lx, u)
      hx = Math.max(hx, u)
    }
    if (!Number.isNaN(v)) {
      ly = Math.min(ly, v)
      hy = Math.max(hy, v)
    }
  }
  let a = Math.floor(lx),
    b = Math.floor(hx) + 1,
    c = Math.floor(ly),
    d = Math.floor(hy) + 1
  if (corner) {
    a = Math.min(a, 0)
    c = Math.min(c, 0)
    b = Math.max(b, 1)
    d = Math.max(d, 1)
  }
  const clamp = (v: number, n: number) => (v < 0 ? 0 : v > n - 1 ? n - 1 : v)
  a = clamp(a, fw)
  b = clamp(b, fw)
  c = clamp(c, fh)
  d = clamp(d, fh)
  if (!(lx <= hx) && !corner) a = b = 0
  if (!(ly <= hy) && !corner) c = d = 0
  return Int32Array.of(a, c, b + 1 - a, d + 1 - c)
}

export function chainCoordsJs(chain: Chain): Float64Array {
  const { width: W, height: H, links } = chain
  const out = new Float64Array(W * H * 2)
  const f = new Float64Array(2)
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      let px = x + 0.5,
        py = y + 0.5
      let ok = true
      for (let k = 0; k < links.length && ok; k++) {
        const L = links[k]
        if (L.field) {
          if (L.field.formula) fieldFormulaAt(L.field, px, py, f)
          else fieldAt(L.field, px, py, f)
          px = f[0]
          py = f[1]
        }
        for (const b of L.bounds) {
          const bu = b.m[0] * px + b.m[1] * py + b.m[2],
            bv = b.m[3] * px + b.m[4] * py + b.m[5]
          if (bu < 0 || bv < 0 || bu >= b.w || bv >= b.h) {
            ok = false
            break
          }
        }
        if (!ok) break
        const m = L.m
        let u = m[0] * px + m[1] * py + m[2],
          v = m[3] * px + m[4] * py + m[5]
        if (u < 0 || u >= L.w || v < 0 || v >= L.h) {
          if (L.mode === 'constant') {
            ok = false
            break
          }
          if (u < 0 || u >= L.w) u = foldCoord(u, L.w, L.mode)
          if (v < 0 || v >= L.h) v = foldCoord(v, L.h, L.mode)
        }
        px = u
        py = v
      }
      const i = (y * W + x) * 2
      out[i] = ok ? px : NaN
      out[i + 1] = ok ? py : NaN
    }
  }
  return out
}

/** The fill mode of the canvas a chain lands in (the input's). */
export const inputMode = (chain: Chain): FillMode => chain.links[chain.links.length - 1]?.mode ?? 'constant'

/**
 * The input pixels a chain's points read (bilinear taps of the image, read from the prefiltered
 * copy when there is one, and the mask's nearest pixel), as a rectangle; null: all fill. With a
 * prefilter the rectangle is aligned to its blocks, so the averaged pixels are the same in any region.
 */
export function coordsRegion(chain: Chain, coords: Float64Array): Rect | null {
  if (coords === AXES) return coordsRegion(chain, crossPoints(chain))
  const k = fast('opCoordsRegion', (k) => {
    const c = checkChain().chain
    const at = chainCoordsJs(c),
      r = new Int32Array(4)
    return [null, [2, 3] as [number, number], [5, 1] as [number, number]].every((pf) =>
      (['reflect', 'wrap', 'edge', 'constant', 'symmetric'] as const).every((mode) => {
        const ch: Chain = { ...c, prefilter: pf, links: [...c.links.slice(0, -1), { ...c.links[1], mode }] }
        const js = coordsRegionJs(ch, at)
        const n = k.opCoordsRegion(at, c.input.width, c.input.height, MODE_CODE[mode], pf?.[0] ?? 1, pf?.[1] ?? 1, r)
        return n === 1 && js !== null && sameBytes(r, [js.left, js.top, js.width, js.height])
      }),
    )
  })
  if (k) {
    const [pfx, pfy] = chain.prefilter ?? [1, 1]
    const r = new Int32Array(4)
    const n = k.opCoordsRegion(coords, chain.input.width, chain.input.height, MODE_CODE[inputMode(chain)], pfx, pfy, r)
    if (n === 0) return null
    if (n === 1) return { left: r[0], top: r[1], width: r[2], height: r[3] }
  }
  return coordsRegionJs(chain, coords)
}

function coordsRegionJs(chain: Chain, coords: Float64Array): Rect | null {
  const { width: sw, height: sh } = chain.input
  const mode = inputMode(chain)
  const [pfx, pfy] = chain.prefilter ?? [1, 1]
  const rw = Math.ceil(sw / pfx),
    rh = Math.ceil(sh / pfy)
  let x0 = Infinity,
    y0 = Infinity,
    x1 = -Infinity,
    y1 = -Infinity
  for (let i = 0; i < coords.length; i += 2) {
    const u = coords[i],
      v = coords[i + 1]
    if (Number.isNaN(u)) continue
    // the mask's pixel
    const mx = foldIndex(Math.floor(u), sw, mode),
      my = foldIndex(Math.floor(v), sh, mode)
    // the image's taps, in prefiltered pixels, as source pixel spans
    const fx = u / pfx - 0.5,
      fy = v / pfy - 0.5
    const tx = Math.floor(fx),
      ty = Math.floor(fy)
    const ax = foldIndex(tx, rw, mode),
      bx = foldIndex(tx + 1, rw, mode)
    const ay = foldIndex(ty, rh, mode),
      by = foldIndex(ty + 1, rh, mode)
    const lx = Math.min(mx, Math.min(ax, bx) * pfx),
      hx = Math.max(mx + 1, Math.min(sw, (Math.max(ax, bx) + 1) * pfx))
    const ly = Math.min(my, Math.min(ay, by) * pfy),
      hy = Math.max(my + 1, Math.min(sh, (Math.max(ay, by) + 1) * pfy))
    if (lx < x0) x0 = lx
    if (ly < y0) y0 = ly
    if (hx > x1) x1 = hx
    if (hy > y1) y1 = hy
  }
  if (!(x1 > x0 && y1 > y0)) return null
  // block-aligned (the mask's pixel may have widened it by less than a block)
  x0 = Math.floor(x0 / pfx) * pfx
  y0 = Math.floor(y0 / pfy) * pfy
  x1 = Math.min(sw, Math.ceil(x1 / pfx) * pfx)
  y1 = Math.min(sh, Math.ceil(y1 / pfy) * pfy)
  return { left: x0, top: y0, width: x1 - x0, height: y1 - y0 }
}

/** sum / n rounded to nearest, ties to even (as OpenCV's INTER_AREA rounds), in integers. */
function meanEven(sum: number, n: number): number {
  const q = Math.floor(sum / n),
    r2 = 2 * (sum - q * n)
  return r2 > n || (r2 === n && q % 2 === 1) ? q + 1 : q
}

/**
 * Area average of fx x fy blocks of an RGB view whose region is block-aligned: each value is the
 * mean (rounded to nearest even) of the block's pixels that exist (blocks at the source's right and bottom edges
 * may be partial). The result is a view of the reduced source.
 */
export function areaReduce(src: SourceView<Uint8Array>, fx: number, fy: number): SourceView<Uint8Array> {
  const rw = Math.ceil(src.width / fx),
    rh = Math.ceil(src.height / fy)
  const out = new Uint8Array(rw * rh * 3)
  const reduced = {
    data: out,
    left: src.left / fx,
    top: src.top / fy,
    width: rw,
    height: rh,
    sourceWidth: Math.ceil(src.sourceWidth / fx),
    sourceHeight: Math.ceil(src.sourceHeight / fy),
  }
  const k = fast('opAreaReduce', (k) => {
    const v = { data: checkRgb(11, 7, 5), left: 0, top: 0, width: 11, height: 7, sourceWidth: 11, sourceHeight: 7 }
    const b = new Uint8Array(4 * 3 * 3)
    k.opAreaReduce(v.data, 11, 7, 3, 3, b)
    return sameBytes(areaReduceJs(v, 3, 3, new Uint8Array(36)), b)
  })
  if (k) k.opAreaReduce(src.data.subarray(0, src.width * src.height * 3), src.width, src.height, fx, fy, out)
  else areaReduceJs(src, fx, fy, out)
  return reduced
}

function areaReduceJs(src: SourceView<Uint8Array>, fx: number, fy: number, out: Uint8Array): Uint8Array {
  const rw = Math.ceil(src.width / fx),
    rh = Math.ceil(src.height / fy)
  const d = src.data,
    sw = src.width
  for (let by = 0; by < rh; by++) {
    const ya = by * fy,
      yb = Math.min(src.height, ya + fy)
    for (let bx = 0; bx < rw; bx++) {
      const xa = bx * fx,
        xb = Math.min(sw, xa + fx)
      let r = 0,
        g = 0,
        b = 0
      for (let y = ya; y < yb; y++) {
        for (let x = xa, i = (y * sw + xa) * 3; x < xb; x++, i += 3) {
          r += d[i]
          g += d[i + 1]
          b += d[i + 2]
        }
      }
      const n = (yb - ya) * (xb - xa)
      const o = (by * rw + bx) * 3
      out[o] = meanEven(r, n)
      out[o + 1] = meanEven(g, n)
      out[o + 2] = meanEven(b, n)
    }
  }
  return out
}

/** Math.round for non-negative values, as C computes it (floor, then up from exactly .5). */
const round = Math.round

const viewOf = (v: SourceView<Uint8Array | Uint16Array>) => Int32Array.of(v.left, v.top, v.width, v.height, v.sourceWidth, v.sourceHeight)

/**
 * The image at a chain's points: bilinear, taps folded by the input's fill mode (0 where the point
 * is fill); kernels 3 and later: integer weights (sampleRgbQJs).
 */
export function sampleRgb(chain: Chain, coords: Float64Array, src: SourceView<Uint8Array> | null, out: Uint8Array): Uint8Array {
  if (!src) return out.fill(0)
  if (coords === AXES) return sampleRgbAxes(chain, src, out)
  if ((chain.kernels ?? 1) >= 3) return sampleRgbQ(chain, coords, src, out)
  const k = fast('opSampleRgb', (k) => {
    const c = checkChain()
    const at = chainCoordsJs(c.chain),
      b = new Uint8Array(at.length * 1.5)
    k.opSampleRgb(at, c.src.data, viewOf(c.src), MODE_CODE.reflect, 1, 1, b)
    return sameBytes(sampleRgbJs(c.chain, at, c.src, new Uint8Array(b.length)), b)
  })
  if (!k) return sampleRgbJs(chain, coords, src, out)
  const [pfx, pfy] = chain.prefilter ?? [1, 1]
  k.opSampleRgb(coords, src.data, viewOf(src), MODE_CODE[inputMode(chain)], pfx, pfy, out)
  return out
}

function sampleRgbJs(chain: Chain, coords: Float64Array, src: SourceView<Uint8Array>, out: Uint8Array): Uint8Array {
  const mode = inputMode(chain)
  const [pfx, pfy] = chain.prefilter ?? [1, 1]
  const { data, left, top, width: rw, sourceWidth: sw, sourceHeight: sh } = src
  for (let i = 0, o = 0; i < coords.length; i += 2, o += 3) {
    const u = coords[i],
      v = coords[i + 1]
    if (Number.isNaN(u)) {
      out[o] = out[o + 1] = out[o + 2] = 0
      continue
    }
    const fx = u / pfx - 0.5,
      fy = v / pfy - 0.5
    const tx = Math.floor(fx),
      ty = Math.floor(fy)
    const wx = fx - tx,
      wy = fy - ty
    const x0 = foldIndex(tx, sw, mode) - left,
      x1 = foldIndex(tx + 1, sw, mode) - left
    const y0 = foldIndex(ty, sh, mode) - top,
      y1 = foldIndex(ty + 1, sh, mode) - top
    const p00 = (y0 * rw + x0) * 3,
      p01 = (y0 * rw + x1) * 3,
      p10 = (y1 * rw + x0) * 3,
      p11 = (y1 * rw + x1) * 3
    const w00 = (1 - wx) * (1 - wy),
      w01 = wx * (1 - wy),
      w10 = (1 - wx) * wy,
      w11 = wx * wy
    out[o] = round(w00 * data[p00] + w01 * data[p01] + w10 * data[p10] + w11 * data[p11])
    out[o + 1] = round(w00 * data[p00 + 1] + w01 * data[p01 + 1] + w10 * data[p10 + 1] + w11 * data[p11 + 1])
    out[o + 2] = round(w00 * data[p00 + 2] + w01 * data[p01 + 2] + w10 * data[p10 + 2] + w11 * data[p11 + 2])
  }
  return out
}

function sampleRgbQ(chain: Chain, coords: Float64Array, src: SourceView<Uint8Array>, out: Uint8Array): Uint8Array {
  const k = fast('opSampleRgbQ', (k) => {
    const c = checkChain()
    const at = chainCoordsJs(c.chain)
    at[8] = 4.49 // a fraction that rounds up to 32/32, and one exactly half a step
    at[9] = 3.015625
    return [MODE_CODE.reflect, MODE_CODE.wrap].every((mode) => {
      const b = new Uint8Array(at.length * 1.5)
      const ch = { ...c.chain, links: [c.chain.links[0], { ...c.chain.links[1], mode: 'wrap' as const }] }
      k.opSampleRgbQ(at, c.src.data, viewOf(c.src), mode, 1, 1, b)
      return sameBytes(sampleRgbQJs(mode === MODE_CODE.wrap ? ch : c.chain, at, c.src, new Uint8Array(b.length)), b)
    })
  })
  if (!k) return sampleRgbQJs(chain, coords, src, out)
  const [pfx, pfy] = chain.prefilter ?? [1, 1]
  k.opSampleRgbQ(coords, src.data, viewOf(src), MODE_CODE[inputMode(chain)], pfx, pfy, out)
  return out
}

/**
 * Kernels 3: sampleRgbJs's taps with integer weights, as kernels 2's one-affine bilinear: each
 * fraction in 1/32 (floor(f * 32 + 0.5), 0..32), weights (32 - ax)(32 - ay), ax(32 - ay), ...
 * summing to 1024, the sum rounded by a shift. Integers but for the fraction (one subtraction and
 * one scaling by a power of two, exact), so ops_field.c computes the same bytes in any order.
 */
export function sampleRgbQJs(chain: Chain, coords: Float64Array, src: SourceView<Uint8Array>, out: Uint8Array): Uint8Array {
  const mode = inputMode(chain)
  const [pfx, pfy] = chain.prefilter ?? [1, 1]
  const { data, left, top, width: rw, sourceWidth: sw, sourceHeight: sh } = src
  for (let i = 0, o = 0; i < coords.length; i += 2, o += 3) {
    const u = coords[i],
      v = coords[i + 1]
    if (Number.isNaN(u)) {
      out[o] = out[o + 1] = out[o + 2] = 0
      continue
    }
    const fx = u / pfx - 0.5,
      fy = v / pfy - 0.5
    const tx = Math.floor(fx),
      ty = Math.floor(fy)
    const ax = Math.floor((fx - tx) * 32 + 0.5),
      ay = Math.floor((fy - ty) * 32 + 0.5)
    const x0 = foldIndex(tx, sw, mode) - left,
      x1 = foldIndex(tx + 1, sw, mode) - left
    const y0 = foldIndex(ty, sh, mode) - top,
      y1 = foldIndex(ty + 1, sh, mode) - top
    const p00 = (y0 * rw + x0) * 3,
      p01 = (y0 * rw + x1) * 3,
      p10 = (y1 * rw + x0) * 3,
      p11 = (y1 * rw + x1) * 3
    const w00 = (32 - ax) * (32 - ay),
      w01 = ax * (32 - ay),
      w10 = (32 - ax) * ay,
      w11 = ax * ay
    out[o] = (w00 * data[p00] + w01 * data[p01] + w10 * data[p10] + w11 * data[p11] + 512) >> 10
    out[o + 1] = (w00 * data[p00 + 1] + w01 * data[p01 + 1] + w10 * data[p10 + 1] + w11 * data[p11 + 1] + 512) >> 10
    out[o + 2] = (w00 * data[p00 + 2] + w01 * data[p01 + 2] + w10 * data[p10 + 2] + w11 * data[p11 + 2] + 512) >> 10
  }
  return out
}

/** The mask at a chain's points: nearest pixel, folded by the input's fill mode (`fill` where the point is fill). */
export function sampleLabels<T extends Uint8Array | Uint16Array>(chain: Chain, coords: Float64Array, src: SourceView<T> | null, fill: number, out: T): T {
  if (!src) return out.fill(fill) as T
  if (coords === AXES) return sampleLabelsAxes(chain, src, fill, out)
  const k = fast('opSampleLabels', (k) => {
    const c = checkChain()
    const at = chainCoordsJs(c.chain),
      b = new Uint8Array(at.length / 2)
    k.opSampleLabels(at, c.lab.data, viewOf(c.lab), MODE_CODE.reflect, 7, b)
    return sameBytes(sampleLabelsJs(c.chain, at, c.lab, 7, new Uint8Array(b.length)), b)
  })
  if (!k) return sampleLabelsJs(chain, coords, src, fill, out)
  k.opSampleLabels(coords, src.data, viewOf(src), MODE_CODE[inputMode(chain)], fill, out)
  return out
}

function sampleLabelsJs<T extends Uint8Array | Uint16Array>(chain: Chain, coords: Float64Array, src: SourceView<T>, fill: number, out: T): T {
  const mode = inputMode(chain)
  const { data, left, top, width: rw, sourceWidth: sw, sourceHeight: sh } = src
  for (let i = 0, o = 0; i < coords.length; i += 2, o++) {
    const u = coords[i],
      v = coords[i + 1]
    if (Number.isNaN(u)) {
      out[o] = fill
      continue
    }
    const x = foldIndex(Math.floor(u), sw, mode) - left,
      y = foldIndex(Math.floor(v), sh, mode) - top
    out[o] = data[y * rw + x]
  }
  return out
}

// ---- kernels 3: chains of axis-aligned affines (resize, scales, crops, pads, flips) ---------------------
// A point's x depends on its column alone and its y on its row alone (each link maps and folds the
// axes separately; a check fails on one axis or the other), and so do sampleRgbQJs's taps and
// fractions and sampleLabelsJs's pixel: the native kernels compute them once per column and per row
// (the same values: m1 * y and m3 * x are zeros, which change at most a zero's sign) instead of
// materialising every point. chainCoords then returns AXES, which the samplers and coordsRegion know.
const AXES = new Float64Array(0)

function axisAligned(chain: Chain): boolean {
  return (
    (chain.kernels ?? 1) >= 3 &&
    chain.links.every((L) => (!L.field || fieldPerAxis(L.field)) && L.m[1] === 0 && L.m[3] === 0 && L.bounds.every((b) => b.m[1] === 0 && b.m[3] === 0))
  )
}

/** Each output column's x (axis 0) or row's y (axis 1) in the input canvas, NaN where the point is fill: chainCoordsJs per axis. */
export function axisCoords(chain: Chain, axis: 0 | 1): Float64Array {
  // (computed once per chain and axis: the tables of image and mask and the region read them)
  const memo = axisMemo.get(chain) ?? []
  axisMemo.set(chain, memo)
  return (memo[axis] ??= axisCoordsOf(chain, axis))
}
const axisMemo = new WeakMap<Chain, Float64Array[]>()

function axisCoordsOf(chain: Chain, axis: 0 | 1): Float64Array {
  const n = axis === 0 ? chain.width : chain.height
  const out = new Float64Array(n)
  const [a, c] = axis === 0 ? [0, 2] : [4, 5] // the axis's scale and offset in an affine
  for (let i = 0; i < n; i++) {
    let p = i + 0.5,
      ok = true
    for (const L of chain.links) {
      if (L.field) p = fieldAxisAt(L.field, axis, p) // a per-axis field (the grid's formula)
      for (const b of L.bounds) {
        const q = b.m[a] * p + b.m[c]
        if (q < 0 || q >= (axis === 0 ? b.w : b.h)) ok = false
      }
      if (!ok) break
      const lim = axis === 0 ? L.w : L.h
      let u = L.m[a] * p + L.m[c]
      if (u < 0 || u >= lim) {
        if (L.mode === 'constant') {
          ok = false
          break
        }
        u = foldCoord(u, lim, L.mode)
      }
      p = u
    }
    out[i] = ok ? p : NaN
  }
  return out
}

/** A small axis-aligned chain (scale, flip, a bound, a fold): the axis kernels' start-up check. */
function checkAxes(k: OpKernels): boolean {
  const src = checkChain().src
  const lab = { ...src, data: src.data.subarray(0, 77) }
  return (['reflect', 'wrap', 'constant'] as const).every((mode) => {
    const chain: Chain = {
      width: 10,
      height: 8,
      input: { width: 11, height: 7 },
      prefilter: null,
      kernels: 3,
      links: [{ field: null, m: [-1.37, 0, 12.1, 0, 0.83, -0.2], bounds: [{ m: [1, 0, 0.5, 0, 1, -0.25], w: 9, h: 6.9 }], w: 11, h: 7, mode }],
    }
    const at = chainCoordsJs(chain)
    const rgb = new Uint8Array(240),
      l = new Uint8Array(80)
    k.opSampleAxesQ(src.data, viewOf(src), ...rgbTables(chain, src), rgb)
    k.opLabelsAxes(lab.data, viewOf(lab), ...labelTables(chain, lab), 9, l)
    return sameBytes(rgb, sampleRgbQJs(chain, at, src, new Uint8Array(240))) && sameBytes(l, sampleLabelsJs(chain, at, lab, 9, new Uint8Array(80)))
  })
}
const axesKernels = (chain: Chain): OpKernels | null => (axisAligned(chain) ? fast('opSampleAxesQ', checkAxes) && fast('opLabelsAxes', checkAxes) : null)

/** [x0, x1, ax] per column and [y0, y1, ay] per row, as sampleRgbQJs computes them for each point ([-1, -1, 0]: fill). */
function rgbTables(chain: Chain, src: SourceView<Uint8Array>): [Int32Array, Int32Array] {
  const mode = inputMode(chain)
  const pf = chain.prefilter ?? [1, 1]
  const table = (axis: 0 | 1) => {
    const at = axisCoords(chain, axis)
    const [n, base] = axis === 0 ? [src.sourceWidth, src.left] : [src.sourceHeight, src.top]
    const t = new Int32Array(at.length * 3)
    at.forEach((u, i) => {
      if (Number.isNaN(u)) return t.set([-1, -1, 0], i * 3)
      const f = u / pf[axis] - 0.5
      const tf = Math.floor(f)
      t.set([foldIndex(tf, n, mode) - base, foldIndex(tf + 1, n, mode) - base, Math.floor((f - tf) * 32 + 0.5)], i * 3)
    })
    return t
  }
  return [table(0), table(1)]
}

/** The mask pixel's column and row, as sampleLabelsJs computes them (-1: fill). */
function labelTables(chain: Chain, src: SourceView<Uint8Array | Uint16Array>): [Int32Array, Int32Array] {
  const mode = inputMode(chain)
  const table = (axis: 0 | 1) => {
    const [n, base] = axis === 0 ? [src.sourceWidth, src.left] : [src.sourceHeight, src.top]
    return Int32Array.from(axisCoords(chain, axis), (u) => (Number.isNaN(u) ? -1 : foldIndex(Math.floor(u), n, mode) - base))
  }
  return [table(0), table(1)]
}

/** Points whose columns and rows are every column's and row's (with one valid row and column): the same source region as every point's. */
function crossPoints(chain: Chain): Float64Array {
  const us = axisCoords(chain, 0),
    vs = axisCoords(chain, 1)
  const u0 = us.find((u) => !Number.isNaN(u)) ?? NaN,
    v0 = vs.find((v) => !Number.isNaN(v)) ?? NaN
  if (Number.isNaN(u0) || Number.isNaN(v0)) return Float64Array.of(NaN, NaN) // every point is fill
  const pts = new Float64Array((us.length + vs.length) * 2)
  us.forEach((u, i) => pts.set([u, Number.isNaN(u) ? NaN : v0], i * 2))
  vs.forEach((v, i) => pts.set([Number.isNaN(v) ? NaN : u0, v], (us.length + i) * 2))
  return pts
}

function sampleRgbAxes(chain: Chain, src: SourceView<Uint8Array>, out: Uint8Array): Uint8Array {
  axesKernels(chain)!.opSampleAxesQ(src.data, viewOf(src), ...rgbTables(chain, src), out)
  return out
}

function sampleLabelsAxes<T extends Uint8Array | Uint16Array>(chain: Chain, src: SourceView<T>, fill: number, out: T): T {
  axesKernels(chain)!.opLabelsAxes(src.data, viewOf(src), ...labelTables(chain, src), fill, out)
  return out
}
