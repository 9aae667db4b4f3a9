import type { ChannelName, ParsedInputOf, ResultOf } from '../../shared/contract'
import { channels } from '../../shared/contract'
import { LockstepError, toErrorPayload } from '../../shared/errors'
import type { Reply } from '../../shared/wire'
import type { ServiceContext } from './context'
import { appHandlers } from './app-handlers'
import { engineHandlers } from '../augment/handlers'
import { catalogHandlers } from '../catalog/handlers'
import { exportHandlers } from '../export/handlers'
import { labelHandlers } from '../catalog/label-handlers'

export type Handler<C extends ChannelName> = (input: ParsedInputOf<C>, ctx: ServiceContext) => Promise<ResultOf<C>>
export type Handlers = { [C in ChannelName]: Handler<C> }
/** An area's handlers, checked against the contract. */
export type AreaHandlers<K extends ChannelName> = { [C in K]: Handler<C> }

/** Every channel has exactly one handler: a missing one is a type error here. */
export const handlers: Handlers = {
  ...appHandlers,
  ...catalogHandlers,
  ...engineHandlers,
  ...exportHandlers,
  ...labelHandlers,
}

export type { Reply } from '../../shared/wire'

/**
 * The one path from an untrusted door (IPC, WebSocket) to a service: the channel must exist, the
 * input is parsed with its schema, and any failure comes back as a typed error, never a stack.
 */
export async function dispatch(name: string, rawInput: unknown, ctx: ServiceContext): Promise<Reply> {
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
    const handler = handlers[channel] as (input: unknown, ctx: ServiceContext) => Promise<unknown>
    return { ok: true, result: await handler(parsed.data, ctx) }
  } catch (err) {
    return { ok: false, error: toErrorPayload(err) }
  }
}
