// Noise family (image only). The plan records a 32-bit seed, not pixels; the noise is a pure
// function of (seed, pixel index), so a replay is byte-identical.
import { decodeImage, encodeRgb } from '../../io/image'
import { checkRgb, fast, sameBytes } from '../fast'
import { Rng } from '../rng'
import type { PixelOp, Pixels } from './types'
import { applyLuts } from './colour'
import { LITTLE_ENDIAN, plainBytes, table256 } from './cv8'

type Gaussian = { std: number; perChannel: boolean; seed: number; normal?: 'table' }

/**
 * Zero-mean Gaussian noise. Plans record how normal values are drawn: `normal: 'table'` (every
 * plan since the native kernels) takes one 32-bit draw per value and interpolates a table of the
 * inverse normal CDF, which JS and C compute to the same bits; plans without it (recorded before)
 * replay with Box–Muller (log, sin and cos, which only JS reproduces bit for bit).
 */
export const gaussianNoise: PixelOp<'gaussian_noise', Gaussian> = {
  type: 'gaussian_noise',
  kind: 'pixel',
  sample: (rng, spec) => ({ std: rng.uniform(spec.std[0], spec.std[1]), perChannel: spec.perChannel, seed: rng.seed32(), normal: 'table' }),
  image(p, px: Pixels, ctx) {
    const kernels = ctx?.kernels ?? 1
    if (kernels >= 3) return hashedNormal3(px.data, p.seed, p.std, p.perChannel)
    if (kernels >= 2) return hashedNormalNoise(px.data, p.seed, p.std, p.perChannel)
    const rng = Rng.fromParts('gaussian_noise', p.seed)
    if (p.normal !== 'table') return boxMuller(px.data, rng, p.std, p.perChannel)
    const k = fast('opGaussianNoise', (k) => {
      const a = checkRgb(31, 7),
        b = a.slice(),
        r = Rng.fromParts('check', 1)
      k.opGaussianNoise(b, r.state(), 13.7, true, normalTable())
      tableNoise(a, r, 13.7, true)
      const c = checkRgb(31, 7, 2),
        e = c.slice()
      k.opGaussianNoise(e, r.state(), 40, false, normalTable())
      tableNoise(c, r, 40, false)
      return sameBytes(a, b) && sameBytes(c, e)
    })
    if (k) k.opGaussianNoise(px.data, rng.state(), p.std, p.perChannel, normalTable())
    else tableNoise(px.data, rng, p.std, p.perChannel)
  },
}

/** The inverse normal CDF: Acklam's rational approximation (relative error below 1.2e-9). */
function inverseNormal(p: number): number {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239]
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1]
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783]
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416]
  const inv = (p: number): number => {
    if (p < 0.02425) {
      const q = Math.sqrt(-2 * Math.log(p))
      return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    }
    if (p > 1 - 0.02425) return -inv(1 - p)
    const q = p - 0.5,
      r = q * q
    return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  }
  return inv(p)
}

let table: Float64Array | null = null
/**
 * The inverse normal CDF at (i + 0.5) / 65536 for i = 0..65535, and the last value again (so
 * interpolation at the top stays in the table), computed once per process in JS and handed to the
 * native kernel as is.
 */
export function normalTable(): Float64Array {
  if (table) return table
  table = new Float64Array(65537)
  for (let i = 0; i < 65536; i++) table[i] = inverseNormal((i + 0.5) / 65536)
  table[65536] = table[65535]
  return table
}

/**
 * One normal value from one 32-bit draw: the table, interpolated by the draw's low 16 bits. The
 * stream's sfc32 steps are written out in the loop (the same numbers as rng.u32(), without a call
 * per value).
 */
function tableNoise(d: Uint8Array, rng: Rng, std: number, per: boolean): void {
  const t = normalTable()
  const s = rng.state()
  let a = s[0],
    b = s[1],
    c = s[2],
    e = s[3]
  const normal = () => {
    let u = (a + b) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    e = (e + 1) | 0
    u = (u + e) | 0
    c = (c + u) | 0
    u >>>= 0
    const i = u >>> 16
    return t[i] + (t[i + 1] - t[i]) * ((u & 0xffff) / 65536)
  }
  addNoise(d, std, per, normal)
}

function boxMuller(d: Uint8Array, rng: Rng, std: number, per: boolean): void {
  let spare = NaN
  const normal = () => {
    if (!Number.isNaN(spare)) {
      const s = spare
      spare = NaN
      return s
    }
    const u = 1 - rng.next()
    const v = rng.next()
    const r = Math.sqrt(-2 * Math.log(u))
    spare = r * Math.sin(2 * Math.PI * v)
    return r * Math.cos(2 * Math.PI * v)
  }
  addNoise(d, std, per, normal)
}

function addNoise(d: Uint8Array, std: number, per: boolean, normal: () => number): void {
  for (let i = 0; i < d.length; i += 3) {
    if (per) {
      d[i] = clip(d[i] + std * normal())
      d[i + 1] = clip(d[i + 1] + std * normal())
      d[i + 2] = clip(d[i + 2] + std * normal())
    } else {
      const n = std * normal()
      d[i] = clip(d[i] + n)
      d[i + 1] = clip(d[i + 1] + n)
      d[i + 2] = clip(d[i + 2] + n)
    }
  }
}

const clip = (v: number) => (v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v))

// ---- kernels 2: counter-based noise --------------------------------------------------------------
// Each value's 32 random bits are a hash of (key, its index), so values are independent of each
// other and of the order they are computed in (ops_q.c computes them in any order, in integers).

/** lowbias32 of key + i (ops_q.c hash32). */
export function hash32(key: number, i: number): number {
  let x = (key + i) | 0
  x ^= x >>> 16
  x = Math.imul(x, 0x7feb352d)
  x ^= x >>> 15
  x = Math.imul(x, 0x846ca68b | 0)
  x ^= x >>> 16
  return x >>> 0
}

/** A noise stream's key from a plan's recorded seed (`salt` tells an op's streams apart). */
export const noiseKey = (seed: number, salt: number): number => hash32(seed >>> 0, salt)

const quantileTables = new Map<number, Float64Array>()
/** The inverse normal CDF at (j + 0.5) / n for j < n (computed once per n). */
function quantiles(n: number): Float64Array {
  let z = quantileTables.get(n)
  if (!z) {
    z = new Float64Array(n)
    for (let j = 0; j < n; j++) z[j] = inverseNormal((j + 0.5) / n)
    quantileTables.set(n, z)
  }
  return z
}

/**
 * std * z * 256 as integers at z = the inverse normal CDF at (j + 0.5) / 4096 (j < 4096), and the
 * last again: a normal value is this table interpolated by a hash's bits (normalQ).
 */
export function normalQTable(std: number): Int32Array {
  const zTable = quantiles(4096)
  const t = new Int32Array(4097)
  for (let j = 0; j < 4096; j++) t[j] = Math.round(std * zTable[j] * 256)
  t[4096] = t[4095]
  return t
}

/** std * z * 256 for one hash (ops_q.c normal_q): the table at the top 12 bits, interpolated by the next 12. */
function normalQ(u: number, t: Int32Array): number {
  const j = u >>> 20,
    fr = (u >>> 8) & 4095
  const a = t[j]
  return a + Math.floor(((t[j + 1] - a) * fr) / 4096)
}
const addClamp = (v: number, n: number) => {
  const s = v + ((n + 128) >> 8)
  return s < 0 ? 0 : s > 255 ? 255 : s
}

const GAUSS_SALT = 0x67617573 // 'gaus'
type NoiseKernel<T> = (d: Uint8Array, key: number, perChannel: boolean, table: T) => void
/** A noise kernel's start-up check: the native one gives its JS reference's bytes, per channel (table a) and per pixel (table b). */
function noiseAgrees<T>(js: NoiseKernel<T>, native: NoiseKernel<T>, a: T, b: T): boolean {
  const x = checkRgb(31, 7),
    y = x.slice(),
    z = checkRgb(31, 7, 2),
    w = z.slice()
  js(x, 12345, true, a)
  native(y, 12345, true, a)
  js(z, 0xfffffff0, false, b)
  native(w, 0xfffffff0, false, b)
  return sameBytes(x, y) && sameBytes(z, w)
}
function hashedNormalNoise(d: Uint8Array, seed: number, std: number, per: boolean): void {
  const key = noiseKey(seed, GAUSS_SALT),
    t = normalQTable(std)
  const k = fast('opGaussianNoiseQ', (k) => {
    const t2 = normalQTable(21.3)
    return noiseAgrees(hashedNormalJs, (d, key, per, t) => k.opGaussianNoiseQ(d, key, per, t), t2, t2)
  })
  if (k) k.opGaussianNoiseQ(d, key, per, t)
  else hashedNormalJs(d, key, per, t)
}

function hashedNormalJs(d: Uint8Array, key: number, per: boolean, t: Int32Array): void {
  // normalQ's floor((t[j + 1] - t[j]) * fr / 4096) is an arithmetic shift while the product fits in 32 bits
  let steep = 0
  for (let j = 0; j < 4096; j++) steep = Math.max(steep, Math.abs(t[j + 1] - t[j]))
  if (steep * 4095 >= 2 ** 31) return hashedNormalSlow(d, key, per, t)
  if (per) {
    for (let i = 0; i < d.length; i++) d[i] = clamp8(d[i] + noiseValue(hash32(key, i), t))
    return
  }
  for (let p = 0, n = Math.floor(d.length / 3), o = 0; p < n; p++, o += 3) {
    const v = noiseValue(hash32(key, p), t)
    d[o] = clamp8(d[o] + v)
    d[o + 1] = clamp8(d[o + 1] + v)
    d[o + 2] = clamp8(d[o + 2] + v)
  }
}

/** s clamped to 0..255 without a branch (noise pushes many values past the ends: branches mispredict). */
function clamp8(s: number): number {
  s &= ~(s >> 31)
  s = 255 - s
  s &= ~(s >> 31)
  return 255 - s
}

/** What addClamp adds for normalQ(u, t), in 32-bit integers (the table's steps times 4095 fit in them). */
function noiseValue(u: number, t: Int32Array): number {
  const j = u >>> 20,
    a = t[j]
  return (a + (((t[j + 1] - a) * ((u >>> 8) & 4095)) >> 12) + 128) >> 8
}

/** hashedNormalJs value by value (a table too steep for 32-bit products: a std far above 255). */
function hashedNormalSlow(d: Uint8Array, key: number, per: boolean, t: Int32Array): void {
  if (per) {
    for (let i = 0; i < d.length; i++) d[i] = addClamp(d[i], normalQ(hash32(key, i), t))
    return
  }
  for (let i = 0, p = 0; i + 2 < d.length; i += 3, p++) {
    const v = normalQ(hash32(key, p), t)
    d[i] = addClamp(d[i], v)
    d[i + 1] = addClamp(d[i + 1], v)
    d[i + 2] = addClamp(d[i + 2], v)
  }
}

// ---- kernels 3: two normal values per hash ------------------------------------------------------
// Value k (a channel value; a pixel when one value serves its three channels) takes the hash of
// (key, k >> 1): its low 16 bits for even k, its high 16 bits for odd k, each an index into a
// 65536-entry table of round(std * z) at z = the inverse normal CDF at (j + 0.5) / 65536. Half the
// hashes of kernels 2 and no interpolation (about twice as fast in JS and C), a finer
// quantile grid (the tails reach 4.32 sigma, kernels 2's 3.48) and the value rounded once.

/**
 * round(std * z) for the 65536 quantiles (rounded half away from zero, so the table is exactly
 * antisymmetric: zero mean), clamped to +-256 (beyond, the clamp to 0..255 gives the same byte).
 */
export function normal16Table(std: number): Int16Array {
  const z16 = quantiles(65536)
  // the upper half mirrors the lower (z16[65535 - j] === -z16[j]: the inverse CDF is odd around 1/2)
  const t = new Int16Array(65536)
  for (let j = 0; j < 32768; j++) {
    const r = Math.round(-(std * z16[j]))
    const v = r > 256 ? 256 : r
    t[j] = -v
    t[65535 - j] = v
  }
  return t
}

function hashedNormal3(d: Uint8Array, seed: number, std: number, per: boolean): void {
  const key = noiseKey(seed, GAUSS_SALT)
  const k = fast('opGaussianNoiseQ3', (k) =>
    noiseAgrees(hashedNormal3Js, (d, key, per, t) => k.opGaussianNoiseQ3(d, key, per, t), normal16Table(21.3), normal16Table(300)),
  )
  if (k) k.opGaussianNoiseQ3(d, key, per, normal16Table(std))
  else normal3Kernel(d, key, per, normal384Table(std))
}

/** v + 384 clamped to 0..255 for v + 384 in 0..1023 (a byte plus a table value within +-256). */
const CLAMP384 = Uint8Array.from({ length: 1024 }, (_, v) => Math.max(0, Math.min(255, v - 384)))

/** The JS reference of kernels-3 Gaussian noise (ops_q.c op_gaussian_noise_q3). */
export function hashedNormal3Js(bytes: Uint8Array, key: number, per: boolean, t: Int16Array): void {
  const u = new Uint16Array(65536)
  for (let j = 0; j < 65536; j++) u[j] = t[j] + 384
  normal3Kernel(bytes, key, per, u)
}

let table384: Uint16Array | null = null
let z16Monotone: boolean | null = null
/**
 * normal16Table(std) + 384 (CLAMP384's index offset, so the kernels add no constant per value),
 * in one table reused from call to call (the kernels use it synchronously: no 128 KB allocation
 * per sample). round(std * z) is a step function of j (z rises with j): it takes each value over
 * a run of j, found by a doubling and halving search and written with fill, so a few hundred
 * multiplies and rounds, not 32768 (~15x faster: 0.32 -> 0.02 ms). The same values: the search
 * assumes only that the z grid never falls (checked once).
 */
export function normal384Table(std: number): Uint16Array {
  const u = (table384 ??= new Uint16Array(65536))
  const z16 = quantiles(65536)
  if (z16Monotone === null) {
    z16Monotone = true
    for (let j = 1; j < 32768; j++) if (!(z16[j - 1] <= z16[j])) z16Monotone = false
  }
  // entry j < 32768 is -v, entry 65535 - j is v, at v = min(256, round(-(std * z16[j]))) (normal16Table)
  const at = (j: number): number => {
    const r = Math.round(-(std * z16[j]))
    return r > 256 ? 256 : r
  }
  // (a negative, NaN or huge std takes the entries one by one: the fills below assume 0 <= v <= 256)
  if (!z16Monotone || !(std >= 0 && std <= 1e9)) {
    const t = normal16Table(std)
    for (let j = 0; j < 65536; j++) u[j] = t[j] + 384
    return u
  }
  for (let j = 0; j < 32768;) {
    const v = at(j)
    // the last j of v's run: double the step while the value holds, then halve it
    let end = j,
      step = 1
    while (end + step < 32768 && at(end + step) === v) {
      end += step
      step *= 2
    }
    for (step >>= 1; step > 0; step >>= 1) if (end + step < 32768 && at(end + step) === v) end += step
    u.fill(384 - v, j, end + 1)
    u.fill(384 + v, 65535 - end, 65536 - j)
    j = end + 1
  }
  return u
}

/** Kernels-3 Gaussian noise with normal384Table's values (u: a table value + 384). */
function normal3Kernel(bytes: Uint8Array, key: number, per: boolean, u: Uint16Array): void {
  const d = plainBytes(bytes)
  const n = per ? d.length : Math.floor(d.length / 3)
  const pairs = n >> 1
  if (per) channelPairs(d, key, u, pairs)
  else pixelPairs(d, key, u, pairs)
  if (n & 1) {
    const a = u[hash32(key, pairs) & 0xffff],
      k = n - 1
    if (per) d[k] = CLAMP384[d[k] + a]
    else for (let o = k * 3; o < k * 3 + 3; o++) d[o] = CLAMP384[d[o] + a]
  }
}

/** Whether a Uint32Array holds its bytes little-end first (every platform Electron ships on). */

/**
 * hash32(key, q) written out: one V8 loop without a call per pair. Four pairs (eight bytes: two
 * 32-bit reads and writes) per step where the bytes are 4-aligned: V8 checks each typed array's
 * map and bounds per step and per access, so fewer, wider steps are faster (one pair per step,
 * then two: ~1.4x; four: ~1.1-1.2x more; eight spilled registers and ran ~3x slower); the same bytes.
 */
function channelPairs(d: Uint8Array, key: number, u: Uint16Array, pairs: number): void {
  const c = CLAMP384,
    kk = key | 0 // key is a uint32: above 2^31 a double, and the adds below would be floating point
  let q = 0
  if (LITTLE_ENDIAN && (d.byteOffset & 3) === 0) {
    const n = pairs >> 1,
      w = new Uint32Array(d.buffer, d.byteOffset, n)
    let j = 0
    for (; j + 1 < n; j += 2, q += 4) {
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
      let z = (kk + q + 2) | 0
      z ^= z >>> 16
      z = Math.imul(z, 0x7feb352d)
      z ^= z >>> 15
      z = Math.imul(z, 0x846ca68b | 0)
      z ^= z >>> 16
      let e = (kk + q + 3) | 0
      e ^= e >>> 16
      e = Math.imul(e, 0x7feb352d)
      e ^= e >>> 15
      e = Math.imul(e, 0x846ca68b | 0)
      e ^= e >>> 16
      const v = w[j],
        v2 = w[j + 1]
      w[j] =
        c[(v & 255) + u[x & 0xffff]] |
        (c[((v >>> 8) & 255) + u[x >>> 16]] << 8) |
        (c[((v >>> 16) & 255) + u[y & 0xffff]] << 16) |
        (c[(v >>> 24) + u[y >>> 16]] << 24)
      w[j + 1] =
        c[(v2 & 255) + u[z & 0xffff]] |
        (c[((v2 >>> 8) & 255) + u[z >>> 16]] << 8) |
        (c[((v2 >>> 16) & 255) + u[e & 0xffff]] << 16) |
        (c[(v2 >>> 24) + u[e >>> 16]] << 24)
    }
  }
  for (let k = q * 2; q < pairs; q++, k += 2) {
    let x = (kk + q) | 0
    x ^= x >>> 16
    x = Math.imul(x, 0x7feb352d)
    x ^= x >>> 15
    x = Math.imul(x, 0x846ca68b | 0)
    x ^= x >>> 16
    d[k] = c[d[k] + u[x & 0xffff]]
    d[k + 1] = c[d[k + 1] + u[x >>> 16]]
  }
}

function pixelPairs(d: Uint8Array, key: number, u: Uint16Array, pairs: number): void {
  const c = CLAMP384,
    kk = key | 0
  for (let q = 0, o = 0; q < pairs; q++, o += 6) {
    let x = (kk + q) | 0
    x ^= x >>> 16
    x = Math.imul(x, 0x7feb352d)
    x ^= x >>> 15
    x = Math.imul(x, 0x846ca68b | 0)
    x ^= x >>> 16
    const a = u[x & 0xffff],
      b = u[x >>> 16]
    d[o] = c[d[o] + a]
    d[o + 1] = c[d[o + 1] + a]
    d[o + 2] = c[d[o + 2] + a]
    d[o + 3] = c[d[o + 3] + b]
    d[o + 4] = c[d[o + 4] + b]
    d[o + 5] = c[d[o + 5] + b]
  }
}

const SALT_SALT = 0x73616c74 // 'salt'
/** A pixel is hit when its hash is below amount * 2^32, and salt when a second stream's hash is below saltRatio * 2^32. */
function hashedSaltPepper(d: Uint8Array, seed: number, amount: number, salt: number): void {
  const key = noiseKey(seed, SALT_SALT),
    key2 = noiseKey(seed, SALT_SALT + 1)
  const k = fast('opSaltPepperQ', (k) => {
    const a = checkRgb(31, 7),
      b = a.slice()
    saltPepperQJs(a, 99, 0xffffff00, 0.3, 0.4)
    k.opSaltPepperQ(b, 99, 0xffffff00, 0.3, 0.4)
    return sameBytes(a, b)
  })
  if (k) k.opSaltPepperQ(d, key, key2, amount, salt)
  else saltPepperQJs(d, key, key2, amount, salt)
}

/**
 * hash32(key, p) written out with the key as an int32 (a uint32 key above 2^31 made its adds
 * floating point; ~1.2x faster, the same bytes). Four pixels per step, their hashes compared as
 * int32s, and one branch when none is hit (most steps: amount is a few percent): ~1.4x faster.
 * The hashes are integers, so x < amount * 2^32 is x < ceil(amount * 2^32) = H, and with both
 * sides less 2^31 (the hash's top bit flipped) a signed compare, for 0 < H < 2^32.
 */
export function saltPepperQJs(d: Uint8Array, key: number, key2: number, amount: number, salt: number): void {
  const hit = amount * 4294967296,
    s = salt * 4294967296,
    kk = key | 0,
    n = Math.floor(d.length / 3)
  if (!(hit > 0)) return // no pixel is hit (NaN too)
  if (hit > 4294967295) return saltPepperQAll(d, key, key2, hit, s)
  const th = (Math.ceil(hit) - 2147483648) | 0
  let p = 0
  for (; p + 3 < n; p += 4) {
    let x = (kk + p) | 0
    x ^= x >>> 16
    x = Math.imul(x, 0x7feb352d)
    x ^= x >>> 15
    x = Math.imul(x, 0x846ca68b | 0)
    x ^= x >>> 16
    let y = (kk + p + 1) | 0
    y ^= y >>> 16
    y = Math.imul(y, 0x7feb352d)
    y ^= y >>> 15
    y = Math.imul(y, 0x846ca68b | 0)
    y ^= y >>> 16
    let z = (kk + p + 2) | 0
    z ^= z >>> 16
    z = Math.imul(z, 0x7feb352d)
    z ^= z >>> 15
    z = Math.imul(z, 0x846ca68b | 0)
    z ^= z >>> 16
    let e = (kk + p + 3) | 0
    e ^= e >>> 16
    e = Math.imul(e, 0x7feb352d)
    e ^= e >>> 15
    e = Math.imul(e, 0x846ca68b | 0)
    e ^= e >>> 16
    const hx = (x ^ 0x80000000) < th,
      hy = (y ^ 0x80000000) < th,
      hz = (z ^ 0x80000000) < th,
      he = (e ^ 0x80000000) < th
    if (hx || hy || hz || he) {
      const i = p * 3
      if (hx) d[i] = d[i + 1] = d[i + 2] = hash32(key2, p) < s ? 255 : 0
      if (hy) d[i + 3] = d[i + 4] = d[i + 5] = hash32(key2, p + 1) < s ? 255 : 0
      if (hz) d[i + 6] = d[i + 7] = d[i + 8] = hash32(key2, p + 2) < s ? 255 : 0
      if (he) d[i + 9] = d[i + 10] = d[i + 11] = hash32(key2, p + 3) < s ? 255 : 0
    }
  }
  for (let i = p * 3; p < n; p++, i += 3) {
    let x = (kk + p) | 0
    x ^= x >>> 16
    x = Math.imul(x, 0x7feb352d)
    x ^= x >>> 15
    x = Math.imul(x, 0x846ca68b | 0)
    x ^= x >>> 16
    if ((x ^ 0x80000000) < th) d[i] = d[i + 1] = d[i + 2] = hash32(key2, p) < s ? 255 : 0
  }
}

/** saltPepperQJs for hit = amount * 2^32 above 2^32 - 1: every pixel's hash is below it. */
function saltPepperQAll(d: Uint8Array, key: number, key2: number, hit: number, s: number): void {
  for (let p = 0, n = Math.floor(d.length / 3), i = 0; p < n; p++, i += 3) if (hash32(key, p) < hit) d[i] = d[i + 1] = d[i + 2] = hash32(key2, p) < s ? 255 : 0
}

export const saltPepper: PixelOp<'salt_pepper', { amount: number; saltRatio: number; seed: number }> = {
  type: 'salt_pepper',
  kind: 'pixel',
  sample: (rng, spec) => ({ amount: rng.uniform(spec.amount[0], spec.amount[1]), saltRatio: spec.saltRatio, seed: rng.seed32() }),
  image(p, px: Pixels, ctx) {
    if ((ctx?.kernels ?? 1) >= 2) return hashedSaltPepper(px.data, p.seed, p.amount, p.saltRatio)
    const rng = Rng.fromParts('salt_pepper', p.seed)
    const k = fast('opSaltPepper', (k) => {
      const a = checkRgb(31, 7),
        b = a.slice(),
        r = Rng.fromParts('check', 2)
      k.opSaltPepper(b, r.state(), 0.3, 0.4)
      saltPepperJs(a, r, 0.3, 0.4)
      return sameBytes(a, b)
    })
    if (k) k.opSaltPepper(px.data, rng.state(), p.amount, p.saltRatio)
    else saltPepperJs(px.data, rng, p.amount, p.saltRatio)
  },
}

function saltPepperJs(d: Uint8Array, rng: Rng, amount: number, salt: number): void {
  for (let i = 0; i < d.length; i += 3) {
    if (rng.next() < amount) {
      const v = rng.next() < salt ? 255 : 0
      d[i] = v
      d[i + 1] = v
      d[i + 2] = v
    }
  }
}

type Multiplicative = { multiplier: [number, number]; perChannel: boolean; elementwise: boolean; values: number[]; seed: number }

/**
 * Albumentations MultiplicativeNoise on uint8: one factor (a float32 table), one per channel (a
 * table each), or one per pixel (and channel), each drawn uniformly from the range; clipped and
 * truncated. Per-pixel factors come from the recorded seed.
 */
export const multiplicativeNoise: PixelOp<'multiplicative_noise', Multiplicative> = {
  type: 'multiplicative_noise',
  kind: 'pixel',
  sample(rng, spec) {
    const [lo, hi] = spec.multiplier
    const values = spec.elementwise ? [] : Array.from({ length: spec.perChannel ? 3 : 1 }, () => rng.uniform(lo, hi))
    return { multiplier: [lo, hi], perChannel: spec.perChannel, elementwise: spec.elementwise, values, seed: rng.seed32() }
  },
  image(p, px) {
    const d = px.data
    if (!p.elementwise) {
      const luts = p.values.map((m) => table256((v) => cut(p.values.length === 1 ? Math.fround(v * Math.fround(m)) : Math.fround(v * m))))
      applyLuts(d, luts[0], luts[1] ?? luts[0], luts[2] ?? luts[0])
      return
    }
    const rng = Rng.fromParts('multiplicative_noise', p.seed)
    const [lo, hi] = p.multiplier
    const k = fast('opMultiplicative', (k) => {
      const a = checkRgb(31, 7),
        b = a.slice(),
        r = Rng.fromParts('check', 3)
      k.opMultiplicative(b, r.state(), 0.7, 1.4, true)
      multiplyJs(a, r, 0.7, 1.4, true)
      const c = checkRgb(31, 7, 4),
        e = c.slice()
      k.opMultiplicative(e, r.state(), 0.5, 2, false)
      multiplyJs(c, r, 0.5, 2, false)
      return sameBytes(a, b) && sameBytes(c, e)
    })
    if (k) k.opMultiplicative(d, rng.state(), lo, hi, p.perChannel)
    else multiplyJs(d, rng, lo, hi, p.perChannel)
  },
}

const cut = (v: number) => (v <= 0 ? 0 : v >= 255 ? 255 : Math.trunc(v))

function multiplyJs(d: Uint8Array, rng: Rng, lo: number, hi: number, perChannel: boolean): void {
  for (let i = 0; i < d.length; i += 3) {
    if (perChannel) {
      for (let c = 0; c < 3; c++) d[i + c] = cut(d[i + c] * (lo + (hi - lo) * rng.next()))
    } else {
      const m = lo + (hi - lo) * rng.next()
      d[i] = cut(d[i] * m)
      d[i + 1] = cut(d[i + 1] * m)
      d[i + 2] = cut(d[i + 2] * m)
    }
  }
}

/** A JPEG round trip at a random quality (the export's encoder and decoder: the same bytes with or without the native addon). */
export const jpeg: PixelOp<'jpeg', { quality: number }> = {
  type: 'jpeg',
  kind: 'pixel',
  sample: (rng, spec) => ({ quality: rng.int(spec.quality[0], spec.quality[1]) }),
  async image(p, px) {
    const file = await encodeRgb(px.data, px.width, px.height, 'jpeg', p.quality)
    const back = await decodeImage('(jpeg op)', file)
    px.data.set(back.data)
  },
}

export const NOISE_OPS = [gaussianNoise, saltPepper, multiplicativeNoise, jpeg] as const
