// CPU and wall time per pair of the engine alone (renderSample: headers, plan, decode, render,
// encode; no hashing, no files), one pair at a time in this process, on ../shared/bench data.
// Separates the engine's cost from the export's (files, journal, workers) when tuning it.
//
//   npm run build && node scripts/bench/render.mjs [1024x768-n200 | 4000x3000-n30] [rounds]
//   LOCKSTEP_NATIVE=0 node scripts/bench/render.mjs     # the same without the native decoders
//   RECIPE=scripts/bench/general-recipe.json node scripts/bench/render.mjs   # another recipe (default: export-recipe.json)
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { engine } from '../../out/main/lib.js'

const set = process.argv[2] ?? '1024x768-n200'
const rounds = Number(process.argv[3] ?? 3)
const dir = join(process.env.DATA_ROOT ?? '/tmp/bench-data', set)
const recipeFile = process.env.RECIPE ?? join(import.meta.dirname, 'export-recipe.json')
const recipe = engine.parseRecipe(JSON.parse(readFileSync(recipeFile, 'utf8')))
const pairs = JSON.parse(readFileSync(join(dir, 'params.json'), 'utf8')).pairs.map((q) => ({
  image: join(dir, 'images', `${q.name}.jpg`),
  mask: join(dir, 'masks', `${q.name}.png`),
  name: q.name,
}))
const bytes = pairs.map((p) => ({ image: readFileSync(p.image), mask: readFileSync(p.mask) }))
console.log(
  `${pairs.length} pairs from ${dir}, ${process.env.RECIPE ? process.env.RECIPE : 'bench recipe'}, JPEG q90 + PNG mask, native ${process.env.LOCKSTEP_NATIVE === '0' ? 'off' : 'on if built'}`,
)
for (let round = 0; round < rounds; round++) {
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  for (let i = 0; i < pairs.length; i++) {
    await engine.renderSample(recipe, { seed: 1, epoch: 0, sampleId: pairs[i].name }, pairs[i], { image: { format: 'jpeg', quality: 90 } }, bytes[i])
  }
  const c = process.cpuUsage(c0)
  console.log(
    `round ${round + 1}: ${((performance.now() - t0) / pairs.length).toFixed(2)} ms wall, ${((c.user + c.system) / 1000 / pairs.length).toFixed(2)} ms CPU per pair`,
  )
}
