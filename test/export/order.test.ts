import { describe, expect, it } from 'vitest'
import { ExportOrder, epochOrder, epochShape } from '../../src/main/export/order'
import { permutation } from '../../src/main/augment/rng'

function all(o: ExportOrder) {
  return [...o.slots()]
}

describe('epoch arithmetic', () => {
  it('keeps a short last batch without --drop-last and never pads it', () => {
    expect(epochShape({ samples: 10, batchSize: 4, dropLast: false })).toEqual({ length: 10, batches: 3, lastBatchSize: 2 })
    const o = new ExportOrder({ samples: 10, seed: 1, epochs: 2, batchSize: 4, dropLast: false })
    const s = all(o)
    expect(s).toHaveLength(20)
    expect(s.filter((x) => x.epoch === 0 && x.batch === 2).map((x) => x.index)).toEqual([0, 1])
    expect(o.batchSize(2)).toBe(2)
    expect(o.totalBatches).toBe(6)
  })

  it('drops the remainder with --drop-last and refuses when nothing is left', () => {
    expect(epochShape({ samples: 10, batchSize: 4, dropLast: true })).toEqual({ length: 8, batches: 2, lastBatchSize: 4 })
    const o = new ExportOrder({ samples: 10, seed: 1, epochs: 3, batchSize: 4, dropLast: true })
    const s = all(o)
    expect(s).toHaveLength(24)
    // each epoch is a prefix of its permutation: 8 distinct samples
    for (let e = 0; e < 3; e++) {
      const ids = s.filter((x) => x.epoch === e).map((x) => x.sample)
      expect(new Set(ids).size).toBe(8)
      expect(ids).toEqual([...permutation(1, e, 10).subarray(0, 8)])
    }
    expect(() => epochShape({ samples: 3, batchSize: 4, dropLast: true })).toThrow(/drops every one of the 3 samples/)
  })

  it('steps-per-epoch: full batches, a permutation first, then draws with replacement', () => {
    const o = new ExportOrder({ samples: 5, seed: 7, epochs: 2, batchSize: 4, stepsPerEpoch: 3, dropLast: false })
    expect(o.shape).toEqual({ length: 12, batches: 3, lastBatchSize: 4 })
    const s = all(o)
    expect(s).toHaveLength(24)
    const e0 = s.filter((x) => x.epoch === 0).map((x) => x.sample)
    expect(e0.slice(0, 5)).toEqual([...permutation(7, 0, 5)])
    expect(e0.every((x) => x >= 0 && x < 5)).toBe(true)
    // fewer steps than one pass: a prefix of the permutation, no repeats
    const short = new ExportOrder({ samples: 50, seed: 7, epochs: 1, batchSize: 4, stepsPerEpoch: 3, dropLast: false })
    expect(all(short).map((x) => x.sample)).toEqual([...permutation(7, 0, 50).subarray(0, 12)])
    // deterministic
    expect(epochOrder(7, 1, 5, 12)).toEqual(epochOrder(7, 1, 5, 12))
    expect([...epochOrder(7, 1, 5, 12)]).not.toEqual([...epochOrder(8, 1, 5, 12)])
  })

  it('epochs are different permutations of the same samples', () => {
    const o = new ExportOrder({ samples: 30, seed: 3, epochs: 2, batchSize: 8, dropLast: false })
    const s = all(o)
    const e0 = s.filter((x) => x.epoch === 0).map((x) => x.sample)
    const e1 = s.filter((x) => x.epoch === 1).map((x) => x.sample)
    expect([...e0].sort((a, b) => a - b)).toEqual([...Array(30).keys()])
    expect([...e1].sort((a, b) => a - b)).toEqual([...Array(30).keys()])
    expect(e0).not.toEqual(e1)
  })
})

describe('shards', () => {
  for (const [samples, batch, epochs, chunk, n] of [
    [10, 4, 3, 1, 4],
    [37, 5, 2, 3, 3],
    [8, 8, 1, 1, 3], // more shards than batches: some shards are empty
    [100, 7, 4, 2, 5],
  ] as const) {
    it(`${n} shards of ${samples} samples x ${epochs} epochs (batch ${batch}, chunk ${chunk}) are disjoint and cover the whole`, () => {
      const base = { samples, seed: 11, epochs, batchSize: batch, dropLast: false, chunkBatches: chunk }
      const whole = all(new ExportOrder(base))
      const parts: typeof whole = []
      let prevEnd = 0
      for (let i = 0; i < n; i++) {
        const o = new ExportOrder({ ...base, shard: { index: i, count: n } })
        expect(o.first).toBe(prevEnd) // contiguous, in order
        prevEnd = o.end
        // a shard starts at a chunk boundary: whole batches only
        expect(o.firstBatch % chunk === 0 || o.firstBatch === o.totalBatches).toBe(true)
        parts.push(...all(o))
      }
      expect(parts).toEqual(whole)
    })
  }

  it('rejects a shard index out of range', () => {
    expect(() => new ExportOrder({ samples: 4, seed: 0, epochs: 1, batchSize: 2, dropLast: false, shard: { index: 2, count: 2 } })).toThrow(/0 <= i < n/)
  })
})
