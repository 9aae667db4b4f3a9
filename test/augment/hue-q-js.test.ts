// hueQJs (kernels-3 hue's JS reference, what runs without the addon) is rewritten for speed from time
// to time; each form must keep the bytes of the one before. Here the current hueQ with the native
// kernels off against a copy of the form it replaced: all 2^24 colours for several turns, with and
// without a pending table, and random images (greys and ties, all sorts of turns, unaligned
// subarrays, Buffers, lengths that are not whole pixels).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { useNativeOps } from '../../src/main/augment/fast'
import { hueQ } from '../../src/main/augment/ops/colour'
import { SECTOR_TO } from '../../src/main/augment/ops/cv8'

const HQ = 20
const SECTOR_SHIFTS = Int32Array.from({ length: 6 }, (_, s) => {
  const [, toMid, toMin] = SECTOR_TO[s],
    sh = [0, 0, 0]
  sh[toMid] = 8
  sh[toMin] = 16
  return sh[0] | (sh[1] << 5) | (sh[2] << 10)
})
const MOD6S = Int32Array.from({ length: 18 }, (_, s) => s % 6)
const IDENTITY = Uint8Array.from({ length: 256 }, (_, v) => v)

/** hueQJs as of commit 4ad3003 (branch-free, packed in-order stores), verbatim but for the names. */
function hueQOld(d: Uint8Array, sq: number, pre: Uint8Array | null): void {
  const tp = pre ?? IDENTITY
  const base = (sq >> HQ) + 6,
    sf = sq & ((1 << HQ) - 1)
  const n = d.length - 2
  for (let i = 0; i < n; i += 3) {
    const r = tp[d[i]] | 0,
      g = tp[d[i + 1]] | 0,
      b = tp[d[i + 2]] | 0
    const rg = r - g,
      lo0 = rg & (rg >> 31)
    const mxrg = r - lo0,
      mnrg = g + lo0
    const dmax = mxrg - b,
      dmin = mnrg - b
    const max = mxrg - (dmax & (dmax >> 31)),
      min = b + (dmin & (dmin >> 31))
    const c = max - min,
      cq = c << HQ
    const isR = ((r ^ max) - 1) >> 31,
      isG = ~isR & (((g ^ max) - 1) >> 31),
      isB = ~isR & ~isG
    const num = (isR & (g - b)) | (isG & (b - r)) | (isB & rg)
    let a = ((num << HQ) + Math.imul(c, sf)) | 0
    const lo = a >> 31,
      hi = (cq - 1 - a) >> 31
    a = (a + (lo & cq) - (hi & cq)) | 0
    const s = MOD6S[(base + (isG & 2) + (isB & 4) + lo - hi) | 0]
    const odd = -(s & 1)
    const mid = min + ((a + (odd & (cq - a - a)) + (1 << (HQ - 1))) >> HQ)
    const w = max | (mid << 8) | (min << 16),
      sh = SECTOR_SHIFTS[s]
    d[i] = w >> (sh & 31)
    d[i + 1] = w >> ((sh >> 5) & 31)
    d[i + 2] = w >> (sh >> 10)
  }
}

/** hueQ by exactly sq / 2^20 sectors (the shift is exact in a double, so hueQ's rounding keeps sq). */
const hueQBy = (d: Uint8Array, sq: number, pre: Uint8Array | null) => hueQ(d, sq / (1 << HQ), pre)

function rng(seed: number) {
  let s = seed >>> 0 || 1
  return () => {
    s ^= s << 13
    s ^= s >>> 17
    s ^= s << 5
    return (s >>> 0) / 2 ** 32
  }
}
const brightContrast = Uint8Array.from({ length: 256 }, (_, v) => Math.max(0, Math.min(255, Math.round((v * 1.13 - 128) * 0.87 + 128))))

function firstDiff(a: Uint8Array, b: Uint8Array): number | null {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i
  return null
}

describe('hueQJs keeps the bytes of the form it replaced', () => {
  beforeAll(() => useNativeOps(false))
  afterAll(() => useNativeOps(true))

  const all = new Uint8Array(3 << 24)
  for (let i = 0; i < 1 << 24; i++) {
    all[3 * i] = i >> 16
    all[3 * i + 1] = (i >> 8) & 255
    all[3 * i + 2] = i & 255
  }
  const random = rng(7)
  const randomTable = Uint8Array.from({ length: 256 }, () => (random() * 256) | 0)

  it('on all 2^24 colours', () => {
    const turns = [0, 1, (1 << HQ) - 1, 1 << HQ, 1 << (HQ - 1), 12_345, (3 << HQ) + 777, (5 << HQ) + (1 << (HQ - 1)), (6 << HQ) - 1, 2_345_678]
    turns.forEach((sq, k) => {
      const pre = k % 3 === 1 ? brightContrast : k % 3 === 2 ? randomTable : null
      const a = all.slice(),
        b = all.slice()
      hueQBy(a, sq, pre)
      hueQOld(b, sq, pre)
      expect(firstDiff(a, b), `turn ${sq}, table ${k % 3}`).toBeNull()
    })
  }, 300_000)

  it('on random images: greys and ties, unaligned subarrays, Buffers, lengths that are not whole pixels', () => {
    const r = rng(12_345)
    const pick = <T>(xs: T[]): T => xs[(r() * xs.length) | 0]
    for (let k = 0; k < 3000; k++) {
      const len = (r() * 700) | 0,
        offset = (r() * 8) | 0
      // values from a few levels (ties and greys in plenty), or any value
      const levels = Array.from({ length: 1 + ((r() * 4) | 0) }, () => (r() * 256) | 0)
      const kind = k % 4
      const buf = new Uint8Array(offset + len + 5)
      for (let i = 0; i < buf.length; i++) {
        const pixel = ((i - offset) / 3) | 0
        buf[i] = kind === 0 ? (r() * 256) | 0 : kind === 1 ? pick(levels) : kind === 2 ? (pixel * 37) & 255 : pick([0, 255, levels[0]])
      }
      const sq = pick([0, 1, (6 << HQ) - 1, 1 << HQ, 2 << HQ, 3 << HQ, (r() * (6 << HQ)) | 0, (r() * (6 << HQ)) | 0, ((r() * 6) | 0) << HQ])
      const pre = pick([null, null, brightContrast, randomTable, Uint8Array.from({ length: 256 }, () => pick(levels))])
      const a = buf.slice(),
        b = buf.slice()
      const view = (x: Uint8Array) => (k % 5 === 0 ? Buffer.from(x.buffer, offset, len) : x.subarray(offset, offset + len))
      hueQBy(view(a), sq, pre)
      hueQOld(b.subarray(offset, offset + len), sq, pre)
      expect(firstDiff(a, b), `case ${k}: length ${len}, offset ${offset}, turn ${sq}`).toBeNull()
    }
  })
})
