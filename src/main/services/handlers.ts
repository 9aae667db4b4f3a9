import type { ChannelName } from '../../shared/contract'
import { channels } from '../../shared/contract'
import { LockstepError, toErrorPayload } from '../../shared/errors'
import type { Reply } from '../../shared/wire'
import type { Handler, ServiceContext } from './context'
import { appHandlers } from './app'
import { engineHandlers } from './engine'
import { catalogHandlers } from './catalog'
import { exportHandlers } from './export'
import { labelHandlers } from './labels'

export type Handlers = { [C in ChannelName]: Handler<C> }
export type { Handler, AreaHandlers } from './context'

/** Every channel has exactly one handler: a missing one is a type error here. */
export const handlers: Handlers = {
  ...appHandlers,
  ...catalogHandlers,
  ...engineHandlers,
  ...exportHandlers,
  ...labelHandlers,
}

/** Handlers a door supplies in place of the shared ones (the desktop app's native dialogs). */
export type Overrides = Partial<Handlers>

export type { Reply } from '../../shared/wire'

/**
 * The one path from an untrusted door (IPC, WebSocket, CLI) to a service: the channel must exist,
 * the input is parsed with its schema, and any failure comes back as a typed error, never a stack.
 * A channel in `overrides` runs the door's own handler after the same parse.
 */
export async function dispatch(name: string, rawInput: unknown, ctx: ServiceContext, overrides: Overrides = {}): Promise<Reply> {
  try {
    if (!Object.prototype.hasOwnProperty.call(channels, name)) {
      throw new LockstepError('NOT_FOUND', `Unknown channel ${JSON.stringify(name)}`)
    }
    const channel = name as ChannelName
    const parsed = channels[channel].input.safeParse(rawInput)
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(input)'}: ${i.message}`)
      throw new LockstepError('INVALID_INPUT', `Invalid input for ${channel}: ${problems.join('; ')}`, { problems })
    }
    const own = Object.prototype.hasOwnProperty.call(overrides, channel) ? overrides[channel] : undefined
    const handler = (own ?? handlers[channel]) as (input: unknown, ctx: ServiceContext) => Promise<unknown>
    return { ok: true, result: await handler(parsed.data, ctx) }
  } catch (err) {
    return { ok: false, error: toErrorPayload(err) }
  }
}
