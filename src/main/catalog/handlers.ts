import type { AreaHandlers } from '../services/handlers'
import type { catalogChannels } from '../../shared/contract/catalog'
import { LockstepError } from '../../shared/errors'

// Temporary: the contract is committed first so other areas can build against it; the real
// handlers replace these within the hour.
const notYet = async (): Promise<never> => {
  throw new LockstepError('INTERNAL', 'The catalog handlers are not built yet')
}
export const catalogHandlers: AreaHandlers<keyof typeof catalogChannels> = {
  'project.open': notYet,
  'project.create': notYet,
  'project.info': notYet,
  'project.close': notYet,
  'import.start': notYet,
  'import.rescan': notYet,
  'import.summary': notYet,
  'samples.query': notYet,
  'samples.get': notYet,
  'samples.update': notYet,
  'samples.randomSplit': notYet,
  'samples.counts': notYet,
  'tags.list': notYet,
  'classes.list': notYet,
  'classes.update': notYet,
  'classes.importPalette': notYet,
  'stats.run': notYet,
  'stats.get': notYet,
  'recipe.list': notYet,
  'recipe.get': notYet,
  'recipe.save': notYet,
}
