// Binds the contract to ipcMain: one `handle` per channel (derived from `channels`), each
// checking that the sender is our window's main frame, parsing the input with the channel's
// schema (dispatch), and flattening any error into a Reply. Never imports electron.
import { channels, type ChannelName } from '../../shared/contract'
import { LockstepError, toErrorPayload } from '../../shared/errors'
import { callChannel, eventChannel, APP_ORIGIN } from '../../shared/ipc-names'
import type { Reply } from '../../shared/wire'
import { dispatch, type EventSink, type ServiceContext } from '../services'

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

export type Overrides = Partial<{ [C in ChannelName]: (input: never, ctx: ServiceContext) => Promise<unknown> }>

/** dispatch(), except that channels in `overrides` (Electron-only features) run their own handler after the same parse. */
export async function dispatchWith(name: string, raw: unknown, ctx: ServiceContext, overrides: Overrides): Promise<Reply> {
  const override = Object.prototype.hasOwnProperty.call(overrides, name) ? overrides[name as ChannelName] : undefined
  if (!override) return dispatch(name, raw, ctx)
  try {
    const parsed = channels[name as ChannelName].input.safeParse(raw)
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(input)'}: ${i.message}`)
      throw new LockstepError('INVALID_INPUT', `Invalid input for ${name}: ${problems.join('; ')}`, { problems })
    }
    return { ok: true, result: await (override as (input: unknown, ctx: ServiceContext) => Promise<unknown>)(parsed.data, ctx) }
  } catch (err) {
    return { ok: false, error: toErrorPayload(err) }
  }
}

/** Registers every channel; returns the function that removes them again. */
export function bindIpc(
  ipcMain: IpcMainLike,
  ctx: ServiceContext,
  trustedWindow: () => TrustedWindowLike | null,
  overrides: Overrides = {},
): () => void {
  const names = Object.keys(channels)
  for (const name of names) {
    ipcMain.handle(callChannel(name), async (event, ...args) => {
      if (!isTrustedSender(event, trustedWindow())) {
        return { ok: false, error: { code: 'FORBIDDEN', message: `IPC call ${name} refused: the sender is not the Lockstep window` } } satisfies Reply
      }
      if (args.length > 1) {
        return { ok: false, error: { code: 'INVALID_INPUT', message: `Invalid input for ${name}: expected one argument` } } satisfies Reply
      }
      return dispatchWith(name, args[0], ctx, overrides)
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
