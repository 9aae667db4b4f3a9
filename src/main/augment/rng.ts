// Counter-based randomness: every stream is derived by hashing its key, never from shared
// sequential state, so the same (seed, epoch, sampleId, opIndex) gives the same numbers in any
// order, on any worker, on any machine. Integer-only mixing (Math.imul, >>> 0) keeps it exact.

import { Rng } from '../../shared/rng'

export interface SampleKey {
  seed: number
  epoch: number
  /** A stable identity for the source pair: its path relative to the dataset root, without extension. */
  sampleId: string
  /**
   * The times this sample was drawn before in this epoch (0 unless steps per epoch draw with
   * replacement): a repeated draw is a fresh augmentation. Absent means 0, and draw 0 hashes
   * exactly as keys did before draws existed, so old manifests replay byte for byte.
   */
  draw?: number
}

export { Rng }

/** The stream for one op of one sample. */
export function rngFor(key: SampleKey, opIndex: number): Rng {
  return key.draw
    ? Rng.fromParts('op', key.seed, key.epoch, key.sampleId, opIndex, 'draw', key.draw)
    : Rng.fromParts('op', key.seed, key.epoch, key.sampleId, opIndex)
}

/** Fisher–Yates permutation of 0..n-1 derived from (seed, epoch) only. */
export function permutation(seed: number, epoch: number, n: number): Uint32Array {
  const rng = Rng.fromParts('perm', seed, epoch)
  const out = new Uint32Array(n)
  for (let i = 0; i < n; i++) out[i] = i
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1))
    const t = out[i]
    out[i] = out[j]
    out[j] = t
  }
  return out
}
