// Lockstep's native decoders, JPEG encoder and file writer (native/decoders, a Node-API addon),
// on the libuv thread pool:
// - jpegRegion: libjpeg-turbo decodes only the iMCU rows and columns a crop needs, where libvips
//   decodes full-width rows from the top down to the crop's last row (measured: 3.2 vs 7.8 ms per
//   512x512 crop of a 1024x768 JPEG, 21 vs 44 ms of a 4000x3000 one), and can mirror the rows and
//   map the values (crop + hflip + brightness/contrast) in the same loop;
// - pngLabels: an 8-bit grey or palette mask region (inflate to the region's last row, unfilter
//   only what it reads), the same steps as io/png.ts's decodeLabelRegion, off the main thread;
// - jpegEncode: sharp's jpeg({ quality, optimiseCoding: false }) bytes written by libjpeg itself
//   (1.4 vs 3.5 ms of CPU per 512x512 output, without a libvips pipeline's thread hand-offs);
// - mapRegion (synchronous): what jpegRegion's loop does, over pixels already decoded (several
//   outputs of one source);
// - writeFiles: a group of whole files written, fsync'd and renamed in one job (export/files.ts);
// - op kernels (ops.c, OpKernels below): the augmentation ops' fast twins.
//
// They are an optional speed-up, never a second source of truth:
// - built at install time where a C compiler and libjpeg-turbo's and zlib's headers exist
//   (scripts/build-native.mjs); elsewhere, or with LOCKSTEP_NATIVE=0, sharp and io/png.ts decode
//   as before, to the same bytes;
// - before its first use in a process jpegEncode must write exactly sharp's bytes for a generated
//   image at several qualities and as 4:2:0, 4:4:4 and progressive files, and jpegRegion must
//   decode those files (regions at and off iMCU boundaries, mirrored, mapped) to exactly sharp's
//   pixels: digests of sharp's results are pinned in SHARP_DIGESTS, which a test recomputes with
//   sharp. A libjpeg that disagrees is not used for that (decode or encode), and says so once on
//   stderr;
// - jpegRegion takes only plain JPEGs (isPlainJpeg: no EXIF turn, no ICC profile, 8-bit YCbCr),
//   whose pixels sharp's pipeline passes through untouched;
// - on any error (or libjpeg warning) they give up and the JS-side decoder reads the file; what is
//   wrong with a corrupt file is said by the whole-file checks (io/verify), which run natively
//   (checkJpeg, checkPng, pngLabelsChecked: the same verdicts, in the same words, as the JS
//   references check-jpeg.ts and check-png.ts) or in JS, so a file is reported alike either way.
// - the region decoders read only a crop's window: they are used on files the checks found sound,
//   or beside a check that must pass before the output is kept (export/render.ts).
import { createRequire } from 'node:module'
import { existsSync } from 'node:fs'
import { dirname, join, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createHash } from 'node:crypto'
import { MAX_INPUT_PIXELS } from './decode-errors'
import { isPlainJpeg, jpegHeader } from './header'
import type { PngDataResult } from './check-png'

export interface NativeDecoders {
  jpegRegion(
    src: Uint8Array,
    left: number,
    top: number,
    width: number,
    height: number,
    out: Uint8Array,
    flop: boolean,
    lut: Uint8Array | null,
  ): Promise<boolean>
  pngLabels(
    zlib: Uint8Array,
    imageWidth: number,
    imageHeight: number,
    left: number,
    top: number,
    width: number,
    height: number,
    out: Uint8Array,
  ): Promise<boolean>
  /** pngLabels after the whole stream passed check_png_data (kind 0: `out` holds the region) */
  pngLabelsChecked(
    zlib: Uint8Array,
    imageWidth: number,
    imageHeight: number,
    left: number,
    top: number,
    width: number,
    height: number,
    out: Uint8Array,
  ): Promise<PngDataResult>
  /** check_png_data: io/check-png.ts checkPngData's verdict, natively */
  checkPng(zlib: Uint8Array, rows: number[], strides: number[]): Promise<PngDataResult>
  /** check_jpeg: io/check-jpeg.ts checkJpeg's verdict (decoders.h CHECK_*) and words, natively */
  checkJpeg(src: Uint8Array, maxPixels: number): Promise<{ verdict: number; message: string }>
  /** writes each file durably (files.c): null, or which file, which step and the errno failed */
  writeFiles(tmpPaths: string[], finalPaths: string[], datas: Uint8Array[]): Promise<{ index: number; step: string; errno: number } | null>
  /** a region of decoded RGB pixels copied, mirrored and/or mapped into out (synchronous) */
  mapRegion(
    src: Uint8Array,
    srcWidth: number,
    left: number,
    top: number,
    width: number,
    height: number,
    out: Uint8Array,
    flop: boolean,
    lut: Uint8Array | null,
  ): void
  /** the file's length in `out`, or -1 when it did not fit */
  jpegEncode(rgb: Uint8Array, width: number, height: number, quality: number, out: Uint8Array, flags?: number): Promise<number>
  libjpegTurbo: string
  /** the pixel limit the kernels hold to (MAX_INPUT_PIXELS) */
  maxPixels: number
  /** check_png_data's output bytes per inflate call (PNG_CHUNK) */
  pngChunk: number
}

/**
 * The op kernels (native/decoders/ops.c): the fast twins of the engine's JS references, equal to
 * them byte for byte (src/main/augment/fast.ts checks each once per process before using it).
 * Synchronous; every argument is validated by the addon.
 */
export interface OpKernels {
  opWarpBilinearRgb(src: Uint8Array, view: Int32Array, A: Float64Array, bounds: Float64Array, W: number, H: number, out: Uint8Array): void
  opWarpNearest(
    src: Uint8Array | Uint16Array,
    view: Int32Array,
    A: Float64Array,
    bounds: Float64Array,
    W: number,
    H: number,
    fill: number,
    out: Uint8Array | Uint16Array,
  ): void
  opChainCoords(links: Float64Array, maps: Float64Array[], W: number, H: number, out: Float64Array): void
  opSampleRgb(coords: Float64Array, src: Uint8Array, view: Int32Array, mode: number, pfx: number, pfy: number, out: Uint8Array): void
  opSampleLabels(coords: Float64Array, src: Uint8Array | Uint16Array, view: Int32Array, mode: number, fill: number, out: Uint8Array | Uint16Array): void
  opAreaReduce(src: Uint8Array, w: number, h: number, fx: number, fy: number, out: Uint8Array): void
  opHue(rgb: Uint8Array, shift: number): void
  opHsvPower(rgb: Uint8Array, vlut: Float64Array, spow: Float64Array): void
  /** pre: a per-value table applied first (hsv.ts colorJitter's pending tables) */
  opHsvMap(rgb: Uint8Array, lh: Uint8Array | null, ls: Uint8Array | null, lv: Uint8Array | null, pre?: Uint8Array | null): void
  opGaussianNoise(rgb: Uint8Array, state: Uint32Array, std: number, perChannel: boolean, table: Float64Array): void
  opSaltPepper(rgb: Uint8Array, state: Uint32Array, amount: number, salt: number): void
  opMultiplicative(rgb: Uint8Array, state: Uint32Array, lo: number, hi: number, perChannel: boolean): void
  opBlur(rgb: Uint8Array, w: number, h: number, kernel: Float64Array): void
  opConvolve(rgb: Uint8Array, w: number, h: number, taps: Float64Array): void
  opMedian(rgb: Uint8Array, w: number, h: number, k: number): void
  // kernels 2 (ops_q.c): integer algorithms of plans recorded with `kernels: 2`
  opWarpBilinearQ(src: Uint8Array, view: Int32Array, A: Float64Array, bounds: Float64Array, W: number, H: number, out: Uint8Array): void
  opLut(bytes: Uint8Array, lut: Uint8Array): void
  opGaussianNoiseQ(rgb: Uint8Array, key: number, perChannel: boolean, table: Int32Array): void
  opSaltPepperQ(rgb: Uint8Array, key: number, key2: number, amount: number, salt: number): void
  // geometry (ops_geom.c): warp.ts warpExact's copies, in `valid` ([x0, y0, x1, y1]) only
  opWarpExact<T extends Uint8Array | Uint16Array>(src: T, view: Int32Array, ch: 1 | 3, A: Float64Array, W: number, valid: Int32Array, out: T): void
  // fields (ops_field.c): the displacement/chain path
  /** coordsRegion's rect (left, top, width, height) into `rect`: 1, or 0 (all fill), or -1 (the JS reference must decide) */
  opCoordsRegion(coords: Float64Array, sw: number, sh: number, mode: number, pfx: number, pfy: number, rect: Int32Array): number
  /** the fw x fh map pixels a field link reads for these points (left, top, width, height) */
  opPointsBox(points: Float64Array, fw: number, fh: number, rect: Int32Array): void
  /** elasticMap's values in the window [x0, y0, x1, y1) (noise from state, blurred by kernel, times alpha, through a..f) */
  opElasticWindow(state: Uint32Array, kernel: Float64Array, affine: Float64Array, w: number, h: number, window: Int32Array, map: Float64Array): void
  // chain, kernels 3 (ops_field.c): warp-chain.ts sampleRgbQJs, distortion.ts elasticMapQJs in a window
  opSampleRgbQ(coords: Float64Array, src: Uint8Array, view: Int32Array, mode: number, pfx: number, pfy: number, out: Uint8Array): void
  opElasticWindowQ(kx: number, ky: number, kernel: Float64Array, affine: Float64Array, w: number, h: number, window: Int32Array, map: Float64Array): void
  /** distortion.ts's grid (kind 0, params xx then yy), optical (1: k, cx, cy, ncx, ncy) and perspective (2: homography) maps in the window */
  /** sampleRgbQJs / sampleLabelsJs of an axis-aligned chain from tables ([x0, x1, ax] per column, [y0, y1, ay] per row; mx, my; -1: fill) */
  opSampleAxesQ(src: Uint8Array, view: Int32Array, cols: Int32Array, rows: Int32Array, out: Uint8Array): void
  opLabelsAxes(src: Uint8Array | Uint16Array, view: Int32Array, mx: Int32Array, my: Int32Array, fill: number, out: Uint8Array | Uint16Array): void
  opFieldWindow(kind: 0 | 1 | 2, params: Float64Array, w: number, h: number, window: Int32Array, map: Float64Array): void
  // filters (ops_filter.c): opMedian, opBlur and opConvolve run its SIMD kernels; filterSimd (not a
  // kernel, so no start-up check) names the variant they use now (LOCKSTEP_AVX2=0 picks the
  // x86-64 baseline; tests run both)
  filterSimd?(): 'avx2' | 'sse2' | 'c'
  // colour (ops_colour.c): tables, histograms, grey and CLAHE
  opLut3(rgb: Uint8Array, l0: Uint8Array, l1: Uint8Array, l2: Uint8Array): void
  opMinMax(bytes: Uint8Array): [number, number]
  opHist3(rgb: Uint8Array, hist: Uint32Array): void
  opGrey(rgb: Uint8Array): void
  opGreySum(rgb: Uint8Array, pre?: Uint8Array | null): number
  opSaturation(rgb: Uint8Array, factor: number, pre?: Uint8Array | null): void
  /** false: a plane smaller than its tile grid's reflection reaches (the JS reference's case; rgb untouched) */
  opClahe(rgb: Uint8Array, w: number, h: number, clip: number, tiles: number): boolean
  /** the indices max * 256 + min (max > 0) the image has, increasing, into list; their count */
  opHsvPairs(rgb: Uint8Array, list: Uint16Array): number
  /** colour.ts hsvPowerQ (kernels 3): 16-bit fixed point from the JS side's tables (256 entries each) */
  opHsvPowerQ(rgb: Uint8Array, a: Int32Array, u: Float64Array, w: Float64Array): void
  /** colour.ts hueQ (kernels 3): the hue turned by sq / 2^20 sectors (0 <= sq < 6 * 2^20), in integers, of the values through pre when given */
  opHueQ(rgb: Uint8Array, sq: number, pre?: Uint8Array | null): void
  // filters, kernels 3 (ops_filter.c; ops/filter-q.ts): integer Gaussian blur (Q14 taps: odd,
  // symmetric, >= 0, sum 2^14), sharpen (centre C, alpha A in Q14), the mean of a line's samples
  opBlurQ(rgb: Uint8Array, w: number, h: number, taps: Int32Array): void
  opSharpenQ(rgb: Uint8Array, w: number, h: number, c: number, a: number): void
  opLineMeanQ(rgb: Uint8Array, w: number, h: number, offsets: Int32Array, q: number, shift: number): void
  // noise, kernels 3 (ops_q.c; ops/noise.ts hashedNormal3Js): two values per hash, a 65536-entry
  // table of round(std * z) within +-256
  opGaussianNoiseQ3(rgb: Uint8Array, key: number, perChannel: boolean, table: Int16Array): void
  // chain, kernels 3 (ops_field.c): warp-chain.ts sampleAreaAxesJs, a prefiltered axis-aligned chain from
  // kx taps per column (xi region columns, xw weights) and ky per row, sum / 2^shift rounded to nearest,
  // ties to even (even) or up (opSampleAxesQ's tables go through it too)
  opSampleAreaAxes(
    src: Uint8Array,
    view: Int32Array,
    xi: Int32Array,
    xw: Int32Array,
    kx: number,
    yi: Int32Array,
    yw: Int32Array,
    ky: number,
    shift: number,
    even: boolean,
    out: Uint8Array,
  ): void
  // fields, kernels 3 (ops_field.c; fields4): warp-chain.ts chainCoordsJs of a kernels-3 chain, links
  // as opChainCoords's with a formula kind after mapH (-1 a map; 0 grid, 1 optical, 2 perspective: their parameters)
  opChainCoordsQ(links: Float64Array, maps: Float64Array[], W: number, H: number, out: Float64Array): void
}

/** The addon's op kernels, or null (not built, built before they existed, or LOCKSTEP_NATIVE=0). */
export function nativeOpKernels(): OpKernels | null {
  const a = nativeAddon()
  return a && typeof (a as Partial<OpKernels>).opWarpBilinearRgb === 'function' ? (a as unknown as OpKernels) : null
}

export interface Region {
  left: number
  top: number
  width: number
  height: number
}

/** Done in the decode loop: each row mirrored (flop), each value mapped through a 256-entry table. */
export interface RowOps {
  flop?: boolean
  lut?: Uint8Array | null
}

const ADDON = join('native', 'decoders', 'build', 'Release', 'decoders.node')

/** Where the built addon is: up from this module (src/main/io in tests, out/main when built; app.asar.unpacked when packaged). */
export function addonPath(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 6; i++) {
    const p = join(dir, ADDON).replace(`app.asar${sep}`, `app.asar.unpacked${sep}`)
    if (existsSync(p)) return p
    const up = dirname(dir)
    if (up === dir) break
    dir = up
  }
  return null
}

/** Loads the addon, or says why not (not built here, switched off, failed to load). */
export function loadAddon(): { addon: NativeDecoders | null; why: string } {
  if (process.env.LOCKSTEP_NATIVE === '0') return { addon: null, why: 'switched off (LOCKSTEP_NATIVE=0)' }
  const p = addonPath()
  if (!p) return { addon: null, why: 'not built (needs libjpeg-turbo headers at install: npm run build:native)' }
  try {
    const addon = createRequire(import.meta.url)(p) as NativeDecoders
    return { addon, why: `libjpeg-turbo ${addon.libjpegTurbo}` }
  } catch (err) {
    return { addon: null, why: `failed to load ${p}: ${(err as Error).message}` }
  }
}

let loaded: NativeDecoders | null | undefined

/**
 * The addon for work that is not checked against sharp (durable file writes, file checks: those
 * are tested against the JS reference instead); null when absent, or when it is an older build
 * without the whole-file checks (`npm run build:native` rebuilds it).
 */
export function nativeAddon(): NativeDecoders | null {
  if (loaded === undefined) {
    loaded = loadAddon().addon
    if (loaded && (typeof loaded.checkJpeg !== 'function' || loaded.maxPixels !== MAX_INPUT_PIXELS)) {
      process.stderr.write('lockstep: not using the native decoders: the build is out of date (npm run build:native)\n')
      loaded = null
    }
  }
  return loaded
}

/** Deterministic noise with smooth parts, so every IDCT coefficient and the chroma upsampling matter. */
function testPixels(w: number, h: number): Buffer {
  const px = Buffer.alloc(w * h * 3)
  let s = 0x9e3779b9
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++) {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0
        px[(y * w + x) * 3 + c] = ((x * (c + 1) * 3 + y * (3 - c) * 2) & 255) ^ (s >>> 27)
      }
  return px
}

/** The start-up check's test image size (odd, so edge iMCUs are partial). */
export const CHECK_W = 83
export const CHECK_H = 61
const CHECK_REGIONS: Region[] = [
  { left: 0, top: 0, width: CHECK_W, height: CHECK_H },
  { left: 0, top: 0, width: 16, height: 16 },
  { left: 17, top: 23, width: 41, height: 29 },
  { left: 33, top: 16, width: 50, height: 45 },
  { left: 5, top: 40, width: 1, height: 1 },
]

/** Encodes with: quality, flags (JPEG_444, JPEG_PROGRESSIVE). */
type Encoder = (px: Buffer, quality: number, flags: number) => Promise<Buffer | null>
/** Decodes a region of a file, mirrored and/or mapped. */
type RegionDecode = (file: Buffer, r: Region, flop: boolean, lut: Uint8Array | null) => Promise<Buffer | null>

export const JPEG_444 = 1
export const JPEG_PROGRESSIVE = 2
export const JPEG_RESTARTS = 4
const CHECK_QUALITIES = [30, 75, 90, 100]
const CHECK_FILES: Array<[quality: number, flags: number]> = [
  [85, 0],
  [92, JPEG_444],
  [75, JPEG_PROGRESSIVE],
]

/**
 * The start-up check's digests (sha256, hex): `encode` over testPixels encoded at CHECK_QUALITIES
 * and as the CHECK_FILES, `decode` over every CHECK_REGION of those files, decoded, mirrored on
 * odd regions and mapped through an inverting table on every third.
 */
export async function checkDigests(encode: Encoder, decode: RegionDecode): Promise<{ encode: string; decode: string }> {
  const px = testPixels(CHECK_W, CHECK_H)
  const enc = createHash('sha256')
  const dec = createHash('sha256')
  const missing = Buffer.from('-')
  for (const q of CHECK_QUALITIES) enc.update((await encode(px, q, 0)) ?? missing)
  const invert = Uint8Array.from({ length: 256 }, (_, v) => 255 - v)
  for (const [q, flags] of CHECK_FILES) {
    const file = await encode(px, q, flags)
    enc.update(file ?? missing)
    for (const [i, r] of CHECK_REGIONS.entries()) dec.update((file && (await decode(file, r, i % 2 === 1, i % 3 === 2 ? invert : null))) ?? missing)
  }
  return { encode: enc.digest('hex'), decode: dec.digest('hex') }
}

/**
 * What sharp 0.35.5 (libvips 8.18.7) writes and decodes for the check's inputs: test/io/native.test.ts
 * recomputes these with sharp (checkDigests over sharp's encoder and decoder) and fails, printing
 * the new values, when a sharp upgrade changes them. Comparing with constants, not with sharp in
 * the process, keeps sharp (60 ms to load) out of exports that never need it.
 */
export const SHARP_DIGESTS = {
  encode: 'd7895d66faac6cc1d0297d63ef39a5e6d1ed18fea178e3716e4c6110b9346988',
  decode: '734800622cc4f8f5938c551a2b1d779616ac01129e3c4f9be505ec56a1ad0b07',
}

export interface SelfCheck {
  /** null: the region decoder agrees with sharp; else what differs */
  decode: string | null
  /** null: the encoder writes sharp's bytes; else what differs */
  encode: string | null
}

/** The addon's encodes and decodes of the check's inputs against sharp's (SHARP_DIGESTS). */
export async function selfCheck(addon: NativeDecoders): Promise<SelfCheck> {
  const d = await checkDigests(
    async (px, quality, flags) => {
      const out = Buffer.alloc(px.length + ENCODE_SLACK)
      const n = await addon.jpegEncode(px, CHECK_W, CHECK_H, quality, out, flags).catch(() => -1)
      return n < 0 ? null : out.subarray(0, n)
    },
    async (file, r, flop, lut) => {
      const out = Buffer.alloc(r.width * r.height * 3)
      return (await addon.jpegRegion(file, r.left, r.top, r.width, r.height, out, flop, lut).catch(() => false)) ? out : null
    },
  )
  return {
    encode: d.encode === SHARP_DIGESTS.encode ? null : "the start-up check's JPEG encodes",
    decode: d.decode === SHARP_DIGESTS.decode ? null : "the start-up check's JPEG region decodes",
  }
}

interface Ready {
  decoders: NativeDecoders | null
  encoder: NativeDecoders | null
}

let ready: Promise<Ready> | null = null

/** The addon's parts that passed their self-check in this process (once per process or worker). */
function nativeReady(): Promise<Ready> {
  ready ??= (async () => {
    const addon = nativeAddon()
    if (!addon) return { decoders: null, encoder: null }
    const check = await selfCheck(addon).catch((err: Error): SelfCheck => ({
      decode: `self-check failed: ${err.message}`,
      encode: `self-check failed: ${err.message}`,
    }))
    for (const [part, differs] of [
      ['region decoder', check.decode],
      ['JPEG encoder', check.encode],
    ] as const) {
      if (differs) process.stderr.write(`lockstep: not using the native ${part} (libjpeg-turbo ${addon.libjpegTurbo}): it differs from sharp on ${differs}\n`)
    }
    return { decoders: check.decode ? null : addon, encoder: check.encode ? null : addon }
  })()
  return ready
}

/** The addon once its decoders have passed their self-check in this process; null when absent or disagreeing. */
export async function nativeDecoders(): Promise<NativeDecoders | null> {
  return (await nativeReady()).decoders
}

// Scratch buffers kept between calls (the encoder's output, a crop's pixels on their way to the
// encoder): a fresh buffer of these sizes costs more in first-touch page faults and garbage
// collection than the work it holds (../shared/bench/README.md).
const ENCODE_SLACK = 4096
const scratch: Buffer[] = []
const SCRATCH_KEPT = 8

/** A buffer of at least n bytes (at most 2n, so a small job does not hold a large one). */
export function takeScratch(n: number): Buffer {
  const i = scratch.findIndex((b) => b.length >= n && b.length <= 2 * n)
  return i >= 0 ? scratch.splice(i, 1)[0] : Buffer.allocUnsafe(n)
}

/** Returns a buffer from takeScratch once nothing reads it any more. */
export function giveScratch(b: Buffer): void {
  if (scratch.length < SCRATCH_KEPT) scratch.push(b)
}

/**
 * sharp's jpeg(jpegOptions(quality)) bytes for h x w x 3 RGB, written by libjpeg-turbo directly;
 * null when the encoder is absent, disagreed with sharp at start-up, or the file did not fit.
 */
export async function encodeJpegNative(rgb: Uint8Array, width: number, height: number, quality: number): Promise<Buffer | null> {
  const addon = (await nativeReady()).encoder
  if (!addon) return null
  const out = takeScratch(width * height * 3 + ENCODE_SLACK)
  try {
    const n = await addon.jpegEncode(rgb, width, height, quality, out).catch(() => -1)
    return n < 0 ? null : Buffer.from(out.subarray(0, n))
  } finally {
    giveScratch(out)
  }
}

/**
 * The RGB pixels of `region` (default: the whole image), with `ops` applied, or null when the
 * decoder cannot take these bytes (not plain, not built, or libjpeg found a problem: the caller's
 * sharp decode then reports it in its own words). `into`: a buffer to write them to (takeScratch).
 */
export async function decodeJpegRegion(
  bytes: Uint8Array | undefined,
  region?: Region,
  ops: RowOps = {},
  into?: Buffer,
): Promise<{ width: number; height: number; data: Buffer } | null> {
  const h = bytes ? jpegHeader(bytes) : null
  if (!isPlainJpeg(h) || h.width * h.height > MAX_INPUT_PIXELS) return null
  const addon = await nativeDecoders()
  if (!addon) return null
  const r = region ?? { left: 0, top: 0, width: h.width, height: h.height }
  const n = r.width * r.height * 3
  const out = into && into.length >= n ? into.subarray(0, n) : Buffer.allocUnsafe(n)
  const ok = await addon.jpegRegion(bytes!, r.left, r.top, r.width, r.height, out, !!ops.flop, ops.lut ?? null).catch(() => false)
  return ok ? { width: r.width, height: r.height, data: out } : null
}

/**
 * One region of an 8-bit single-channel PNG from its zlib stream (the IDAT chunks' data, in
 * order), or null when the addon is absent or finds a problem (io/png.ts then decodes and says what).
 * Only for a stream already checked whole (io/verify): this inflates no further than the region.
 * `into`: a buffer to write them to when it is long enough.
 */
export async function decodePngLabels8(
  zlib: Uint8Array,
  imageWidth: number,
  imageHeight: number,
  region: Region,
  into?: Uint8Array,
): Promise<Uint8Array | null> {
  const addon = nativeAddon() // libjpeg plays no part here: no start-up check to wait for
  if (!addon || region.left + region.width > imageWidth || region.top + region.height > imageHeight) return null
  const n = region.width * region.height
  const out = into && into.length >= n ? into.subarray(0, n) : new Uint8Array(n)
  const ok = await addon.pngLabels(zlib, imageWidth, imageHeight, region.left, region.top, region.width, region.height, out).catch(() => false)
  return ok ? out : null
}

/**
 * A region of decoded RGB pixels (srcWidth wide) copied, each row mirrored (flop) and/or mapped
 * through a table, as jpegRegion writes a decoded one: the JS path's warpExact + one-linear LUT
 * in one native pass. null when the addon is absent. `into`: a buffer to write to (takeScratch).
 */
export function mapRegionNative(src: Uint8Array, srcWidth: number, region: Region, ops: RowOps, into?: Buffer): Buffer | null {
  const addon = nativeAddon()
  if (!addon) return null
  const n = region.width * region.height * 3
  const out = into && into.length >= n ? into.subarray(0, n) : Buffer.allocUnsafe(n)
  addon.mapRegion(src, srcWidth, region.left, region.top, region.width, region.height, out, !!ops.flop, ops.lut ?? null)
  return out
}

/**
 * decodePngLabels8 with the whole stream checked in the same pass (check_png_data): the region,
 * or the check's result when the stream fails it; null when the addon is absent.
 */
export async function decodePngLabels8Checked(
  zlib: Uint8Array,
  imageWidth: number,
  imageHeight: number,
  region: Region,
): Promise<{ data: Uint8Array } | { failed: PngDataResult } | null> {
  const addon = nativeAddon()
  if (!addon) return null
  const out = new Uint8Array(region.width * region.height)
  const r = await addon.pngLabelsChecked(zlib, imageWidth, imageHeight, region.left, region.top, region.width, region.height, out)
  return r.kind === 0 ? { data: out } : { failed: r }
}
