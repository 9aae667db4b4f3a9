import type { AreaHandlers } from './context'
import type { appChannels } from '../../shared/contract/app'
import { LockstepError } from '../../shared/errors'
import { recentHandlers } from './recent'

const unavailable = (what: string) =>
  new LockstepError('FORBIDDEN', `A native ${what} picker exists only in the desktop app; in browser mode type the absolute path instead`)

export const appHandlers: AreaHandlers<keyof typeof appChannels> = {
  'job.list': async (_input, ctx) => ctx.jobs.list(),
  'job.cancel': async (input, ctx) => ({ cancelled: ctx.jobs.cancel(input.id) }),
  // Native folder/file pickers exist only in the desktop app, whose door overrides these two
  // (src/main/ipc/dialogs.ts, through dispatch's overrides); every other door answers this.
  'dialog.openFolder': async () => {
    throw unavailable('folder')
  },
  'dialog.openFile': async () => {
    throw unavailable('file')
  },
  ...recentHandlers,
}
