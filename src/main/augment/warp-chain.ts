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
import type { Affine } from './affine'
import { rneSat, viewWith, type SourceView } from './warp'

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
  // a perspective op's chain (a crop, then the homography, constant fills): the kernel's own loop for it
  const homography: Field = { width: 11, height: 7, map: new Float64Array(0), formula: formulas[2] }
  const crop: Link = { field: null, m: [1, -0, 2, -0, 1, 1], bounds: [], w: 11, h: 7, mode: 'constant' }
  chains.push({
    ...chain,
    width: 11,
    height: 6,
    links: [crop, { field: homography, m: [1, 0, 0, 0, 1, 0], bounds: [], w: 11, h: 7, mode: 'constant' }],
    kernels: 3,
  })
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
  if (coords === AXES) {
    // (kept beside the points: the region of the cross points depends on nothing else)
    const [us, vs] = [axisCoords(chain, 0), axisCoords(chain, 1)]
    const key = ['region', vs, chain.input.width, chain.input.height, inputMode(chain), ...(chain.prefilter ?? [1, 1])]
    const r = keptBeside(us, key, () => coordsRegion(chain, crossPoints(chain)))
    return r && { ...r }
  }
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
  if (areaAxes(chain)) return sampleAreaAxes(chain, src, out)
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

/**
 * Each output column's x (axis 0) or row's y (axis 1) in the input canvas, NaN where the point is
 * fill: chainCoordsJs per axis. Shared, never written: chains whose axis has the same numbers get
 * the same array (keptAxes), and the tables derived from it are kept beside it (keptBeside).
 */
export function axisCoords(chain: Chain, axis: 0 | 1): Float64Array {
  let held = axesHeld.get(chain)
  if (!held) axesHeld.set(chain, (held = [null, null]))
  return (held[axis] ??= keptAxisCoords(chain, axis))
}
/** Each chain's axis points, computed once (the tables of image, mask and region read them). */
const axesHeld = new WeakMap<Chain, [Float64Array | null, Float64Array | null]>()

// ---- tables kept across chains -----------------------------------------------------------------------
// A dataset's renders mostly repeat an axis (a resize of same-size images, a scale or crop of a
// fixed size): its points depend only on the output size and each link's scale, offset, bounds,
// canvas and fold on that axis, and its image, mask and region tables only on those points and a
// few numbers (fill mode, prefilter, the region's place in the source). Computed per render, they
// cost about as much as the resize's kernels; kept, a render finds them after comparing ~20 numbers.
// Keys are lists compared with Object.is (-0 is not 0; no number is formatted). Callers never write
// into what they get.
type Key = readonly (number | string | object)[]
const sameKey = (a: Key, b: Key) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]))
const KEPT = 16

/** The numbers an axis's points depend on (axisCoordsOf's reads), or null: a link with a field (not kept). */
function axisKey(chain: Chain, axis: 0 | 1): Key | null {
  const [a, c] = axis === 0 ? [0, 2] : [4, 5]
  const key: (number | string | object)[] = [axis, axis === 0 ? chain.width : chain.height]
  for (const L of chain.links) {
    if (L.field) return null
    key.push(L.m[a], L.m[c], axis === 0 ? L.w : L.h, L.mode, L.bounds.length)
    for (const b of L.bounds) key.push(b.m[a], b.m[c], axis === 0 ? b.w : b.h)
  }
  return key
}
/** Recent axes' points by their numbers (most recent last). */
const keptAxes: { key: Key; at: Float64Array }[] = []
function keptAxisCoords(chain: Chain, axis: 0 | 1): Float64Array {
  const key = axisKey(chain, axis)
  if (!key) return axisCoordsOf(chain, axis)
  const hit = keptAxes.find((e) => sameKey(e.key, key))
  if (hit) return hit.at
  const at = axisCoordsOf(chain, axis)
  if (keptAxes.push({ key, at }) > KEPT) keptAxes.shift()
  return at
}

/** A table computed from an axis's points and a few numbers, kept beside the points (collected with them). */
function keptBeside<T>(points: Float64Array, key: Key, make: () => T): T {
  let list = besides.get(points)
  if (!list) besides.set(points, (list = []))
  const hit = list.find((e) => sameKey(e.key, key))
  if (hit) return hit.value as T
  const value = make()
  if (list.push({ key, value }) > KEPT) list.shift()
  return value
}
const besides = new WeakMap<Float64Array, { key: Key; value: unknown }[]>()

/** Tests: the kept axes forgotten (the next chains compute their points and tables afresh). */
export function forgetKeptTables(): void {
  keptAxes.length = 0
}

function axisCoordsOf(chain: Chain, axis: 0 | 1): Float64Array {
  const n = axis === 0 ? chain.width : chain.height
  const out = new Float64Array(n)
  const [a, c] = axis === 0 ? [0, 2] : [4, 5] // the axis's scale and offset in an affine
  const links = chain.links
  // (indexed loops: a render runs this once per chain, mostly before the JIT has optimised it)
  for (let i = 0; i < n; i++) {
    let p = i + 0.5,
      ok = true
    for (let l = 0; l < links.length; l++) {
      const L = links[l]
      if (L.field) p = fieldAxisAt(L.field, axis, p) // a per-axis field (the grid's formula)
      for (let j = 0; j < L.bounds.length; j++) {
        const b = L.bounds[j]
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
function checkAxes(
  k: OpKernels,
  rgbOf: (chain: Chain, src: SourceView<Uint8Array>, out: Uint8Array) => void = (chain, src, out) =>
    k.opSampleAxesQ(src.data, viewOf(src), ...rgbTables(chain, src), out),
): boolean {
  const src = checkChain().src
  const lab = viewWith(src, src.data.subarray(0, 77))
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
    rgbOf(chain, src, rgb)
    k.opLabelsAxes(lab.data, viewOf(lab), ...labelTables(chain, lab), 9, l)
    return sameBytes(rgb, sampleRgbQJs(chain, at, src, new Uint8Array(240))) && sameBytes(l, sampleLabelsJs(chain, at, lab, 9, new Uint8Array(80)))
  })
}
const axesKernels = (chain: Chain): OpKernels | null =>
  axisAligned(chain) ? fast('opSampleAxesQ', (k) => checkAxes(k)) && fast('opLabelsAxes', (k) => checkAxes(k)) : null

/** [x0, x1, ax] per column and [y0, y1, ay] per row, as sampleRgbQJs computes them for each point ([-1, -1, 0]: fill). */
function rgbTables(chain: Chain, src: SourceView<Uint8Array>): [Int32Array, Int32Array] {
  const mode = inputMode(chain)
  const pf = chain.prefilter ?? [1, 1]
  const table = (axis: 0 | 1) => {
    const at = axisCoords(chain, axis)
    const [n, base] = axis === 0 ? [src.sourceWidth, src.left] : [src.sourceHeight, src.top]
    return keptBeside(at, ['rgb', mode, pf[axis], n, base], () => {
      const t = new Int32Array(at.length * 3)
      at.forEach((u, i) => {
        if (Number.isNaN(u)) return t.set([-1, -1, 0], i * 3)
        const f = u / pf[axis] - 0.5
        const tf = Math.floor(f)
        t.set([foldIndex(tf, n, mode) - base, foldIndex(tf + 1, n, mode) - base, Math.floor((f - tf) * 32 + 0.5)], i * 3)
      })
      return t
    })
  }
  return [table(0), table(1)]
}

/** The mask pixel's column and row, as sampleLabelsJs computes them (-1: fill). */
function labelTables(chain: Chain, src: SourceView<Uint8Array | Uint16Array>): [Int32Array, Int32Array] {
  const mode = inputMode(chain)
  const table = (axis: 0 | 1) => {
    const [n, base] = axis === 0 ? [src.sourceWidth, src.left] : [src.sourceHeight, src.top]
    const us = axisCoords(chain, axis)
    return keptBeside(us, ['label', mode, n, base], () => {
      const t = new Int32Array(us.length)
      for (let i = 0; i < us.length; i++) t[i] = Number.isNaN(us[i]) ? -1 : foldIndex(Math.floor(us[i]), n, mode) - base
      return t
    })
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
  for (let i = 0; i < us.length; i++) {
    pts[i * 2] = us[i]
    pts[i * 2 + 1] = Number.isNaN(us[i]) ? NaN : v0
  }
  for (let i = 0, o = us.length * 2; i < vs.length; i++, o += 2) {
    pts[o] = Number.isNaN(vs[i]) ? NaN : u0
    pts[o + 1] = vs[i]
  }
  return pts
}

function sampleRgbAxes(chain: Chain, src: SourceView<Uint8Array>, out: Uint8Array): Uint8Array {
  return axesQ(axesKernels(chain)!, src, ...rgbTables(chain, src), out)
}

/**
 * opSampleAxesQ's bytes from its tables ([x0, x1, ax] per column, [y0, y1, ay] per row; -1: the
 * fill), through opSampleAreaAxes (two taps weighing 32 - a and a, ties up: the same exact sums,
 * rows first, vectorised) where it passed its start-up check.
 */
function axesQ(k: OpKernels, src: SourceView<Uint8Array>, cols: Int32Array, rows: Int32Array, out: Uint8Array): Uint8Array {
  const area = fast('opSampleAreaAxes', checkAreaAxes)
  if (area) return axesQWith(area, src, cols, rows, out)
  return axesQ(k, src, cols, rows, out)
}
function axesQWith(k: OpKernels, src: SourceView<Uint8Array>, cols: Int32Array, rows: Int32Array, out: Uint8Array): Uint8Array {
  const taps = (t: Int32Array) => {
    const held = tapsHeld.get(t) // (rgbTables' tables are kept: so are their taps)
    if (held) return held
    const n = t.length / 3
    const at = new Int32Array(n * 2),
      w = new Int32Array(n * 2)
    for (let i = 0; i < n; i++) {
      if (t[i * 3] < 0) continue // the fill: weights 0 at pixel 0
      at[i * 2] = t[i * 3]
      at[i * 2 + 1] = t[i * 3 + 1]
      w[i * 2] = 32 - t[i * 3 + 2]
      w[i * 2 + 1] = t[i * 3 + 2]
    }
    const taps = [at, w] as const
    tapsHeld.set(t, taps)
    return taps
  }
  const [xi, xw] = taps(cols),
    [yi, yw] = taps(rows)
  k.opSampleAreaAxes(src.data, viewOf(src), xi, xw, 2, yi, yw, 2, 10, false, out)
  return out
}

const tapsHeld = new WeakMap<Int32Array, readonly [Int32Array, Int32Array]>()

function sampleLabelsAxes<T extends Uint8Array | Uint16Array>(chain: Chain, src: SourceView<T>, fill: number, out: T): T {
  axesKernels(chain)!.opLabelsAxes(src.data, viewOf(src), ...labelTables(chain, src), fill, out)
  return out
}

// ---- kernels 3: a prefiltered axis-aligned chain (resize or scale below half size) -------------------
// The area average folded into the axis taps, so no area-reduced copy of the source is made: each
// output column's (row's) weights over source pixels are the bilinear taps of kernels 3 (fractions in
// 1/32, on the grid of pf-pixel blocks, folded by the input's fill mode) spread evenly over the
// pixels of their blocks (the blocks at the source's right and bottom edges may be partial), as
// integers summing to 2^12 per column (row); an axis that is not prefiltered keeps its two bilinear
// taps summing to 32. A value is sum(wy * wx * p) / 2^(Sx + Sy) rounded to nearest, ties to even (as
// the area average and OpenCV's INTER_AREA round): integers below 2^32, exact in any order, so
// ops_field.c computes the same bytes rows first. Zero weights are left out; masks stay nearest.
const AREA_BITS = 12

/** An axis's taps: k per output column (row), region pixel indices and weights (all 0: the fill), and their sum's bits. */
export interface AreaTaps {
  k: number
  at: Int32Array
  w: Int32Array
  bits: number
}

/** Kernels 3 chains whose image is read through area taps (areaTaps) instead of an area-reduced copy. */
export function areaAxes(chain: Chain): boolean {
  return chain.prefilter !== null && axisAligned(chain)
}

/** The image a chain's sampler reads: the source, or its area-reduced copy (kernels 1 and 2, and chains that are not axis-aligned). */
export function sampledSource(chain: Chain, img: SourceView<Uint8Array> | null): SourceView<Uint8Array> | null {
  const pf = chain.prefilter
  return img && pf && !areaAxes(chain) ? areaReduce(img, pf[0], pf[1]) : img
}

/** One axis's area taps (axis 0: columns, 1: rows) over the region of `src` (kept: never write into them). */
export function areaTaps(chain: Chain, src: SourceView<Uint8Array>, axis: 0 | 1): AreaTaps {
  const mode = inputMode(chain)
  const pf = chain.prefilter?.[axis] ?? 1
  const [n, base] = axis === 0 ? [src.sourceWidth, src.left] : [src.sourceHeight, src.top]
  const us = axisCoords(chain, axis)
  return keptBeside(us, ['area', mode, pf, n, base], () => areaTapsOf(us, mode, pf, n, base))
}
function areaTapsOf(us: Float64Array, mode: FillMode, pf: number, n: number, base: number): AreaTaps {
  const bits = pf > 1 ? AREA_BITS : 5
  const rn = Math.ceil(n / pf)
  const cap = 2 * pf
  const at = new Int32Array(us.length * cap),
    w = new Int32Array(us.length * cap),
    count = new Int32Array(us.length)
  for (let i = 0; i < us.length; i++) {
    const u = us[i]
    if (Number.isNaN(u)) continue
    const f = u / pf - 0.5
    const t = Math.floor(f)
    const a = Math.floor((f - t) * 32 + 0.5)
    let c = i * cap
    for (let side = 0; side < 2; side++) {
      const j = foldIndex(t + side, rn, mode),
        A = (side === 0 ? 32 - a : a) << (bits - 5)
      const lo = j * pf,
        cnt = Math.min(n, lo + pf) - lo
      for (let m = 0; m < cnt && A > 0; m++) {
        const wm = Math.floor((A * (m + 1)) / cnt) - Math.floor((A * m) / cnt)
        if (wm > 0) {
          at[c] = lo + m - base
          w[c++] = wm
        }
      }
    }
    count[i] = c - i * cap
  }
  // k taps per output (the most any has; the rest weigh 0 at the first tap's pixel, or at 0 for the fill)
  let k = 1
  for (const c of count) k = Math.max(k, c)
  if (k === cap) {
    for (let i = 0; i < us.length; i++) for (let j = count[i]; j < k; j++) at[i * k + j] = at[i * k]
    return { k, at, w, bits }
  }
  const at2 = new Int32Array(us.length * k),
    w2 = new Int32Array(us.length * k)
  for (let i = 0; i < us.length; i++) {
    for (let j = 0; j < k; j++) {
      at2[i * k + j] = at[i * cap + (j < count[i] ? j : 0)]
      if (j < count[i]) w2[i * k + j] = w[i * cap + j]
    }
  }
  return { k, at: at2, w: w2, bits }
}

/** The definition: each value sum(wy * wx * p) over the taps, / 2^(Sx + Sy) rounded to nearest even (rows first, as ops_field.c; exact). */
export function sampleAreaAxesJs(tx: AreaTaps, ty: AreaTaps, src: SourceView<Uint8Array>, out: Uint8Array): Uint8Array {
  const W = tx.at.length / tx.k,
    H = ty.at.length / ty.k
  const { data, width: rw } = src
  const scale = 2 ** (tx.bits + ty.bits),
    half = scale / 2
  const v = new Float64Array(rw * 3)
  for (let y = 0; y < H; y++) {
    v.fill(0)
    for (let j = 0; j < ty.k; j++) {
      const wy = ty.w[y * ty.k + j]
      if (wy === 0) continue
      for (let i = 0, p = ty.at[y * ty.k + j] * rw * 3; i < rw * 3; i++, p++) v[i] += wy * data[p]
    }
    for (let x = 0, o = y * W * 3; x < W; x++, o += 3) {
      for (let c = 0; c < 3; c++) {
        let s = 0
        for (let j = 0; j < tx.k; j++) s += tx.w[x * tx.k + j] * v[tx.at[x * tx.k + j] * 3 + c]
        out[o + c] = Math.min(255, Math.floor((s + half - 1 + (Math.floor(s / scale) & 1)) / scale))
      }
    }
  }
  return out
}

/**
 * opSampleAreaAxes's start-up check: a small prefiltered axis-aligned chain (partial blocks, a flip,
 * a bound, a fold) = sampleAreaAxesJs, and the axis chains of checkAxes through axesQ's tables =
 * sampleRgbQJs (ties up).
 */
function checkAreaAxes(k: OpKernels): boolean {
  const src = checkChain().src
  return (
    checkAxes(k, (chain, s, out) => axesQWith(k, s, ...rgbTables(chain, s), out)) &&
    (['reflect', 'wrap', 'constant'] as const).every((mode) => {
      const chain: Chain = {
        width: 4,
        height: 3,
        input: { width: 11, height: 7 },
        prefilter: [3, 2],
        kernels: 3,
        links: [{ field: null, m: [-2.93, 0, 12.1, 0, 2.31, -0.2], bounds: [{ m: [1, 0, 0.5, 0, 1, -0.25], w: 3.9, h: 2.9 }], w: 11, h: 7, mode }],
      }
      const tx = areaTaps(chain, src, 0),
        ty = areaTaps(chain, src, 1)
      const b = new Uint8Array(36)
      k.opSampleAreaAxes(src.data, viewOf(src), tx.at, tx.w, tx.k, ty.at, ty.w, ty.k, tx.bits + ty.bits, true, b)
      return sameBytes(b, sampleAreaAxesJs(tx, ty, src, new Uint8Array(36)))
    })
  )
}

function sampleAreaAxes(chain: Chain, src: SourceView<Uint8Array>, out: Uint8Array): Uint8Array {
  const tx = areaTaps(chain, src, 0),
    ty = areaTaps(chain, src, 1)
  const k = fast('opSampleAreaAxes', checkAreaAxes)
  if (!k) return sampleAreaAxesJs(tx, ty, src, out)
  k.opSampleAreaAxes(src.data, viewOf(src), tx.at, tx.w, tx.k, ty.at, ty.w, ty.k, tx.bits + ty.bits, true, out)
  return out
}

// ---- kernels 3: one axis-aligned affine with constant fills (random_resized_crop, crops, pure scales) -------
// warp.ts warpBilinearQJs's bytes from per-column and per-row tables: with A's and every bound's
// cross terms 0, a tap's fixed-point column X0 + rneSat(a x 1024) depends on x alone and its row on
// y alone (b y and d x are zeros), the edge clamp is per axis, and a pixel is inside every canvas
// exactly when its column's centre and its row's centre are (0 * yc adds a zero). opSampleAxesQ then
// computes each value with the same weights and rounding, separably.

/** warpBilinearQ's bytes through the area kernel's taps, or null (not axis-aligned, no native kernel, a tap outside the region). */
export function warpAxesQ(src: SourceView<Uint8Array>, A: Affine, fb: Float64Array, W: number, H: number, out: Uint8Array): Uint8Array | null {
  if (A[1] !== 0 || A[3] !== 0) return null
  for (let i = 0; i < fb.length; i += 8) if (fb[i + 1] !== 0 || fb[i + 3] !== 0) return null
  const k = fast('opSampleAreaAxes', checkAreaAxes)
  if (!k) return null
  // two taps per column (row) as opSampleAreaAxes takes them: region pixels, weights 32 - a and a (0, 0: the fill)
  const taps = (axis: 0 | 1): [Int32Array, Int32Array] | null => {
    const [s, c, n, lim, base, size] =
      axis === 0 ? [A[0], A[2], W, src.sourceWidth, src.left, src.width] : [A[4], A[5], H, src.sourceHeight, src.top, src.height]
    const m = s * 0.5 + c - 0.5 // warpBilinearQJs's m2 (m5): b * 0.5 (d * 0.5) adds a zero
    const X0 = rneSat(m * 1024) + 16 // its X0 at any row (b y is 0)
    const at = new Int32Array(n * 2),
      w = new Int32Array(n * 2)
    for (let i = 0; i < n; i++) {
      const ic = i + 0.5
      let ok = true
      for (let j = 0; j < fb.length && ok; j += 8) {
        const u = axis === 0 ? fb[j] * ic + fb[j + 2] : fb[j + 4] * ic + fb[j + 5]
        ok = u >= 0 && u < fb[j + 6 + axis]
      }
      if (!ok) continue
      // a column: X0 + ad[x]; a row: Y0 = rneSat((e y + m5) 1024) + 16 plus bd[x] = rneSat(0 x 1024) = 0
      const X = (axis === 0 ? X0 + rneSat(s * i * 1024) : rneSat((s * i + m) * 1024) + 16) >> 5
      const ix = X >> 5
      const t0 = (ix < 0 ? 0 : ix >= lim ? lim - 1 : ix) - base,
        t1 = (ix + 1 < 0 ? 0 : ix + 1 >= lim ? lim - 1 : ix + 1) - base
      // every tap a pixel inside reads is in the region (warpBilinearQJs reads them too); else the reference decides
      if (t0 < 0 || t1 < 0 || t0 >= size || t1 >= size) return null
      at[i * 2] = t0
      at[i * 2 + 1] = t1
      w[i * 2] = 32 - (X & 31)
      w[i * 2 + 1] = X & 31
    }
    return [at, w]
  }
  const tx = taps(0),
    ty = tx && taps(1)
  if (!tx || !ty) return null
  k.opSampleAreaAxes(src.data, viewOf(src), tx[0], tx[1], 2, ty[0], ty[1], 2, 10, false, out)
  return out
}
