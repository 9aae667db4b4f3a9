// What an export reads: the pairs of a project (catalog, by split) or of two folders (paired by
// stem with the catalog's pairing rules), the recipe, and the facts export.json records.
import { resolve } from 'node:path'
import { SPLITS, type Split } from '../../shared/contract/vocabulary'
import { LockstepError } from '../../shared/errors'
import type { Recipe } from '../../shared/recipe'
import { parseRecipe } from '../augment'
import type { Catalog } from '../catalog/catalog'
import { soundLookup } from '../catalog/file-checks'
import { requireSound } from '../io/verify'
import { scanPairs } from '../catalog/pairing'
import { computeStats, Moments } from '../catalog/stats'
import { decodeImage } from '../io'
import { mapLimit } from '../map-limit'
import type { SourcePair } from './types'

export interface SourceProblem {
  key: string
  file: string
  message: string
}

export interface ExportInputs {
  sources: SourcePair[]
  /** Pairs that cannot be exported at all (broken in the catalog, or unpaired files). */
  problems: SourceProblem[]
  classes?: unknown
  stats?: { mean: number[]; std: number[] } | null
  sourceInfo?: Record<string, unknown>
}

export function checkSplits(splits: string[]): Split[] {
  for (const s of splits) {
    if (!(SPLITS as readonly string[]).includes(s)) {
      throw new LockstepError('INVALID_INPUT', `Unknown split ${JSON.stringify(s)}: expected one of ${SPLITS.join(', ')}`)
    }
  }
  return splits as Split[]
}

/**
 * The selected samples of a project, in key order; broken pairs are reported, not exported. Files
 * the import's whole-file checks found sound carry their sha256 (the render then reads just a
 * crop's window of them, when the bytes it reads still hash the same).
 */
export function catalogInputs(catalog: Catalog, splits: string[]): ExportInputs {
  const split = checkSplits(splits)
  const refs = catalog.selectSamples(split.length ? { split } : {})
  const sound = soundLookup(catalog.db)
  const sources: SourcePair[] = []
  const problems: SourceProblem[] = []
  for (const r of refs) {
    if (r.error || !r.maskPath || !r.imagePath) {
      problems.push({ key: r.key, file: r.imagePath || r.key, message: r.error?.message ?? 'no mask' })
      continue
    }
    const checked = { imageSound: sound(r.imageHash), maskSound: sound(r.maskHash) }
    sources.push({ key: r.key, imagePath: r.imagePath, maskPath: r.maskPath, id: r.id, imageHash: r.imageHash, maskHash: r.maskHash, ...checked })
  }
  const stats = storedStats(catalog)
  const classes = catalog.classes().map((c) => ({ index: c.index, name: c.name, color: c.color, ignore: c.ignore }))
  return {
    sources,
    problems,
    classes,
    stats,
    sourceInfo: { project: catalog.projectDir, splits: split },
  }
}

/** Pairs from `--images DIR --masks DIR`; unpaired files are problems named by path. */
export function folderInputs(imagesDir: string, masksDir: string, patterns?: string[]): ExportInputs {
  const images = resolve(imagesDir)
  const masks = resolve(masksDir)
  const r = scanPairs(images, masks, patterns ? { patterns } : {})
  const sources = r.pairs.map((p) => ({ key: p.stem, imagePath: resolve(images, p.image), maskPath: resolve(masks, p.mask) }))
  const problems: SourceProblem[] = [
    ...r.unpairedImages.map((u) => ({ key: u.stem, file: resolve(images, u.image), message: 'no mask with the same name' })),
    ...r.duplicates.map((d) => ({ key: d.stem, file: d.file, message: `a second file for ${d.stem} (kept ${d.kept})` })),
  ]
  return { sources, problems, sourceInfo: { images, masks } }
}

/** A recipe from a saved version of the project or from JSON (Lockstep or Albumentations). */
export function resolveRecipe(catalog: Catalog | null, recipe: { versionId: number } | { json: unknown }): { recipe: Recipe; versionId: number | null } {
  if ('versionId' in recipe) {
    if (!catalog) throw new LockstepError('NO_PROJECT', `Recipe version ${recipe.versionId} needs a project (--project DIR)`)
    return { recipe: parseRecipe(catalog.getRecipeVersion(recipe.versionId).recipe), versionId: recipe.versionId }
  }
  return { recipe: parseRecipe(recipe.json), versionId: null }
}

/**
 * Throws, naming the file, unless the whole-file checks find these source bytes sound (io/verify):
 * for a caller about to read only a crop's window of them (a replay of one manifest line).
 */
export async function requireSoundSource(bytes: Buffer, path: string, role: 'image' | 'mask', sha256?: string): Promise<void> {
  await requireSound(bytes, path, role, sha256)
}

/** The featurewise statistics an export of the project records (and normalises with): the train split's, else the whole project's. */
export type FeaturewiseStats = { mean: number[]; std: number[]; split?: string; sampleCount?: number }

function storedStats(catalog: Catalog): FeaturewiseStats | null {
  const s = catalog.getStats('train') ?? catalog.getStats('all')
  return s ? { mean: [...s.mean], std: [...s.std], split: s.split, sampleCount: s.sampleCount } : null
}

/**
 * The project's featurewise statistics, computed and stored first when the project has none yet
 * (over the train split if it has healthy samples, else over every sample), so that every export
 * records the statistics a training script normalises with.
 */
export async function projectStats(catalog: Catalog, control: { signal?: AbortSignal; onNote?: (text: string) => void } = {}): Promise<FeaturewiseStats> {
  const stored = storedStats(catalog)
  if (stored) return stored
  const split = catalog.selectSamples({ split: ['train'] }).some((r) => !r.error && r.maskPath) ? 'train' : 'all'
  control.onNote?.(`computing the featurewise statistics of ${split === 'all' ? 'every sample' : 'the train split'} (stored in the project; once)`)
  await computeStats(catalog, split, { signal: control.signal })
  return storedStats(catalog)!
}

/**
 * Featurewise statistics of folder sources (no project to store them in), computed over every
 * source as the stats job does for a project: per-image moments merged in key order.
 */
export async function folderStats(sources: SourcePair[], control: { signal?: AbortSignal; onNote?: (text: string) => void } = {}): Promise<FeaturewiseStats> {
  control.onNote?.(`computing the featurewise statistics of the ${sources.length} source images`)
  const sorted = [...sources].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  const per = await mapLimit(sorted, 2, async (s) => {
    if (control.signal?.aborted) throw new LockstepError('CANCELLED', 'The export was cancelled')
    const m = new Moments()
    m.addImage((await decodeImage(s.imagePath)).data)
    return m
  })
  const total = Moments.merge(per)
  return { mean: [...total.mean], std: total.std(), sampleCount: sorted.length }
}
