// Cancel, resume, cancel again, resume: at many points (mid-batch, mid-tar, on boundaries), for
// each format alone and all together, with 8- and 16-bit masks in one batch (the npy y widens) and
// a broken pair (its outputs are journaled as failed, and a reopened batch or tar keeps only the
// others). Every cancel journals every output handed over; the last resume gives exactly the bytes
// of an uninterrupted export.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { parseRecipe } from '../../src/shared/recipe'
import { runExport, type ExportRunOptions } from '../../src/main/export/job'
import { folderInputs } from '../../src/main/export/sources'
import { resolveNormalization } from '../../src/main/export/normalize'
import { writePair } from '../fixtures/pairs'
import { checkWholeFiles, expectSameFiles, snapshot, tmp } from './helpers'

let dir: string
const recipe = parseRecipe({
  schema: 'lockstep.recipe/1',
  output: { width: 24, height: 20 },
  mask: { ignoreIndex: 255 },
  ops: [
    { type: 'random_crop', p: 1, width: 24, height: 20 },
    { type: 'hflip', p: 0.5 },
    { type: 'brightness', p: 1, limit: [-0.1, 0.1] },
  ],
})

beforeAll(async () => {
  dir = tmp('lockstep-cancel-')
  const variants = ['grey8', 'grey16', 'palette', 'grey8', 'grey8', 'grey16', 'palette'] as const
  for (let i = 0; i < variants.length; i++) await writePair(dir, `c${i}`, { width: 40, height: 30, seed: i + 3, mask: variants[i] })
  // one broken pair (its mask has another size): its outputs fail, named, wherever they fall.
  // (A size mismatch, not a corrupt file: libvips' text for a corrupt file is not yet the same
  // from run to run, issue 13 item 7, and the manifest records it.)
  const other = tmp('lockstep-cancel-')
  await writePair(other, 'c3', { width: 30, height: 20, seed: 9 })
  writeFileSync(join(dir, 'masks', 'c3.png'), readFileSync(join(other, 'masks', 'c3.png')))
})

function options(out: string, formats: string[], extra: Partial<ExportRunOptions> = {}): ExportRunOptions {
  return {
    sources: folderInputs(join(dir, 'images'), join(dir, 'masks')).sources,
    recipe,
    seed: 21,
    epochs: 3,
    batchSize: 3,
    dropLast: false,
    imageFormat: 'png',
    quality: 90,
    formats,
    formatOptions: { webdataset: { samples: 6 } },
    out,
    workers: 0,
    ...extra,
  }
}

/** Runs the export and cancels it once `at` outputs are done; returns the lines journaled. */
async function cancelAt(out: string, formats: string[], at: number, extra: Partial<ExportRunOptions>): Promise<number> {
  const controller = new AbortController()
  const err = await runExport(
    options(out, formats, { ...extra, signal: controller.signal, progressIntervalMs: 0, onProgress: (p) => p.done >= at && controller.abort() }),
  ).then(
    () => null,
    (e: { code?: string }) => e,
  )
  expect(err).toMatchObject({ code: 'CANCELLED' })
  return readFileSync(join(out, 'manifest.jsonl'), 'utf8').split('\n').filter(Boolean).length
}

describe('cancel and resume', () => {
  const cases: [string[], Partial<ExportRunOptions>][] = [
    [['npy'], {}],
    [['webdataset'], {}],
    [['folders'], {}],
    [['folders', 'npy', 'webdataset'], {}],
    [['npy'], { normalize: resolveNormalization('samplewise', null), stepsPerEpoch: 5 }],
  ]
  for (const [formats, extra] of cases) {
    it(`${formats.join('+')}${extra.normalize ? ' (float32, repeated draws)' : ''}: cancelled twice at many points, journals all it was given and resumes to the uninterrupted bytes`, async () => {
      const wholeDir = tmp()
      const w = await runExport(options(wholeDir, formats, extra))
      expect(w.failedOutputs).toBeGreaterThanOrEqual(3) // the broken pair, at least once per epoch
      const whole = snapshot(wholeDir)
      for (const [a, b] of [
        [1, 2],
        [2, 7],
        [4, 5],
        [6, 13],
        [8, 16],
        [11, 19],
      ] as const) {
        const out = tmp()
        expect(await cancelAt(out, formats, a, extra), `lines after the first cancel at ${a}`).toBe(a)
        expect(checkWholeFiles(out, whole), `after a cancel at ${a}`).toEqual([])
        expect(await cancelAt(out, formats, b, extra), `lines after the second cancel at ${b}`).toBe(b)
        expect(checkWholeFiles(out, whole), `after a cancel at ${b}`).toEqual([])
        const s = await runExport(options(out, formats, extra))
        expect(s.resumed).toBe(b)
        expect(expectSameFiles(whole, snapshot(out)), `cancelled at ${a} and ${b}, then resumed`).toEqual([])
      }
    })
  }
})
