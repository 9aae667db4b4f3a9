// HSV and colour-jitter family (image only), in OpenCV's 8-bit HSV (cv8.ts), as Albumentations
// applies HueSaturationValue and ColorJitter to 8-bit images, so recipes imported from it render
// what it renders (but for hsv_shift with only a hue shift and color_jitter's hue step under kernels 3:
// the hexcone turned by the same angle without the 8-bit HSV round trip, a few levels from it; see
// shiftHsv and jitterHue).
import { checkRgb, fast, sameBytes } from '../fast'
import type { Rng } from '../rng'
import { applyLuts, hueQ } from './colour'
import { grey8, mapHsv8, plainBytes, table256 } from './cv8'
import type { PixelOp, Pixels } from './types'

/** numpy's float mod (the result takes the divisor's sign), then astype(uint8): truncation. */
function modTrunc(v: number, m: number): number {
  let r = v % m
  if (r !== 0 && r < 0) r += m
  return Math.trunc(r) & 255
}
const clipTrunc = (v: number) => (v <= 0 ? 0 : v >= 255 ? 255 : Math.trunc(v))

/** Tables of Albumentations' shift_hsv: hue (OpenCV units) mod 180, saturation and value clipped; null when a shift is 0 (not applied). */
function hsvLuts(hue: number, sat: number, val: number): [Uint8Array | null, Uint8Array | null, Uint8Array | null] {
  return [
    hue !== 0 ? table256((v) => modTrunc(v + hue, 180)) : null,
    sat !== 0 ? table256((v) => clipTrunc(v + sat)) : null,
    val !== 0 ? table256((v) => clipTrunc(v + val)) : null,
  ]
}

type HsvLuts = [Uint8Array | null, Uint8Array | null, Uint8Array | null]

/** RGB -> HSV -> tables -> RGB, in place (a null table leaves that channel); pre: a per-value table applied first. */
export function mapHsv(px: Pixels, luts: HsvLuts, pre: Uint8Array | null = null): void {
  const [lh, ls, lv] = luts
  if (!lh && !ls && !lv) {
    if (pre) applyLuts(px.data, pre)
    return
  }
  const k = fast('opHsvMap', (k) => {
    const t: Array<[HsvLuts, Uint8Array | null]> = [
      [hsvLuts(17.3, -40.2, 25.9), null],
      [hsvLuts(-3, 0, 0), null],
      [hsvLuts(-3, 0, 0), lutOf((v) => v * 1.3 - 20)],
    ]
    return t.every(([l, p]) => {
      const a = checkRgb(64, 9),
        b = a.slice()
      mapHsv8(a, ...l, p)
      k.opHsvMap(b, ...l, p)
      return sameBytes(a, b)
    })
  })
  if (k) k.opHsvMap(px.data, lh, ls, lv, pre)
  else mapHsv8(px.data, lh, ls, lv, pre)
}

/** Albumentations HueSaturationValue: hue in OpenCV units (degrees / 2), saturation and value added, in 8-bit HSV. */
export const hsvShift: PixelOp<'hsv_shift', { hue: number; saturation: number; value: number }> = {
  type: 'hsv_shift',
  kind: 'pixel',
  perPixel: true,
  sample: (rng, spec) => ({
    hue: rng.uniform(spec.hue[0], spec.hue[1]) / 2,
    saturation: rng.uniform(spec.saturation[0], spec.saturation[1]),
    value: rng.uniform(spec.value[0], spec.value[1]),
  }),
  image: (p, px, ctx) => shiftHsv(p, px, null, ctx?.kernels ?? 1),
  imageThrough: (p, px, pre, ctx) => shiftHsv(p, px, pre, ctx?.kernels ?? 1),
}

/**
 * hsv_shift (of the values through pre, when given). Kernels 1/2: in OpenCV's 8-bit HSV, as
 * Albumentations. Kernels 3, when only the hue is shifted (saturation and value shifts 0, which
 * HueSaturationValue with a hue limit alone is): hue's integer hexcone turn by the angle the hue table
 * applies (its shift of 0: floor(hue) mod 180 OpenCV units of 2 degrees, one sector of 60 degrees
 * per 30), without the round trip through 8-bit HSV, which quantises S and V too: within one level of
 * the exact turn, and on all 2^24 colours at most 6 levels from the kernels 2 bytes, 0.56 of a level
 * on average, 42 % of the values apart (kernels 2's own distance from the exact turn;
 * test/augment/colour-references.test.ts). With a saturation or value shift: the 8-bit HSV map.
 */
function shiftHsv(p: { hue: number; saturation: number; value: number }, px: Pixels, pre: Uint8Array | null, kernels: number): void {
  const luts = hsvLuts(p.hue, p.saturation, p.value),
    [lh, ls, lv] = luts
  if (kernels < 3 || !lh || ls || lv) mapHsv(px, luts, pre)
  else hueQ(px.data, lh[0] / 30, pre)
}

// ---- ColorJitter: Albumentations 1.3.1's torchvision functions on uint8 ------------------------

const lutOf = (f: (v: number) => number) => table256((v) => clipTrunc(f(v)))

function greySumJs(d: Uint8Array, pre: Uint8Array | null): number {
  let sum = 0
  if (pre) for (let i = 0; i < d.length; i += 3) sum += grey8(pre[d[i]], pre[d[i + 1]], pre[d[i + 2]])
  else for (let i = 0; i < d.length; i += 3) sum += grey8(d[i], d[i + 1], d[i + 2])
  return sum
}
/** The mean of cv2.COLOR_RGB2GRAY over the image (a float64 sum of integers: exact), of its values through pre when given. */
function greyMean(d: Uint8Array, pre: Uint8Array | null = null): number {
  const k = fast('opGreySum', (k) => {
    const a = checkRgb(23, 17),
      p = lutOf((v) => 255 - v * 0.7)
    return greySumJs(a, null) === k.opGreySum(a) && greySumJs(a, p) === k.opGreySum(a, p)
  })
  return (k && d.length % 3 === 0 ? k.opGreySum(d, pre) : greySumJs(d, pre)) / (d.length / 3)
}

const f = Math.fround

/** torchvision adjust_brightness's table (null: factor 1, nothing to do). */
function brightnessLut(factor: number): Uint8Array | null {
  return factor === 0 ? new Uint8Array(256) : factor !== 1 ? lutOf((v) => v * factor) : null
}
/** adjust_contrast's table about the grey mean of the image (through pre) (null: factor 1). */
function contrastLut(d: Uint8Array, factor: number, pre: Uint8Array | null): Uint8Array | null {
  if (factor === 1) return null
  const mean = greyMean(d, pre)
  return factor === 0 ? new Uint8Array(256).fill(Math.trunc(mean + 0.5)) : lutOf((v) => v * factor + mean * (1 - factor))
}

export function adjustBrightness(d: Uint8Array, factor: number): void {
  const lut = brightnessLut(factor)
  if (lut) applyLuts(d, lut)
}
export function adjustContrast(d: Uint8Array, factor: number): void {
  const lut = contrastLut(d, factor, null)
  if (lut) applyLuts(d, lut)
}
/** cv2.addWeighted(img, factor, grey, 1 - factor, 0) on uint8: float32, rounded to nearest even (of the values through pre, when given). */
export function adjustSaturation(d: Uint8Array, factor: number, pre: Uint8Array | null = null): void {
  if (factor === 1) {
    if (pre) applyLuts(d, pre)
    return
  }
  const k = fast('opSaturation', (k) =>
    [0, 0.37, 1.93, 7.1].every((t, i) => {
      const a = checkRgb(31, 9, 5),
        b = a.slice(),
        p = i % 2 === 1 ? lutOf((v) => v * 0.8 + 30) : null
      saturationJs(a, t, p)
      k.opSaturation(b, t, p)
      return sameBytes(a, b)
    }),
  )
  if (k && d.length % 3 === 0) k.opSaturation(d, factor, pre)
  else saturationJs(d, factor, pre)
}
function saturationJs(bytes: Uint8Array, factor: number, pre: Uint8Array | null): void {
  const d = plainBytes(bytes)
  if (pre) for (let i = 0; i < d.length; i++) d[i] = pre[d[i]]
  const a = f(factor),
    b = f(1 - factor)
  if (factor !== 0 && d.length >= 3 * SATURATION_TABLE_FROM && d.length % 3 === 0) return saturationByTable(d, a, b)
  for (let i = 0; i < d.length; i += 3) {
    const g = grey8(d[i], d[i + 1], d[i + 2])
    if (factor === 0) {
      d[i] = d[i + 1] = d[i + 2] = g
      continue
    }
    const gb = f(g * b)
    // OpenCV fuses a*alpha + (g*beta) into one rounding (FMA): the product is exact in float64
    for (let c = 0; c < 3; c++) d[i + c] = satRound(f(d[i + c] * a + gb))
  }
}
/** From this many pixels on, every (grey, value) result is computed once (65536 of them) and looked up. */
const SATURATION_TABLE_FROM = 1 << 16
/** saturationJs's steps with its per-value arithmetic done once per (grey, value) pair, as ops_colour.c does. */
function saturationByTable(d: Uint8Array, a: number, b: number): void {
  const t = new Uint8Array(65536)
  for (let g = 0; g < 256; g++) {
    const gb = f(g * b)
    for (let v = 0; v < 256; v++) t[(g << 8) | v] = satRound(f(v * a + gb))
  }
  for (let i = 0; i + 2 < d.length; i += 3) {
    const r = d[i],
      gg = d[i + 1],
      bb = d[i + 2],
      row = grey8(r, gg, bb) << 8
    d[i] = t[row | r]
    d[i + 1] = t[row | gg]
    d[i + 2] = t[row | bb]
  }
}
const satRound = (x: number) => {
  if (x <= 0) return 0
  if (x >= 255) return 255
  const r = Math.round(x)
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r
}
/** torchvision adjust_hue: the hue in OpenCV's 8-bit HSV turned by factor of the circle (of the values through pre, when given). */
export function adjustHue(px: Pixels, factor: number, pre: Uint8Array | null = null): void {
  if (factor === 0) {
    if (pre) applyLuts(px.data, pre)
    return
  }
  const lut = table256((v) => modTrunc(v + 180 * factor, 180))
  mapHsv(px, [lut, null, null], pre)
}

/** The table of a then b. */
const compose = (a: Uint8Array, b: Uint8Array) => a.map((v) => b[v])

/** A random order of n items (Fisher–Yates on the op's stream). */
function shuffled(rng: Rng, n: number): number[] {
  const a = Array.from({ length: n }, (_, i) => i)
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(0, i)
    ;[a[i], a[j]] = [a[j], a[i]]
  }
  return a
}

type Jitter = { brightness: number; contrast: number; saturation: number; hue: number; order: number[] }

/** Albumentations ColorJitter (torchvision semantics on 8-bit images): four factors in a random order. */
export const colorJitter: PixelOp<'color_jitter', Jitter> = {
  type: 'color_jitter',
  kind: 'pixel',
  sample: (rng, spec) => ({
    brightness: rng.uniform(spec.brightness[0], spec.brightness[1]),
    contrast: rng.uniform(spec.contrast[0], spec.contrast[1]),
    saturation: rng.uniform(spec.saturation[0], spec.saturation[1]),
    hue: rng.uniform(spec.hue[0], spec.hue[1]),
    order: shuffled(rng, 4),
  }),
  image: (p, px, ctx) => jitter(p, px, null, ctx?.kernels ?? 1),
  imageThrough: (p, px, pre, ctx) => jitter(p, px, pre, ctx?.kernels ?? 1),
}

/**
 * ColorJitter's hue step (of the values through pre, when given). Kernels 1/2: adjustHue, in OpenCV's
 * 8-bit HSV as Albumentations. Kernels 3: hue's integer hexcone turn (hueQ) by the angle adjustHue's
 * table applies (its entry for 0: floor(180 factor mod 180) OpenCV units of 2 degrees, 30 per
 * sector), without the round trip through 8-bit HSV, which quantises S and V too: on all 2^24
 * colours at most 6 levels from the kernels 2 bytes, 0.56 of a level on average, 42 % of the values
 * apart, as hsv_shift's (test/augment/colour-references.test.ts). The other three steps and their
 * drawn order are unchanged.
 */
function jitterHue(px: Pixels, factor: number, pre: Uint8Array | null, kernels: number): void {
  if (kernels < 3) return adjustHue(px, factor, pre)
  hueQ(px.data, (factor === 0 ? 0 : modTrunc(180 * factor, 180)) / 30, pre)
}

/** ColorJitter's four steps in p.order on the values through pre (null: none). */
function jitter(p: Jitter, px: Pixels, pre: Uint8Array | null, kernels: number): void {
  // brightness and contrast are per-value tables: composed into one pending table, which the next
  // saturation or hue step reads its pixels through (or applied at the end): the bytes of the four
  // steps one after another, in fewer passes over the image
  let pending: Uint8Array | null = pre
  const then = (lut: Uint8Array | null) => {
    if (lut) pending = pending ? compose(pending, lut) : lut
  }
  for (const k of p.order) {
    if (k === 0) then(brightnessLut(p.brightness))
    else if (k === 1) then(contrastLut(px.data, p.contrast, pending))
    else {
      if (k === 2) adjustSaturation(px.data, p.saturation, pending)
      else jitterHue(px, p.hue, pending, kernels)
      pending = null
    }
  }
  if (pending) applyLuts(px.data, pending)
}

export const HSV_OPS = [hsvShift, colorJitter] as const
