// HSV and colour-jitter family (image only), in OpenCV's 8-bit HSV (cv8.ts), as Albumentations
// applies HueSaturationValue and ColorJitter to 8-bit images, so recipes imported from it render
// what it renders.
import { checkRgb, fast, sameBytes } from '../fast'
import type { Rng } from '../rng'
import { applyLuts } from './colour'
import { grey8, mapHsv8 } from './cv8'
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
  const make = (f: (v: number) => number) => Uint8Array.from({ length: 256 }, (_, v) => f(v))
  return [
    hue !== 0 ? make((v) => modTrunc(v + hue, 180)) : null,
    sat !== 0 ? make((v) => clipTrunc(v + sat)) : null,
    val !== 0 ? make((v) => clipTrunc(v + val)) : null,
  ]
}

/** RGB -> HSV -> tables -> RGB, in place (a null table leaves that channel). */
export function mapHsv(px: Pixels, luts: [Uint8Array | null, Uint8Array | null, Uint8Array | null]): void {
  const [lh, ls, lv] = luts
  if (!lh && !ls && !lv) return
  const k = fast('opHsvMap', (k) => {
    const a = checkRgb(64, 9),
      b = a.slice()
    const t = [hsvLuts(17.3, -40.2, 25.9), hsvLuts(-3, 0, 0)]
    for (const l of t) {
      mapHsvJs(a, l)
      k.opHsvMap(b, ...l)
    }
    return sameBytes(a, b)
  })
  if (k) k.opHsvMap(px.data, lh, ls, lv)
  else mapHsvJs(px.data, luts)
}

function mapHsvJs(d: Uint8Array, luts: [Uint8Array | null, Uint8Array | null, Uint8Array | null]): void {
  mapHsv8(d, ...luts)
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
  image: (p, px) => mapHsv(px, hsvLuts(p.hue, p.saturation, p.value)),
}

// ---- ColorJitter: Albumentations 1.3.1's torchvision functions on uint8 ------------------------

const lutOf = (f: (v: number) => number) => Uint8Array.from({ length: 256 }, (_, v) => clipTrunc(f(v)))
const lutRgb = (d: Uint8Array, lut: Uint8Array) => applyLuts(d, lut)

function greySumJs(d: Uint8Array): number {
  let sum = 0
  for (let i = 0; i < d.length; i += 3) sum += grey8(d[i], d[i + 1], d[i + 2])
  return sum
}
/** The mean of cv2.COLOR_RGB2GRAY over the image (a float64 sum of integers: exact). */
function greyMean(d: Uint8Array): number {
  const k = fast('opGreySum', (k) => {
    const a = checkRgb(23, 17)
    return greySumJs(a) === k.opGreySum(a)
  })
  return (k && d.length % 3 === 0 ? k.opGreySum(d) : greySumJs(d)) / (d.length / 3)
}

const f = Math.fround

export function adjustBrightness(d: Uint8Array, factor: number): void {
  if (factor === 0) d.fill(0)
  else if (factor !== 1)
    lutRgb(
      d,
      lutOf((v) => v * factor),
    )
}
export function adjustContrast(d: Uint8Array, factor: number): void {
  if (factor === 1) return
  const mean = greyMean(d)
  if (factor === 0) d.fill(Math.trunc(mean + 0.5))
  else
    lutRgb(
      d,
      lutOf((v) => v * factor + mean * (1 - factor)),
    )
}
/** cv2.addWeighted(img, factor, grey, 1 - factor, 0) on uint8: float32, rounded to nearest even. */
export function adjustSaturation(d: Uint8Array, factor: number): void {
  if (factor === 1) return
  const k = fast('opSaturation', (k) =>
    [0, 0.37, 1.93, 7.1].every((t) => {
      const a = checkRgb(31, 9, 5),
        b = a.slice()
      saturationJs(a, t)
      k.opSaturation(b, t)
      return sameBytes(a, b)
    }),
  )
  if (k && d.length % 3 === 0) k.opSaturation(d, factor)
  else saturationJs(d, factor)
}
function saturationJs(d: Uint8Array, factor: number): void {
  const a = f(factor),
    b = f(1 - factor)
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
const satRound = (x: number) => {
  if (x <= 0) return 0
  if (x >= 255) return 255
  const r = Math.round(x)
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r
}
export function adjustHue(px: Pixels, factor: number): void {
  if (factor === 0) return
  const lut = Uint8Array.from({ length: 256 }, (_, v) => modTrunc(v + 180 * factor, 180))
  mapHsv(px, [lut, null, null])
}

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
  image(p, px) {
    for (const k of p.order) {
      if (k === 0) adjustBrightness(px.data, p.brightness)
      else if (k === 1) adjustContrast(px.data, p.contrast)
      else if (k === 2) adjustSaturation(px.data, p.saturation)
      else adjustHue(px, p.hue)
    }
  },
}

export const HSV_OPS = [hsvShift, colorJitter] as const
