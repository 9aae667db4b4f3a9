// Neighbourhood ops against OpenCV: median blur and downscale (nearest both ways) byte for byte;
// sharpen and motion blur against cv2.filter2D with the same kernel (OpenCV sums in float32 with
// fused multiply-adds, Lockstep in float64: at most one level apart, on few pixels); the JPEG
// round trip is the export's own encoder and decoder.
import { describe, expect, it } from 'vitest'
import { OPS } from '../../src/main/augment/ops'
import { gaussianKernel } from '../../src/main/augment/ops/blur'
import type { KernelGeneration } from '../../src/main/augment/ops/types'
import { linePixels, sharpenTaps } from '../../src/main/augment/ops/filter'
import { Rng } from '../../src/main/augment/rng'
import { decodeImage, encodeRgb } from '../../src/main/io/image'
import { cv2Run, hasCv2, randomRgb } from '../support/cv2'

const W = 173,
  H = 91
const img = randomRgb(W, H, 7)
const rgbIn = { data: img, shape: [H, W, 3] }
const bytes = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.length)
async function run(type: keyof typeof OPS, params: Record<string, unknown>, data = img, w = W, h = H, kernels: KernelGeneration = 2) {
  const p = { width: w, height: h, data: data.slice() }
  const op = OPS[type]
  if (op.kind === 'pixel') await op.image!(params as never, p, { ignoreIndex: 255, kernels })
  return p.data
}
function diffStats(a: Uint8Array, b: Uint8Array) {
  let max = 0,
    n = 0
  a.forEach((v, i) => {
    const d = Math.abs(v - b[i])
    if (d > max) max = d
    if (d) n++
  })
  return { max, fraction: n / a.length }
}

describe.skipIf(!hasCv2)('filters against OpenCV', () => {
  it('median_blur = cv2.medianBlur (3, 5, 7), byte for byte', async () => {
    const r = cv2Run([3, 5, 7].map((k) => `out['m${k}'] = cv2.medianBlur(rgb, ${k})`).join('\n'), { rgb: rgbIn })
    for (const k of [3, 5, 7]) expect(diffStats(await run('median_blur', { size: k }), bytes(r[`m${k}`].bytes)).max, `k=${k}`).toBe(0)
  })

  it('downscale = cv2.resize nearest down by the scale and back, byte for byte', async () => {
    const scales = [0.25, 0.37, 0.5, 0.83]
    const r = cv2Run(
      scales
        .map(
          (s, i) =>
            `dn = cv2.resize(rgb, None, fx=${s}, fy=${s}, interpolation=cv2.INTER_NEAREST)\nout['s${i}'] = cv2.resize(dn, (${W}, ${H}), interpolation=cv2.INTER_NEAREST)`,
        )
        .join('\n'),
      { rgb: rgbIn },
    )
    for (const [i, s] of scales.entries()) expect(diffStats(await run('downscale', { scale: s }), bytes(r[`s${i}`].bytes)).max, `scale ${s}`).toBe(0)
  })

  it("sharpen = cv2.filter2D with Albumentations' kernel; motion blur = cv2.filter2D with the recorded line", async () => {
    const taps = sharpenTaps(0.37, 0.81)
    const k3 = Array.from({ length: 9 }, (_, i) => taps[i * 3 + 2])
    const line = linePixels(0, 4, 6, 1)
    const km = new Float32Array(49)
    for (let i = 0; i < line.length; i += 2) km[line[i + 1] * 7 + line[i]] = Math.fround(2 / line.length)
    const r = cv2Run(
      `out['s'] = cv2.filter2D(rgb, -1, np.array(${JSON.stringify(k3)}, dtype=np.float32).reshape(3, 3))
out['m'] = cv2.filter2D(rgb, -1, km.reshape(7, 7))`,
      { rgb: rgbIn, km: { data: km, shape: [49] } },
    )
    for (const kernels of [2, 3] as const) {
      const s = diffStats(await run('sharpen', { alpha: 0.37, lightness: 0.81 }, img, W, H, kernels), bytes(r.s.bytes))
      expect(s.max, `kernels ${kernels}`).toBeLessThanOrEqual(1)
      expect(s.fraction, `kernels ${kernels}`).toBeLessThan(0.01)
      const m = diffStats(await run('motion_blur', { size: 7, line: [0, 4, 6, 1] }, img, W, H, kernels), bytes(r.m.bytes))
      expect(m.max, `kernels ${kernels}`).toBeLessThanOrEqual(1)
      expect(m.fraction, `kernels ${kernels}`).toBeLessThan(0.01)
    }
  })

  it('gaussian_blur ~ cv2.GaussianBlur (its 2r + 1 taps, BORDER_REPLICATE): the integer definition (kernels 3) is no further from it than the float64 one (kernels 2)', async () => {
    // OpenCV's own 8-bit GaussianBlur is fixed point with Q8 taps: it is the less precise one
    const sigmas = [0.3, 0.8, 1, 1.5, 3.3, 7]
    const r = cv2Run(
      sigmas
        .map(
          (s, i) => `out['g${i}'] = cv2.GaussianBlur(rgb, (${gaussianKernel(s).length}, ${gaussianKernel(s).length}), ${s}, borderType=cv2.BORDER_REPLICATE)`,
        )
        .join('\n'),
      { rgb: rgbIn },
    )
    for (const [i, sigma] of sigmas.entries()) {
      const cv = bytes(r[`g${i}`].bytes)
      const d2 = diffStats(await run('gaussian_blur', { sigma }, img, W, H, 2), cv)
      const d3 = diffStats(await run('gaussian_blur', { sigma }, img, W, H, 3), cv)
      expect(d2.max, `sigma ${sigma}`).toBeLessThanOrEqual(2)
      expect(d3.max, `sigma ${sigma}`).toBeLessThanOrEqual(Math.max(1, d2.max))
      expect(d3.fraction, `sigma ${sigma}`).toBeLessThan(d2.fraction + 0.01)
    }
  })
})

describe('kernels 3 (integer filters) stay faithful to the float64 definitions', () => {
  // random images (the worst case for a quantized kernel: every tap meets a different value)
  const SEEDS = [1, 2, 3]
  async function distance(type: keyof typeof OPS, params: Record<string, unknown>) {
    let max = 0,
      fraction = 0
    for (const seed of SEEDS) {
      const src = randomRgb(W, H, seed)
      const d = diffStats(await run(type, params, src, W, H, 3), await run(type, params, src, W, H, 2))
      max = Math.max(max, d.max)
      fraction = Math.max(fraction, d.fraction)
    }
    return { max, fraction }
  }
  const report: string[] = []
  it('gaussian blur over the schema range of sigma: at most one level apart, on few values', async () => {
    for (const sigma of [0.1, 0.3, 0.5, 0.8, 1, 1.3, 2, 4, 10, 20]) {
      const d = await distance('gaussian_blur', { sigma })
      report.push(`gaussian_blur sigma ${sigma}: max ${d.max}, ${(d.fraction * 100).toFixed(2)}%`)
      expect(d.max, `sigma ${sigma}`).toBeLessThanOrEqual(1)
      expect(d.fraction, `sigma ${sigma}`).toBeLessThan(0.02)
    }
  })
  it('sharpen at the corners of its schema range and between: at most one level apart, on few values', async () => {
    for (const [alpha, lightness] of [
      [0, 0],
      [0.2, 0.5],
      [0.5, 1],
      [0.37, 0.81],
      [1, 10],
      [0.05, 9.99],
    ]) {
      const d = await distance('sharpen', { alpha, lightness })
      report.push(`sharpen alpha ${alpha} lightness ${lightness}: max ${d.max}, ${(d.fraction * 100).toFixed(2)}%`)
      expect(d.max, `alpha ${alpha} lightness ${lightness}`).toBeLessThanOrEqual(1)
      expect(d.fraction, `alpha ${alpha} lightness ${lightness}`).toBeLessThan(0.01)
    }
  })
  it('motion blur, lines of 2 to 101 pixels: at most one level apart, on few values', async () => {
    for (const [size, line] of [
      [3, [0, 0, 2, 2]],
      [3, [1, 0, 1, 1]],
      [7, [0, 4, 6, 1]],
      [9, [8, 0, 0, 8]],
      [51, [0, 3, 50, 40]],
      [101, [0, 0, 100, 37]],
    ] as const) {
      const d = await distance('motion_blur', { size, line })
      report.push(`motion_blur size ${size} line ${line.join(',')}: max ${d.max}, ${(d.fraction * 100).toFixed(2)}%`)
      expect(d.max, `size ${size}`).toBeLessThanOrEqual(1)
      expect(d.fraction, `size ${size}`).toBeLessThan(0.01)
    }
    console.log(`kernels 3 vs the float64 definitions (${W}x${H} random images, seeds ${SEEDS.join(', ')}):\n${report.join('\n')}`)
  })

  it('a flat image stays flat, at every level', async () => {
    const flat = new Uint8Array(W * H * 3)
    for (const v of [0, 1, 77, 128, 254, 255]) {
      flat.fill(v)
      for (const [type, params] of [
        ['gaussian_blur', { sigma: 0.1 }],
        ['gaussian_blur', { sigma: 1.37 }],
        ['gaussian_blur', { sigma: 20 }],
        ['motion_blur', { size: 7, line: [0, 4, 6, 1] }],
        ['motion_blur', { size: 101, line: [0, 0, 100, 37] }],
        ['sharpen', { alpha: 0.4, lightness: 1 }],
      ] as const)
        expect(
          (await run(type, params, flat, W, H, 3)).every((x) => x === v),
          `${type} ${JSON.stringify(params)} on ${v}`,
        ).toBe(true)
    }
  })
})

describe('filters, step by step', () => {
  it('motion blur kernels are lines of the drawn size and endpoints; different draws, different kernels', () => {
    const spec = { type: 'motion_blur' as const, p: 1, size: [3, 9] as [number, number] }
    const seen = new Set<string>()
    for (let s = 0; s < 40; s++) {
      const p = OPS.motion_blur.sample(Rng.fromParts('t', s), spec, {} as never) as { size: number; line: number[] }
      expect([3, 5, 7, 9]).toContain(p.size)
      expect(p.line.every((v) => v >= 0 && v < p.size)).toBe(true)
      expect(p.line[0] !== p.line[2] || p.line[1] !== p.line[3]).toBe(true)
      seen.add(JSON.stringify(p))
    }
    expect(seen.size).toBeGreaterThan(30)
    // an 8-connected line: from one end to the other, one pixel per step along its longer axis
    for (const [x1, y1, x2, y2] of [
      [0, 0, 4, 2],
      [6, 1, 0, 5],
      [3, 0, 3, 6],
      [0, 2, 6, 2],
    ] as const) {
      const pts = linePixels(x1, y1, x2, y2)
      expect(pts.slice(0, 2)).toEqual([x1, y1])
      expect(pts.slice(-2)).toEqual([x2, y2])
      expect(pts.length / 2).toBe(Math.max(Math.abs(x2 - x1), Math.abs(y2 - y1)) + 1)
      for (let i = 2; i < pts.length; i += 2) expect(Math.max(Math.abs(pts[i] - pts[i - 2]), Math.abs(pts[i + 1] - pts[i - 1]))).toBe(1)
    }
  })

  it("a JPEG round trip at the drawn quality is the export's encoder and decoder: lower quality, further from the source", async () => {
    const q90 = await run('jpeg', { quality: 90 })
    const q20 = await run('jpeg', { quality: 20 })
    const enc = await encodeRgb(img, W, H, 'jpeg', 90)
    expect(Buffer.from(q90).equals((await decodeImage('x', enc)).data)).toBe(true)
    const err = (a: Uint8Array) => a.reduce((s, v, i) => s + Math.abs(v - img[i]), 0) / a.length
    expect(err(q20)).toBeGreaterThan(err(q90))
  })
})
