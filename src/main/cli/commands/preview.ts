// `lockstep preview`: K augmented versions of one pair, each with its mask and a mask overlay,
// plus the plans (replayable) as JSON.
import { mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import sharp from 'sharp'
import { LockstepError } from '../../../shared/errors'
import { scanPairs } from '../../catalog/pairing'
import { loadPair, loadRecipeFile, needsLabels, plan, renderLoaded } from '../../augment'
import { intOption, parse, requireOption, type Command } from '../command'

const NAME = 'preview'

const HELP = `usage: lockstep preview --images DIR --masks DIR --recipe FILE --seed N --count K --out DIR [--pair STEM] [--epoch E]

Renders K augmented versions of one image/mask pair (the first pair by stem unless --pair names
one; pairs are matched by stem, e.g. images/a.jpg <-> masks/a.png or masks/a_mask.png). Version k
uses the key (seed N, epoch E+k, the pair's stem): exactly what an export with seed N gives that
pair in epoch E+k. --recipe takes a Lockstep recipe or an Albumentations JSON file.

Writes to DIR, for k = 0..K-1:
  STEM-k.png          the augmented image
  STEM-k_mask.png     its mask (class indices, single channel, the source's bit depth)
  STEM-k_overlay.png  the mask's classes painted over the image (ignoreIndex in white)
  plans.json          the K plans (replay them with the engine's replay())

Options:
  --images DIR   folder of images            --masks DIR   folder of masks
  --recipe FILE  recipe (Lockstep or Albumentations JSON)
  --seed N       integer seed (default 0)    --count K     versions, 1..64 (default 8)
  --epoch E      first epoch (default 0)     --pair STEM   which pair (default: the first)
  --out DIR      output folder (created)`

/** A distinct colour per class index (0 = background, left unpainted). */
function colourOf(k: number): [number, number, number] {
  const hues = [0, 120, 220, 50, 290, 170, 25, 90, 200, 320]
  const h = hues[(k - 1) % hues.length]
  const l = 0.55 - 0.12 * (Math.floor((k - 1) / hues.length) % 3)
  const a = 0.8 * Math.min(l, 1 - l)
  const f = (n: number) => {
    const t = (n + h / 30) % 12
    return Math.round(255 * (l - a * Math.max(-1, Math.min(t - 3, 9 - t, 1))))
  }
  return [f(0), f(8), f(4)]
}

export function overlay(rgb: Uint8Array, labels: Uint8Array | Uint16Array, ignoreIndex: number, alpha = 0.5): Uint8Array {
  const out = new Uint8Array(rgb)
  const cache = new Map<number, [number, number, number]>()
  for (let i = 0; i < labels.length; i++) {
    const k = labels[i]
    if (k === 0) continue
    let c = cache.get(k)
    if (!c) cache.set(k, (c = k === ignoreIndex ? [255, 255, 255] : colourOf(k)))
    for (let j = 0; j < 3; j++) out[i * 3 + j] = Math.round(out[i * 3 + j] * (1 - alpha) + c[j] * alpha)
  }
  return out
}

export const previewCommand: Command = {
  name: NAME,
  help: HELP,
  async run(argv) {
    const { values: v } = parse(NAME, argv, {
      images: { type: 'string' },
      masks: { type: 'string' },
      recipe: { type: 'string' },
      seed: { type: 'string' },
      count: { type: 'string' },
      epoch: { type: 'string' },
      pair: { type: 'string' },
      out: { type: 'string' },
    })
    const images = resolve(requireOption(NAME, v.images, '--images'))
    const masks = resolve(requireOption(NAME, v.masks, '--masks'))
    const recipePath = resolve(requireOption(NAME, v.recipe, '--recipe'))
    const out = resolve(requireOption(NAME, v.out, '--out'))
    const seed = intOption(NAME, v.seed, '--seed', 0)
    const count = intOption(NAME, v.count, '--count', 8, 1)
    if (count > 64) throw new LockstepError('INVALID_INPUT', `lockstep ${NAME}: --count is at most 64, received ${count}`)
    const epoch = intOption(NAME, v.epoch, '--epoch', 0)
    const recipe = await loadRecipeFile(recipePath)
    const pairing = scanPairs(images, masks)
    if (pairing.pairs.length === 0)
      throw new LockstepError('NOT_FOUND', `No image/mask pairs in ${images} and ${masks} (masks are matched by stem: a.jpg <-> a.png)`)
    const pair = v.pair === undefined ? pairing.pairs[0] : pairing.pairs.find((p) => p.stem === v.pair)
    if (!pair)
      throw new LockstepError(
        'NOT_FOUND',
        `No pair with stem ${JSON.stringify(v.pair)} in ${images} (stems: ${pairing.pairs
          .slice(0, 5)
          .map((p) => p.stem)
          .join(', ')}${pairing.pairs.length > 5 ? ', ...' : ''})`,
      )
    const paths = { image: join(images, pair.image), mask: join(masks, pair.mask) }
    const loaded = await loadPair(paths)
    const ctx = needsLabels(recipe) && loaded.labels ? { labels: loaded.labels } : {}
    await mkdir(out, { recursive: true })
    const safe = pair.stem.replace(/[\\/]/g, '__')
    const plans = []
    for (let k = 0; k < count; k++) {
      const p = plan(recipe, loaded, { seed, epoch: epoch + k, sampleId: pair.stem }, ctx)
      const r = await renderLoaded(p, loaded, { image: { format: 'png' }, raw: true })
      const raw = r.raw!
      const over = await sharp(overlay(raw.image, raw.labels!, p.ignoreIndex), { raw: { width: raw.width, height: raw.height, channels: 3 } })
        .png()
        .toBuffer()
      await Promise.all([
        writeFile(join(out, `${safe}-${k}.png`), r.image!),
        writeFile(join(out, `${safe}-${k}_mask.png`), r.mask!),
        writeFile(join(out, `${safe}-${k}_overlay.png`), over),
      ])
      plans.push({ k, files: { image: `${safe}-${k}.png`, mask: `${safe}-${k}_mask.png`, overlay: `${safe}-${k}_overlay.png` }, plan: p })
    }
    await writeFile(join(out, 'plans.json'), JSON.stringify({ source: paths, recipe, plans }, null, 2) + '\n')
    console.log(`wrote ${count} versions of ${pair.stem} to ${out}`)
    return 0
  },
}
