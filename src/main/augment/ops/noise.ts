// Noise family (image only). The plan records a 32-bit seed, not pixels; the noise is a pure
// function of (seed, pixel index), so a replay is byte-identical.
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

export const NOISE_OPS = [gaussianNoise, saltPepper] as const
