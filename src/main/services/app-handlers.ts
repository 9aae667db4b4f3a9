import type { AreaHandlers } from './handlers'
import type { appChannels } from '../../shared/contract/app'
import { fallbackDialogHandlers } from '../ipc/dialogs'

export const appHandlers: AreaHandlers<keyof typeof appChannels> = {
  'job.list': async (_input, ctx) => ctx.jobs.list(),
  'job.cancel': async (input, ctx) => ({ cancelled: ctx.jobs.cancel(input.id) }),
  ...fallbackDialogHandlers,
}
