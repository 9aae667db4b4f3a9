// Kernels 3 Gaussian noise (plans recorded with `kernels: 3`): two normal values per hash, each
// the 16-bit quantile table's entry. What it computes (the distribution its parameters say, each
// value independent of its neighbours), that the native kernel equals the JS reference byte for
// byte on random inputs (odd lengths, keys at the uint32 edges, steep tables), that plans of
// kernels 2 keep their own definition, and that the kernel's glue refuses bad arguments.
import { describe, expect, it } from 'vitest'
import { useNativeOps } from '../../src/main/augment/fast'
import { gaussianNoise, hash32, hashedNormal3Js, normal16Table } from '../../src/main/augment/ops/noise'
import { nativeOpKernels } from '../../src/main/io/native'
import { randomRgb } from '../support/cv2'

const k3 = { ignoreIndex: 255, kernels: 3 } as const
const kernels = nativeOpKernels()

describe('kernels 3 Gaussian noise: the distribution it says', () => {
  const n = 256 * 256
  const grey = () => ({ width: 256, height: 256, data: new Uint8Array(n * 3).fill(128) })

  for (const per of [true, false]) {
    it(`zero mean, the asked std, a normal tail, independent neighbours (${per ? 'per channel' : 'one value per pixel'})`, async () => {
      const px = grey()
      await gaussianNoise.image!({ std: 12, perChannel: per, seed: 42 }, px, k3)
      // per channel every value, else one per pixel (the three channels equal)
      const d = per ? Array.from(px.data, (v) => v - 128) : Array.from({ length: n }, (_, p) => px.data[p * 3] - 128)
      if (!per) for (let p = 0; p < n; p++) expect(px.data[p * 3 + 1] === px.data[p * 3] && px.data[p * 3 + 2] === px.data[p * 3]).toBe(true)
      const mean = d.reduce((a, b) => a + b, 0) / d.length
      const sd = Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / d.length)
      expect(Math.abs(mean)).toBeLessThan(per ? 0.1 : 0.15)
      expect(sd).toBeGreaterThan(per ? 11.9 : 11.85)
      expect(sd).toBeLessThan(per ? 12.1 : 12.15)
      // beyond 3 sigma: about 0.27 % of values; within 1 sigma about 68.3 %
      const tail = d.filter((v) => Math.abs(v) > 36).length / d.length
      expect(tail).toBeGreaterThan(0.0016)
      expect(tail).toBeLessThan(0.0038)
      const core = d.filter((v) => Math.abs(v) <= 12).length / d.length
      expect(core).toBeGreaterThan(0.67)
      expect(core).toBeLessThan(0.72)
      // the two values of one hash (neighbours) and values a hash apart are uncorrelated
      let one = 0,
        next = 0
      for (let i = 0; i + 3 < d.length; i += 2) {
        one += d[i] * d[i + 1]
        next += d[i + 1] * d[i + 2]
      }
      expect(Math.abs(one / ((d.length / 2) * 144))).toBeLessThan(0.02)
      expect(Math.abs(next / ((d.length / 2) * 144))).toBeLessThan(0.02)
    })
  }

  it('the quantile table: antisymmetric (zero mean), round(std * z), clamped to +-256 (pinned values)', () => {
    // recorded plans replay only while these stay: a change here is a new kernel generation
    const t = normal16Table(10)
    expect(Array.from(t.subarray(0, 3))).toEqual([-43, -41, -40])
    expect([t[32767], t[32768], t[65535]]).toEqual([0, 0, 43])
    for (let j = 0; j < 32768; j++) expect(t[j] + t[65535 - j]).toBe(0)
    const steep = normal16Table(255)
    expect(steep[0]).toBe(-256)
    expect(steep[65535]).toBe(256)
    expect(Array.from(normal16Table(0)).every((v) => v === 0)).toBe(true)
    // the z grid's mean square is 1 to within the tails it cuts (4.32 sigma)
    const unit = normal16Table(50)
    let ms = 0
    for (let j = 0; j < 65536; j++) ms += unit[j] ** 2
    expect(Math.sqrt(ms / 65536) / 50).toBeGreaterThan(0.998)
    expect(Math.sqrt(ms / 65536) / 50).toBeLessThan(1.001)
  })

  it('is a pure function of the seed; kernels 2 plans keep their own noise', async () => {
    const a = { width: 31, height: 7, data: randomRgb(31, 7, 3) },
      b = { width: 31, height: 7, data: randomRgb(31, 7, 3) },
      c = { width: 31, height: 7, data: randomRgb(31, 7, 3) }
    await gaussianNoise.image!({ std: 9, perChannel: true, seed: 5 }, a, k3)
    await gaussianNoise.image!({ std: 9, perChannel: true, seed: 5 }, b, k3)
    await gaussianNoise.image!({ std: 9, perChannel: true, seed: 5 }, c, { ignoreIndex: 255, kernels: 2 })
    expect(Buffer.from(a.data).equals(Buffer.from(b.data))).toBe(true)
    expect(Buffer.from(a.data).equals(Buffer.from(c.data))).toBe(false)
  })
})

describe('kernels 3 Gaussian noise: the JS kernel value by value', () => {
  // value k (a channel value, or a pixel's three) takes hash32(key, k >> 1)'s low 16 bits (even k)
  // or high 16 bits (odd k) as its table index; the sum clamped to 0..255
  const reference = (d: Uint8Array, key: number, per: boolean, t: Int16Array): Uint8Array => {
    const out = d.slice()
    const n = per ? d.length : Math.floor(d.length / 3)
    for (let k = 0; k < n; k++) {
      const h = hash32(key, k >> 1),
        v = t[k & 1 ? h >>> 16 : h & 0xffff]
      for (const i of per ? [k] : [3 * k, 3 * k + 1, 3 * k + 2]) out[i] = Math.max(0, Math.min(255, d[i] + v))
    }
    return out
  }
  it('gives the reference bytes on aligned and unaligned views of every length mod 4, keys at the uint32 edges', () => {
    const backing = randomRgb(41, 7, 3)
    for (const key of [0, 1, 0x7fffffff, 0x80000000, 0xfffffff0, 0xffffffff])
      for (const std of [4, 60, 255])
        for (const [start, len] of [
          [0, 861],
          [0, 860],
          [1, 858],
          [2, 857],
          [3, 855],
          [4, 3],
          [0, 1],
        ]) {
          const t = normal16Table(std)
          for (const per of [true, false]) {
            const d = backing.slice().subarray(start, start + len)
            const want = reference(d, key, per, t)
            hashedNormal3Js(d, key, per, t)
            expect(Buffer.from(d).equals(Buffer.from(want)), `key ${key} std ${std} view ${start}+${len} ${per}`).toBe(true)
          }
        }
  })
})

describe.skipIf(!kernels)('kernels 3 Gaussian noise: native = JS', () => {
  it('on random images, odd lengths, stds up to 255 and keys at the uint32 edges, per channel and not', async () => {
    for (let k = 0; k < 30; k++) {
      const w = 1 + ((k * 37) % 53),
        h = 1 + ((k * 11) % 29)
      const params = { std: [0, 0.5, 3, 37.5, 255, 120][k % 6], perChannel: k % 2 === 0, seed: [0, 1, 0xffffffff, 123456789, 0x80000000][k % 5] }
      const a = { width: w, height: h, data: randomRgb(w, h, k) },
        b = { width: w, height: h, data: randomRgb(w, h, k) }
      useNativeOps(false)
      await gaussianNoise.image!(params, a, k3)
      useNativeOps(true)
      await gaussianNoise.image!(params, b, k3)
      expect(Buffer.from(b.data).equals(Buffer.from(a.data)), `case ${k}`).toBe(true)
    }
    // keys whose counters wrap past 2^32
    for (const key of [0xffffffff, 0xfffffff0]) {
      const t = normal16Table(40)
      const a = randomRgb(37, 5, 9),
        b = a.slice()
      hashedNormal3Js(a, key, true, t)
      kernels!.opGaussianNoiseQ3(b, key, true, t)
      expect(Buffer.from(b).equals(Buffer.from(a))).toBe(true)
    }
  })

  it('the glue refuses bad arguments, naming the function', () => {
    const k = kernels!
    const rgb = new Uint8Array(30)
    expect(() => k.opGaussianNoiseQ3(rgb, 1, true, new Int16Array(65535))).toThrow(/opGaussianNoiseQ3.*65536-entry Int16Array/)
    expect(() => k.opGaussianNoiseQ3(rgb, 1, true, new Int32Array(65536) as never)).toThrow(/opGaussianNoiseQ3.*Int16Array/)
    expect(() => k.opGaussianNoiseQ3(rgb, 1, true, new Int16Array(65536).fill(257))).toThrow(/opGaussianNoiseQ3.*within \+-256/)
    expect(() => k.opGaussianNoiseQ3(rgb, -1, true, new Int16Array(65536))).toThrow(/opGaussianNoiseQ3.*key/)
    expect(() => k.opGaussianNoiseQ3(rgb, 2 ** 32, true, new Int16Array(65536))).toThrow(/opGaussianNoiseQ3.*key/)
    expect(() => k.opGaussianNoiseQ3(new Uint8Array(31), 1, true, new Int16Array(65536))).toThrow(/opGaussianNoiseQ3.*multiple of 3/)
    expect(() => k.opGaussianNoiseQ3(rgb, 1, 1 as never, new Int16Array(65536))).toThrow(/opGaussianNoiseQ3.*boolean/)
  })
})
