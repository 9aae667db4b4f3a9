// The engine's public API (used by export, the doors, the catalog and the CLI).
import { depthProblem, parseJsonText, tooDeep, validateRecipe, invalidRecipe, type Recipe, type RecipeValidation } from '../../shared/recipe'
import { fromAlbumentations, isAlbumentations, toAlbumentations } from './albumentations'

export { plan, fuseGeometry, needsLabels, lightRecipe, checkPlan, PLAN_SCHEMA, type Plan, type PlanStep, type PlanContext } from './plan'
export {
  loadPair,
  renderLoaded,
  renderFromFiles,
  renderSample,
  readPairHeaders,
  replay,
  applyPixelSteps,
  type PairHeaders,
  type LoadedPair,
  type PairPaths,
  type RenderOptions,
  type RenderedPair,
  type RawPair,
} from './render'
export { readLabels, encodeLabelsPng, maskInfo, type Labels } from '../io/labels'
export { imageSize, decodeImage } from '../io/image'
export { previewTile, previewStore, type PreviewTile } from './preview-store'
export { renderTiles, sharedPair, renderTile, type RenderedTile } from './preview-render'
export { toAlbumentations, fromAlbumentations, isAlbumentations, type Conversion } from './albumentations'
export { rngFor, permutation, Rng, type SampleKey } from './rng'
export { OP_CATALOG, OP_TYPES, opCatalog, RECIPE_SCHEMA, validateRecipe, type Recipe, type OpSpec, type OpType } from '../../shared/recipe'

/** Validates Lockstep or Albumentations JSON (text or parsed); Albumentations is converted first. */
export function checkRecipe(json: unknown, source = 'recipe'): RecipeValidation & { unsupported?: string[]; notes?: string[] } {
  const value = typeof json === 'string' ? parseJsonText(json, source) : json
  if (tooDeep(value)) return { ok: false, problems: [depthProblem()] }
  if (isAlbumentations(value)) {
    const c = fromAlbumentations(value)
    if (c.problems.length) return { ok: false, problems: c.problems }
    if (c.unsupported.length) {
      return { ok: false, problems: c.unsupported.map((u) => `transform: ${u} has no Lockstep counterpart`), unsupported: c.unsupported, notes: c.notes }
    }
    const v = validateRecipe(c.recipe)
    return { ...v, notes: c.notes }
  }
  return validateRecipe(value)
}

/**
 * A recipe from Lockstep JSON or an Albumentations `A.save(..., 'json')` file. Throws
 * INVALID_RECIPE listing every problem by path (and every Albumentations transform we cannot express).
 */
export function parseRecipe(json: unknown, source = 'recipe'): Recipe {
  const r = checkRecipe(json, source)
  if (!r.ok) throw invalidRecipe(source, r.problems)
  return r.recipe
}

/** Converts either format to the other; unsupported transforms are named, never dropped silently. */
export function convertRecipe(json: unknown, to: 'albumentations' | 'lockstep'): { recipe: unknown; unsupported: string[]; notes: string[] } {
  const value = typeof json === 'string' ? parseJsonText(json) : json
  if (tooDeep(value)) throw invalidRecipe('recipe', [depthProblem()])
  if (to === 'lockstep') {
    if (isAlbumentations(value)) {
      const c = fromAlbumentations(value)
      if (c.problems.length) throw invalidRecipe('Albumentations recipe', c.problems)
      const v = validateRecipe(c.recipe)
      if (!v.ok) return { recipe: c.recipe, unsupported: c.unsupported, notes: [...c.notes, ...v.problems] }
      return { recipe: v.recipe, unsupported: c.unsupported, notes: c.notes }
    }
    return { recipe: parseRecipe(value), unsupported: [], notes: [] }
  }
  const c = toAlbumentations(parseRecipe(value))
  return { recipe: c.recipe, unsupported: c.unsupported, notes: c.notes }
}

/** Reads a recipe file (Lockstep or Albumentations JSON); errors name the file. */
export async function loadRecipeFile(path: string): Promise<Recipe> {
  const { readFile } = await import('node:fs/promises')
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    const { LockstepError } = await import('../../shared/errors')
    throw new LockstepError(
      'NOT_FOUND',
      `Cannot read recipe ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
    )
  }
  return parseRecipe(parseJsonText(text, `recipe ${path}`), `recipe ${path}`)
}
