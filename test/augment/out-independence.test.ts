// The bytes of an output must not depend on what else was asked for: a folders-only export and a
// folders+npy export of the same seed write the same JPEGs and PNGs.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadPair, parseRecipe, plan, renderFromFiles, renderLoaded } from '../../src/main/augment'
import { writePair, type WrittenPair } from '../fixtures/pairs'

let dir: string
let pair: WrittenPair
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lockstep-outdep-'))
  pair = await writePair(dir, 'p', { width: 200, height: 150, seed: 11, image: 'jpeg' })
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const recipes = {
  native: parseRecipe({
    schema: 'lockstep.recipe/1',
    output: { width: 96, height: 80 },
    ops: [{ type: 'random_crop', width: 96, height: 80 }, { type: 'hflip', p: 0.5 }, { type: 'brightness' }, { type: 'contrast' }],
  }),
  general: parseRecipe({
    schema: 'lockstep.recipe/1',
    output: { width: 96, height: 80 },
    ops: [{ type: 'random_crop', width: 120, height: 100 }, { type: 'rotate', degrees: [-20, 20] }, { type: 'gamma' }],
  }),
}

describe('encoded bytes do not depend on the other outputs requested', () => {
  for (const [name, recipe] of Object.entries(recipes)) {
    for (const format of ['jpeg', 'png', 'webp'] as const) {
      it(`${name} recipe, ${format}: image alone == image + raw, on both render paths`, async () => {
        const loaded = await loadPair({ image: pair.image, mask: pair.mask })
        const paths = { image: pair.image, mask: pair.mask }
        for (let seed = 0; seed < 6; seed++) {
          const p = plan(recipe, loaded, { seed, epoch: 0, sampleId: 'p' })
          const image = { format, quality: 90 }
          const outs = [
            await renderLoaded(p, loaded, { image }),
            await renderLoaded(p, loaded, { image, raw: true }),
            await renderFromFiles(p, paths, { image }),
            await renderFromFiles(p, paths, { image, raw: true }),
          ]
          for (const o of outs.slice(1)) {
            expect(o.image!.equals(outs[0].image!), `seed ${seed}`).toBe(true)
            expect(o.mask!.equals(outs[0].mask!), `seed ${seed}`).toBe(true)
          }
        }
      })
    }
  }
})
