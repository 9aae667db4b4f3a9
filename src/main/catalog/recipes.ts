// Recipes and their versions: versions are immutable (enforced by triggers too). The catalog
// stores validated Lockstep recipes; converting other formats is the engine's work.
import { LockstepError } from '../../shared/errors'
import type { RecipeSummary, RecipeVersionInfo } from '../../shared/contract/catalog'
import { parseLockstepRecipe } from '../../shared/recipe'
import type { Db } from './db'
import type { Store } from './types'

export function listRecipes(db: Db): RecipeSummary[] {
  return db
    .prepare(
      `SELECT r.id, r.name, r.updated_at AS updatedAt, MAX(v.version) AS latestVersion, COUNT(v.id) AS versionCount
       FROM recipes r JOIN recipe_versions v ON v.recipe_id = r.id GROUP BY r.id ORDER BY r.updated_at DESC, r.id DESC`,
    )
    .all() as RecipeSummary[]
}

export function getRecipe(db: Db, id: number, version?: number): RecipeVersionInfo {
  const row = db
    .prepare(
      `SELECT v.id AS versionId, v.recipe_id AS recipeId, r.name, v.version, v.json, v.note, v.created_at AS createdAt
       FROM recipe_versions v JOIN recipes r ON r.id = v.recipe_id
       WHERE v.recipe_id = ? ${version === undefined ? 'ORDER BY v.version DESC LIMIT 1' : 'AND v.version = ?'}`,
    )
    .get(...(version === undefined ? [id] : [id, version])) as (Omit<RecipeVersionInfo, 'recipe'> & { json: string }) | undefined
  if (!row) throw new LockstepError('NOT_FOUND', version === undefined ? `Recipe ${id} does not exist` : `Recipe ${id} has no version ${version}`)
  const { json, ...rest } = row
  return { ...rest, recipe: JSON.parse(json) as unknown }
}

/** A recipe version by its row id (what exports record). */
export function getRecipeVersion(db: Db, versionId: number): RecipeVersionInfo {
  const row = db.prepare('SELECT recipe_id AS r, version AS v FROM recipe_versions WHERE id = ?').get(versionId) as { r: number; v: number } | undefined
  if (!row) throw new LockstepError('NOT_FOUND', `Recipe version ${versionId} does not exist`)
  return getRecipe(db, row.r, row.v)
}

/**
 * Validates a Lockstep recipe and stores a new immutable version (of `id`, or of a new recipe).
 * Albumentations JSON is the engine's to convert first (services/catalog.ts does, for recipe.save).
 */
export function saveRecipe(store: Store, input: { id?: number; name: string; recipe: unknown; note?: string }): RecipeVersionInfo {
  const { db } = store
  const recipe = parseLockstepRecipe(input.recipe)
  const now = Date.now()
  const { recipeId, version } = store.tx(() => {
    let recipeId = input.id
    if (recipeId === undefined) {
      recipeId = Number(db.prepare('INSERT INTO recipes(name, created_at, updated_at) VALUES (?, ?, ?)').run(input.name, now, now).lastInsertRowid)
    } else {
      const ok = db.prepare('UPDATE recipes SET name = ?, updated_at = ? WHERE id = ?').run(input.name, now, recipeId).changes
      if (!ok) throw new LockstepError('NOT_FOUND', `Recipe ${recipeId} does not exist`)
    }
    const version = ((db.prepare('SELECT MAX(version) FROM recipe_versions WHERE recipe_id = ?').pluck().get(recipeId) as number | null) ?? 0) + 1
    db.prepare('INSERT INTO recipe_versions(recipe_id, version, json, note, created_at) VALUES (?, ?, ?, ?, ?)').run(
      recipeId,
      version,
      JSON.stringify(recipe),
      input.note ?? '',
      now,
    )
    return { recipeId, version }
  })
  return getRecipe(db, recipeId, version)
}
