// The seeded, reproducible random split. Each sample's draw depends only on (seed, its key), and
// samples are ranked by that draw, so the result does not depend on insertion order or ids;
// counts follow the ratios exactly (largest remainder). Stratified: the same within each group
// of samples whose masks contain the same set of classes.
import { LockstepError } from '../../shared/errors'
import type { SampleTarget } from '../../shared/contract/catalog'
import { Rng } from '../../shared/rng'
import type { Db } from './db'
import { materialize } from './samples'
import type { Store } from './types'

const NAMES = ['train', 'val', 'test'] as const
type SplitName = (typeof NAMES)[number]

export interface RandomSplitInput {
  seed: number
  ratios: Record<SplitName, number>
  stratify?: boolean
  target?: SampleTarget
}

interface Drawn {
  id: number
  r: number
  key: string
}

export function randomSplit(store: Store, input: RandomSplitInput): { counts: Record<SplitName, number> } {
  const weights = NAMES.map((n) => input.ratios[n])
  const sum = weights.reduce((a, b) => a + b, 0)
  if (!(sum > 0)) throw new LockstepError('INVALID_INPUT', 'Split ratios must not all be zero')
  const now = Date.now()
  return store.tx(() => {
    const groups = drawGroups(store.db, input)
    const counts = { train: 0, val: 0, test: 0 }
    const upd = store.db.prepare('UPDATE samples SET split = ?, updated_at = ? WHERE id = ?')
    // Largest remainder per group, carrying each split's rounding error into the next group, so
    // every group follows the ratios to within one sample and so do the totals.
    const carry = [0, 0, 0]
    for (const g of [...groups.keys()].sort()) {
      const list = groups.get(g)!
      list.sort((a, b) => a.r - b.r || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      const alloc = allocate(list.length, weights, sum, carry)
      let at = 0
      NAMES.forEach((name, i) => {
        for (let k = 0; k < alloc[i]; k++) upd.run(name, now, list[at++].id)
        counts[name] += alloc[i]
      })
    }
    return { counts }
  })
}

/** The targeted samples, each with its draw, grouped by class set (one group unless stratified). */
function drawGroups(db: Db, input: RandomSplitInput): Map<string, Drawn[]> {
  materialize(db, input.target ?? { filter: { error: ['none'] } })
  const rows = db.prepare('SELECT s.id, s.key, s.dataset_id AS ds, s.class_set AS cs FROM samples s JOIN temp.target t ON t.id = s.id').all() as {
    id: number
    key: string
    ds: number
    cs: string | null
  }[]
  if (input.stratify) {
    const unscanned = rows.filter((r) => r.cs === null).length
    if (unscanned) {
      throw new LockstepError(
        'INVALID_INPUT',
        `A stratified split needs the classes of every mask, but ${unscanned} sample(s) have not been scanned yet; run the stats job (or re-import) first`,
      )
    }
  }
  const groups = new Map<string, Drawn[]>()
  for (const row of rows) {
    const g = input.stratify ? row.cs! : ''
    const draw = Rng.fromParts(input.seed, 'split', row.key).next()
    const list = groups.get(g)
    const item = { id: row.id, r: draw, key: `${row.key}\u0000${row.ds}` }
    if (list) list.push(item)
    else groups.set(g, [item])
  }
  return groups
}

/** How many of `n` samples go to each split: largest remainder, updating `carry` (the rounding owed). */
function allocate(n: number, weights: number[], sum: number, carry: number[]): number[] {
  const exact = weights.map((w, i) => (n * w) / sum + carry[i])
  const alloc = exact.map((e, i) => (weights[i] > 0 ? Math.max(0, Math.floor(e)) : 0))
  let left = n - alloc.reduce((a, b) => a + b, 0)
  const byFrac = [0, 1, 2].filter((i) => weights[i] > 0).sort((a, b) => exact[b] - alloc[b] - (exact[a] - alloc[a]) || a - b)
  for (let k = 0; left > 0; k = (k + 1) % byFrac.length) {
    alloc[byFrac[k]]++
    left--
  }
  for (let k = byFrac.length - 1; left < 0; k = (k + byFrac.length - 1) % byFrac.length) {
    if (alloc[byFrac[k]] > 0) {
      alloc[byFrac[k]]--
      left++
    }
  }
  for (let i = 0; i < 3; i++) carry[i] = exact[i] - alloc[i]
  return alloc
}
