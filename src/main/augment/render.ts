// Rendering: plan + pair -> pixels. Geometry is fused into one transform (output -> source):
//  - exact (a signed permutation with integer offsets: any chain of crops, pads, flips and
//    quarter turns): every output pixel is a copy of one source pixel, on both targets;
//  - otherwise: the image is sampled bilinearly, the mask by nearest neighbour, both from the same
//    transform, so they cannot drift apart.
// A point that falls outside the source gets the fill: 0 (black) in the image, ignoreIndex in the
// mask; inside the source the image's bilinear taps are clamped to the edge, so the image's fill
// region and the mask's ignore region are the same pixels.
// Photometric steps then run, in recipe order, on the output image only.
// renderLoaded (decoded once, e.g. several epochs) and renderFromFiles (decodes only the region
// the output needs) share every step after decoding, so their bytes are identical for the same
// plan. When the output is the source region row for row (a crop, maybe mirrored, with at most
// one linear), the native decoders write it directly (io/native: from the JPEG decode loop, or
// in one pass over decoded pixels); the JS warp and table give the same bytes without them.
import { LockstepError } from '../../shared/errors'
import type { OpType } from '../../shared/recipe'
import { decodeError as decodeError, MAX_INPUT_PIXELS } from '../io/decode-errors'
import { headerSize, jpegHeader } from '../io/header'
import { decodeJpegRegion, giveScratch, mapRegionNative, takeScratch, type RowOps } from '../io/native'
import { decodeImage, decodeImageRegion, encodeRgb, encodeWindowFromFile, imageSize, type ImageFormat, type Rect, type RgbImage } from '../io/image'
import { encodeLabelsPngAsync, maskInfo, readLabels, readLabelsRegion, type Labels, type MaskRoute } from '../io/labels'
import { apply, compose, invert, isExact, type Affine } from './affine'
import { OPS } from './ops'
import type { PixelOp, Size } from './ops/types'
import { checkPlan, fuseGeometry, needsLabels, plan, type FusedGeometry, type Plan } from './plan'
import type { Recipe } from '../../shared/recipe'
import type { SampleKey } from './rng'

export interface PairPaths {
  image: string
  /** null: an image without a mask (only the image is rendered) */
  mask: string | null
}

/** The contents of a pair's files, when the caller already read them (export reads each once, to hash it too). */
export interface PairBytes {
  image: Buffer
  mask: Buffer | null
}

export interface LoadedPair {
  paths: PairPaths
  width: number
  height: number
  /** EXIF-oriented 8-bit RGB, HxWx3 */
  image: RgbImage
  labels: Labels | null
}

export interface RenderOptions {
  /** encoded image (and, unless mask is false, the mask PNG); png compression 0-9 (default 3) */
  image?: { format: ImageFormat; quality?: number; compression?: number }
  /** encode the mask PNG alongside the image (default true) */
  mask?: boolean
  /** raw RGB + labels */
  raw?: boolean
  /** the output's class indices alone (e.g. for an overlay), without the raw RGB */
  labels?: boolean
}

export interface RawPair {
  /** HxWx3 RGB */
  image: Uint8Array
  labels: Uint8Array | Uint16Array | null
  width: number
  height: number
  depth: 8 | 16
}

export interface RenderedPair {
  plan: Plan
  image?: Buffer
  /** single-channel PNG of the mask's bit depth */
  mask?: Buffer
  raw?: RawPair
  /** with `labels: true` (and a mask) */
  labels?: Labels
}

function sizeMismatch(paths: PairPaths, img: Size, mask: Size): LockstepError {
  return new LockstepError(
    'SIZE_MISMATCH',
    `Image ${paths.image} is ${img.width}x${img.height} but mask ${paths.mask} is ${mask.width}x${mask.height} (after EXIF orientation)`,
    { image: paths.image, mask: paths.mask },
  )
}

/** Decodes a pair once (oriented RGB image + class indices) and checks that the sizes agree. */
export async function loadPair(paths: PairPaths, bytes?: PairBytes): Promise<LoadedPair> {
  const [image, labels] = await Promise.all([decodeImage(paths.image, bytes?.image), paths.mask ? readLabels(paths.mask, undefined, bytes?.mask ?? undefined) : Promise.resolve(null)])
  if (labels && (labels.width !== image.width || labels.height !== image.height)) throw sizeMismatch(paths, image, labels)
  return { paths, width: image.width, height: image.height, image, labels }
}

function checkSource(plan: Plan, size: Size, paths: PairPaths): void {
  if (plan.source.width !== size.width || plan.source.height !== size.height) {
    throw new LockstepError('SIZE_MISMATCH', `Image ${paths.image} is ${size.width}x${size.height} but the plan was made for ${plan.source.width}x${plan.source.height}`, { image: paths.image })
  }
}

function checkIgnore(plan: Plan, labels: { depth: 8 | 16 } | null, paths: PairPaths): void {
  if (labels && labels.depth === 8 && plan.ignoreIndex > 255) {
    throw new LockstepError('INVALID_RECIPE', `mask.ignoreIndex ${plan.ignoreIndex} does not fit the 8-bit mask ${paths.mask}; use a value <= 255`, { mask: paths.mask })
  }
}

/** Output pixels whose centre lies inside every canvas of an exact chain: [x0, x1) x [y0, y1). */
export function validRect(g: FusedGeometry): { x0: number; y0: number; x1: number; y1: number } {
  let x0 = 0, y0 = 0, x1 = g.width, y1 = g.height
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
  const us = points.map((c) => c[0]), vs = points.map((c) => c[1])
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
      u0 = Math.max(u0, c.u0); v0 = Math.max(v0, c.v0); u1 = Math.min(u1, c.u1); v1 = Math.min(v1, c.v1)
    }
    const m = 2 // bilinear taps reach half a pixel beyond a point, plus rounding slack
    u0 -= m; v0 -= m; u1 += m; v1 += m
  }
  const left = Math.max(0, Math.floor(u0))
  const top = Math.max(0, Math.floor(v0))
  const right = Math.min(source.width, Math.ceil(u1))
  const bottom = Math.min(source.height, Math.ceil(v1))
  if (right <= left || bottom <= top) return null
  return { left, top, width: right - left, height: bottom - top }
}

/** Flattened bounds for the per-pixel inside test: [a, b, c, d, e, f, w, h] per canvas. */
function flatBounds(g: FusedGeometry): Float64Array {
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
    const u = fb[i]! * xc + fb[i + 1]! * yc + fb[i + 2]!
    const v = fb[i + 3]! * xc + fb[i + 4]! * yc + fb[i + 5]!
    if (u < 0 || v < 0 || u >= fb[i + 6]! || v >= fb[i + 7]!) return false
  }
  return true
}

/**
 * The output pixels of row y whose centre is inside every canvas: [x0, x1). Each canvas is
 * convex, so along a row the inside set is one interval: solved analytically, then its ends
 * settled with the exact per-pixel test (so it equals testing every pixel).
 */
function rowSpan(fb: Float64Array, y: number, W: number): [number, number] {
  const yc = y + 0.5
  let lo = -Infinity, hi = Infinity
  for (let i = 0; i < fb.length && lo <= hi; i += 8) {
    for (const [k, lim] of [[0, fb[i + 6]!], [3, fb[i + 7]!]] as const) {
      const a = fb[i + k]!, rest = fb[i + k + 1]! * yc + fb[i + k + 2]!
      // 0 <= a * xc + rest < lim
      if (a === 0) {
        if (rest < 0 || rest >= lim) return [0, 0]
        continue
      }
      const t0 = (0 - rest) / a, t1 = (lim - rest) / a
      lo = Math.max(lo, Math.min(t0, t1))
      hi = Math.min(hi, Math.max(t0, t1))
    }
  }
  if (!(lo <= hi)) return [0, 0]
  let x0 = Math.max(0, Math.floor(lo - 0.5) - 1)
  let x1 = Math.min(W, Math.ceil(hi - 0.5) + 2)
  while (x0 < x1 && !inside(fb, x0 + 0.5, yc)) x0++
  while (x1 > x0 && !inside(fb, x1 - 0.5, yc)) x1--
  return [x0, x1]
}

/** Source pixels available to a warp: a region (or all) of the source. */
interface SourceView<T extends Uint8Array | Uint16Array> {
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

type Valid = { x0: number; y0: number; x1: number; y1: number }

function warpExact<T extends Uint8Array | Uint16Array>(src: SourceView<T> | null, ch: number, A: Affine, W: number, valid: Valid, fill: number, out: T): T {
  const [a, b, c, d, e, f] = A
  const { x0, x1, y0, y1 } = valid
  const covered = src && x0 === 0 && y0 === 0 && x1 === W && y1 * W * ch === out.length
  if (fill !== 0 && !covered) out.fill(fill)
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
      if (a === 1) out.set(src.data.subarray(s, s + n * ch) as never, o)
      else if (ch === 3) mirrorRgb(src.data as Uint8Array, s, out as Uint8Array, o, n)
      else if (out instanceof Uint8Array) mirror8(src.data as Uint8Array, s, out, o, n)
      else mirror16(src.data as Uint16Array, s, out as Uint16Array, o, n)
      continue
    }
    // a source column (quarter turns): stride through the rows
    const s = ((sy0 + d * x0 - top) * rw + (sx0 - left)) * ch
    const step = d * rw * ch
    if (ch === 3) column3(src.data as Uint8Array, s, step, out as Uint8Array, o, n)
    else if (out instanceof Uint8Array) column1(src.data as Uint8Array, s, step, out, o, n)
    else column1(src.data as Uint16Array, s, step, out as Uint16Array, o, n)
  }
  return out
}

function mirrorRgb(src: Uint8Array, s: number, out: Uint8Array, o: number, n: number): void {
  for (let i = 0; i < n; i++, s -= 3, o += 3) {
    out[o] = src[s]!
    out[o + 1] = src[s + 1]!
    out[o + 2] = src[s + 2]!
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
    out[o] = src[s]!
    out[o + 1] = src[s + 1]!
    out[o + 2] = src[s + 2]!
  }
}
function column1<T extends Uint8Array | Uint16Array>(src: T, s: number, step: number, out: T, o: number, n: number): void {
  for (let i = 0; i < n; i++, s += step) out[o + i] = src[s]!
}

function warpNearest<T extends Uint8Array | Uint16Array>(src: SourceView<T> | null, A: Affine, fb: Float64Array, W: number, H: number, fill: number, out: T): T {
  const [a, b, c, d, e, f] = A
  out.fill(fill)
  if (!src) return out
  const { data, left, top, width: rw } = src
  for (let y = 0; y < H; y++) {
    const yc = y + 0.5
    const [x0, x1] = rowSpan(fb, y, W)
    const ru = b * yc + c, rv = e * yc + f
    for (let x = x0, i = y * W + x0; x < x1; x++, i++) {
      const xc = x + 0.5
      out[i] = data[(Math.floor(d * xc + rv) - top) * rw + (Math.floor(a * xc + ru) - left)]!
    }
  }
  return out
}

function warpBilinearRgb(src: SourceView<Uint8Array> | null, A: Affine, fb: Float64Array, W: number, H: number, out: Uint8Array): Uint8Array {
  const [a, b, c, d, e, f] = A
  if (!src) return out
  const { data, left, top, width: rw, sourceWidth: sw, sourceHeight: sh } = src
  for (let y = 0; y < H; y++) {
    const yc = y + 0.5
    const [xa, xb] = rowSpan(fb, y, W) // outside: fill 0
    const ru = b * yc + c - 0.5, rv = e * yc + f - 0.5
    for (let x = xa; x < xb; x++) {
      const xc = x + 0.5
      const fx = a * xc + ru, fy = d * xc + rv
      let x0 = Math.floor(fx), y0 = Math.floor(fy)
      const wx = fx - x0, wy = fy - y0
      let x1 = x0 + 1, y1 = y0 + 1
      if (x0 < 0) x0 = 0
      if (y0 < 0) y0 = 0
      if (x1 >= sw) x1 = sw - 1
      if (y1 >= sh) y1 = sh - 1
      const r0 = (y0 - top) * rw - left, r1 = (y1 - top) * rw - left
      const p00 = (r0 + x0) * 3, p01 = (r0 + x1) * 3, p10 = (r1 + x0) * 3, p11 = (r1 + x1) * 3
      const w00 = (1 - wx) * (1 - wy), w01 = wx * (1 - wy), w10 = (1 - wx) * wy, w11 = wx * wy
      const o = (y * W + x) * 3
      out[o] = Math.round(w00 * data[p00]! + w01 * data[p01]! + w10 * data[p10]! + w11 * data[p11]!)
      out[o + 1] = Math.round(w00 * data[p00 + 1]! + w01 * data[p01 + 1]! + w10 * data[p10 + 1]! + w11 * data[p11 + 1]!)
      out[o + 2] = Math.round(w00 * data[p00 + 2]! + w01 * data[p01 + 2]! + w10 * data[p10 + 2]! + w11 * data[p11 + 2]!)
    }
  }
  return out
}

/** d[i] = l[d[i]], four bytes per step where the buffer allows (about twice the byte loop here). */
function applyLut(d: Uint8Array, l: Uint8Array): void {
  let i = 0
  if (d.byteOffset % 4 === 0) {
    const w = new Uint32Array(d.buffer, d.byteOffset, d.length >>> 2)
    const l1 = new Uint32Array(256), l2 = new Uint32Array(256), l3 = new Uint32Array(256)
    for (let v = 0; v < 256; v++) {
      l1[v] = l[v]! << 8
      l2[v] = l[v]! << 16
      l3[v] = (l[v]! << 24) >>> 0
    }
    for (let k = 0; k < w.length; k++) {
      const v = w[k]!
      w[k] = l[v & 255]! | l1[(v >>> 8) & 255]! | l2[(v >>> 16) & 255]! | l3[v >>> 24]!
    }
    i = w.length * 4
  }
  for (; i < d.length; i++) d[i] = l[d[i]!]!
}

/** Runs the photometric steps in order; neighbouring LUT steps are composed into one pass. */
export function applyPixelSteps(plan: Plan, px: { width: number; height: number; data: Uint8Array }): void {
  let lut: Uint8Array | null = null
  const flush = () => {
    if (!lut) return
    applyLut(px.data, lut)
    lut = null
  }
  for (const step of plan.steps) {
    const def = OPS[step.type as OpType]
    if (def.kind !== 'pixel') continue
    const op = def as PixelOp<OpType>
    if (op.lut) {
      const next = op.lut(step.params)
      if (lut) {
        const composed = new Uint8Array(256)
        for (let v = 0; v < 256; v++) composed[v] = next[lut[v]!]!
        lut = composed
      } else lut = next
    } else {
      flush()
      op.image?.(step.params, px)
    }
  }
  flush()
}

/** The mask's output: the same transform as the image, nearest neighbour, ignoreIndex outside. */
function warpLabels(plan: Plan, g: FusedGeometry, lab: SourceView<Uint8Array | Uint16Array> | null, depth: 8 | 16): Uint8Array | Uint16Array {
  const { width: W, height: H, toSource } = g
  const buf = depth === 16 ? new Uint16Array(W * H) : new Uint8Array(W * H)
  return isExact(toSource) ? warpExact(lab, 1, toSource, W, validRect(g), plan.ignoreIndex, buf) : warpNearest(lab, toSource, flatBounds(g), W, H, plan.ignoreIndex, buf)
}

/** The output image: the warp, then the plan's one linear (singleLinear) or, undefined, its per-op photometric steps. */
function renderRgb(plan: Plan, g: FusedGeometry, img: SourceView<Uint8Array> | null, linear: [number, number] | null | undefined): Uint8Array {
  const { width: W, height: H, toSource } = g
  let rgb: Uint8Array = new Uint8Array(W * H * 3)
  rgb = isExact(toSource) ? warpExact(img, 3, toSource, W, validRect(g), 0, rgb) : warpBilinearRgb(img, toSource, flatBounds(g), W, H, rgb)
  if (linear === undefined) applyPixelSteps(plan, { width: W, height: H, data: rgb })
  else if (linear) applyLut(rgb, linearLut(linear))
  return rgb
}

/** The mask's warp, the encodes, and the result, around a rendered output image (its pixels, or already encoded). */
async function finish(plan: Plan, g: FusedGeometry, px: Uint8Array | { encoded: Buffer }, lab: SourceView<Uint8Array | Uint16Array> | null, hasMask: boolean, depth: 8 | 16, out: RenderOptions): Promise<RenderedPair> {
  const { width: W, height: H } = g
  const labels = hasMask ? warpLabels(plan, g, lab, depth) : null
  const fmt = out.image ?? { format: 'png' as const }
  const encoded = wantsEncoded(out)
  const rgb = px instanceof Uint8Array ? px : undefined
  const [image, mask] = await Promise.all([
    !encoded ? undefined : rgb ? encodeRgb(rgb, W, H, fmt.format, fmt.quality, (fmt as { compression?: number }).compression) : (px as { encoded: Buffer }).encoded,
    encoded && labels && out.mask !== false ? encodeLabelsPngAsync({ width: W, height: H, depth, data: labels }) : undefined,
  ])
  return assemble(plan, g, out, image, mask, out.raw ? rgb : undefined, labels, depth)
}

const wantsEncoded = (out: RenderOptions) => out.image !== undefined || !out.raw

/** The result both paths return: the encoded image, the mask PNG, raw pixels, labels, as asked. */
function assemble(plan: Plan, g: FusedGeometry, out: RenderOptions, image: Buffer | undefined, mask: Buffer | undefined, rgb: Uint8Array | undefined, labels: Uint8Array | Uint16Array | null, depth: 8 | 16): RenderedPair {
  const { width, height } = g
  const r: RenderedPair = { plan }
  if (image) r.image = image
  if (mask) r.mask = mask
  if (rgb) r.raw = { image: rgb, labels, width, height, depth }
  if (out.labels && labels) r.labels = { width, height, depth, data: labels }
  return r
}

// ---- one linear for brightness/contrast ---------------------------------------------------------
// The common export shape (an exact window, flips/quarter turns, no padding, brightness/contrast
// only) applies its brightness and contrast as one linear a*v + b with libvips' rounding (these
// plans were rendered by a libvips pipeline before, and their recorded plans must replay to the
// same bytes), instead of the general path's per-op LUTs: at most one level apart, and a given
// plan always takes the same path. Geometry is the exact copy (warpExact) on both paths; libvips'
// flop and linear cost 1.9 and 4.8 ms per 512x512 image where these loops cost well under one.

const LINEAR_PIXEL_OPS = new Set<OpType>(['brightness', 'contrast'])

/** The linear [a, b] for a plan that takes one (null: identity), or undefined: the per-op path. */
function singleLinear(plan: Plan, g: FusedGeometry, source: Size): [number, number] | null | undefined {
  if (!isExact(g.toSource)) return undefined
  if (plan.steps.some((s) => OPS[s.type as OpType].kind === 'pixel' && !LINEAR_PIXEL_OPS.has(s.type as OpType))) return undefined
  const v = validRect(g)
  if (v.x0 !== 0 || v.y0 !== 0 || v.x1 !== g.width || v.y1 !== g.height) return undefined // padding: per-op path
  if (!sourceRegion(g, source)) return undefined
  let la = 1, lb = 0
  for (const s of plan.steps) {
    if (s.type === 'brightness') lb += (s.params.beta as number) * 255
    else if (s.type === 'contrast') {
      la *= s.params.alpha as number
      lb *= s.params.alpha as number
    }
  }
  return la === 1 && lb === 0 ? null : [la, lb]
}

/** The output is the source region row for row (a crop), maybe each row mirrored (a crop + hflip). */
function windowRows(g: FusedGeometry, region: Rect): { flop: boolean } | null {
  const [a, b, , d, e] = g.toSource
  if (b !== 0 || d !== 0 || e !== 1 || (a !== 1 && a !== -1)) return null
  return region.width === g.width && region.height === g.height ? { flop: a === -1 } : null
}

/**
 * libvips' linear on 8-bit pixels with 8-bit output, value for value: a*v in float32, plus b in
 * float32, clipped to [0, 255] and truncated (test/augment/render.test.ts pins it against sharp).
 */
export function linearLut([a, b]: [number, number]): Uint8Array {
  const fa = Math.fround(a), fb = Math.fround(b)
  const lut = new Uint8Array(256)
  for (let v = 0; v < 256; v++) {
    const t = Math.fround(Math.fround(fa * v) + fb)
    lut[v] = t <= 0 ? 0 : t >= 255 ? 255 : Math.trunc(t)
  }
  return lut
}

/** How an output's image is made from its source region (the same for both render paths). */
interface ImageWork {
  /** the plan's one linear (singleLinear), or undefined: its per-op photometric steps */
  linear: [number, number] | null | undefined
  /** the output is the region row for row: what a native pass does to each row */
  rows: RowOps | null
  /** a reused buffer for output pixels bound only for the encoder (given back after finish) */
  scratch?: Buffer
}

function imageWork(plan: Plan, g: FusedGeometry, source: Size, region: Rect | null, out: RenderOptions): ImageWork {
  const linear = singleLinear(plan, g, source)
  const window = linear !== undefined && region ? windowRows(g, region) : null
  if (!window || !region) return { linear, rows: null }
  const rows = { flop: window.flop, lut: linear ? linearLut(linear) : null }
  return { linear, rows, scratch: out.raw ? undefined : takeScratch(region.width * region.height * 3) }
}

/** Runs the finish, then gives the work's scratch buffer back. */
async function finishing(work: ImageWork, f: () => Promise<RenderedPair>): Promise<RenderedPair> {
  try {
    return await f()
  } finally {
    if (work.scratch) giveScratch(work.scratch)
  }
}

const whole = (size: Size) => ({ left: 0, top: 0, width: size.width, height: size.height, sourceWidth: size.width, sourceHeight: size.height })

/** Renders a plan on a pair decoded by loadPair (decode once, render many). */
export async function renderLoaded(p: Plan, loaded: LoadedPair, out: RenderOptions = {}): Promise<RenderedPair> {
  const plan = checkPlan(p)
  checkSource(plan, loaded, loaded.paths)
  checkIgnore(plan, loaded.labels, loaded.paths)
  const g = fuseGeometry(plan)
  const depth = loaded.labels?.depth ?? 8
  const lab = loaded.labels ? { ...whole(loaded), data: loaded.labels.data } : null
  const region = sourceRegion(g, loaded)
  const img = region ? { ...whole(loaded), data: new Uint8Array(loaded.image.data.buffer, loaded.image.data.byteOffset, loaded.image.data.byteLength) } : null
  const work = imageWork(plan, g, loaded, region, out)
  // the output is the region itself, maybe mirrored and mapped: one native pass (as renderFromFiles' decode)
  const direct = work.rows ? mapRegionNative(loaded.image.data, loaded.width, region!, work.rows, work.scratch) : null
  return finishing(work, () => finish(plan, g, direct ?? renderRgb(plan, g, img, work.linear), region ? lab : null, loaded.labels !== null, depth, out))
}

export interface PairHeaders {
  /** oriented image size */
  size: Size
  mask: MaskRoute | null
}

/**
 * Reads the headers of a pair (no pixels) and checks that image and mask sizes agree; from
 * `bytes` when the caller holds the files (no file or decoder call then, for JPEG and PNG).
 */
export async function readPairHeaders(paths: PairPaths, bytes?: PairBytes): Promise<PairHeaders> {
  const fromBytes = bytes ? headerSize(bytes.image) : null
  if (fromBytes && fromBytes.width * fromBytes.height > MAX_INPUT_PIXELS) throw decodeError(new Error('Input image exceeds pixel limit'), paths.image, 'image')
  const [size, route] = await Promise.all([
    fromBytes ?? imageSize(paths.image, bytes?.image),
    paths.mask ? maskInfo(paths.mask, bytes?.mask ?? undefined) : Promise.resolve(null),
  ])
  if (route && (route.width !== size.width || route.height !== size.height)) throw sizeMismatch(paths, size, route)
  return { size: { width: size.width, height: size.height }, mask: route }
}

export interface FileRenderOptions {
  /** from readPairHeaders, to save reading them again */
  headers?: PairHeaders
  /** the files' contents, when the caller already read them */
  bytes?: PairBytes
}

/** Renders a plan straight from files, decoding only the source region the output needs. */
export async function renderFromFiles(p: Plan, paths: PairPaths, out: RenderOptions = {}, from: FileRenderOptions = {}): Promise<RenderedPair> {
  const plan = checkPlan(p)
  const { bytes } = from
  const { size, mask: route } = from.headers ?? (await readPairHeaders(paths, bytes))
  checkSource(plan, size, paths)
  const maskBytes = bytes?.mask ?? undefined
  const g = fuseGeometry(plan)
  const region = sourceRegion(g, size)
  const wantMask = !!(paths.mask && route && (out.mask !== false || out.raw || out.labels))
  const work = imageWork(plan, g, size, region, out)
  let image: FileImage | null = null
  let rl: Labels | null = null
  if (region) {
    ;[image, rl] = await Promise.all([
      imageFromFile(paths, bytes, region, work, out),
      wantMask ? readLabelsRegion(paths.mask!, region, route!, maskBytes) : Promise.resolve(null),
    ])
  } else if (wantMask && route?.depth === null) {
    rl = await readLabels(paths.mask!, route, maskBytes) // the depth of a non-PNG mask needs a decode
  }
  const depth: 8 | 16 = rl?.depth ?? (route?.depth === 16 ? 16 : 8)
  checkIgnore(plan, route ? { depth } : null, paths)
  const view = region ? { left: region.left, top: region.top, width: region.width, height: region.height, sourceWidth: size.width, sourceHeight: size.height } : null
  const lab = view && rl ? { ...view, data: rl.data } : null
  let px: Uint8Array | { encoded: Buffer }
  if (image && 'output' in image) px = image.output
  else if (image && 'encoded' in image) px = image
  else {
    const ri = image?.region
    px = renderRgb(plan, g, view && ri ? { ...view, data: new Uint8Array(ri.data.buffer, ri.data.byteOffset, ri.data.byteLength) } : null, work.linear)
  }
  return finishing(work, () => finish(plan, g, px, lab, wantMask, depth, out))
}

/** The image side of renderFromFiles: the output's pixels, the output already encoded, or the region's pixels to render from. */
type FileImage = { output: Uint8Array } | { encoded: Buffer } | { region: RgbImage }

async function imageFromFile(paths: PairPaths, bytes: PairBytes | undefined, region: Rect, work: ImageWork, out: RenderOptions): Promise<FileImage> {
  if (work.rows) {
    // the output is the region itself, maybe mirrored: libjpeg-turbo can write it while decoding
    const direct = await decodeJpegRegion(bytes?.image, region, work.rows, work.scratch)
    if (direct) return { output: direct.data }
    // a JPEG the native decoder does not take, bound for JPEG/WebP only: one libvips pipeline
    const format = out.image?.format
    if (!out.raw && (format === 'jpeg' || format === 'webp') && bytes && jpegHeader(bytes.image)) {
      return { encoded: await encodeWindowFromFile(paths.image, bytes.image, region, !!work.rows.flop, work.linear ?? null, format, out.image!.quality) }
    }
  }
  return { region: await decodeImageRegion(paths.image, region, bytes?.image) }
}

/** Reproduces an output from its recorded plan (e.g. a manifest line) and the source files. */
export async function replay(plan: unknown, paths: PairPaths, out: RenderOptions = {}): Promise<RenderedPair> {
  return renderFromFiles(checkPlan(plan), paths, out)
}

/**
 * One sample straight from its files: headers once, plan, render (what an exporter does per
 * sample). Recipes with crop_non_empty_mask need the decoded mask to plan: use loadPair instead.
 */
export async function renderSample(recipe: Recipe, key: SampleKey, paths: PairPaths, out: RenderOptions = {}, bytes?: PairBytes): Promise<RenderedPair> {
  if (needsLabels(recipe)) {
    const loaded = await loadPair(paths, bytes)
    return renderLoaded(plan(recipe, loaded, key, loaded.labels ? { labels: loaded.labels } : {}), loaded, out)
  }
  const headers = await readPairHeaders(paths, bytes)
  return renderFromFiles(plan(recipe, headers.size, key), paths, out, { headers, bytes })
}
