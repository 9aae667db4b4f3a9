// Binds the contract to ipcMain: one `handle` per channel (derived from `channels`), each
// checking that the sender is our window's main frame, then handing the call to the services'
// one `dispatch` (parse, error flattening; `overrides` for Electron-only handlers such as the
// native dialogs). Never imports electron.
import { channels } from '../../shared/contract'
import { callChannel, eventChannel, APP_ORIGIN } from '../../shared/ipc-names'
import type { Reply } from '../../shared/wire'
import { dispatch, type EventSink, type Overrides, type ServiceContext } from '../services'

/** The parts of an IpcMainInvokeEvent the sender check reads. */
export interface InvokeEventLike {
  sender: unknown
  senderFrame: { url: string } | null
}

/** The window whose main frame may call: `webContents` and its `mainFrame`. */
export interface TrustedWindowLike {
  isDestroyed(): boolean
  webContents: { mainFrame: unknown; isDestroyed?(): boolean; send(channel: string, ...args: unknown[]): void }
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>): void
  removeHandler(channel: string): void
}

/** True only for our window's own top frame showing our own renderer. */
export function isTrustedSender(event: InvokeEventLike, window: TrustedWindowLike | null): boolean {
  if (!window || window.isDestroyed()) return false
  if (event.sender !== window.webContents) return false
  const frame = event.senderFrame
  if (!frame || frame !== window.webContents.mainFrame) return false
  let url: URL
  try {
    url = new URL(frame.url)
  } catch {
    return false
  }
  return `${url.protocol}//${url.host}` === APP_ORIGIN
}

/** Registers every channel; returns the function that removes them again. */
export function bindIpc(ipcMain: IpcMainLike, ctx: ServiceContext, trustedWindow: () => TrustedWindowLike | null, overrides: Overrides = {}): () => void {
  const names = Object.keys(channels)
  for (const name of names) {
    ipcMain.handle(callChannel(name), async (event, ...args) => {
      if (!isTrustedSender(event, trustedWindow())) {
        return { ok: false, error: { code: 'FORBIDDEN', message: `IPC call ${name} refused: the sender is not the Lockstep window` } } satisfies Reply
      }
      if (args.length > 1) {
        return { ok: false, error: { code: 'INVALID_INPUT', message: `Invalid input for ${name}: expected one argument` } } satisfies Reply
      }
      return dispatch(name, args[0], ctx, overrides)
    })
  }
  return () => names.forEach((name) => ipcMain.removeHandler(callChannel(name)))
}

/** Events from the services go to our window only. */
export function windowEventSink(window: () => TrustedWindowLike | null, also?: EventSink): EventSink {
  return {
    emit(name, payload) {
      also?.emit(name, payload)
      const w = window()
      if (w && !w.isDestroyed() && !w.webContents.isDestroyed?.()) w.webContents.send(eventChannel(name), payload)
    },
  }
}
