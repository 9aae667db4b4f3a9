import type { AreaHandlers } from '../services/handlers'
import type { engineChannels } from '../../shared/contract/engine'
import { LockstepError } from '../../shared/errors'

export const engineHandlers: AreaHandlers<keyof typeof engineChannels> = {
  'recipe.validate': async () => {
    throw new LockstepError('INTERNAL', 'recipe.validate is not built yet')
  },
}
