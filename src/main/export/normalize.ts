// Normalisation of the image batches a training loop reads (npy x, stream batches): float32
// values from the uint8 pixels, as Keras's ImageDataGenerator standardises them.
//   featurewise: (x - mean[c]) / (std[c] + 1e-6), with the project's per-channel statistics
//                (featurewise_center + featurewise_std_normalization after datagen.fit)
//   samplewise:  (x - mean(x)) / (std(x) + 1e-6), over every pixel and channel of the output
//                (samplewise_center + samplewise_std_normalization)
//   rescale:     x * factor (rescale=1/255)
// Computed in float64 and stored as float32, through a 256-entry table per channel, so the same
// pixels give the same bytes everywhere (export, stream, replay).
import { LockstepError } from '../../shared/errors'

/** Keras's epsilon in standardize(). */
export const EPSILON = 1e-6

export type NormalizeOption = 'featurewise' | 'samplewise' | { rescale: number }

/** A normalisation with its numbers, as export.json and the stream header record it. */
export type Normalization =
  { mode: 'featurewise'; mean: number[]; std: number[]; epsilon: number } | { mode: 'samplewise'; epsilon: number } | { mode: 'rescale'; factor: number }

export function resolveNormalization(option: NormalizeOption | undefined, stats: { mean: number[]; std: number[] } | null | undefined): Normalization | null {
  if (option === undefined) return null
  if (option === 'samplewise') return { mode: 'samplewise', epsilon: EPSILON }
  if (option === 'featurewise') {
    if (!stats || stats.mean.length !== 3 || stats.std.length !== 3) {
      throw new LockstepError('INVALID_INPUT', 'featurewise normalisation needs the per-channel mean and std of the training data, and none are known')
    }
    return { mode: 'featurewise', mean: [...stats.mean], std: [...stats.std], epsilon: EPSILON }
  }
  if (!(Number.isFinite(option.rescale) && option.rescale !== 0))
    throw new LockstepError('INVALID_INPUT', `Expected a finite, non-zero rescale factor but received ${option.rescale}`)
  return { mode: 'rescale', factor: option.rescale }
}

/** The float32 value of each byte value, per channel (3 x 256). */
function table(n: Normalization, rgb: Uint8Array): Float32Array {
  const t = new Float32Array(768)
  if (n.mode === 'rescale') {
    for (let v = 0; v < 256; v++) t[v] = t[256 + v] = t[512 + v] = v * n.factor
    return t
  }
  let mean: number[]
  let std: number[]
  if (n.mode === 'featurewise') {
    mean = n.mean
    std = n.std
  } else {
    // integer sums are exact; one division each
    let sum = 0
    let sq = 0
    for (let i = 0; i < rgb.length; i++) {
      const v = rgb[i]
      sum += v
      sq += v * v
    }
    const count = Math.max(1, rgb.length)
    const m = sum / count
    const s = Math.sqrt(Math.max(0, sq / count - m * m))
    mean = [m, m, m]
    std = [s, s, s]
  }
  for (let c = 0; c < 3; c++) for (let v = 0; v < 256; v++) t[c * 256 + v] = (v - mean[c]) / (std[c] + n.epsilon)
  return t
}

/** HxWx3 uint8 pixels -> HxWx3 float32 values. */
export function normalizeRgb(rgb: Uint8Array, n: Normalization): Float32Array {
  const t = table(n, rgb)
  const out = new Float32Array(rgb.length)
  for (let i = 0; i < rgb.length; i += 3) {
    out[i] = t[rgb[i]]
    out[i + 1] = t[256 + rgb[i + 1]]
    out[i + 2] = t[512 + rgb[i + 2]]
  }
  return out
}
