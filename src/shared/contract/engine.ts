// Channels of the augmentation engine (issue 2). Owned by the engine; extend here.
import { z } from 'zod'
import type { Recipe } from '../recipe'
import { channel } from './define'

export type RecipeValidateResult = { ok: true; recipe: Recipe; notes?: string[] } | { ok: false; problems: string[]; unsupported?: string[] }

export interface RecipeConvertResult {
  /** Lockstep recipe or Albumentations JSON (`A.load` reads it) */
  recipe: unknown
  /** transforms/parameters with no counterpart, by name (never silently dropped) */
  unsupported: string[]
  notes: string[]
}

export interface PreviewTileInfo {
  sampleId: number
  /** position in this preview: the media routes' {index} */
  index: number
  /** which augmented version of the sample (0..count-1): its key's epoch is epoch + k */
  k: number
  /** the plan (plain JSON), replayable */
  plan: unknown
  /** PNG */
  imagePath: string
  /** raw class indices (see src/shared/media.ts) */
  labelsPath: string
  width: number
  height: number
}

export interface PreviewResult {
  token: string
  tiles: PreviewTileInfo[]
  /** samples that could not be rendered (missing, corrupt, size mismatch...) */
  errors: { sampleId: number; message: string }[]
  ms: number
}

export const engineChannels = {
  /** Validates a recipe (Lockstep or Albumentations JSON) and returns it normalised, or every problem by path. */
  'recipe.validate': channel<RecipeValidateResult>()(z.object({ recipe: z.unknown() })),
  /** Converts a recipe to Albumentations JSON or to Lockstep (from either). */
  'recipe.convert': channel<RecipeConvertResult>()(z.object({ recipe: z.unknown(), to: z.enum(['albumentations', 'lockstep']) }).strict()),
  /**
   * Renders `count` augmented versions of each sample (version k uses key (seed, epoch + k,
   * sample key), i.e. exactly what an export with that seed gives in epoch epoch + k).
   */
  'preview.render': channel<PreviewResult>()(
    z
      .object({
        sampleIds: z.array(z.number().int().nonnegative()).min(1).max(64),
        recipe: z.unknown(),
        seed: z.number().int().min(0).max(4294967295),
        count: z.number().int().min(1).max(32),
        epoch: z.number().int().min(0).optional(),
        /**
         * A client's name for a stream of previews (e.g. one per window): a request supersedes the
         * one in flight on its lane, whose tiles not yet started are skipped (it answers CANCELLED)
         */
        lane: z.string().min(1).max(64).optional(),
      })
      .strict(),
  ),
}
export const engineEvents = {}
