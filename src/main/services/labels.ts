// PLACEHOLDER (to be replaced by the labeling work of issue 11 in this session): the labeling
// channels of src/shared/contract/labels.ts are registered so the renderer can be built against
// them; every handler here answers INTERNAL until the catalog implements it. Must not land.
import type { AreaHandlers } from './context'
import type { labelChannels } from '../../shared/contract/labels'
import { LockstepError } from '../../shared/errors'

const pending = async (): Promise<never> => {
  throw new LockstepError('INTERNAL', 'labeling is not implemented yet')
}

export const labelHandlers: AreaHandlers<keyof typeof labelChannels> = {
  'mask.save': pending,
  'mask.versions': pending,
  'mask.restore': pending,
  'classes.add': pending,
  'classes.reorder': pending,
  'classes.export': pending,
  'classes.remap': pending,
  'classes.remapSummary': pending,
  'annotations.import': pending,
  'annotations.summary': pending,
}
