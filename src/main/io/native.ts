// Lockstep's native decoders (native/decoders, a Node-API addon), on the libuv thread pool:
// - jpegRegion: libjpeg-turbo decodes only the iMCU rows and columns a crop needs, where libvips
//   decodes full-width rows from the top down to the crop's last row (measured: 3.2 vs 7.8 ms per
//   512x512 crop of a 1024x768 JPEG, 21 vs 44 ms of a 4000x3000 one), and can mirror the rows and
//   map the values (crop + hflip + brightness/contrast) in the same loop;
// - pngLabels: an 8-bit grey or palette mask region (inflate to the region's last row, unfilter
//   only what it reads), the same steps as io/png.ts's decodeLabelRegion, off the main thread.
//
// They are an optional speed-up, never a second source of truth:
// - built at install time where a C compiler and libjpeg-turbo's and zlib's headers exist
//   (scripts/build-native.mjs); elsewhere, or with LOCKSTEP_NATIVE=0, sharp and io/png.ts decode
//   as before, to the same bytes;
// - before its first use in a process jpegRegion must decode generated JPEGs (4:2:0, 4:4:4,
//   progressive; regions at and off iMCU boundaries, mirrored, mapped) to exactly the bytes sharp
//   decodes; a libjpeg that disagrees is not used, and says so once on stderr;
// - jpegRegion takes only plain JPEGs (isPlainJpeg: no EXIF turn, no ICC profile, 8-bit YCbCr),
//   whose pixels sharp's pipeline passes through untouched;
// - on any error (or libjpeg warning) they give up and the JS-side decoder reads the file, so a
//   corrupt file is reported by the same decoder, in the same words, as without them.
import { createRequire } from 'node:module'
import { existsSync } from 'node:fs'
import { dirname, join, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import sharp from 'sharp'
import { MAX_INPUT_PIXELS } from './decode-errors'
import { isPlainJpeg, jpegHeader } from './header'

export interface NativeDecoders {
  jpegRegion(src: Uint8Array, left: number, top: number, width: number, height: number, out: Uint8Array, flop: boolean, lut: Uint8Array | null): Promise<boolean>
  pngLabels(zlib: Uint8Array, imageWidth: number, imageHeight: number, left: number, top: number, width: number, height: number, out: Uint8Array): Promise<boolean>
  libjpegTurbo: string
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

const CHECK_W = 83
const CHECK_H = 61
const CHECK_REGIONS: Region[] = [
  { left: 0, top: 0, width: CHECK_W, height: CHECK_H },
  { left: 0, top: 0, width: 16, height: 16 },
  { left: 17, top: 23, width: 41, height: 29 },
  { left: 33, top: 16, width: 50, height: 45 },
  { left: 5, top: 40, width: 1, height: 1 },
]

/**
 * Decodes generated JPEGs with the addon and with sharp; returns null when every region of every
 * file agrees byte for byte, else what differed.
 */
export async function selfCheck(addon: NativeDecoders): Promise<string | null> {
  const px = testPixels(CHECK_W, CHECK_H)
  const raw = { raw: { width: CHECK_W, height: CHECK_H, channels: 3 as const } }
  const files: Array<[string, Promise<Buffer>]> = [
    ['4:2:0', sharp(px, raw).jpeg({ quality: 85 }).toBuffer()],
    ['4:4:4', sharp(px, raw).jpeg({ quality: 92, chromaSubsampling: '4:4:4' }).toBuffer()],
    ['progressive', sharp(px, raw).jpeg({ quality: 75, progressive: true }).toBuffer()],
  ]
  const invert = Uint8Array.from({ length: 256 }, (_, v) => 255 - v)
  for (const [name, pending] of files) {
    const file = await pending
    for (const [i, r] of CHECK_REGIONS.entries()) {
      const flop = i % 2 === 1
      const lut = i % 3 === 2 ? invert : null
      const ours = Buffer.alloc(r.width * r.height * 3)
      const ok = await addon.jpegRegion(file, r.left, r.top, r.width, r.height, ours, flop, lut).catch(() => false)
      const theirs = await sharp(file).extract(r).flop(flop).raw().toBuffer()
      if (lut) for (let k = 0; k < theirs.length; k++) theirs[k] = lut[theirs[k]!]!
      if (!ok || !ours.equals(theirs)) return `${name} JPEG, region ${r.width}x${r.height}+${r.left}+${r.top}${flop ? ', mirrored' : ''}${lut ? ', mapped' : ''}`
    }
  }
  return null
}

let ready: Promise<NativeDecoders | null> | null = null

/** The addon once it has passed its self-check in this process; null when absent or disagreeing. */
export function nativeDecoders(): Promise<NativeDecoders | null> {
  ready ??= (async () => {
    const { addon } = loadAddon()
    if (!addon) return null
    const differs = await selfCheck(addon).catch((err: Error) => `self-check failed: ${err.message}`)
    if (differs) {
      process.stderr.write(`lockstep: not using the native decoders (libjpeg-turbo ${addon.libjpegTurbo}): it differs from sharp on a ${differs}\n`)
      return null
    }
    return addon
  })()
  return ready
}

/**
 * The RGB pixels of `region` (default: the whole image), with `ops` applied, or null when the
 * decoder cannot take these bytes (not plain, not built, or libjpeg found a problem: the caller's
 * sharp decode then reports it in its own words).
 */
export async function decodeJpegRegion(bytes: Uint8Array | undefined, region?: Region, ops: RowOps = {}): Promise<{ width: number; height: number; data: Buffer } | null> {
  const h = bytes ? jpegHeader(bytes) : null
  if (!isPlainJpeg(h) || h.width * h.height > MAX_INPUT_PIXELS) return null
  const addon = await nativeDecoders()
  if (!addon) return null
  const r = region ?? { left: 0, top: 0, width: h.width, height: h.height }
  const out = Buffer.allocUnsafe(r.width * r.height * 3)
  const ok = await addon.jpegRegion(bytes!, r.left, r.top, r.width, r.height, out, !!ops.flop, ops.lut ?? null).catch(() => false)
  return ok ? { width: r.width, height: r.height, data: out } : null
}

/**
 * One region of an 8-bit single-channel PNG from its zlib stream (the IDAT chunks' data, in
 * order), or null when the addon is absent or finds a problem (io/png.ts then decodes and says what).
 */
export async function decodePngLabels8(zlib: Uint8Array, imageWidth: number, imageHeight: number, region: Region): Promise<Uint8Array | null> {
  const addon = await nativeDecoders()
  if (!addon) return null
  const out = new Uint8Array(region.width * region.height)
  const ok = await addon.pngLabels(zlib, imageWidth, imageHeight, region.left, region.top, region.width, region.height, out).catch(() => false)
  return ok ? out : null
}
