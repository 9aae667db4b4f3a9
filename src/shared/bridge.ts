// What the Electron preload exposes as `window.lockstep`, derived from the contract: exactly one
// function per channel and one subscribe per event. Browser mode's api.ts builds the same shape
// over a WebSocket, so the renderer has a single code path.
import type { ChannelName, EventName, InputOf, PayloadOf } from './contract'
import type { Reply } from './wire'

export interface LockstepBridge {
  /** One function per channel; resolves to the Reply (never rejects for a service error). */
  api: { [C in ChannelName]: (input: InputOf<C>) => Promise<Reply> }
  /** One subscribe per event; returns the unsubscribe. */
  events: { [E in EventName]: (listener: (payload: PayloadOf<E>) => void) => () => void }
  /** Prefix for media paths (src/shared/media.ts): 'lockstep-media://app' in Electron, '' in browser mode. */
  mediaBase: string
}

declare global {
  interface Window {
    lockstep?: LockstepBridge
  }
}
