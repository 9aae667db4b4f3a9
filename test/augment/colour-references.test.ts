// The JS references of hue and the 8-bit HSV map are written without data-dependent branches for
// speed (they are what runs where the addon is not built); here they are compared with the plain
// formulations they replace (the hexcone with JS's %, and rgbToHsv8 -> tables -> hsvToRgb8, which
// colour-ops.test.ts checks against cv2) on all 2^24 colours, with the native kernels off.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { nativeOpVerdicts, useNativeOps } from '../../src/main/augment/fast'
import { nativeOpKernels } from '../../src/main/io/native'
import { plan } from '../../src/main/augment'
import { OPS } from '../../src/main/augment/ops'
import { applyLuts, hsvPower, hue } from '../../src/main/augment/ops/colour'
import { applyPixels } from '../../src/main/augment/photometric'
import { parseRecipe } from '../../src/shared/recipe'
import { hsvToRgb8, mapHsv8, rgbToHsv8 } from '../../src/main/augment/ops/cv8'
import { adjustBrightness, adjustContrast, adjustHue, adjustSaturation, colorJitter, hsvShift } from '../../src/main/augment/ops/hsv'
import { randomRgb } from '../support/cv2'

const clamp8 = (v: number) => (v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v))

/** The hue op as first written: one pixel at a time, the hexcone in doubles. */
function huePlain(d: Uint8Array, degrees: number): void {
  const shift = (((degrees % 360) + 360) % 360) / 60
  for (let i = 0; i < d.length; i += 3) {
    const r = d[i],
      g = d[i + 1],
      b = d[i + 2]
    const max = Math.max(r, g, b),
      min = Math.min(r, g, b),
      c = max - min
    if (c === 0) continue
    let h = max === r ? (g - b) / c : max === g ? (b - r) / c + 2 : (r - g) / c + 4
    h = (h + shift + 6) % 6
    const x = c * (1 - Math.abs((h % 2) - 1))
    const [r1, g1, b1] = h < 1 ? [c, x, 0] : h < 2 ? [x, c, 0] : h < 3 ? [0, c, x] : h < 4 ? [0, x, c] : h < 5 ? [x, 0, c] : [c, 0, x]
    d[i] = clamp8(r1 + min)
    d[i + 1] = clamp8(g1 + min)
    d[i + 2] = clamp8(b1 + min)
  }
}

function hsvPlain(d: Uint8Array, lh: Uint8Array | null, ls: Uint8Array | null, lv: Uint8Array | null): void {
  const hsv = new Int32Array(3)
  for (let i = 0; i < d.length; i += 3) {
    rgbToHsv8(d[i], d[i + 1], d[i + 2], hsv, 0)
    hsvToRgb8(lh ? lh[hsv[0]] : hsv[0], ls ? ls[hsv[1]] : hsv[1], lv ? lv[hsv[2]] : hsv[2], d, i)
  }
}

const all = new Uint8Array(3 << 24)
for (let i = 0; i < 1 << 24; i++) {
  all[3 * i] = i >> 16
  all[3 * i + 1] = (i >> 8) & 255
  all[3 * i + 2] = i & 255
}
/** The first colour (r, g, b) where the two disagree, or null. */
/** [the largest difference, the mean absolute difference, the share of values that differ]. */
function apart(a: Uint8Array, b: Uint8Array): [number, number, number] {
  let n = 0,
    most = 0,
    sum = 0
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i])
    if (d) n++
    if (d > most) most = d
    sum += d
  }
  return [most, sum / a.length, n / a.length]
}

function firstDiff(a: Uint8Array, b: Uint8Array): number[] | null {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return [...all.subarray(i - (i % 3), i - (i % 3) + 3)]
  return null
}

describe('colour JS references = their plain formulations on all 2^24 colours', () => {
  beforeAll(() => useNativeOps(false))
  afterAll(() => useNativeOps(true))

  it('hue', () => {
    for (const degrees of [0.001, 37.7, -123.4, 120, 359.99, -1e-12]) {
      const a = all.slice(),
        b = all.slice()
      hue.image!({ degrees }, { data: a, width: 4096, height: 4096 })
      huePlain(b, degrees)
      expect(firstDiff(a, b), `hue ${degrees}`).toBeNull()
    }
  }, 120_000)

  it('hue under kernels 3 (integers) = the plain hexcone but for a rounding of values within a hair of a half (at most one level)', () => {
    for (const degrees of [0, 0.001, 17, 37.7, -123.4, 120, 359.99, -1e-12]) {
      const a = all.slice(),
        b = all.slice()
      hue.image!({ degrees }, { data: a, width: 4096, height: 4096 }, { ignoreIndex: 255, kernels: 3 })
      huePlain(b, degrees)
      let apart = 0,
        most = 0
      for (let i = 0; i < a.length; i++) {
        const d = Math.abs(a[i] - b[i])
        if (d) apart++
        if (d > most) most = d
      }
      expect(most, `hue ${degrees}: at most one level apart`).toBeLessThanOrEqual(1)
      expect(apart / a.length, `hue ${degrees}: values apart`).toBeLessThan(0.004)
      if (degrees === 0 || degrees === 120) expect(apart, `hue ${degrees}: no rounding at all`).toBe(0)
    }
  }, 300_000)

  it('the 8-bit HSV map (HueSaturationValue, ColorJitter hue), with and without tables', () => {
    const lut = (f: (v: number) => number) => Uint8Array.from({ length: 256 }, (_, v) => f(v))
    const sets: Array<[Uint8Array | null, Uint8Array | null, Uint8Array | null]> = [
      [null, null, null],
      [lut((v) => (v + 7) % 180), null, null],
      [lut((v) => (v + 173) % 180), lut((v) => 255 - v), lut((v) => v >> 1)],
      [lut((v) => 255 - v), lut((v) => Math.min(255, v + 40)), lut((v) => Math.max(0, v - 30))],
    ]
    for (const [k, l] of sets.entries()) {
      const a = all.slice(),
        b = all.slice()
      mapHsv8(a, ...l)
      hsvPlain(b, ...l)
      expect(firstDiff(a, b), `tables ${k}`).toBeNull()
    }
  }, 120_000)
})

describe('color_jitter in fewer passes (brightness and contrast as a pending table) = its four steps one after another', () => {
  afterAll(() => useNativeOps(true))
  const orders: number[][] = []
  const permute = (rest: number[], done: number[]) => {
    if (!rest.length) orders.push(done)
    for (const k of rest)
      permute(
        rest.filter((x) => x !== k),
        [...done, k],
      )
  }
  permute([0, 1, 2, 3], [])
  const factors = [
    { brightness: 1.17, contrast: 0.83, saturation: 1.31, hue: 0.07 },
    { brightness: 0.74, contrast: 1.4, saturation: 0.52, hue: -0.18 },
    { brightness: 1, contrast: 0, saturation: 0, hue: 0 },
    { brightness: 0, contrast: 1.2, saturation: 1, hue: 0.31 },
    { brightness: 1.3, contrast: 1, saturation: 1, hue: 0 },
  ]
  /** The hue step alone under kernels 3: color_jitter with the other three factors 1. */
  const hueAlone = (px: { data: Uint8Array; width: number; height: number }, h: number) =>
    colorJitter.image!({ brightness: 1, contrast: 1, saturation: 1, hue: h, order: [3, 0, 1, 2] }, px, { ignoreIndex: 255, kernels: 3 })
  for (const native of [true, false])
    for (const kernels of [1, 3] as const)
      it(`${native ? 'with the native kernels' : 'JS references alone'}, kernels ${kernels}`, () => {
        useNativeOps(native)
        const img = randomRgb(67, 43, 11)
        for (const fs of factors)
          for (const order of orders) {
            const a = { data: img.slice(), width: 67, height: 43 },
              b = { data: img.slice(), width: 67, height: 43 }
            colorJitter.image!({ ...fs, order }, a, kernels === 1 ? undefined : { ignoreIndex: 255, kernels })
            for (const k of order) {
              if (k === 0) adjustBrightness(b.data, fs.brightness)
              else if (k === 1) adjustContrast(b.data, fs.contrast)
              else if (k === 2) adjustSaturation(b.data, fs.saturation)
              else if (kernels === 1) adjustHue(b, fs.hue)
              else hueAlone(b, fs.hue)
            }
            expect(Buffer.from(a.data).equals(Buffer.from(b.data)), `${JSON.stringify(fs)} order ${order}`).toBe(true)
          }
        if (native && nativeOpKernels()) {
          const v = nativeOpVerdicts()
          expect(
            [v.opGreySum, v.opSaturation, kernels === 1 ? v.opHsvMap : v.opHueQ],
            'the native kernels (with their pending table) were the ones used',
          ).toEqual([true, true, true])
        }
      })
})

describe('ColorJitter saturation by a (grey, value) table on big images (JS) = the per-pixel arithmetic', () => {
  afterAll(() => useNativeOps(true))
  it('factors below, between and above 1, with and without a pending table', () => {
    useNativeOps(false)
    const w = 320,
      h = 240 // 76800 pixels: the table path; one row (320 pixels) takes the per-pixel one
    const img = randomRgb(w, h, 8),
      pre = Uint8Array.from({ length: 256 }, (_, v) => Math.min(255, Math.round(v * 0.9 + 20)))
    for (const factor of [0.37, 1.93, 7.1, -0.5])
      for (const p of [null, pre]) {
        const a = img.slice(),
          b = img.slice()
        adjustSaturation(a, factor, p)
        for (let y = 0; y < h; y++) adjustSaturation(b.subarray(y * w * 3, (y + 1) * w * 3), factor, p)
        expect(Buffer.from(a).equals(Buffer.from(b)), `factor ${factor} ${p ? 'with' : 'without'} pre`).toBe(true)
      }
  })
})

describe('pixel steps reading the pending table of the table steps before them = the table applied first', () => {
  afterAll(() => useNativeOps(true))
  const recipe = (ops: unknown[]) => ({ schema: 'lockstep.recipe/1', output: { width: 53, height: 37 }, ops })
  const tables = [
    { type: 'brightness', p: 1, limit: [-0.3, 0.3] },
    { type: 'contrast', p: 1, limit: [-0.4, 0.4] },
  ]
  const readers = [
    { type: 'hue', p: 1, degrees: [-90, 90] },
    { type: 'hsv_shift', p: 1, hue: [-30, 30], saturation: [-40, 40], value: [-30, 30] },
    { type: 'hsv_shift', p: 1, hue: [0, 0], saturation: [0, 0], value: [0, 0] },
    { type: 'hsv_shift', p: 1, hue: [-30, 30], saturation: [0, 0], value: [0, 0] },
    { type: 'hsv_shift', p: 1, hue: [0, 1.8], saturation: [0, 0], value: [0, 0] }, // a turn of 0 under kernels 3
    { type: 'color_jitter', p: 1, brightness: [0.7, 1.3], contrast: [0.6, 1.4], saturation: [0.5, 1.5], hue: [-0.3, 0.3] },
  ]
  for (const native of [true, false])
    it(`hue (kernels 1 and 3), hsv_shift and color_jitter after brightness and contrast (${native ? 'native' : 'JS'})`, async () => {
      useNativeOps(native)
      const img = randomRgb(53, 37, 4)
      for (const reader of readers)
        for (const kernels of [1, 3] as const)
          for (let seed = 0; seed < 6; seed++) {
            const steps = plan(parseRecipe(recipe([...tables, reader])), { width: 53, height: 37 }, { seed, epoch: 0, sampleId: 's' }).steps.filter(
              (s) => OPS[s.type].kind === 'pixel',
            )
            const ctx = { ignoreIndex: 255, kernels }
            const a = { data: img.slice(), width: 53, height: 37 },
              b = { data: img.slice(), width: 53, height: 37 }
            await applyPixels(steps, a, null, ctx)
            // the same steps one by one: each table applied on its own before the reader runs
            for (const s of steps) {
              const op = OPS[s.type]
              if (op.kind !== 'pixel') continue
              if (op.lut) applyLuts(b.data, op.lut(s.params))
              else await op.image!(s.params, b, ctx)
            }
            expect(Buffer.from(a.data).equals(Buffer.from(b.data)), `${reader.type} kernels ${kernels} seed ${seed}`).toBe(true)
          }
      if (native && nativeOpKernels()) expect(nativeOpVerdicts().opHueQ, 'the native kernel (with its pending table) was the one used').toBe(true)
    })
})

describe('hsv_power under kernels 3 (16-bit fixed point from three 256-entry tables)', () => {
  afterAll(() => useNativeOps(true))
  /** HSV with S and V raised to powers, the hue kept, in doubles: max' = 255 v^pv, min' = max' (1 - s^ps), the middle channel in proportion. */
  function powerHsv(d: Uint8Array, ps: number, pv: number): Float64Array {
    const out = new Float64Array(d.length)
    for (let i = 0; i < d.length; i += 3) {
      const max = Math.max(d[i], d[i + 1], d[i + 2]),
        min = Math.min(d[i], d[i + 1], d[i + 2])
      if (max === 0) continue
      const top = 255 * (max / 255) ** pv,
        bottom = top * (1 - ((max - min) / max) ** ps)
      for (let c = 0; c < 3; c++) out[i + c] = max === min ? top : bottom + ((d[i + c] - min) / (max - min)) * (top - bottom)
    }
    return out
  }
  for (const native of [true, false])
    it(`is the formula to within one level, as the kernels 1/2 bytes are (${native ? 'native' : 'JS'}), on all 2^24 colours`, () => {
      useNativeOps(native)
      for (const [ps, pv] of [
        [0.37, 2.9],
        [1.8, 0.55],
        [0.25, 4],
      ]) {
        const q = all.slice(),
          old = all.slice()
        hsvPower.image!({ saturation: ps, value: pv }, { data: q, width: 4096, height: 4096 }, { ignoreIndex: 255, kernels: 3 })
        hsvPower.image!({ saturation: ps, value: pv }, { data: old, width: 4096, height: 4096 }, { ignoreIndex: 255, kernels: 2 })
        const ref = powerHsv(all, ps, pv)
        let worst = 0,
          moved = 0,
          far = 0
        for (let i = 0; i < all.length; i++) {
          worst = Math.max(worst, Math.abs(q[i] - ref[i]))
          if (q[i] !== old[i]) moved++
          if (Math.abs(q[i] - old[i]) > 1) far++
        }
        expect(worst, `${ps} ${pv}: distance from the formula`).toBeLessThan(0.51)
        expect(far, `${ps} ${pv}: values more than one level from the kernels 1/2 bytes`).toBe(0)
        // (half a level, and a hair: the fixed point and pow(span) / pow(max) can round a double near x.5 the other way)
        // the fixed point moves a value only there
        expect(moved / all.length, `${ps} ${pv}: share of values that moved`).toBeLessThan(1e-3)
      }
    }, 300_000)
})

describe('hsv_shift under kernels 3 with only a hue shift: the integer hexcone turn, within one level of the exact turn and 6 of the kernels 2 bytes', () => {
  afterAll(() => useNativeOps(true))
  const render = (h: number, kernels: 2 | 3) => {
    const d = all.slice()
    hsvShift.image!({ hue: h, saturation: 0, value: 0 }, { data: d, width: 4096, height: 4096 }, { ignoreIndex: 255, kernels })
    return d
  }
  for (const native of [true, false])
    it(`on all 2^24 colours (${native ? 'native' : 'JS'})`, () => {
      useNativeOps(native)
      // Albumentations' hue table turns by floor(hue) mod 180 units of 2 degrees
      for (const h of [0.5, -5, 3.7, 30, 61.2]) {
        const q = render(h, 3),
          old = render(h, 2),
          exact = all.slice()
        huePlain(exact, Math.floor(h) * 2)
        const [most, mean, share] = apart(q, exact)
        expect(most, `hue ${h}: kernels 3 within one level of the exact turn`).toBeLessThanOrEqual(1)
        expect(share, `hue ${h}: values a level from the exact turn`).toBeLessThan(0.025)
        if (h === 0.5 || h === 30) expect(mean, `hue ${h}: a whole number of sectors turns exactly`).toBe(0)
        if (h === 0.5) expect(firstDiff(q, all), 'a turn of 0 keeps every colour').toBeNull()
        // kernels 2's round trip through 8-bit HSV quantises S and V: up to 6 levels from the exact
        // turn, 0.55 on average, 42 % of the values; kernels 3 is that far from it
        const [most2, mean2, share2] = apart(q, old)
        expect(most2, `hue ${h}: kernels 3 to kernels 2, largest`).toBeLessThanOrEqual(6)
        expect(mean2, `hue ${h}: kernels 3 to kernels 2, mean`).toBeLessThan(0.57)
        expect(share2, `hue ${h}: kernels 3 to kernels 2, share apart`).toBeLessThan(0.43)
        expect(apart(old, exact)[1], `hue ${h}: kernels 2 to the exact turn, mean`).toBeGreaterThan(0.5)
      }
    }, 300_000)
})

describe('color_jitter under kernels 3: its hue step is the integer hexcone turn, within one level of the exact turn and 6 of the kernels 2 bytes', () => {
  afterAll(() => useNativeOps(true))
  /** color_jitter with the hue factor alone (brightness, contrast and saturation 1) on every colour. */
  const render = (h: number, kernels: 2 | 3) => {
    const d = all.slice()
    colorJitter.image!(
      { brightness: 1, contrast: 1, saturation: 1, hue: h, order: [2, 3, 0, 1] },
      { data: d, width: 4096, height: 4096 },
      { ignoreIndex: 255, kernels },
    )
    return d
  }
  for (const native of [true, false])
    it(`on all 2^24 colours (${native ? 'native' : 'JS'})`, () => {
      useNativeOps(native)
      // adjustHue's table turns by floor(180 factor mod 180) units of 2 degrees
      for (const h of [0.002, -0.03, 0.07, 1 / 6, -0.18, 0.31]) {
        const q = render(h, 3),
          old = render(h, 2),
          exact = all.slice()
        huePlain(exact, Math.floor((((180 * h) % 180) + 180) % 180) * 2)
        const [most, , share] = apart(q, exact)
        expect(most, `hue ${h}: kernels 3 within one level of the exact turn`).toBeLessThanOrEqual(1)
        expect(share, `hue ${h}: values a level from the exact turn`).toBeLessThan(0.025)
        if (h === 0.002) expect(firstDiff(q, all), 'a turn of 0 keeps every colour').toBeNull()
        if (h === 1 / 6) expect(apart(q, exact)[1], 'a whole sector turns exactly').toBe(0)
        // kernels 2's round trip through 8-bit HSV quantises S and V: kernels 3 is that far from it
        const [most2, mean2, share2] = apart(q, old)
        expect(most2, `hue ${h}: kernels 3 to kernels 2, largest`).toBeLessThanOrEqual(6)
        expect(mean2, `hue ${h}: kernels 3 to kernels 2, mean`).toBeLessThan(0.57)
        expect(share2, `hue ${h}: kernels 3 to kernels 2, share apart`).toBeLessThan(0.43)
        if (h !== 0.002) expect(apart(old, exact)[1], `hue ${h}: kernels 2 to the exact turn, mean`).toBeGreaterThan(0.5)
      }
      if (native && nativeOpKernels()) expect(nativeOpVerdicts().opHueQ, 'the native kernel was the one used').toBe(true)
    }, 300_000)
})
