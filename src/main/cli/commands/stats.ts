// `lockstep stats`: featurewise mean/std and per-class counts of a split, computed and stored.
import { resolve } from 'node:path'
import { SPLITS, type Split, type StatsResult } from '../../../shared/contract/catalog'
import { LockstepError } from '../../../shared/errors'
import { Catalog } from '../../catalog/catalog'
import { computeStats } from '../../catalog/stats'
import { parse, type Command } from '../command'
import { progressPrinter } from './progress'

const NAME = 'stats'

const HELP = `usage: lockstep stats [--project DIR] [--split S] [--cached] [--json]

Computes and stores the statistics of a split of a project (default: the current folder):
  - per-channel mean and std of the RGB images (0..255), over every pixel of every healthy sample:
    the featurewise centering Keras's ImageDataGenerator.fit computes (population std);
  - per class: pixels in the masks and the number of samples containing it.
Samples with a problem are skipped and counted.

  --split S    ${SPLITS.join(' | ')} | all (default train)
  --cached     print the stored result without recomputing (error if there is none)
  --json       print the result as JSON`

function pct(n: number, d: number): string {
  return d ? `${((100 * n) / d).toFixed(2)}%` : '-'
}

export function formatStats(s: StatsResult): string {
  const f = (xs: number[], k = 1) => xs.map((x) => (x / k).toFixed(4)).join(' ')
  const classPixels = s.classes.reduce((a, c) => a + c.pixels, 0)
  return [
    `split ${s.split}: ${s.sampleCount} samples, ${s.pixelCount} pixels${s.skipped ? `, ${s.skipped} skipped (problems)` : ''}`,
    `mean RGB (0..255)  ${f(s.mean)}`,
    `std  RGB (0..255)  ${f(s.std)}`,
    `mean RGB (0..1)    ${f(s.mean, 255)}`,
    `std  RGB (0..1)    ${f(s.std, 255)}`,
    'classes:',
    ...s.classes.map(
      (c) =>
        `  ${String(c.index).padStart(5)}  ${c.name.padEnd(20)} ${String(c.pixels).padStart(12)} px ${pct(c.pixels, classPixels).padStart(8)}  in ${c.samples} sample(s)`,
    ),
  ].join('\n')
}

export const statsCommand: Command = {
  name: NAME,
  help: HELP,
  async run(argv) {
    const { values } = parse(NAME, argv, { project: { type: 'string' }, split: { type: 'string' }, cached: { type: 'boolean' }, json: { type: 'boolean' } })
    const split = (values.split ?? 'train') as Split | 'all'
    if (split !== 'all' && !(SPLITS as readonly string[]).includes(split)) {
      throw new LockstepError(
        'INVALID_INPUT',
        `lockstep ${NAME}: expected --split to be one of ${[...SPLITS, 'all'].join(', ')} but received ${JSON.stringify(split)}`,
      )
    }
    const catalog = Catalog.open(resolve(values.project ?? '.'))
    const progress = progressPrinter(NAME)
    try {
      let stats: StatsResult | null
      if (values.cached) {
        stats = catalog.getStats(split)
        if (!stats) throw new LockstepError('NOT_FOUND', `No statistics stored for split ${split}; run lockstep stats --split ${split}`)
      } else {
        stats = await computeStats(catalog, split, { progress: progress.update })
      }
      progress.end()
      console.log(values.json ? JSON.stringify(stats, null, 2) : formatStats(stats))
      return 0
    } finally {
      progress.end()
      catalog.close()
    }
  },
}
