// OpenCV's 8-bit colour conversions, value for value, so ops defined through them (Albumentations'
// HueSaturationValue, ColorJitter, ToGray, CLAHE) give the bytes OpenCV gives: integer
// fixed-point arithmetic where OpenCV uses it, float32 (Math.fround after every operation) where
// it computes in float. test/augment/colour-ops.test.ts checks each against cv2 on every input.
const f = Math.fround

/** cvRound on a float: to nearest, ties to even (what saturate_cast<uchar>(float) does). */
export function roundEven(x: number): number {
  const r = Math.round(x)
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r
}
export const sat8 = (v: number) => (v <= 0 ? 0 : v >= 255 ? 255 : v)

// RGB2HSV_b: 12-bit fixed point with OpenCV's division tables (hue range 180).
const HSV_SHIFT = 12
const SDIV = new Int32Array(256)
const HDIV = new Int32Array(256)
for (let i = 1; i < 256; i++) {
  SDIV[i] = roundEven((255 << HSV_SHIFT) / i)
  HDIV[i] = roundEven((180 << HSV_SHIFT) / (6 * i))
}

/** cv2.COLOR_RGB2HSV of one pixel: [h (0..179), s, v] into out at o. */
export function rgbToHsv8(r: number, g: number, b: number, out: Uint8Array | Int32Array, o: number): void {
  const v = Math.max(r, g, b)
  const vmin = Math.min(r, g, b)
  const diff = v - vmin
  const vr = v === r ? -1 : 0
  const vg = v === g ? -1 : 0
  const s = (diff * SDIV[v] + (1 << (HSV_SHIFT - 1))) >> HSV_SHIFT
  let h = (vr & (g - b)) + (~vr & ((vg & (b - r + 2 * diff)) + (~vg & (r - g + 4 * diff))))
  h = (h * HDIV[diff] + (1 << (HSV_SHIFT - 1))) >> HSV_SHIFT
  if (h < 0) h += 180
  out[o] = h
  out[o + 1] = s
  out[o + 2] = v
}

const INV255 = f(1 / 255)
const HSCALE = f(6 / 180)
const SIXTH = f(1 / 6)
// Per 8-bit value, computed once with the same float32 steps: s or v as a fraction (f(x / 255)), and
// per hue its fractional part in the sector (fh), 1 - fh, and its sector (0..5)
const FRAC = Float32Array.from({ length: 256 }, (_, x) => f(x * INV255))
const HUE_FH = new Float32Array(256),
  HUE_FH1 = new Float32Array(256),
  HUE_SECTOR = new Uint8Array(256)
for (let h = 0; h < 256; h++) {
  const fh = f(h * HSCALE)
  const pre = Math.trunc(fh)
  HUE_FH[h] = f(fh - pre)
  HUE_FH1[h] = f(1 - HUE_FH[h])
  HUE_SECTOR[h] = pre - 6 * Math.trunc(f(pre * SIXTH))
}

/**
 * cv2.COLOR_HSV2RGB of one pixel (hue range 180), as OpenCV 4.6's vector path computes it on
 * x86-64 (float32, the sector by truncation, 1 - s*h fused into one rounding, each channel
 * truncated after * 255): the path every pixel of an image row takes except a row's last few
 * (fewer than one vector block). Checked against cv2 on all 180 x 256 x 256 inputs.
 */
export function hsvToRgb8(h: number, s: number, v: number, out: Uint8Array, o: number): void {
  const fs = FRAC[s],
    fv = FRAC[v],
    fh = HUE_FH[h]
  const t0 = fv
  const t1 = f(fv * f(1 - fs))
  const t2 = f(fv * f(1 - fs * fh))
  const t3 = f(fv * f(1 - fs * HUE_FH1[h]))
  let r: number, g: number, b: number
  switch (HUE_SECTOR[h]) {
    case 0:
      r = t0
      g = t3
      b = t1
      break
    case 1:
      r = t2
      g = t0
      b = t1
      break
    case 2:
      r = t1
      g = t0
      b = t3
      break
    case 3:
      r = t1
      g = t2
      b = t0
      break
    case 4:
      r = t3
      g = t1
      b = t0
      break
    default:
      r = t0
      g = t1
      b = t2
  }
  out[o] = sat8(Math.trunc(f(r * 255)))
  out[o + 1] = sat8(Math.trunc(f(g * 255)))
  out[o + 2] = sat8(Math.trunc(f(b * 255)))
}

// mapHsv8's tables: per hue, the factor its middle channel takes (HUE_FH for the odd sectors, whose
// middle value is t2, HUE_FH1 for the even ones: t3), and where max (t0), the middle value and min
// (t1) go in the pixel (hsvToRgb8's switch); per value, t0 as a byte
const MID_FH = Float32Array.from({ length: 256 }, (_, h) => (HUE_SECTOR[h] & 1 ? HUE_FH[h] : HUE_FH1[h]))
/** Per hexcone sector (0..5): the channels (0 R, 1 G, 2 B) that take max, the middle value and min. */
export const SECTOR_TO: ReadonlyArray<readonly [number, number, number]> = [
  [0, 1, 2],
  [1, 0, 2],
  [1, 2, 0],
  [2, 1, 0],
  [2, 0, 1],
  [0, 2, 1],
]
/**
 * A 256-entry table of f, filled by a loop: Uint8Array.from({ length: 256 }, fn) takes V8's generic
 * array-like path, ~25 us a table (70 us of hsv_shift's render for its three; 0.2 ms on a busy
 * machine), the loop ~4. The values are stored as Uint8Array.from stores them.
 */
export function table256(f: (v: number) => number): Uint8Array {
  const t = new Uint8Array(256)
  for (let v = 0; v < 256; v++) t[v] = f(v)
  return t
}
const V_BYTE = Uint8Array.from({ length: 256 }, (_, v) => sat8(Math.trunc(f(FRAC[v] * 255))))
const IDENTITY = Uint8Array.from({ length: 256 }, (_, v) => v)

// per hue, how far right mapHsv8's packed word (max | middle << 8 | min << 16) is shifted for R, G and
// B (5 bits each: R | G << 5 | B << 10): SECTOR_TO (where max, the middle value and min go) as
// shifts, so the three stores go in order to i, i + 1, i + 2
const HUE_SHIFTS = Int32Array.from({ length: 256 }, (_, h) => {
  const [, toMid, toMin] = SECTOR_TO[HUE_SECTOR[h]],
    sh = [0, 0, 0]
  sh[toMid] = 8
  sh[toMin] = 16
  return sh[0] | (sh[1] << 5) | (sh[2] << 10)
})
let minBytes: Uint8Array | undefined
/** t1 as a byte for every value and saturation (index v << 8 | s): hsvToRgb8's min channel. */
function minTable(): Uint8Array {
  const t = new Uint8Array(65536)
  for (let v = 0; v < 256; v++) for (let s = 0; s < 256; s++) t[(v << 8) | s] = f(f(FRAC[v] * f(1 - FRAC[s])) * 255) | 0
  return t
}

/**
 * Every pixel through pre (a per-value table, or null), rgbToHsv8, the tables (h, s, v; null:
 * unchanged) and hsvToRgb8, in place: the same values, computed without data-dependent branches or
 * store offsets (which is what makes it fast in JS): the integer steps with masks and int32 products,
 * t0 and t1 as bytes from tables (per value, per value and saturation), only the middle value's float32
 * product of the two (t2 or t3) that the sector uses, and the three channels from one packed word by
 * per-hue shifts (hsvToRgb8's switch), stored in order. Each value stays in [0, 255] there (factors in
 * [0, 1]), so sat8(trunc) is | 0.
 */
export function mapHsv8(bytes: Uint8Array, lh: Uint8Array | null, ls: Uint8Array | null, lv: Uint8Array | null, pre: Uint8Array | null = null): void {
  const d = plainBytes(bytes)
  const th = lh ?? IDENTITY,
    ts = ls ?? IDENTITY,
    tv = lv ?? IDENTITY,
    tp = pre ?? IDENTITY,
    t1 = (minBytes ??= minTable())
  const n = d.length - 2
  for (let i = 0; i < n; i += 3) {
    const r = tp[d[i]] | 0,
      g = tp[d[i + 1]] | 0,
      b = tp[d[i + 2]] | 0
    // rgbToHsv8
    const rg = r - g,
      lo = rg & (rg >> 31)
    const dmax = r - lo - b,
      dmin = g + lo - b
    const v = r - lo - (dmax & (dmax >> 31)),
      diff = v - (b + (dmin & (dmin >> 31)))
    const vr = ((r ^ v) - 1) >> 31,
      vg = ((g ^ v) - 1) >> 31
    const s0 = (Math.imul(diff, SDIV[v]) + (1 << (HSV_SHIFT - 1))) >> HSV_SHIFT
    let h0 = (vr & (g - b)) + (~vr & ((vg & (b - r + 2 * diff)) + (~vg & (r - g + 4 * diff))))
    h0 = (Math.imul(h0, HDIV[diff]) + (1 << (HSV_SHIFT - 1))) >> HSV_SHIFT
    h0 += (h0 >> 31) & 180
    // the tables, then hsvToRgb8
    const h = th[h0],
      ss = ts[s0],
      vv = tv[v],
      fv = FRAC[vv]
    const mid = f(f(fv * f(1 - FRAC[ss] * MID_FH[h])) * 255) | 0
    const w = V_BYTE[vv] | (mid << 8) | (t1[(vv << 8) | ss] << 16),
      sh = HUE_SHIFTS[h]
    d[i] = w >> (sh & 31)
    d[i + 1] = w >> ((sh >> 5) & 31)
    d[i + 2] = w >> (sh >> 10)
  }
}

/**
 * The same memory as a plain Uint8Array: V8's loops over a Buffer (a Uint8Array subclass, which
 * decoded images are) ran about 1.7x slower than over a Uint8Array in the colour references.
 */
/** The host stores multi-byte words low byte first (every platform Lockstep ships on): the word-at-a-time loops read pixels so. */
export const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1

export const plainBytes = (d: Uint8Array): Uint8Array => (d.constructor === Uint8Array ? d : new Uint8Array(d.buffer, d.byteOffset, d.length))

// RGB2GRAY / YCrCb: 14-bit fixed point.
const YUV_SHIFT = 14
const R2Y = 4899,
  G2Y = 9617,
  B2Y = 1868
const GRAY_SHIFT = 15,
  RY15 = 9798,
  GY15 = 19235,
  BY15 = 3735
const descale = (x: number) => (x + (1 << (YUV_SHIFT - 1))) >> YUV_SHIFT

/** cv2.COLOR_RGB2GRAY of one pixel. */
export const grey8 = (r: number, g: number, b: number): number => (r * RY15 + g * GY15 + b * BY15 + (1 << (GRAY_SHIFT - 1))) >> GRAY_SHIFT

const CR = 11682,
  CB = 9241,
  DELTA = 128 << YUV_SHIFT
/** cv2.COLOR_RGB2YCrCb of one pixel into out at o. */
export function rgbToYcrcb8(r: number, g: number, b: number, out: Uint8Array, o: number): void {
  const y = descale(r * R2Y + g * G2Y + b * B2Y)
  out[o] = y
  out[o + 1] = sat8(descale((r - y) * CR + DELTA))
  out[o + 2] = sat8(descale((b - y) * CB + DELTA))
}

const CR2R = 22987,
  CR2G = -11698,
  CB2G = -5636,
  CB2B = 29049
/** cv2.COLOR_YCrCb2RGB of one pixel into out at o. */
export function ycrcbToRgb8(y: number, cr: number, cb: number, out: Uint8Array, o: number): void {
  const dcr = cr - 128,
    dcb = cb - 128
  out[o] = sat8(y + descale(dcr * CR2R))
  out[o + 1] = sat8(y + descale(dcb * CB2G + dcr * CR2G))
  out[o + 2] = sat8(y + descale(dcb * CB2B))
}
