// Colour family (image only). Per-value ops give a 256-entry LUT; neighbouring LUT ops are
// composed, which is exactly sequential application with rounding to uint8 after each op.
import type { PixelOp, Pixels } from './types'

const clamp8 = (v: number) => (v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v))

function lutOf(f: (v: number) => number): Uint8Array {
  const lut = new Uint8Array(256)
  for (let v = 0; v < 256; v++) lut[v] = clamp8(f(v))
  return lut
}

/** out = in + beta * 255 (Albumentations brightness, by max). */
export const brightness: PixelOp<'brightness', { beta: number }> = {
  type: 'brightness',
  kind: 'pixel',
  light: true,
  sample: (rng, spec) => ({ beta: rng.uniform(spec.limit[0], spec.limit[1]) }),
  lut: (p) => lutOf((v) => v + p.beta * 255),
  linear: (p) => [1, p.beta * 255],
}

/** out = alpha * in, alpha = 1 + c (Albumentations contrast_limit). */
export const contrast: PixelOp<'contrast', { alpha: number }> = {
  type: 'contrast',
  kind: 'pixel',
  light: true,
  sample: (rng, spec) => ({ alpha: 1 + rng.uniform(spec.limit[0], spec.limit[1]) }),
  lut: (p) => lutOf((v) => v * p.alpha),
  linear: (p) => [p.alpha, 0],
}

export const gamma: PixelOp<'gamma', { gamma: number }> = {
  type: 'gamma',
  kind: 'pixel',
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
  sample: (rng, spec) => ({ saturation: rng.uniform(spec.saturation[0], spec.saturation[1]), value: rng.uniform(spec.value[0], spec.value[1]) }),
  image(p, px: Pixels) {
    const ps = p.saturation, pv = p.value
    const vLut = new Float64Array(256)
    for (let v = 0; v < 256; v++) vLut[v] = 255 * Math.pow(v / 255, pv)
    const d = px.data
    for (let i = 0; i < d.length; i += 3) {
      const r = d[i]!, g = d[i + 1]!, b = d[i + 2]!
      const max = r > g ? (r > b ? r : b) : g > b ? g : b
      if (max === 0) continue
      const min = r < g ? (r < b ? r : b) : g < b ? g : b
      const s = (max - min) / max
      const nmax = vLut[max]!
      const nmin = nmax * (1 - Math.pow(s, ps))
      const span = max - min
      const k = span === 0 ? 0 : (nmax - nmin) / span
      d[i] = clamp8(nmin + (r - min) * k)
      d[i + 1] = clamp8(nmin + (g - min) * k)
      d[i + 2] = clamp8(nmin + (b - min) * k)
    }
  },
}

/** Rotates the hue by `degrees` (HSV), keeping S and V. */
export const hue: PixelOp<'hue', { degrees: number }> = {
  type: 'hue',
  kind: 'pixel',
  sample: (rng, spec) => ({ degrees: rng.uniform(spec.degrees[0], spec.degrees[1]) }),
  image(p, px: Pixels) {
    const shift = ((p.degrees % 360) + 360) % 360 / 60
    const d = px.data
    for (let i = 0; i < d.length; i += 3) {
      const r = d[i]!, g = d[i + 1]!, b = d[i + 2]!
      const max = r > g ? (r > b ? r : b) : g > b ? g : b
      const min = r < g ? (r < b ? r : b) : g < b ? g : b
      const c = max - min
      if (c === 0) continue
      let h = max === r ? (g - b) / c : max === g ? (b - r) / c + 2 : (r - g) / c + 4
      h = (h + shift + 6) % 6
      const x = c * (1 - Math.abs((h % 2) - 1))
      let r1 = 0, g1 = 0, b1 = 0
      if (h < 1) { r1 = c; g1 = x } else if (h < 2) { r1 = x; g1 = c } else if (h < 3) { g1 = c; b1 = x }
      else if (h < 4) { g1 = x; b1 = c } else if (h < 5) { r1 = x; b1 = c } else { r1 = c; b1 = x }
      d[i] = clamp8(r1 + min)
      d[i + 1] = clamp8(g1 + min)
      d[i + 2] = clamp8(b1 + min)
    }
  },
}

export const COLOUR_OPS = [brightness, contrast, gamma, hsvPower, hue] as const
