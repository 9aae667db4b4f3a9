// Channels of the augmentation engine (issue 2). Owned by the engine; extend here.
import { z } from 'zod'
import { channel } from './define'

export const engineChannels = {
  /** Validates a recipe (Lockstep or Albumentations JSON) and returns it normalised, or every problem by path. */
  'recipe.validate': channel<{ ok: true; recipe: unknown } | { ok: false; problems: string[] }>()(
    z.object({ recipe: z.unknown() }),
  ),
}
export const engineEvents = {}
