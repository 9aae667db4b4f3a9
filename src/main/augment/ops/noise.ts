// Noise family (image only). The plan records a 32-bit seed, not pixels; the noise is a pure
// function of (seed, pixel index), so a replay is byte-identical.
import { decodeImage, encodeRgb } from '../../io/image'
import { Rng } from '../rng'
import type { PixelOp, Pixels } from './types'

export const gaussianNoise: PixelOp<'gaussian_noise', { std: number; perChannel: boolean; seed: number }> = {
  type: 'gaussian_noise',
  kind: 'pixel',
  sample: (rng, spec) => ({ std: rng.uniform(spec.std[0], spec.std[1]), perChannel: spec.perChannel, seed: rng.seed32() }),
  image(p, px: Pixels) {
    const rng = Rng.fromParts('gaussian_noise', p.seed)
    const std = p.std
    const d = px.data
    const per = p.perChannel
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
    for (let i = 0; i < d.length; i += 3) {
      if (per) {
        d[i] = clip(d[i]! + std * normal())
        d[i + 1] = clip(d[i + 1]! + std * normal())
        d[i + 2] = clip(d[i + 2]! + std * normal())
      } else {
        const n = std * normal()
        d[i] = clip(d[i]! + n)
        d[i + 1] = clip(d[i + 1]! + n)
        d[i + 2] = clip(d[i + 2]! + n)
      }
    }
  },
}

const clip = (v: number) => (v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v))

export const saltPepper: PixelOp<'salt_pepper', { amount: number; saltRatio: number; seed: number }> = {
  type: 'salt_pepper',
  kind: 'pixel',
  sample: (rng, spec) => ({ amount: rng.uniform(spec.amount[0], spec.amount[1]), saltRatio: spec.saltRatio, seed: rng.seed32() }),
  image(p, px: Pixels) {
    const rng = Rng.fromParts('salt_pepper', p.seed)
    const amount = p.amount, salt = p.saltRatio
    const d = px.data
    for (let i = 0; i < d.length; i += 3) {
      if (rng.next() < amount) {
        const v = rng.next() < salt ? 255 : 0
        d[i] = v
        d[i + 1] = v
        d[i + 2] = v
      }
    }
  },
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
    const cut = (v: number) => (v <= 0 ? 0 : v >= 255 ? 255 : Math.trunc(v))
    if (!p.elementwise) {
      const luts = p.values.map((m) => Uint8Array.from({ length: 256 }, (_, v) => cut(p.values.length === 1 ? Math.fround(v * Math.fround(m)) : Math.fround(v * m))))
      for (let i = 0; i < d.length; i++) d[i] = luts[p.values.length === 1 ? 0 : i % 3]![d[i]!]!
      return
    }
    const rng = Rng.fromParts('multiplicative_noise', p.seed)
    const [lo, hi] = p.multiplier
    for (let i = 0; i < d.length; i += 3) {
      if (p.perChannel) {
        for (let c = 0; c < 3; c++) d[i + c] = cut(d[i + c]! * (lo + (hi - lo) * rng.next()))
      } else {
        const m = lo + (hi - lo) * rng.next()
        d[i] = cut(d[i]! * m)
        d[i + 1] = cut(d[i + 1]! * m)
        d[i + 2] = cut(d[i + 2]! * m)
      }
    }
  },
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
