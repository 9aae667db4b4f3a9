// Neighbourhood ops against OpenCV: median blur and downscale (nearest both ways) byte for byte;
// sharpen and motion blur against cv2.filter2D with the same kernel (OpenCV sums in float32 with
// fused multiply-adds, Lockstep in float64: at most one level apart, on few pixels); the JPEG
// round trip is the export's own encoder and decoder.
import { describe, expect, it } from 'vitest'
import { OPS } from '../../src/main/augment/ops'
import { linePixels, sharpenTaps } from '../../src/main/augment/ops/filter'
import { Rng } from '../../src/main/augment/rng'
import { decodeImage, encodeRgb } from '../../src/main/io/image'
import { cv2Run, hasCv2, randomRgb } from '../support/cv2'

const W = 173,
  H = 91
const img = randomRgb(W, H, 7)
const rgbIn = { data: img, shape: [H, W, 3] }
const bytes = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.length)
async function run(type: keyof typeof OPS, params: Record<string, unknown>, data = img, w = W, h = H) {
  const p = { width: w, height: h, data: data.slice() }
  const op = OPS[type]
  if (op.kind === 'pixel') await op.image!(params as never, p)
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
    const s = diffStats(await run('sharpen', { alpha: 0.37, lightness: 0.81 }), bytes(r.s.bytes))
    expect(s.max).toBeLessThanOrEqual(1)
    expect(s.fraction).toBeLessThan(0.01)
    const m = diffStats(await run('motion_blur', { size: 7, line: [0, 4, 6, 1] }), bytes(r.m.bytes))
    expect(m.max).toBeLessThanOrEqual(1)
    expect(m.fraction).toBeLessThan(0.01)
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
