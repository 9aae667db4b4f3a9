// Native folder/file pickers. They exist only in the desktop app: the shared handlers (used by
// browser mode and the CLI) answer with a clear error, and the Electron binding overrides them with
// `nativeDialogHandlers` over Electron's `dialog`, passed in so this module never imports electron.
import { LockstepError } from '../../shared/errors'
import type { AreaHandlers } from '../services/handlers'
import type { ParsedInputOf } from '../../shared/contract'

type DialogChannel = 'dialog.openFolder' | 'dialog.openFile'

const unavailable = (what: string) =>
  new LockstepError('FORBIDDEN', `A native ${what} picker exists only in the desktop app; in browser mode type the absolute path instead`)

export const fallbackDialogHandlers: AreaHandlers<DialogChannel> = {
  'dialog.openFolder': async () => {
    throw unavailable('folder')
  },
  'dialog.openFile': async () => {
    throw unavailable('file')
  },
}

/** The subset of Electron's `dialog` used here. */
export interface DialogLike {
  showOpenDialog(
    window: unknown,
    options: { title?: string; defaultPath?: string; properties: string[]; filters?: { name: string; extensions: string[] }[] },
  ): Promise<{ canceled: boolean; filePaths: string[] }>
}

export function nativeDialogHandlers(dialog: DialogLike, window: () => unknown) {
  return {
    'dialog.openFolder': async (input: ParsedInputOf<'dialog.openFolder'>) => {
      const r = await dialog.showOpenDialog(window(), { title: input.title, defaultPath: input.defaultPath, properties: ['openDirectory', 'createDirectory'] })
      return { path: r.canceled ? null : (r.filePaths[0] ?? null) }
    },
    'dialog.openFile': async (input: ParsedInputOf<'dialog.openFile'>) => {
      const r = await dialog.showOpenDialog(window(), { title: input.title, defaultPath: input.defaultPath, properties: ['openFile'], filters: input.filters })
      return { path: r.canceled ? null : (r.filePaths[0] ?? null) }
    },
  }
}
