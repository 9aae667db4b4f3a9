// The order of an export: which source pair lands at which (epoch, batch, index), as pure
// arithmetic over (seed, epoch). Nothing here depends on the worker count, the shard or the
// machine, so every slice of an export agrees with the whole.
//
// - Samples are sorted by their stable key first, so the listing order of a folder or a query
//   never leaks into the output.
// - Epoch e visits permutation(seed, e, N). With --steps-per-epoch S, an epoch has S*B outputs:
//   positions past one pass (k >= N) draw a sample with replacement from a counter-based stream
//   keyed by (seed, e, k); positions before it are the permutation, so S*B <= N is a prefix of it.
// - Without S, an epoch has ceil(N/B) batches, the last one short (never padded); --drop-last
//   keeps floor(N/B) full batches and drops the rest of the permutation.
// - The plan key of every output is (seed, epoch, sampleId, draw), draw counting the times the
//   sample was drawn before in this epoch: a sample drawn twice in one epoch (with replacement)
//   gets two different augmentations, as a hand-written fit_generator loop gives.
// - A shard i/n is a contiguous run of "chunks" (groups of `chunkBatches` whole batches, so the
//   files that hold whole batches never straddle two shards); the shards' union is the whole.
import { LockstepError } from '../../shared/errors'
import { Rng, permutation } from '../augment/rng'

export interface OrderOptions {
  /** Number of source samples (already sorted by key). */
  samples: number
  seed: number
  epochs: number
  batchSize: number
  stepsPerEpoch?: number
  dropLast: boolean
  shard?: { index: number; count: number }
  /** Batches per chunk, the unit a shard is cut in (webdataset tars hold whole chunks). Default 1. */
  chunkBatches?: number
}

export interface EpochShape {
  /** Outputs per epoch. */
  length: number
  /** Batches per epoch. */
  batches: number
  /** Size of the last batch of each epoch (== batchSize unless it is short). */
  lastBatchSize: number
}

export function epochShape(o: Pick<OrderOptions, 'samples' | 'batchSize' | 'stepsPerEpoch' | 'dropLast'>): EpochShape {
  const { samples: n, batchSize: b } = o
  if (!Number.isInteger(b) || b < 1) throw new LockstepError('INVALID_INPUT', `Expected a batch size >= 1 but received ${b}`)
  if (n < 1) throw new LockstepError('INVALID_INPUT', 'Nothing to export: no usable image/mask pairs were selected')
  if (o.stepsPerEpoch !== undefined) {
    const s = o.stepsPerEpoch
    if (!Number.isInteger(s) || s < 1) throw new LockstepError('INVALID_INPUT', `Expected steps per epoch >= 1 but received ${s}`)
    return { length: s * b, batches: s, lastBatchSize: b }
  }
  if (o.dropLast) {
    const batches = Math.floor(n / b)
    if (batches === 0) {
      throw new LockstepError(
        'INVALID_INPUT',
        `Nothing to export: --drop-last with batch size ${b} drops every one of the ${n} samples (use a batch size <= ${n})`,
      )
    }
    return { length: batches * b, batches, lastBatchSize: b }
  }
  const batches = Math.ceil(n / b)
  return { length: n, batches, lastBatchSize: n - (batches - 1) * b }
}

/** The sample index (into the key-sorted list) at every position of epoch `epoch`. */
export function epochOrder(seed: number, epoch: number, samples: number, length: number): Uint32Array {
  const perm = permutation(seed, epoch, samples)
  const out = new Uint32Array(length)
  out.set(length <= samples ? perm.subarray(0, length) : perm)
  for (let k = samples; k < length; k++) out[k] = Rng.fromParts('replace', seed, epoch, k).int(0, samples - 1)
  return out
}

/** For each position of an epoch, the times its sample was drawn before in that epoch. */
export function epochDraws(order: Uint32Array, samples: number): Uint32Array {
  const draws = new Uint32Array(order.length)
  if (order.length <= samples) return draws // one pass: every sample at most once
  const seen = new Uint32Array(samples)
  for (let k = 0; k < order.length; k++) draws[k] = seen[order[k]]++
  return draws
}

/** One output of the export. `ordinal` counts outputs over the whole (unsharded) export. */
export interface Slot {
  ordinal: number
  epoch: number
  batch: number
  /** Position inside its batch. */
  index: number
  /** Index into the key-sorted samples. */
  sample: number
  /** Times the sample was drawn before in this epoch (0 but with steps per epoch past one pass). */
  draw: number
}

/** The outputs of one export (or of one shard of it), in output order, with random access. */
export class ExportOrder {
  readonly shape: EpochShape
  readonly totalBatches: number
  readonly chunkBatches: number
  readonly totalChunks: number
  /** Global batch range [firstBatch, endBatch) of this shard. */
  readonly firstBatch: number
  readonly endBatch: number
  /** Ordinal range [first, end) of this shard. */
  readonly first: number
  readonly end: number
  private readonly cache = new Map<number, { order: Uint32Array; draws: Uint32Array }>()

  constructor(readonly o: OrderOptions) {
    if (!Number.isInteger(o.epochs) || o.epochs < 1) throw new LockstepError('INVALID_INPUT', `Expected epochs >= 1 but received ${o.epochs}`)
    this.shape = epochShape(o)
    this.totalBatches = this.shape.batches * o.epochs
    this.chunkBatches = Math.max(1, Math.floor(o.chunkBatches ?? 1))
    this.totalChunks = Math.ceil(this.totalBatches / this.chunkBatches)
    const shard = o.shard ?? { index: 0, count: 1 }
    if (!Number.isInteger(shard.count) || shard.count < 1 || !Number.isInteger(shard.index) || shard.index < 0 || shard.index >= shard.count) {
      throw new LockstepError('INVALID_INPUT', `Expected a shard i/n with 0 <= i < n but received ${shard.index}/${shard.count}`)
    }
    const c0 = Math.floor((shard.index * this.totalChunks) / shard.count)
    const c1 = Math.floor(((shard.index + 1) * this.totalChunks) / shard.count)
    this.firstBatch = Math.min(this.totalBatches, c0 * this.chunkBatches)
    this.endBatch = Math.min(this.totalBatches, c1 * this.chunkBatches)
    this.first = this.batchStart(this.firstBatch)
    this.end = this.batchStart(this.endBatch)
  }

  get length(): number {
    return this.end - this.first
  }

  /** Ordinal of the first output of global batch g (g may equal totalBatches). */
  batchStart(g: number): number {
    const e = Math.floor(g / this.shape.batches)
    const b = g - e * this.shape.batches
    return e * this.shape.length + b * this.o.batchSize
  }

  /** Size of batch b of any epoch. */
  batchSize(b: number): number {
    return b === this.shape.batches - 1 ? this.shape.lastBatchSize : this.o.batchSize
  }

  private epoch(e: number): { order: Uint32Array; draws: Uint32Array } {
    let cached = this.cache.get(e)
    if (!cached) {
      if (this.cache.size > 4) this.cache.delete(this.cache.keys().next().value as number)
      const order = epochOrder(this.o.seed, e, this.o.samples, this.shape.length)
      cached = { order, draws: epochDraws(order, this.o.samples) }
      this.cache.set(e, cached)
    }
    return cached
  }

  slot(ordinal: number): Slot {
    if (!Number.isInteger(ordinal) || ordinal < 0 || ordinal >= this.shape.length * this.o.epochs) {
      throw new RangeError(`ordinal ${ordinal} is outside the export`)
    }
    const epoch = Math.floor(ordinal / this.shape.length)
    const pos = ordinal - epoch * this.shape.length
    const batch = Math.floor(pos / this.o.batchSize)
    const { order, draws } = this.epoch(epoch)
    return { ordinal, epoch, batch, index: pos - batch * this.o.batchSize, sample: order[pos], draw: draws[pos] }
  }

  /** This shard's slots from ordinal `from` (default: its first) to its end. */
  *slots(from = this.first): Generator<Slot> {
    for (let i = Math.max(from, this.first); i < this.end; i++) yield this.slot(i)
  }
}
