// Native folder/file pickers for the desktop app: `nativeDialogHandlers` over Electron's `dialog`
// (passed in, so this module never imports electron) override the shared handlers, which answer
// with a clear error in browser mode and the CLI (src/main/services/app.ts).
import type { Overrides } from '../services'
import type { ParsedInputOf } from '../../shared/contract'

/** The subset of Electron's `dialog` used here. */
export interface DialogLike {
  showOpenDialog(
    window: unknown,
    options: { title?: string; defaultPath?: string; properties: string[]; filters?: { name: string; extensions: string[] }[] },
  ): Promise<{ canceled: boolean; filePaths: string[] }>
}

export function nativeDialogHandlers(dialog: DialogLike, window: () => unknown): Overrides {
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
