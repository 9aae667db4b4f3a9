// Colour family (image only). Per-value ops give a 256-entry LUT; neighbouring LUT ops are
// composed, which is exactly sequential application with rounding to uint8 after each op.
import type { Rng } from '../rng'
import { checkRgb, fast, sameBytes } from '../fast'
import { grey8, LITTLE_ENDIAN, plainBytes, SECTOR_TO, table256 } from './cv8'
import type { PixelOp, Pixels } from './types'

const clamp8 = (v: number) => (v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v))

const lutOf = (f: (v: number) => number): Uint8Array => table256((v) => clamp8(f(v)))

/** out = in + beta * 255 (Albumentations brightness, by max). */
export const brightness: PixelOp<'brightness', { beta: number }> = {
  type: 'brightness',
  kind: 'pixel',
  light: true,
  perPixel: true,
  sample: (rng, spec) => ({ beta: rng.uniform(spec.limit[0], spec.limit[1]) }),
  lut: (p) => lutOf((v) => v + p.beta * 255),
  linear: (p) => [1, p.beta * 255],
}

/** out = alpha * in, alpha = 1 + c (Albumentations contrast_limit). */
export const contrast: PixelOp<'contrast', { alpha: number }> = {
  type: 'contrast',
  kind: 'pixel',
  light: true,
  perPixel: true,
  sample: (rng, spec) => ({ alpha: 1 + rng.uniform(spec.limit[0], spec.limit[1]) }),
  lut: (p) => lutOf((v) => v * p.alpha),
  linear: (p) => [p.alpha, 0],
}

export const gamma: PixelOp<'gamma', { gamma: number }> = {
  type: 'gamma',
  kind: 'pixel',
  perPixel: true,
  sample: (rng, spec) => ({ gamma: rng.uniform(spec.gamma[0], spec.gamma[1]) }),
  lut: (p) => lutOf((v) => 255 * Math.pow(v / 255, p.gamma)),
}

/**
 * S and V (HSV, in 0..1) raised to powers; the hue is kept (the middle channel keeps its relative
 * position between min and max).
 */
export const hsvPower: PixelOp<'hsv_power', { saturation: number; value: number }> = {
  type: 'hsv_power',
  kind: 'pixel',
  perPixel: true,
  sample: (rng, spec) => ({ saturation: rng.uniform(spec.saturation[0], spec.saturation[1]), value: rng.uniform(spec.value[0], spec.value[1]) }),
  image: (p, px, ctx) => ((ctx?.kernels ?? 1) >= 3 ? hsvPowerQ(px.data, p.saturation, p.value) : hsvPowerImage(px.data, p.saturation, p.value)),
}

/** pow((max - min) / max, ps) for every max and min (index max * 256 + min): the same doubles the per-pixel pow gave. */
function powTable(ps: number): Float64Array {
  const t = new Float64Array(65536)
  for (let max = 1; max < 256; max++) for (let min = 0; min <= max; min++) t[max * 256 + min] = Math.pow((max - min) / max, ps)
  return t
}

let pairList: Uint16Array | undefined, pairPow: Float64Array | undefined
/** powTable's entries for the (max, min) pairs the image has (the others are never read). */
function powTableFor(d: Uint8Array, ps: number): Float64Array {
  const k = fast('opHsvPairs', (k) => {
    const a = checkRgb(19, 13),
      list = new Uint16Array(65536),
      seen = new Set<number>()
    for (let i = 0; i < a.length; i += 3) {
      const max = Math.max(a[i], a[i + 1], a[i + 2])
      if (max > 0) seen.add(max * 256 + Math.min(a[i], a[i + 1], a[i + 2]))
    }
    const n = k.opHsvPairs(a, list)
    return sameBytes(
      [...seen].sort((x, y) => x - y),
      list.subarray(0, n),
    )
  })
  if (!k || d.length % 3 !== 0) return powTable(ps)
  // kept between calls (fresh memory costs a page fault per 4 KiB): entries of other pairs are never read
  const list = (pairList ??= new Uint16Array(65536)),
    t = (pairPow ??= new Float64Array(65536))
  const n = k.opHsvPairs(d, list)
  for (let j = 0; j < n; j++) {
    const i = list[j],
      max = i >> 8
    t[i] = Math.pow((max - (i & 255)) / max, ps)
  }
  return t
}

function hsvPowerImage(d: Uint8Array, ps: number, pv: number): void {
  const vLut = new Float64Array(256)
  for (let v = 0; v < 256; v++) vLut[v] = 255 * Math.pow(v / 255, pv)
  const k = fast('opHsvPower', (k) => {
    const a = checkRgb(40, 13),
      b = a.slice(),
      v = new Float64Array(256).map((_, i) => 255 * Math.pow(i / 255, 1.7)),
      t = powTable(0.6)
    hsvPowerJs(a, v, t)
    k.opHsvPower(b, v, t)
    return sameBytes(a, b)
  })
  if (k) k.opHsvPower(d, vLut, powTableFor(d, ps))
  else hsvPowerJs(d, vLut, powTable(ps))
}

function hsvPowerJs(d: Uint8Array, vLut: Float64Array, spow: Float64Array): void {
  for (let i = 0; i < d.length; i += 3) {
    const r = d[i],
      g = d[i + 1],
      b = d[i + 2]
    const max = r > g ? (r > b ? r : b) : g > b ? g : b
    if (max === 0) continue
    const min = r < g ? (r < b ? r : b) : g < b ? g : b
    const nmax = vLut[max]
    const nmin = nmax * (1 - spow[max * 256 + min])
    const span = max - min
    const k = span === 0 ? 0 : (nmax - nmin) / span
    d[i] = clamp8(nmin + (r - min) * k)
    d[i + 1] = clamp8(nmin + (g - min) * k)
    d[i + 2] = clamp8(nmin + (b - min) * k)
  }
}

// ---- hsv_power under kernels 3: the same formula, out = v' - v' * spow * (max - c) / (max - min)
// (v' = 255 (max / 255)^pv, spow = ((max - min) / max)^ps), with spow as span^ps / max^ps (three
// 256-entry tables instead of a pow per (max, min) pair the image has) and in 16-bit fixed point: a
// table lookup, one double product and integer steps per pixel, the same in JS and C by
// construction. Within one level of the kernels 1/2 definition (rounding at 2^-16 near x.5).

/** a[max] = v' in Q16; u[max] * w[span] = v' * spow / span in Q16 (u = v' / max^ps * 2^16, w = span^ps / span). */
export function hsvPowerQTables(ps: number, pv: number): [Int32Array, Float64Array, Float64Array] {
  const a = new Int32Array(256),
    u = new Float64Array(256),
    w = new Float64Array(256)
  for (let m = 1; m < 256; m++) {
    const nmax = 255 * Math.pow(m / 255, pv),
      pm = Math.pow(m, ps)
    a[m] = Math.round(nmax * 65536)
    u[m] = (nmax / pm) * 65536
    w[m] = pm / m
  }
  return [a, u, w]
}

/** A Q16 value (with its 0.5 added) to a byte, clamped (ops_colour.c does the same). */
const q16Byte = (v: number) => (v <= 0 ? 0 : v >= 16711680 ? 255 : v >> 16)

function hsvPowerQJs(bytes: Uint8Array, a: Int32Array, u: Float64Array, w: Float64Array): void {
  const d = plainBytes(bytes)
  for (let i = 0; i + 2 < d.length; i += 3) {
    const r = d[i],
      g = d[i + 1],
      b = d[i + 2]
    const max = r > g ? (r > b ? r : b) : g > b ? g : b
    const min = r < g ? (r < b ? r : b) : g < b ? g : b
    const t = u[max] * w[max - min] + 0.5
    const bq = t >= 0 ? (t < 16777216 ? t | 0 : 16777216) : 0
    // int32 steps, wrapping as C's uint32 ones do (they do not wrap for the tables hsvPowerQTables makes)
    const am = (a[max] + 32768) | 0
    d[i] = q16Byte((am - Math.imul(bq, max - r)) | 0)
    d[i + 1] = q16Byte((am - Math.imul(bq, max - g)) | 0)
    d[i + 2] = q16Byte((am - Math.imul(bq, max - b)) | 0)
  }
}

function hsvPowerQ(d: Uint8Array, ps: number, pv: number): void {
  const t = hsvPowerQTables(ps, pv)
  const k = fast('opHsvPowerQ', (k) =>
    [
      [0.61, 1.9],
      [3.7, 0.3],
    ].every(([s, v]) => {
      const x = checkRgb(40, 13),
        y = x.slice(),
        q = hsvPowerQTables(s, v)
      hsvPowerQJs(x, ...q)
      k.opHsvPowerQ(y, ...q)
      return sameBytes(x, y)
    }),
  )
  if (k && d.length % 3 === 0) k.opHsvPowerQ(d, ...t)
  else hsvPowerQJs(d, ...t)
}

/** The turn of `degrees` in sectors of the hexcone, in [0, 6). */
const hueSectors = (degrees: number) => (((degrees % 360) + 360) % 360) / 60

/** Rotates the hue by `degrees` (HSV), keeping S and V. */
export const hue: PixelOp<'hue', { degrees: number }> = {
  type: 'hue',
  kind: 'pixel',
  perPixel: true,
  sample: (rng, spec) => ({ degrees: rng.uniform(spec.degrees[0], spec.degrees[1]) }),
  imageThrough(p, px, pre, ctx) {
    if ((ctx?.kernels ?? 1) >= 3) return hueQ(px.data, hueSectors(p.degrees), pre)
    applyLuts(px.data, pre)
    hue.image!(p, px, ctx)
  },
  image(p, px: Pixels, ctx) {
    const shift = hueSectors(p.degrees)
    if ((ctx?.kernels ?? 1) >= 3) return hueQ(px.data, shift)
    const k = fast('opHue', (k) => {
      const a = checkRgb(40, 13),
        b = a.slice()
      hueJs(a, 2.37)
      k.opHue(b, 2.37)
      return sameBytes(a, b)
    })
    if (k) k.opHue(px.data, shift)
    else hueJs(px.data, shift)
  },
}

// Per hue sector s (0..5) after the rotation: where max, the middle value and min go in the pixel
// (SECTOR_TO[s], the hexcone's), as how far right hueJs's packed word (max | mid << 8 |
// min << 16) is shifted for R, G and B (5 bits each: R | G << 5 | B << 10), so each channel takes its
// byte of the word and the three stores go in order to i, i + 1, i + 2
const SECTOR_SHIFTS = Int32Array.from({ length: 6 }, (_, s) => {
  const [, toMid, toMin] = SECTOR_TO[s],
    sh = [0, 0, 0]
  sh[toMid] = 8
  sh[toMin] = 16
  return sh[0] | (sh[1] << 5) | (sh[2] << 10)
})

/**
 * Rotates the hue of every pixel (HSV hexcone, as doubles): h = the sector offset + the difference of
 * the other two channels / c (c = max - min), plus shift, mod 6; in the new sector the largest
 * channel stays max, the smallest min and the middle one becomes clamp8(min + c * (1 - |h mod 2 - 1|)).
 * Written without data-dependent branches (integer max/min and channel selects, small tables for the
 * sector), which is what makes it fast in JS; the values are those of the plain formulation:
 * - for h in [0, 18) (every shift in [0, 6)) h mod 6 and h mod 2 are subtractions of 0, 6 or 12 and
 *   of 0, 2 or 4, exact there (Sterbenz) as fmod is; elsewhere JS's % does them;
 * - the middle value min + x lies in [min, max] (0 <= x <= c), where clamp8 is Math.round, and
 *   (v + 0.5) | 0 is Math.round for every v it meets: below 0.5 v is a multiple of 2^-53, so v + 0.5
 *   is exact; from 0.5 up, v + 0.5 rounds only where the floor is already the next integer;
 * - a grey pixel (c = 0) divides by 1 instead: num = 0, x = 0, every channel stays min = max.
 * test/augment/kernels.test.ts compares it with that formulation on all 2^24 colours.
 */
function hueJs(bytes: Uint8Array, shift: number): void {
  const d = plainBytes(bytes)
  const n = d.length - 2
  for (let i = 0; i < n; i += 3) {
    const r = d[i] | 0,
      g = d[i + 1] | 0,
      b = d[i + 2] | 0
    const rg = r - g,
      lo = rg & (rg >> 31)
    const mxrg = r - lo,
      mnrg = g + lo
    const dmax = mxrg - b,
      dmin = mnrg - b
    const max = mxrg - (dmax & (dmax >> 31)),
      min = b + (dmin & (dmin >> 31))
    const c = max - min
    // -1 for the channel the reference takes as max (r first, then g), 0 for the others
    const isR = ((r ^ max) - 1) >> 31,
      isG = ~isR & (((g ^ max) - 1) >> 31),
      isB = ~isR & ~isG
    const num = (isR & (g - b)) | (isG & (b - r)) | (isB & rg)
    let h = num / (c + ((c - 1) >>> 31)) + ((isG & 2) | (isB & 4))
    h = h + shift + 6
    let m: number, s: number
    if (h >= 0 && h < 18) {
      const q = h | 0
      h -= MOD6[q]
      const t = h - MOD2[q] - 1
      m = (c * (1 - Math.abs(t)) + min + 0.5) | 0
      s = h | 0
    } else {
      h %= 6
      m = clamp8(c * (1 - Math.abs((h % 2) - 1)) + min)
      s = h >= 0 ? h | 0 : h < 1 ? 0 : 5 // a negative h: the first sector's branch; NaN: the last's
    }
    // stored in order from one packed word (SECTOR_SHIFTS): V8 kept data-dependent store offsets slow
    const w = max | (m << 8) | (min << 16),
      sh = SECTOR_SHIFTS[s]
    d[i] = w >> (sh & 31)
    d[i + 1] = w >> ((sh >> 5) & 31)
    d[i + 2] = w >> (sh >> 10)
  }
}
// per integer part q of h in [0, 18): what h mod 6 subtracts, and what (h mod 6) mod 2 subtracts after it
const MOD6 = Float64Array.from({ length: 18 }, (_, q) => 6 * Math.floor(q / 6)),
  MOD2 = Float64Array.from({ length: 18 }, (_, q) => (q % 6) - (q % 2))

// ---- hue under kernels 3: the same hexcone rotation in integers ----------------------------------------
// max and min stay, as before; the hue's place in its sector is a = num * 2^20 + c * sf, where num / c
// is the hue's offset in its sector (num: the difference of the other two channels, c = max - min)
// and sf the turn's fraction of a sector in 2^-20 (the whole sectors si are added to the sector
// number): num / c + sf sectors scaled by c * 2^20, never divided. a is brought into [0, c * 2^20) by
// one whole sector up or down, and the middle channel is min + a / 2^20 in even sectors, min + c -
// a / 2^20 in odd ones, rounded half up. Every step is an int32 one (|a| < 2^29), so JS and C agree
// by construction; the value is the exact hexcone's but for the turn's rounding to 2^-20 of a sector
// (at most 255 * 2^-21 of a level): within one level of kernels 1/2's doubles, and equal to them
// except where the exact middle value lies within about 2^-13 of a half (test/augment/colour-references.test.ts).

const HQ = 20
/** The turn (sectors in [0, 6)) in 2^-20 sectors, in [0, 6 * 2^20). */
const hueTurn = (shift: number) => {
  const sq = Math.round(shift * (1 << HQ))
  return sq >= 6 << HQ || !(sq >= 0) ? 0 : sq
}
// Per sector sum k (5..16) hueQPixel meets: where sector k mod 6 puts max and the middle value in the
// pixel (SECTOR_TO) as left shifts (0, 8 or 16) of each (max | mid << 5), with bit 31 set in odd
// sectors: one table read per pixel for both
const SECTOR_SUM_PLACES = Int32Array.from({ length: 18 }, (_, k) => {
  const [toMax, toMid] = SECTOR_TO[k % 6]
  return (toMax << 3) | (toMid << 8) | ((k & 1) << 31)
})

/**
 * One pixel of the integer hexcone turn (see above), R | G << 8 | B << 16: without data-dependent
 * branches (V8 kept a ternary on random data slow), int32 products (Math.imul, | 0). The channel the
 * reference takes as max (r first, then g) comes from the two sign masks of max(max(r, g), b): m1 (g > r)
 * and m2 (b > max(r, g)); with it num (g - b, b - r or r - g) is e = min(r, g) - b, negated when g is the
 * max, or r - g when b is (on a tie either reading is the same hue: a and the sector come out the
 * same). HQ (20) is written out: V8 reads a module constant as a variable (a context load, a shift by
 * a register), which showed here (~2 %).
 */
function hueQPixel(r: number, g: number, b: number, base: number, sf: number, places: Int32Array): number {
  const rg = r - g,
    m1 = rg >> 31,
    lo0 = rg & m1
  const mxrg = r - lo0, // max(r, g), r on a tie
    mnrg = g + lo0
  const dmax = mxrg - b,
    m2 = dmax >> 31,
    e = mnrg - b
  const max = mxrg - (dmax & m2),
    min = b + (e & (e >> 31))
  const c = max - min,
    cq = c << 20
  const t = (e ^ m1) - m1,
    num = t ^ ((t ^ rg) & m2)
  let a = ((num << 20) + Math.imul(c, sf)) | 0
  const lo = a >> 31,
    hi = (cq - 1 - a) >> 31
  a = (a + (lo & cq) - (hi & cq)) | 0
  // the sector sum: base + 0, 2 or 4 (r, g or b the max) + lo - hi
  const at = places[(base + ((m1 | m2) & 2) + (m2 & 2) + lo - hi) | 0]
  // the middle value - min (rise): a in even sectors, cq - a in odd ones, rounded
  const odd = at >> 31
  const rise = (a + (odd & (cq - a - a)) + (1 << 19)) >> 20
  // min in all three bytes, then c and mid - min added in max's and the middle value's (no carries)
  return (Math.imul(min, 0x10101) + (c << at) + (rise << (at >> 5))) | 0
}

/**
 * The integer hexcone turn (see above) of every pixel. Two pixels at a time through 16-bit words where
 * the bytes allow (an even offset, little-endian): three reads and three writes instead of six of each,
 * ~8 % of the time; hueQPixel is small enough for V8 to inline its two calls there (not a third: the
 * rest, at most a pixel or an odd offset's bytes, goes through the plain loop).
 */
function hueQJs(bytes: Uint8Array, sq: number, pre: Uint8Array | null): void {
  const d = plainBytes(bytes),
    tp = pre ?? IDENTITY,
    places = SECTOR_SUM_PLACES
  const base = (sq >> HQ) + 6,
    sf = sq & ((1 << HQ) - 1)
  let i = 0
  if (LITTLE_ENDIAN && (d.byteOffset & 1) === 0) {
    const m = Math.floor(d.length / 6) * 3,
      u = new Uint16Array(d.buffer, d.byteOffset, m)
    for (let j = 0; j < m; j += 3) {
      const u0 = u[j],
        u1 = u[j + 1],
        u2 = u[j + 2]
      const p = hueQPixel(tp[u0 & 255] | 0, tp[u0 >> 8] | 0, tp[u1 & 255] | 0, base, sf, places),
        q = hueQPixel(tp[u1 >> 8] | 0, tp[u2 & 255] | 0, tp[u2 >> 8] | 0, base, sf, places)
      // each write keeps the low 16 bits
      u[j] = p
      u[j + 1] = (p >> 16) | (q << 8)
      u[j + 2] = q >> 8
    }
    i = m * 2
  }
  for (const n = d.length - 2; i < n; i += 3) {
    const p = hueQPixel(tp[d[i]] | 0, tp[d[i + 1]] | 0, tp[d[i + 2]] | 0, base, sf, places)
    d[i] = p
    d[i + 1] = p >> 8
    d[i + 2] = p >> 16
  }
}

const IDENTITY = Uint8Array.from({ length: 256 }, (_, v) => v)

/** The kernels-3 hue turn by shift sectors (of the values through pre, when given), natively when the kernel agrees. */
export function hueQ(d: Uint8Array, shift: number, pre: Uint8Array | null = null): void {
  const sq = hueTurn(shift)
  // a turn of 0 leaves every pixel as it is (test/augment/hue-q-js.test.ts): only the pending table applies
  if (sq === 0 && d.length % 3 === 0) {
    if (pre) applyLuts(d, pre)
    return
  }
  const k = fast('opHueQ', (k) =>
    [0, 1, 2_345_678, (6 << HQ) - 1].every((t, i) => {
      const a = checkRgb(40, 13),
        b = a.slice(),
        p = i % 2 ? checkRgb(16, 16, 5).subarray(0, 256) : null
      hueQJs(a, t, p)
      k.opHueQ(b, t, p)
      return sameBytes(a, b)
    }),
  )
  if (k && d.length % 3 === 0) k.opHueQ(d, sq, pre)
  else hueQJs(d, sq, pre)
}

/** Per-channel tables (R, G, B) on interleaved pixels (byte i takes table i % 3). */
function channelLuts(d: Uint8Array, r: Uint8Array, g: Uint8Array, b: Uint8Array): void {
  let i = 0
  for (; i + 2 < d.length; i += 3) {
    d[i] = r[d[i]]
    d[i + 1] = g[d[i + 1]]
    d[i + 2] = b[d[i + 2]]
  }
  if (i < d.length) d[i] = r[d[i]]
  if (i + 1 < d.length) d[i + 1] = g[d[i + 1]]
}

/** channelLuts, natively when the kernel agrees (one table for every channel: pass it three times). */
export function applyLuts(d: Uint8Array, r: Uint8Array, g = r, b = r): void {
  const k = fast('opLut3', (k) => {
    const a = checkRgb(11, 7),
      c = a.slice(),
      t = [0, 1, 2].map((s) => checkRgb(16, 16, s + 2).subarray(0, 256)) as [Uint8Array, Uint8Array, Uint8Array]
    channelLuts(a, ...t)
    k.opLut3(c, ...t)
    return sameBytes(a, c)
  })
  if (k && d.length % 3 === 0) k.opLut3(d, r, g, b)
  else channelLuts(d, r, g, b)
}

/** Albumentations RGBShift on uint8: a float32 table v + shift per channel, clipped and truncated. */
export function shiftLut(shift: number): Uint8Array {
  const s = Math.fround(shift)
  return table256((v) => {
    const t = Math.fround(v + s)
    return t <= 0 ? 0 : t >= 255 ? 255 : Math.trunc(t)
  })
}

export const rgbShift: PixelOp<'rgb_shift', { r: number; g: number; b: number }> = {
  type: 'rgb_shift',
  kind: 'pixel',
  perPixel: true,
  sample: (rng, spec) => ({ r: rng.uniform(spec.r[0], spec.r[1]), g: rng.uniform(spec.g[0], spec.g[1]), b: rng.uniform(spec.b[0], spec.b[1]) }),
  image: (p, px) => applyLuts(px.data, shiftLut(p.r), shiftLut(p.g), shiftLut(p.b)),
}

/** Keras channel_shift_range: every channel + intensity, clipped to the image's own [min, max], rounded. */
export const channelShift: PixelOp<'channel_shift', { intensity: number }> = {
  type: 'channel_shift',
  kind: 'pixel',
  sample: (rng, spec) => ({ intensity: rng.uniform(spec.intensity[0], spec.intensity[1]) }),
  image(p, px) {
    const d = px.data
    const [lo, hi] = minMax(d)
    const lut = table256((v) => Math.round(Math.min(hi, Math.max(lo, v + p.intensity))))
    applyLuts(d, lut)
  },
}

function minMaxJs(d: Uint8Array): [number, number] {
  let lo = 255,
    hi = 0
  for (let i = 0; i < d.length; i++) {
    const v = d[i]
    if (v < lo) lo = v
    if (v > hi) hi = v
  }
  return [lo, hi]
}

/** The lowest and highest value of the image. */
function minMax(d: Uint8Array): [number, number] {
  const k = fast('opMinMax', (k) => {
    const a = checkRgb(13, 9).map((v) => 20 + (v % 200))
    return sameBytes(minMaxJs(a), k.opMinMax(a))
  })
  return k ? k.opMinMax(d) : minMaxJs(d)
}

/** cv2.COLOR_RGB2GRAY in all three channels (Albumentations ToGray). */
export const toGrey: PixelOp<'to_grey', Record<string, never>> = {
  type: 'to_grey',
  kind: 'pixel',
  perPixel: true,
  sample: () => ({}),
  image: (_p, px) => toGreyRgb(px.data),
}

function toGreyJs(d: Uint8Array): void {
  for (let i = 0; i < d.length; i += 3) d[i] = d[i + 1] = d[i + 2] = grey8(d[i], d[i + 1], d[i + 2])
}

/** cv2.COLOR_RGB2GRAY in all three channels, in place. */
export function toGreyRgb(d: Uint8Array): void {
  const k = fast('opGrey', (k) => {
    const a = checkRgb(37, 5),
      b = a.slice()
    toGreyJs(a)
    k.opGrey(b)
    return sameBytes(a, b)
  })
  if (k) k.opGrey(d)
  else toGreyJs(d)
}

function permutation3(rng: Rng): number[] {
  const a = [0, 1, 2]
  for (let i = 2; i > 0; i--) {
    const j = rng.int(0, i)
    ;[a[i], a[j]] = [a[j], a[i]]
  }
  return a
}

/** Output channel c is input channel order[c]. */
export const channelShuffle: PixelOp<'channel_shuffle', { order: number[] }> = {
  type: 'channel_shuffle',
  kind: 'pixel',
  perPixel: true,
  sample: (rng) => ({ order: permutation3(rng) }),
  image(p, px) {
    const d = px.data
    const [a, b, c] = p.order as [number, number, number]
    for (let i = 0; i < d.length; i += 3) {
      const r = d[i + a],
        g = d[i + b],
        bl = d[i + c]
      d[i] = r
      d[i + 1] = g
      d[i + 2] = bl
    }
  },
}

/** Keeps the top `bits` bits of every value (Albumentations Posterize). */
export const posterize: PixelOp<'posterize', { bits: number }> = {
  type: 'posterize',
  kind: 'pixel',
  perPixel: true,
  sample: (rng, spec) => ({ bits: rng.int(spec.bits[0], spec.bits[1]) }),
  lut: (p) => {
    const mask = ~((1 << (8 - p.bits)) - 1) & 255
    return table256((v) => v & mask)
  },
}

export const COLOUR_OPS = [brightness, contrast, gamma, hsvPower, hue, rgbShift, channelShift, toGrey, channelShuffle, posterize] as const
