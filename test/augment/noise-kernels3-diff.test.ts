// Kernels-3 Gaussian noise (no addon) against the form it had before the pre-offset table and the
// four-pairs-per-step loop (kept below as it was): the same bytes for random keys, stds, lengths
// (not multiples of 4 or 12), unaligned views and Buffers, per channel and per pixel; and the
// run-filled table equals normal16Table + 384 for every std.
import { describe, expect, it } from 'vitest'
import { useNativeOps } from '../../src/main/augment/fast'
import { gaussianNoise, hash32, hashedNormal3Js, noiseKey, normal16Table, normal384Table, saltPepperQJs } from '../../src/main/augment/ops/noise'
import { Rng } from '../../src/main/augment/rng'

// ---- the previous kernel, verbatim but for names ----
const OLD_CLAMP384 = Uint8Array.from({ length: 1024 }, (_, v) => Math.max(0, Math.min(255, v - 384)))
const plain = (d: Uint8Array): Uint8Array => (d.constructor === Uint8Array ? d : new Uint8Array(d.buffer, d.byteOffset, d.length))
function oldHashedNormal3Js(bytes: Uint8Array, key: number, per: boolean, t: Int16Array): void {
  const d = plain(bytes)
  const n = per ? d.length : Math.floor(d.length / 3)
  const pairs = n >> 1
  if (per) oldChannelPairs(d, key, t, pairs)
  else oldPixelPairs(d, key, t, pairs)
  if (n & 1) {
    const a = t[hash32(key, pairs) & 0xffff] + 384,
      k = n - 1
    if (per) d[k] = OLD_CLAMP384[d[k] + a]
    else for (let o = k * 3; o < k * 3 + 3; o++) d[o] = OLD_CLAMP384[d[o] + a]
  }
}
function oldChannelPairs(d: Uint8Array, key: number, t: Int16Array, pairs: number): void {
  const c = OLD_CLAMP384,
    kk = key | 0
  let q = 0
  if ((d.byteOffset & 3) === 0) {
    const n = pairs >> 1,
      w = new Uint32Array(d.buffer, d.byteOffset, n)
    for (let j = 0; j < n; j++, q += 2) {
      let x = (kk + q) | 0
      x ^= x >>> 16
      x = Math.imul(x, 0x7feb352d)
      x ^= x >>> 15
      x = Math.imul(x, 0x846ca68b | 0)
      x ^= x >>> 16
      let y = (kk + q + 1) | 0
      y ^= y >>> 16
      y = Math.imul(y, 0x7feb352d)
      y ^= y >>> 15
      y = Math.imul(y, 0x846ca68b | 0)
      y ^= y >>> 16
      const v = w[j]
      w[j] =
        c[(v & 255) + t[x & 0xffff] + 384] |
        (c[((v >>> 8) & 255) + t[x >>> 16] + 384] << 8) |
        (c[((v >>> 16) & 255) + t[y & 0xffff] + 384] << 16) |
        (c[(v >>> 24) + t[y >>> 16] + 384] << 24)
    }
  }
  for (let k = q * 2; q < pairs; q++, k += 2) {
    let x = (kk + q) | 0
    x ^= x >>> 16
    x = Math.imul(x, 0x7feb352d)
    x ^= x >>> 15
    x = Math.imul(x, 0x846ca68b | 0)
    x ^= x >>> 16
    d[k] = c[d[k] + t[x & 0xffff] + 384]
    d[k + 1] = c[d[k + 1] + t[x >>> 16] + 384]
  }
}
function oldPixelPairs(d: Uint8Array, key: number, t: Int16Array, pairs: number): void {
  const c = OLD_CLAMP384,
    kk = key | 0
  for (let q = 0, o = 0; q < pairs; q++, o += 6) {
    let x = (kk + q) | 0
    x ^= x >>> 16
    x = Math.imul(x, 0x7feb352d)
    x ^= x >>> 15
    x = Math.imul(x, 0x846ca68b | 0)
    x ^= x >>> 16
    const a = t[x & 0xffff] + 384,
      b = t[x >>> 16] + 384
    d[o] = c[d[o] + a]
    d[o + 1] = c[d[o + 1] + a]
    d[o + 2] = c[d[o + 2] + a]
    d[o + 3] = c[d[o + 3] + b]
    d[o + 4] = c[d[o + 4] + b]
    d[o + 5] = c[d[o + 5] + b]
  }
}

const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length))

describe('kernels 3 Gaussian noise (JS) = its previous form', () => {
  it('normal384Table(std) is normal16Table(std) + 384 for random and edge stds', () => {
    const r = Rng.fromParts('noise-diff', 1)
    const stds = [0, 1e-9, 0.1, 0.5, 1, 3, 15, 59.2, 255, 256, 300, 1e4, 1e9, 1e12, -1, -300, NaN, Infinity, -Infinity]
    for (let k = 0; k < 200; k++) stds.push(k < 100 ? r.uniform(0, 20) : r.uniform(0, 400))
    for (const std of stds) {
      const t = normal16Table(std),
        u = normal384Table(std)
      let ok = true
      for (let j = 0; j < 65536; j++) if (u[j] !== ((t[j] + 384) & 0xffff)) ok = false
      expect(ok, `std ${std}`).toBe(true)
    }
  })

  it('the same bytes on random inputs: keys, stds, lengths, unaligned views and Buffers, per channel and not', () => {
    const r = Rng.fromParts('noise-diff', 2)
    for (let k = 0; k < 1500; k++) {
      const len = k % 5 === 0 ? r.int(0, 40) : r.int(0, 5000)
      const start = r.int(0, 7)
      const backing = k % 3 === 0 ? Buffer.alloc(start + len + 8) : new Uint8Array(start + len + 8)
      for (let i = 0; i < backing.length; i++) backing[i] = r.int(0, 255)
      // now and then saturated runs (the clamps at both ends)
      if (k % 4 === 1) backing.fill(255, start, start + (len >> 1))
      if (k % 4 === 2) backing.fill(0, start, start + (len >> 1))
      const key = [0, 1, 0x7fffffff, 0x80000000, 0xfffffff0, 0xffffffff][k % 9] ?? r.u32()
      const std = [0, 0.3, 255, 300][k % 13] ?? (k % 2 ? r.uniform(0, 20) : r.uniform(0, 300))
      const per = k % 2 === 0 || k % 7 === 3
      const t = normal16Table(std)
      const a = backing.subarray(start, start + len),
        b = Uint8Array.from(backing).subarray(start, start + len)
      hashedNormal3Js(a, key, per, t)
      oldHashedNormal3Js(b, key, per, t)
      expect(same(a, b), `case ${k}: key ${key} std ${std} ${start}+${len} ${per}`).toBe(true)
    }
  })

  it('the op without the addon (the reused, run-filled table) gives the previous bytes', async () => {
    const r = Rng.fromParts('noise-diff', 3)
    useNativeOps(false)
    try {
      for (let k = 0; k < 200; k++) {
        const w = r.int(1, 70),
          h = r.int(1, 40)
        const data = new Uint8Array(w * h * 3)
        for (let i = 0; i < data.length; i++) data[i] = r.int(0, 255)
        const params = { std: k % 10 === 0 ? r.uniform(0, 400) : r.uniform(0, 20), perChannel: k % 3 !== 0, seed: r.u32(), normal: 'table' as const }
        const want = data.slice()
        oldHashedNormal3Js(want, noiseKey(params.seed, 0x67617573), params.perChannel, normal16Table(params.std))
        const px = { width: w, height: h, data }
        await gaussianNoise.image!(params, px, { ignoreIndex: 255, kernels: 3 })
        expect(same(px.data, want), `case ${k}`).toBe(true)
      }
    } finally {
      useNativeOps(true)
    }
  })
})

// ---- kernels 2+ salt and pepper: the previous form ----
function oldSaltPepperQJs(d: Uint8Array, key: number, key2: number, amount: number, salt: number): void {
  const hit = amount * 4294967296,
    s = salt * 4294967296,
    kk = key | 0
  for (let p = 0, n = Math.floor(d.length / 3), i = 0; p < n; p++, i += 3) {
    let x = (kk + p) | 0
    x ^= x >>> 16
    x = Math.imul(x, 0x7feb352d)
    x ^= x >>> 15
    x = Math.imul(x, 0x846ca68b | 0)
    x ^= x >>> 16
    if (x >>> 0 < hit) d[i] = d[i + 1] = d[i + 2] = hash32(key2, p) < s ? 255 : 0
  }
}

describe('kernels 2+ salt and pepper (JS) = its previous form', () => {
  it('the same bytes for random and edge amounts, keys and lengths, on views and Buffers', () => {
    const r = Rng.fromParts('noise-diff', 4)
    const edges = [
      0,
      -0.1,
      NaN,
      1,
      2,
      Infinity,
      1 / 4294967296,
      7 / 4294967296,
      0.5,
      (4294967296 - 1) / 4294967296,
      (4294967296 - 0.5) / 4294967296,
      1 - 1e-12,
      1e-12,
      0.25 + 1e-12,
    ]
    for (let k = 0; k < 1500; k++) {
      const len = k % 5 === 0 ? r.int(0, 40) : r.int(0, 6000)
      const start = r.int(0, 7)
      const backing = k % 3 === 0 ? Buffer.alloc(start + len + 8) : new Uint8Array(start + len + 8)
      for (let i = 0; i < backing.length; i++) backing[i] = r.int(0, 255)
      const key = [0, 1, 0x7fffffff, 0x80000000, 0xfffffff0, 0xffffffff][k % 9] ?? r.u32(),
        key2 = k % 11 === 0 ? 0xffffffff : r.u32()
      const amount = k < edges.length * 4 ? edges[k % edges.length] : k % 2 ? r.uniform(0, 0.06) : r.next()
      const salt = [0, 1, 0.5][k % 7] ?? r.next()
      const a = backing.subarray(start, start + len),
        b = Uint8Array.from(backing).subarray(start, start + len)
      saltPepperQJs(a, key, key2, amount, salt)
      oldSaltPepperQJs(b, key, key2, amount, salt)
      expect(same(a, b), `case ${k}: keys ${key} ${key2} amount ${amount} salt ${salt} ${start}+${len}`).toBe(true)
    }
    // hashes at the threshold: amounts that put H on and next to hashes that occur
    for (let k = 0; k < 300; k++) {
      const key = r.u32(),
        len = 300
      const h = hash32(key, r.int(0, 99)) + [-1, 0, 1, 0.5, -0.5][k % 5]
      const amount = Math.max(0, h) / 4294967296
      const a = new Uint8Array(len).map(() => r.int(0, 255)),
        b = a.slice()
      saltPepperQJs(a, key, 77, amount, 0.5)
      oldSaltPepperQJs(b, key, 77, amount, 0.5)
      expect(same(a, b), `threshold case ${k}`).toBe(true)
    }
  })
})
