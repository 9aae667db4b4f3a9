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
//
// This module is the engine's render API and the two paths' orchestration; the parts live in
// region.ts (what an output reads), warp.ts (geometry kernels), photometric.ts (pixel steps, the
// one linear), targets.ts (image and mask of an output), fast-path.ts (native direct writes) and
// output.ts (encodes and the result).
import { LockstepError } from '../../shared/errors'
import type { Recipe } from '../../shared/recipe'
import { decodeError, MAX_INPUT_PIXELS } from '../io/decode-errors'
import { headerSize, jpegHeader } from '../io/header'
import { decodeImage, decodeImageRegion, encodeWindowFromFile, imageSize, type ImageFormat, type Rect, type RgbImage } from '../io/image'
import { maskInfo, readLabels, readLabelsRegion, type Labels, type MaskRoute } from '../io/labels'
import { decodeJpegRegion, mapRegionNative } from '../io/native'
import { stageGeometry, type StageGeometry } from './chain'
import { finishing, imageWork, type ImageWork } from './fast-path'
import type { Size } from './ops/types'
import { finish } from './output'
import { checkPlan, needsLabels, plan, PLAN_SCHEMA_V1, type FusedGeometry, type Plan } from './plan'
import { sourceRegion } from './region'
import type { SampleKey } from './rng'
import { stagesOf, type Stage } from './stages'
import { giveCanvases, renderRgb, resample, runPixels, takeCanvas, takeRegionBuffer, warpLabels, wholeView, type Canvas, type LabelData } from './targets'
import type { SourceView } from './warp'
import { chainCoords, coordsRegion, giveCoords, takeCoords } from './warp-chain'

export { applyPixelSteps, linearLut } from './photometric'
export { sourceRegion, validRect } from './region'

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
  const [image, labels] = await Promise.all([
    decodeImage(paths.image, bytes?.image),
    paths.mask ? readLabels(paths.mask, undefined, bytes?.mask ?? undefined) : Promise.resolve(null),
  ])
  if (labels && (labels.width !== image.width || labels.height !== image.height)) throw sizeMismatch(paths, image, labels)
  return { paths, width: image.width, height: image.height, image, labels }
}

function checkSource(plan: Plan, size: Size, paths: PairPaths): void {
  if (plan.source.width !== size.width || plan.source.height !== size.height) {
    throw new LockstepError(
      'SIZE_MISMATCH',
      `Image ${paths.image} is ${size.width}x${size.height} but the plan was made for ${plan.source.width}x${plan.source.height}`,
      { image: paths.image },
    )
  }
}

function checkIgnore(plan: Plan, labels: { depth: 8 | 16 } | null, paths: PairPaths): void {
  if (labels && labels.depth === 8 && plan.ignoreIndex > 255) {
    throw new LockstepError('INVALID_RECIPE', `mask.ignoreIndex ${plan.ignoreIndex} does not fit the 8-bit mask ${paths.mask}; use a value <= 255`, {
      mask: paths.mask,
    })
  }
}

/**
 * A region of the source as the kernels read it, built as one object literal with wholeView's
 * fields in wholeView's order, so that every view shares one hidden class. An object spread
 * (`{ ...view, data }`) in optimised code gives each result a hidden class of its own (V8 11):
 * every kernel reading the view then met a new map each output (deoptimisations and generic
 * property loads in the JS path, and a new map in old space per output).
 */
function sourceView<T extends Uint8Array | Uint16Array>(data: T, r: Rect, size: Size): SourceView<T> {
  return { data, left: r.left, top: r.top, width: r.width, height: r.height, sourceWidth: size.width, sourceHeight: size.height }
}

/**
 * How a plan renders: one stage whose geometry is one affine with constant fills (every plan of
 * lockstep.plan/1, and most others: the crop-first fast paths), or stages (authored order, fill
 * modes, fields, mask-aware steps, prefilter). `first`: the first stage's geometry from the
 * source, with its points when it is a chain (they give the source region to decode).
 */
type Route = { kind: 'one'; g: FusedGeometry; stage: Stage } | { kind: 'stages'; stages: Stage[]; first: StageGeometry; coords?: Float64Array }

function routeOf(plan: Plan): Route {
  const stages = stagesOf(plan)
  const first = stageGeometry(stages[0].geometry, plan.source, plan.schema !== PLAN_SCHEMA_V1, plan.kernels ?? 1)
  if (stages.length === 1 && first.kind === 'affine') return { kind: 'one', g: first.fused, stage: stages[0] }
  if (first.kind !== 'chain') return { kind: 'stages', stages, first }
  return { kind: 'stages', stages, first, coords: chainCoords(first.chain, takeCoords) }
}

/** The source pixels the first stage reads (null: none, all fill). */
function firstRegion(route: Route, size: Size): Rect | null {
  if (route.kind === 'one') return sourceRegion(route.g, size)
  return route.first.kind === 'affine' ? sourceRegion(route.first.fused, size) : coordsRegion(route.first.chain, route.coords!)
}

/** Every stage of a staged plan, from the first stage's input views. */
async function renderStages(
  plan: Plan,
  route: Extract<Route, { kind: 'stages' }>,
  img: SourceView<Uint8Array> | null,
  lab: SourceView<LabelData> | null,
  depth: 8 | 16 | null,
): Promise<Canvas> {
  let canvas = resample(plan, route.first, img, lab, depth, route.coords)
  giveCoords(route.coords)
  await runPixels(plan, route.stages[0], canvas)
  for (const stage of route.stages.slice(1)) {
    const sg = stageGeometry(stage.geometry, canvas, true, plan.kernels ?? 1)
    const { width: w, height: h } = canvas
    canvas = resample(plan, sg, wholeView(canvas.rgb, w, h), canvas.labels ? wholeView(canvas.labels, w, h) : null, depth)
    await runPixels(plan, stage, canvas)
  }
  return canvas
}

/** Renders a plan on a pair decoded by loadPair (decode once, render many). */
export async function renderLoaded(p: Plan, loaded: LoadedPair, out: RenderOptions = {}): Promise<RenderedPair> {
  const plan = checkPlan(p)
  checkSource(plan, loaded, loaded.paths)
  checkIgnore(plan, loaded.labels, loaded.paths)
  const route = routeOf(plan)
  const depth = loaded.labels?.depth ?? 8
  const lab = loaded.labels ? wholeView(loaded.labels.data, loaded.width, loaded.height) : null
  const region = firstRegion(route, loaded)
  const img = region
    ? wholeView(new Uint8Array(loaded.image.data.buffer, loaded.image.data.byteOffset, loaded.image.data.byteLength), loaded.width, loaded.height)
    : null
  if (route.kind === 'stages') {
    const c = await renderStages(plan, route, img, region ? lab : null, loaded.labels ? depth : null)
    return finish(plan, c, c.rgb, c.labels, depth, out)
  }
  const g = route.g
  const work = imageWork(plan, g, loaded, region, out)
  // the output is the region itself, maybe mirrored and mapped: one native pass (as renderFromFiles' decode)
  const direct = work.rows ? mapRegionNative(loaded.image.data, loaded.width, region!, work.rows, work.scratch) : null
  return finishing(work, async () => {
    const c = canvasesFor(out)
    const labels = loaded.labels ? warpLabels(plan, g, region ? lab : null, depth, c.labels(g, depth)) : null
    const rgb =
      direct ?? (await renderRgb(plan, g, img, work.linear, route.stage.pixels, labels && { width: g.width, height: g.height, data: labels }, c.rgb(g)))
    return c.done(await finish(plan, g, rgb, labels, depth, out))
  })
}

/**
 * The reused output canvases (targets.ts takeCanvas) of one render through one affine: the image's
 * unless the caller asked for raw pixels, the labels' unless it asked for raw pixels or labels.
 * `done` gives them back once the encodes resolved; a render that fails keeps them (an encoder may
 * still be reading when Promise.all rejects), and the collector takes them.
 */
function canvasesFor(out: RenderOptions) {
  let rgb: Uint8Array | undefined, labels: LabelData | undefined
  return {
    rgb: (g: Size) => (out.raw ? undefined : (rgb = takeCanvas(g.width * g.height * 3, 8))),
    labels: (g: Size, depth: 8 | 16) => (out.raw || out.labels ? undefined : (labels = takeCanvas(g.width * g.height, depth))),
    done: (r: RenderedPair) => {
      giveCanvases(rgb, labels)
      return r
    },
  }
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
  const how = routeOf(plan)
  const region = firstRegion(how, size)
  const wantMask = !!(paths.mask && route && (out.mask !== false || out.raw || out.labels))
  const work: ImageWork = how.kind === 'one' ? imageWork(plan, how.g, size, region, out) : { linear: undefined, rows: null }
  let image: FileImage | null = null
  let rl: Labels | null = null
  // one affine: the mask region is read by warpLabels alone, then given back (below)
  const regionBuf = how.kind === 'one' && region && wantMask && route?.kind === 'png' ? takeRegionBuffer(region.width * region.height, route.depth) : undefined
  if (region) {
    ;[image, rl] = await Promise.all([
      imageFromFile(paths, bytes, region, work, out),
      wantMask ? readLabelsRegion(paths.mask!, region, route, maskBytes, regionBuf) : Promise.resolve(null),
    ])
  } else if (wantMask && route?.depth === null) {
    rl = await readLabels(paths.mask!, route, maskBytes) // the depth of a non-PNG mask needs a decode
  }
  const depth: 8 | 16 = rl?.depth ?? (route?.depth === 16 ? 16 : 8)
  checkIgnore(plan, route ? { depth } : null, paths)
  const lab = region && rl ? sourceView(rl.data, region, size) : null
  const ri = image && 'region' in image ? image.region : null
  const img = region && ri ? sourceView(new Uint8Array(ri.data.buffer, ri.data.byteOffset, ri.data.byteLength), region, size) : null
  if (how.kind === 'stages') {
    const c = await renderStages(plan, how, img, lab, wantMask ? depth : null)
    return finish(plan, c, c.rgb, c.labels, depth, out)
  }
  const g = how.g
  return finishing(work, async () => {
    const c = canvasesFor(out)
    const labels = wantMask ? warpLabels(plan, g, lab, depth, c.labels(g, depth)) : null
    giveCanvases(regionBuf) // nothing reads the mask region after warpLabels
    let px: Uint8Array | { encoded: Buffer }
    if (image && 'output' in image) px = image.output
    else if (image && 'encoded' in image) px = image
    else px = await renderRgb(plan, g, img, work.linear, how.stage.pixels, labels && { width: g.width, height: g.height, data: labels }, c.rgb(g))
    return c.done(await finish(plan, g, px, labels, depth, out))
  })
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
