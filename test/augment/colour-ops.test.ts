// Colour ops against independent references: OpenCV (cv2 under Debian's python3) where it defines
// the op, and Albumentations 1.3.1's uint8 functions re-typed in Python over cv2/numpy where it is
// the reference (HueSaturationValue, ColorJitter, RGBShift). Each comparison is byte for byte.
import { describe, expect, it } from 'vitest'
import { OPS } from '../../src/main/augment/ops'
import { grey8, hsvToRgb8, rgbToHsv8, rgbToYcrcb8, ycrcbToRgb8 } from '../../src/main/augment/ops/cv8'
import { claheRgb, equalizeLut } from '../../src/main/augment/ops/histogram'
import { adjustBrightness, adjustContrast, adjustHue, adjustSaturation } from '../../src/main/augment/ops/hsv'
import { cv2Run, hasCv2, randomRgb } from '../support/cv2'

const W = 256,
  H = 96 // rows a multiple of OpenCV's vector block (32 pixels), as the HSV2RGB emulation says
const img = randomRgb(W, H, 3)
const rgbIn = { data: img, shape: [H, W, 3] }
const px = () => ({ width: W, height: H, data: img.slice() })
const bytes = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.length)
const firstDiff = (a: Uint8Array, b: Uint8Array) => a.findIndex((v, i) => v !== b[i])

/** Runs a pixel op's image() with given params on the test image (kernels: the plan's generation; absent: 1). */
async function run(type: keyof typeof OPS, params: Record<string, unknown>, kernels?: 2 | 3) {
  const p = px()
  const op = OPS[type]
  if (op.kind === 'pixel' && op.lut) {
    const lut = op.lut(params as never)
    p.data.forEach((v, i) => (p.data[i] = lut[v]))
  } else if (op.kind === 'pixel') await op.image!(params as never, p, kernels ? { ignoreIndex: 255, kernels } : undefined)
  return p.data
}

describe.skipIf(!hasCv2)('OpenCV 8-bit conversions, value for value', () => {
  it('RGB->HSV, HSV->RGB (every H, a grid of S and V), RGB->grey, RGB<->YCrCb on random pixels', () => {
    const hsv = new Uint8Array(180 * 64 * 64 * 3)
    for (let h = 0, i = 0; h < 180; h++)
      for (let s = 0; s < 256; s += 4) for (let v = 0; v < 256; v += 4, i += 3) hsv.set([h, s + (h & 3), v + ((h >> 2) & 3)], i)
    const r = cv2Run(
      `out['hsv'] = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
out['back'] = cv2.cvtColor(hsv.reshape(180 * 64, 64, 3), cv2.COLOR_HSV2RGB)
out['grey'] = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
out['ycc'] = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)
out['yback'] = cv2.cvtColor(rgb, cv2.COLOR_YCrCb2RGB)`,
      { rgb: rgbIn, hsv: { data: hsv, shape: [hsv.length] } },
    )
    const n = W * H
    const got = {
      hsv: new Uint8Array(n * 3),
      back: new Uint8Array(hsv.length),
      grey: new Uint8Array(n),
      ycc: new Uint8Array(n * 3),
      yback: new Uint8Array(n * 3),
    }
    for (let i = 0; i < n; i++) {
      const [a, b, c] = [img[i * 3], img[i * 3 + 1], img[i * 3 + 2]]
      rgbToHsv8(a, b, c, got.hsv, i * 3)
      got.grey[i] = grey8(a, b, c)
      rgbToYcrcb8(a, b, c, got.ycc, i * 3)
      ycrcbToRgb8(a, b, c, got.yback, i * 3)
    }
    for (let i = 0; i < hsv.length; i += 3) hsvToRgb8(hsv[i], hsv[i + 1], hsv[i + 2], got.back, i)
    for (const k of Object.keys(got) as Array<keyof typeof got>) expect(firstDiff(got[k], bytes(r[k].bytes)), k).toBe(-1)
  })
})

// Albumentations 1.3.1's functions for uint8 images, re-typed (python side of the comparison)
const ALBU = `
def shift_hsv(img, hue_shift, sat_shift, val_shift):
    img = cv2.cvtColor(img, cv2.COLOR_RGB2HSV)
    hue, sat, val = cv2.split(img)
    if hue_shift != 0:
        lut = np.mod(np.arange(0, 256, dtype=np.int16) + hue_shift, 180).astype(np.uint8)
        hue = cv2.LUT(hue, lut)
    if sat_shift != 0:
        sat = cv2.LUT(sat, np.clip(np.arange(0, 256, dtype=np.int16) + sat_shift, 0, 255).astype(np.uint8))
    if val_shift != 0:
        val = cv2.LUT(val, np.clip(np.arange(0, 256, dtype=np.int16) + val_shift, 0, 255).astype(np.uint8))
    return cv2.cvtColor(cv2.merge((hue, sat, val)), cv2.COLOR_HSV2RGB)
def brightness(img, f):
    if f == 0: return np.zeros_like(img)
    if f == 1: return img
    return cv2.LUT(img, np.clip(np.arange(0, 256) * f, 0, 255).astype(np.uint8))
def contrast(img, f):
    if f == 1: return img
    mean = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).mean()
    if f == 0: return np.full_like(img, int(mean + 0.5))
    return cv2.LUT(img, np.clip(np.arange(0, 256) * f + mean * (1 - f), 0, 255).astype(np.uint8))
def saturation(img, f):
    if f == 1: return img
    gray = cv2.cvtColor(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
    if f == 0: return gray
    return cv2.addWeighted(img, f, gray, 1 - f, gamma=0)
def hue(img, f):
    if f == 0: return img
    img = cv2.cvtColor(img, cv2.COLOR_RGB2HSV)
    img[..., 0] = cv2.LUT(img[..., 0], np.mod(np.arange(0, 256, dtype=np.int16) + 180 * f, 180).astype(np.uint8))
    return cv2.cvtColor(img, cv2.COLOR_HSV2RGB)
def shift_image(img, v):
    lut = np.arange(0, 256).astype('float32')
    lut += v
    return cv2.LUT(img, np.clip(lut, 0, 255).astype(np.uint8))
`

describe.skipIf(!hasCv2)('ops as Albumentations applies them to 8-bit images', () => {
  it('hsv_shift = HueSaturationValue (hue in OpenCV units, saturation and value added)', async () => {
    const cases = [
      [7.3, 0, 0],
      [-13.9, 25.5, -17.2],
      [0, -60.7, 40.1],
      [179.5, 255, -255],
    ] as const
    const r = cv2Run(
      cases
        .map(([h, s, v], i) => `out['c${i}'] = shift_hsv(rgb, ${h}, ${s}, ${v})`)
        .join('\n')
        .replace(/^/, ALBU + '\n'),
      { rgb: rgbIn },
    )
    for (const [i, [h, s, v]] of cases.entries())
      for (const kernels of [undefined, 2] as const)
        expect(firstDiff(await run('hsv_shift', { hue: h, saturation: s, value: v }, kernels), bytes(r[`c${i}`].bytes)), `case ${i} kernels ${kernels}`).toBe(
          -1,
        )
    // kernels 3 with a saturation or value shift: the same bytes
    for (const [i, [h, s, v]] of cases.entries())
      if (s !== 0 || v !== 0)
        expect(firstDiff(await run('hsv_shift', { hue: h, saturation: s, value: v }, 3), bytes(r[`c${i}`].bytes)), `case ${i} kernels 3`).toBe(-1)
  })

  it('hsv_shift with only a hue shift under kernels 3 (the integer hexcone turn) = HueSaturationValue within its 8-bit HSV rounding', async () => {
    // HueSaturationValue goes through 8-bit HSV (S and V quantised); kernels 3 turns the hexcone by
    // the same angle (floor(hue) units of 2 degrees) and keeps max and min: a few levels apart
    const shifts = [7.3, -13.9, 30, 179.5, -0.2]
    const r = cv2Run(
      shifts
        .map((h, i) => `out['c${i}'] = shift_hsv(rgb, ${h}, 0, 0)`)
        .join('\n')
        .replace(/^/, ALBU + '\n'),
      { rgb: rgbIn },
    )
    for (const [i, h] of shifts.entries()) {
      const got = await run('hsv_shift', { hue: h, saturation: 0, value: 0 }, 3),
        want = bytes(r[`c${i}`].bytes)
      const [most, sum] = largestAndSum(got, want)
      expect(most, `hue ${h}: largest difference`).toBeLessThanOrEqual(6)
      expect(sum / got.length, `hue ${h}: mean difference`).toBeLessThan(0.6)
      expect(sum, `hue ${h}: not the kernels 2 bytes`).toBeGreaterThan(0)
    }
  })

  it('color_jitter = ColorJitter: brightness, contrast, saturation and hue factors, in the drawn order', async () => {
    const cases = [
      { brightness: 1.17, contrast: 0.83, saturation: 1.31, hue: 0.07, order: [0, 1, 2, 3] },
      { brightness: 0.74, contrast: 1.4, saturation: 0.52, hue: -0.18, order: [3, 2, 1, 0] },
      { brightness: 1, contrast: 0, saturation: 0, hue: 0, order: [2, 0, 3, 1] },
    ]
    const fns = ['brightness', 'contrast', 'saturation', 'hue']
    const code = cases
      .map((c, i) => {
        const args = [c.brightness, c.contrast, c.saturation, c.hue]
        return `x = rgb.copy()\n${c.order.map((k) => `x = ${fns[k]}(x, ${args[k]})`).join('\n')}\nout['c${i}'] = x`
      })
      .join('\n')
    const r = cv2Run(ALBU + '\n' + code, { rgb: rgbIn })
    for (const [i, c] of cases.entries())
      for (const kernels of [undefined, 2] as const)
        expect(firstDiff(await run('color_jitter', c, kernels), bytes(r[`c${i}`].bytes)), `case ${i} kernels ${kernels}`).toBe(-1)
    // kernels 3 turns the hexcone without the 8-bit HSV round trip (hsv.ts jitterHue): a few levels
    // from ColorJitter where the hue turns (0.61 on average after a saturation of 1.31), its bytes
    // where it does not (case 2: hue 0)
    for (const [i, c] of cases.entries()) {
      const got = await run('color_jitter', c, 3),
        want = bytes(r[`c${i}`].bytes)
      const [most, sum] = largestAndSum(got, want)
      if (c.hue === 0) expect(sum, `case ${i} kernels 3: no hue turn, ColorJitter's bytes`).toBe(0)
      else {
        expect(most, `case ${i} kernels 3: largest difference`).toBeLessThanOrEqual(6)
        expect(sum / got.length, `case ${i} kernels 3: mean difference`).toBeLessThan(0.7)
        expect(sum, `case ${i} kernels 3: not the kernels 2 bytes`).toBeGreaterThan(0)
      }
    }
    // and each factor alone, through the exported functions
    const one = px()
    adjustBrightness(one.data, 1.1)
    adjustContrast(one.data, 0.9)
    adjustSaturation(one.data, 1.2)
    adjustHue(one, 0.05)
    const r2 = cv2Run(ALBU + `\nout['x'] = hue(saturation(contrast(brightness(rgb, 1.1), 0.9), 1.2), 0.05)`, { rgb: rgbIn })
    expect(firstDiff(one.data, bytes(r2.x.bytes))).toBe(-1)
  })

  it('rgb_shift = RGBShift (a float32 table per channel, truncated)', async () => {
    const r = cv2Run(
      ALBU + `\nout['x'] = np.dstack([shift_image(rgb[..., 0].copy(), 12.7), shift_image(rgb[..., 1].copy(), -33.2), shift_image(rgb[..., 2].copy(), 0.49)])`,
      { rgb: rgbIn },
    )
    expect(firstDiff(await run('rgb_shift', { r: 12.7, g: -33.2, b: 0.49 }), bytes(r.x.bytes))).toBe(-1)
  })

  it('to_grey = cv2 RGB2GRAY in three channels; channel_shuffle = numpy indexing; posterize = a bit mask', async () => {
    const r = cv2Run(
      `g = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
out['grey'] = cv2.cvtColor(g, cv2.COLOR_GRAY2RGB)
out['shuffle'] = np.ascontiguousarray(rgb[..., [2, 0, 1]])
out['post'] = rgb & np.uint8(~np.uint8(2 ** (8 - 3) - 1))`,
      { rgb: rgbIn },
    )
    expect(firstDiff(await run('to_grey', {}), bytes(r.grey.bytes))).toBe(-1)
    expect(firstDiff(await run('channel_shuffle', { order: [2, 0, 1] }), bytes(r.shuffle.bytes))).toBe(-1)
    expect(firstDiff(await run('posterize', { bits: 3 }), bytes(r.post.bytes))).toBe(-1)
  })

  it('equalize = cv2.equalizeHist per channel; clahe = cv2 CLAHE on Y of YCrCb', async () => {
    // a low-contrast image, so equalisation and CLAHE do something
    const dull = Uint8Array.from(img, (v) => 60 + (v >> 2))
    const r = cv2Run(
      `out['eq'] = np.dstack([cv2.equalizeHist(np.ascontiguousarray(rgb[..., c])) for c in range(3)])
ycc = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)
out['clahe'] = cv2.cvtColor(cv2.merge([cv2.createCLAHE(clipLimit=2.5, tileGridSize=(8, 8)).apply(ycc[..., 0].copy()), ycc[..., 1], ycc[..., 2]]), cv2.COLOR_YCrCb2RGB)
odd = rgb[:90, :250].copy()
ycc = cv2.cvtColor(odd, cv2.COLOR_RGB2YCrCb)
out['clahe_odd'] = cv2.cvtColor(cv2.merge([cv2.createCLAHE(clipLimit=3.0, tileGridSize=(7, 7)).apply(ycc[..., 0].copy()), ycc[..., 1], ycc[..., 2]]), cv2.COLOR_YCrCb2RGB)`,
      { rgb: { data: dull, shape: [H, W, 3] } },
    )
    const eq = dull.slice()
    const luts = [0, 1, 2].map((c) => equalizeLut(eq, c))
    eq.forEach((v, i) => (eq[i] = luts[i % 3][v]))
    expect(firstDiff(eq, bytes(r.eq.bytes))).toBe(-1)
    const c = { width: W, height: H, data: dull.slice() }
    claheRgb(c, 2.5, 8)
    expect(firstDiff(c.data, bytes(r.clahe.bytes))).toBe(-1)
    // a size that is not a multiple of the grid (OpenCV extends it for the tables)
    const odd = new Uint8Array(250 * 90 * 3)
    for (let y = 0; y < 90; y++) odd.set(dull.subarray(y * W * 3, (y * W + 250) * 3), y * 250 * 3)
    const o = { width: 250, height: 90, data: odd }
    claheRgb(o, 3.0, 7)
    expect(firstDiff(o.data, bytes(r.clahe_odd.bytes))).toBe(-1)
  })
})

/** The largest absolute difference of two byte arrays and the sum of all of them. */
function largestAndSum(a: Uint8Array, b: Uint8Array): [number, number] {
  let most = 0,
    sum = 0
  for (let j = 0; j < a.length; j++) {
    const d = Math.abs(a[j] - b[j])
    most = Math.max(most, d)
    sum += d
  }
  return [most, sum]
}

describe('step-by-step references', () => {
  it("channel_shift (Keras): every value + intensity, clipped to the image's own range, rounded", async () => {
    const lo = Math.min(...img),
      hi = Math.max(...img)
    const want = Uint8Array.from(img, (v) => Math.round(Math.min(hi, Math.max(lo, v + 17.4))))
    expect(firstDiff(await run('channel_shift', { intensity: 17.4 }), want)).toBe(-1)
    const narrow = { width: 4, height: 1, data: Uint8Array.from([50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160]) }
    const op = OPS.channel_shift
    if (op.kind === 'pixel') await op.image!({ intensity: 200 }, narrow)
    expect([...narrow.data]).toEqual(Array(12).fill(160)) // clipped to the image's max, not 255
  })

  it('multiplicative_noise: one factor is a float32 table, per channel one table each, per pixel from the seed', async () => {
    const one = await run('multiplicative_noise', { multiplier: [0.5, 1.5], perChannel: false, elementwise: false, values: [1.23], seed: 1 })
    expect(
      firstDiff(
        one,
        Uint8Array.from(img, (v) => Math.min(255, Math.trunc(Math.fround(v * Math.fround(1.23))))),
      ),
    ).toBe(-1)
    const per = await run('multiplicative_noise', { multiplier: [0.5, 1.5], perChannel: true, elementwise: false, values: [0.7, 1, 1.4], seed: 1 })
    expect(
      firstDiff(
        per,
        Uint8Array.from(img, (v, i) => Math.min(255, Math.trunc(Math.fround(v * [0.7, 1, 1.4][i % 3])))),
      ),
    ).toBe(-1)
    const a = await run('multiplicative_noise', { multiplier: [0.9, 1.1], perChannel: true, elementwise: true, values: [], seed: 5 })
    const b = await run('multiplicative_noise', { multiplier: [0.9, 1.1], perChannel: true, elementwise: true, values: [], seed: 5 })
    const c = await run('multiplicative_noise', { multiplier: [0.9, 1.1], perChannel: true, elementwise: true, values: [], seed: 6 })
    expect(firstDiff(a, b)).toBe(-1)
    expect(firstDiff(a, c)).not.toBe(-1)
    // every value within the multiplier's range of its source
    expect(a.every((v, i) => v >= Math.trunc(img[i] * 0.9) && v <= Math.min(255, Math.trunc(img[i] * 1.1) + 1))).toBe(true)
  })
})
