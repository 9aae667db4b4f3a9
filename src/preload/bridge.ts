// Builds `window.lockstep` (src/shared/bridge.ts) from the channel and event NAME lists: one
// function per channel, one subscribe per event, and nothing else. The page never sees
// ipcRenderer, an IpcRendererEvent or a sender.
import type { LockstepBridge } from '../shared/bridge'
import { channelNameList, eventNameList } from '../shared/channel-names'
import { callChannel, eventChannel, MEDIA_BASE } from '../shared/ipc-names'

/** The subset of ipcRenderer the bridge uses. */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown
}

export function buildBridge(ipc: IpcRendererLike): LockstepBridge {
  const api: Record<string, (input: unknown) => Promise<unknown>> = {}
  for (const name of channelNameList) api[name] = (input: unknown) => ipc.invoke(callChannel(name), input)
  const events: Record<string, (listener: (payload: unknown) => void) => () => void> = {}
  for (const name of eventNameList) {
    events[name] = (listener: (payload: unknown) => void) => {
      if (typeof listener !== 'function') throw new TypeError(`lockstep.events['${name}'] expects a function`)
      const wrapped = (_event: unknown, payload: unknown) => listener(payload)
      ipc.on(eventChannel(name), wrapped)
      return () => {
        ipc.removeListener(eventChannel(name), wrapped)
      }
    }
  }
  return Object.freeze({
    api: Object.freeze(api),
    events: Object.freeze(events),
    mediaBase: MEDIA_BASE,
  }) as unknown as LockstepBridge
}
