// `lockstep split`: a seeded, reproducible train/val/test split, optionally stratified by the set
// of classes in each mask (the catalog's randomSplit, which the studio's split dialog uses too).
import { resolve } from 'node:path'
import { LockstepError } from '../../../shared/errors'
import { Catalog } from '../../catalog/catalog'
import { intOption, parse, type Command } from '../command'

const NAME = 'split'

const HELP = `usage: lockstep split [--project DIR] [--seed N] [--ratios TRAIN,VAL,TEST] [--stratify] [--unassigned] [--json]

Assigns healthy samples of a project (default: the current folder) to train, val and test at
random. The same seed, ratios and samples give the same split on any machine (each sample's draw
depends on the seed and its key only). Samples with a problem keep their split.

  --seed N             integer seed (default 0)
  --ratios T,V,E       relative sizes of train, val and test (default 0.7,0.15,0.15; 70,15,15 is the same)
  --stratify           keep each combination of classes in the masks in the same proportions in
                       every split (needs the class scan of every mask, done by lockstep import)
  --unassigned         split only the samples not yet in a split (keeps earlier assignments)
  --json               print the counts as JSON`

export function parseRatios(raw: string | undefined): { train: number; val: number; test: number } {
  if (raw === undefined) return { train: 0.7, val: 0.15, test: 0.15 }
  const parts = raw.split(',').map((s) => s.trim())
  const nums = parts.map(Number)
  if (parts.length !== 3 || nums.some((n, i) => parts[i] === '' || !Number.isFinite(n) || n < 0)) {
    throw new LockstepError('INVALID_INPUT', `lockstep ${NAME}: expected --ratios as three numbers >= 0 (train,val,test) but received ${JSON.stringify(raw)}`)
  }
  if (nums[0] + nums[1] + nums[2] <= 0) throw new LockstepError('INVALID_INPUT', `lockstep ${NAME}: --ratios must not all be zero`)
  return { train: nums[0], val: nums[1], test: nums[2] }
}

export const splitCommand: Command = {
  name: NAME,
  help: HELP,
  async run(argv) {
    const { values } = parse(NAME, argv, {
      project: { type: 'string' },
      seed: { type: 'string' },
      ratios: { type: 'string' },
      stratify: { type: 'boolean' },
      unassigned: { type: 'boolean' },
      json: { type: 'boolean' },
    })
    const seed = intOption(NAME, values.seed, '--seed', 0)
    if (seed > 0xffffffff) throw new LockstepError('INVALID_INPUT', `lockstep ${NAME}: expected --seed in 0..4294967295 but received ${seed}`)
    const ratios = parseRatios(values.ratios)
    const catalog = Catalog.open(resolve(values.project ?? '.'))
    try {
      const filter = values.unassigned ? { error: ['none' as const], split: ['unassigned' as const] } : { error: ['none' as const] }
      const { counts } = catalog.randomSplit({ seed, ratios, stratify: !!values.stratify, target: { filter } })
      const total = counts.train + counts.val + counts.test
      if (values.json) console.log(JSON.stringify({ seed, ratios, stratify: !!values.stratify, counts }, null, 2))
      else {
        const pct = (n: number) => (total ? ` (${((100 * n) / total).toFixed(1)}%)` : '')
        console.log(
          `Split ${total} sample${total === 1 ? '' : 's'} with seed ${seed}${values.stratify ? ', stratified by class' : ''}: train ${counts.train}${pct(counts.train)}, val ${counts.val}${pct(counts.val)}, test ${counts.test}${pct(counts.test)}`,
        )
        if (!total) console.log(values.unassigned ? 'Every healthy sample already has a split.' : 'The project has no healthy sample: import a dataset first.')
      }
      return 0
    } finally {
      catalog.close()
    }
  },
}
