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
// the output needs: libvips stops at its last row) share every step after decoding, so their
// bytes are identical for the same plan.
import { LockstepError } from '../../shared/errors'
import type { OpType } from '../../shared/recipe'
import sharp, { type Sharp } from 'sharp'
import { decodeError } from '../io/decode-errors'
import { decodeImage, decodeImageRegion, encodeRgb, imagePipeline, imageSize, type ImageFormat, type Rect, type RgbImage } from '../io/image'
import { encodeLabelsPng, MASK_PNG_COMPRESSION, maskInfo, readLabels, readLabelsRegion, type Labels, type MaskRoute } from '../io/labels'
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

export interface LoadedPair {
  paths: PairPaths
  width: number
  height: number
  /** EXIF-oriented 8-bit RGB, HxWx3 */
  image: RgbImage
  labels: Labels | null
  /** how the mask file decodes (from its header) */
  maskRoute: MaskRoute | null
}

export interface RenderOptions {
  /** encoded image (and, unless mask is false, the mask PNG); png compression 0-9 (default 3) */
  image?: { format: ImageFormat; quality?: number; compression?: number }
  /** encode the mask PNG alongside the image (default true) */
  mask?: boolean
  /** raw RGB + labels */
  raw?: boolean
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
}

function sizeMismatch(paths: PairPaths, img: Size, mask: Size): LockstepError {
  return new LockstepError(
    'SIZE_MISMATCH',
    `Image ${paths.image} is ${img.width}x${img.height} but mask ${paths.mask} is ${mask.width}x${mask.height} (after EXIF orientation)`,
    { image: paths.image, mask: paths.mask },
  )
}

/** Decodes a pair once (oriented RGB image + class indices) and checks that the sizes agree. */
export async function loadPair(paths: PairPaths): Promise<LoadedPair> {
  const route = paths.mask ? await maskInfo(paths.mask) : null
  const [image, labels] = await Promise.all([decodeImage(paths.image), paths.mask ? readLabels(paths.mask, route!) : Promise.resolve(null)])
  if (labels && (labels.width !== image.width || labels.height !== image.height)) throw sizeMismatch(paths, image, labels)
  return { paths, width: image.width, height: image.height, image, labels, maskRoute: route }
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
  if (fill !== 0) out.fill(fill)
  if (!src) return out
  const { left, top, width: rw } = src
  const { x0, x1, y0, y1 } = valid
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
function mirror8(src: Uint8Array, s: number, out: Uint8Array, o: number, n: number): void {
  for (let i = 0; i < n; i++) out[o + i] = src[s - i]!
}
function mirror16(src: Uint16Array, s: number, out: Uint16Array, o: number, n: number): void {
  for (let i = 0; i < n; i++) out[o + i] = src[s - i]!
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

function applyLut(d: Uint8Array, l: Uint8Array): void {
  const n = d.length
  for (let i = 0; i < n; i++) d[i] = l[d[i]!]!
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

async function finish(plan: Plan, g: FusedGeometry, img: SourceView<Uint8Array> | null, lab: SourceView<Uint8Array | Uint16Array> | null, hasMask: boolean, depth: 8 | 16, out: RenderOptions): Promise<RenderedPair> {
  const { width: W, height: H, toSource } = g
  const exact = isExact(toSource)
  const valid = exact ? validRect(g) : null
  const fb = flatBounds(g)
  let rgb: Uint8Array = new Uint8Array(W * H * 3)
  rgb = valid ? warpExact(img, 3, toSource, W, valid, 0, rgb) : warpBilinearRgb(img, toSource, fb, W, H, rgb)
  let labels: Uint8Array | Uint16Array | null = null
  if (hasMask) {
    const buf = depth === 16 ? new Uint16Array(W * H) : new Uint8Array(W * H)
    labels = valid ? warpExact(lab, 1, toSource, W, valid, plan.ignoreIndex, buf) : warpNearest(lab, toSource, fb, W, H, plan.ignoreIndex, buf)
  }
  applyPixelSteps(plan, { width: W, height: H, data: rgb })
  const result: RenderedPair = { plan }
  const wantEncoded = out.image !== undefined || !out.raw
  if (wantEncoded) {
    const fmt = out.image ?? { format: 'png' as const }
    const [image, mask] = await Promise.all([
      encodeRgb(rgb, W, H, fmt.format, fmt.quality, (fmt as { compression?: number }).compression),
      labels && out.mask !== false ? encodeLabelsPng({ width: W, height: H, depth, data: labels }) : Promise.resolve(undefined),
    ])
    result.image = image
    if (mask) result.mask = mask
  }
  if (out.raw) result.raw = { image: rgb, labels, width: W, height: H, depth }
  return result
}

// ---- native path -----------------------------------------------------------------------------
// The common export shape (an exact window, flips/quarter turns, no padding, brightness/contrast
// only, encoded output) runs as one libvips pipeline per target: extract -> flop -> rotate ->
// linear -> encode, so no pixels cross into JS. Both render paths build the same pipeline (from
// the decoded raw pixels of the whole source, or of just the region), so their bytes are identical
// and no input metadata (density, EXIF) can leak into them. Brightness/contrast here are
// one libvips linear (a single rounding) rather than the JS path's per-op LUTs: at most one level
// apart, and a given plan always takes the same path.

const NATIVE_PIXEL_OPS = new Set<OpType>(['brightness', 'contrast'])

interface NativeOps {
  region: Rect
  flop: boolean
  rotate: 0 | 90 | 180 | 270
  linear: [number, number] | null
}

/** The sharp operations for a plan, or null when it needs the general path. */
function nativeOps(plan: Plan, g: FusedGeometry, source: Size): NativeOps | null {
  if (!isExact(g.toSource)) return null
  if (plan.steps.some((s) => OPS[s.type as OpType].kind === 'pixel' && !NATIVE_PIXEL_OPS.has(s.type as OpType))) return null
  const v = validRect(g)
  if (v.x0 !== 0 || v.y0 !== 0 || v.x1 !== g.width || v.y1 !== g.height) return null // padding: general path
  const region = sourceRegion(g, source)
  if (!region) return null
  const [a, b, , d, e] = g.toSource
  // output -> source linear part of "flop, then rotate clockwise by r"
  for (const flop of [false, true]) {
    for (const r of [0, 90, 180, 270] as const) {
      const f = flop ? -1 : 1
      // forward (source -> output) of rotate-after-flop; its inverse's linear part must equal A's
      const rot: Record<number, [number, number, number, number]> = { 0: [1, 0, 0, 1], 90: [0, -1, 1, 0], 180: [-1, 0, 0, -1], 270: [0, 1, -1, 0] }
      const [r0, r1, r2, r3] = rot[r]!
      const fw: [number, number, number, number] = [r0 * f, r1, r2 * f, r3] // R * diag(f, 1)
      const det = fw[0] * fw[3] - fw[1] * fw[2]
      const inv = [fw[3] / det, -fw[1] / det, -fw[2] / det, fw[0] / det]
      if (inv[0] === a && inv[1] === b && inv[2] === d && inv[3] === e) {
        let la = 1, lb = 0
        for (const s of plan.steps) {
          if (s.type === 'brightness') lb += (s.params.beta as number) * 255
          else if (s.type === 'contrast') {
            la *= s.params.alpha as number
            lb *= s.params.alpha as number
          }
        }
        return { region, flop, rotate: r, linear: la === 1 && lb === 0 ? null : [la, lb] }
      }
    }
  }
  return null
}

/** `s` is the whole source (extract the region first) or the region already (`extracted`). */
function nativeTail(s: Sharp, ops: NativeOps, linear: boolean, extracted = false): Sharp {
  if (!extracted) s = s.extract(ops.region)
  if (ops.flop) s = s.flop()
  if (ops.rotate) s = s.rotate(ops.rotate)
  if (linear && ops.linear) s = s.linear(ops.linear[0], ops.linear[1])
  return s
}

function encodeNative(s: Sharp, fmt: NonNullable<RenderOptions['image']>): Promise<Buffer> {
  if (fmt.format === 'jpeg') return s.jpeg({ quality: fmt.quality ?? 90 }).toBuffer()
  if (fmt.format === 'webp') return s.webp({ quality: fmt.quality ?? 90 }).toBuffer()
  const c = fmt.compression ?? 3
  return s.png({ compressionLevel: c, adaptiveFiltering: c > 3 }).toBuffer()
}

function encodeMaskNative(s: Sharp): Promise<Buffer> {
  return s.toColourspace('b-w').png({ compressionLevel: MASK_PNG_COMPRESSION, adaptiveFiltering: false }).toBuffer()
}

function rawSharp(data: Uint8Array, width: number, height: number, channels: 1 | 3): Sharp {
  return sharp(data, { raw: { width, height, channels } })
}

/** Decided from the mask's header only, so both render paths decide alike. */
const nativeEligible = (route: MaskRoute | null) => route === null || route.kind === 'sharp8' || route.depth === 8

/** Encodes and/or returns raw pixels from the two native tails (the path never depends on `out`). */
async function finishNative(plan: Plan, img: Sharp, mask: Sharp | null, width: number, height: number, out: RenderOptions): Promise<RenderedPair> {
  const wantEncoded = out.image !== undefined || !out.raw
  const fmt = out.image ?? { format: 'png' as const }
  const [image, maskPng, rawImg, rawMask] = await Promise.all([
    wantEncoded ? encodeNative(out.raw ? img.clone() : img, fmt) : undefined,
    wantEncoded && mask && out.mask !== false ? encodeMaskNative(out.raw ? mask.clone() : mask) : undefined,
    out.raw ? img.clone().raw().toBuffer() : undefined,
    out.raw && mask ? mask.clone().extractChannel(0).raw().toBuffer() : undefined,
  ])
  const r: RenderedPair = { plan }
  if (image) r.image = image
  if (maskPng) r.mask = maskPng
  if (rawImg) r.raw = { image: new Uint8Array(rawImg.buffer, rawImg.byteOffset, rawImg.byteLength), labels: rawMask ? new Uint8Array(rawMask.buffer, rawMask.byteOffset, rawMask.byteLength) : null, width, height, depth: 8 }
  return r
}

/** Renders a plan on a pair decoded by loadPair (decode once, render many). */
export async function renderLoaded(p: Plan, loaded: LoadedPair, out: RenderOptions = {}): Promise<RenderedPair> {
  const plan = checkPlan(p)
  checkSource(plan, loaded, loaded.paths)
  checkIgnore(plan, loaded.labels, loaded.paths)
  const g = fuseGeometry(plan)
  const nat = nativeEligible(loaded.maskRoute) ? nativeOps(plan, g, loaded) : null
  if (nat) {
    const img = nativeTail(rawSharp(loaded.image.data, loaded.width, loaded.height, 3), nat, true)
    const mask = loaded.labels ? nativeTail(rawSharp(loaded.labels.data as Uint8Array, loaded.width, loaded.height, 1), nat, false) : null
    return finishNative(plan, img, mask, g.width, g.height, out)
  }
  const region = sourceRegion(g, loaded)
  const whole = { left: 0, top: 0, width: loaded.width, height: loaded.height, sourceWidth: loaded.width, sourceHeight: loaded.height }
  const img = region ? { ...whole, data: new Uint8Array(loaded.image.data.buffer, loaded.image.data.byteOffset, loaded.image.data.byteLength) } : null
  const lab = region && loaded.labels ? { ...whole, data: loaded.labels.data } : null
  return finish(plan, g, img, lab, loaded.labels !== null, loaded.labels?.depth ?? 8, out)
}

export interface PairHeaders {
  /** oriented image size */
  size: Size
  mask: MaskRoute | null
  /**
   * The file's own metadata would not reach the encoder (72 dpi, no ICC profile): a pipeline
   * straight from the file then writes the same bytes as one from decoded pixels.
   */
  plainMetadata: boolean
}

/** Reads the headers of a pair (no pixels) and checks that image and mask sizes agree. */
export async function readPairHeaders(paths: PairPaths): Promise<PairHeaders> {
  const [size, route] = await Promise.all([imageSize(paths.image), paths.mask ? maskInfo(paths.mask) : Promise.resolve(null)])
  if (route && (route.width !== size.width || route.height !== size.height)) throw sizeMismatch(paths, size, route)
  return { size: { width: size.width, height: size.height }, mask: route, plainMetadata: size.density === 72 && !size.hasProfile }
}

/**
 * Renders a plan straight from files, decoding only the source region the output needs.
 * `headers` (from readPairHeaders) saves reading them again.
 */
export async function renderFromFiles(p: Plan, paths: PairPaths, out: RenderOptions = {}, headers?: PairHeaders): Promise<RenderedPair> {
  const plan = checkPlan(p)
  const { size, mask: route, plainMetadata } = headers ?? (await readPairHeaders(paths))
  checkSource(plan, size, paths)
  const depth: 8 | 16 = route?.kind === 'full' && route.depth === 16 ? 16 : 8
  const g = fuseGeometry(plan)
  const nat = nativeEligible(route) ? nativeOps(plan, g, size) : null
  if (nat) {
    // decode just the region (libvips stops at its last row), then the same tail as renderLoaded
    const { width: rw, height: rh } = nat.region
    const wantMask = !!(paths.mask && route && (out.mask !== false || out.raw))
    // (PNG output from a file pipeline carries file chunks: only JPEG/WebP qualify; tests pin this)
    const fromFile = plainMetadata && (out.image?.format === 'jpeg' || out.image?.format === 'webp')
    const [ri, rl] = await Promise.all([
      fromFile ? null : decodeImageRegion(paths.image, nat.region),
      wantMask ? readLabelsRegion(paths.mask!, nat.region, route!) : Promise.resolve(null),
    ])
    // one pipeline from the file when its metadata cannot reach the bytes, else from the region's pixels
    const img = ri ? nativeTail(rawSharp(ri.data, rw, rh, 3), nat, true, true) : nativeTail(imagePipeline(paths.image), nat, true)
    const mask = rl ? nativeTail(rawSharp(rl.data as Uint8Array, rw, rh, 1), nat, false, true) : null
    try {
      return await finishNative(plan, img, mask, g.width, g.height, out)
    } catch (err) {
      throw decodeError(err, paths.image, 'image') // the image is the only file still being read here
    }
  }
  const region = sourceRegion(g, size)
  let img: SourceView<Uint8Array> | null = null
  let lab: SourceView<Uint8Array | Uint16Array> | null = null
  let labelDepth = depth
  if (region) {
    const [ri, rl] = await Promise.all([decodeImageRegion(paths.image, region), paths.mask && route ? readLabelsRegion(paths.mask, region, route) : Promise.resolve(null)])
    const view = { left: region.left, top: region.top, width: region.width, height: region.height, sourceWidth: size.width, sourceHeight: size.height }
    img = { ...view, data: new Uint8Array(ri.data.buffer, ri.data.byteOffset, ri.data.byteLength) }
    if (rl) {
      lab = { ...view, data: rl.data }
      labelDepth = rl.depth
    }
  } else if (paths.mask && route?.kind === 'full' && route.depth === null) {
    labelDepth = (await readLabels(paths.mask, route)).depth // depth of a non-PNG mask needs a decode
  }
  checkIgnore(plan, route ? { depth: labelDepth } : null, paths)
  return finish(plan, g, img, lab, route !== null, labelDepth, out)
}

/** Reproduces an output from its recorded plan (e.g. a manifest line) and the source files. */
export async function replay(plan: unknown, paths: PairPaths, out: RenderOptions = {}): Promise<RenderedPair> {
  return renderFromFiles(checkPlan(plan), paths, out)
}

/**
 * One sample straight from its files: headers once, plan, render (what an exporter does per
 * sample). Recipes with crop_non_empty_mask need the decoded mask to plan: use loadPair instead.
 */
export async function renderSample(recipe: Recipe, key: SampleKey, paths: PairPaths, out: RenderOptions = {}): Promise<RenderedPair> {
  const headers = await readPairHeaders(paths)
  if (needsLabels(recipe)) {
    const loaded = await loadPair(paths)
    return renderLoaded(plan(recipe, loaded, key, loaded.labels ? { labels: loaded.labels } : {}), loaded, out)
  }
  return renderFromFiles(plan(recipe, headers.size, key), paths, out, headers)
}
