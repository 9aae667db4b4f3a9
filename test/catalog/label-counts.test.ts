// labelCounts (four bytes at a time, one step for a uniform word) against a pixel-at-a-time count,
// on random and mostly-uniform label maps of odd lengths, at odd byte offsets, 8- and 16-bit.
import { describe, expect, it } from 'vitest'
import { labelCounts } from '../../src/main/catalog/mask-store'
import { Rng } from '../../src/main/augment/rng'

function naive(d: ArrayLike<number>): Map<number, number> {
  const m = new Map<number, number>()
  for (let i = 0; i < d.length; i++) m.set(d[i], (m.get(d[i]) ?? 0) + 1)
  return new Map([...m].sort((a, b) => a[0] - b[0]))
}

describe('labelCounts', () => {
  it('equals a pixel-at-a-time count', () => {
    const rng = Rng.fromParts('counts', 1)
    for (let t = 0; t < 40; t++) {
      const wide = t % 2 === 1
      const n = rng.int(1, 5000)
      const offset = rng.int(0, 3)
      const buffer = new ArrayBuffer((n + offset) * (wide ? 2 : 1) + 8)
      const d = wide ? new Uint16Array(buffer, offset * 2, n) : new Uint8Array(buffer, offset, n)
      let v = 0
      for (let i = 0; i < n; i++) {
        if (rng.chance(t % 4 < 2 ? 0.02 : 0.6)) v = rng.int(0, wide ? 65535 : 255)
        d[i] = v
      }
      expect(labelCounts({ depth: wide ? 16 : 8, data: d })).toEqual(naive(d))
    }
  })
})
