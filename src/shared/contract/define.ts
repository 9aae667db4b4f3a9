import type { z } from 'zod'

/**
 * A channel: the zod schema its input is parsed with (in main, before any service sees it) and,
 * as a phantom type, its result. Usage: `channel<Result>()(inputSchema)`.
 */
export interface Channel<I extends z.ZodType, R> {
  input: I
  /** Phantom: never read at run time. */
  readonly __result?: R
}

export function channel<R>() {
  return <I extends z.ZodType>(input: I): Channel<I, R> => ({ input })
}

/** An event: the payload type, as a phantom. Events flow main → renderer only. */
export interface EventDef<P> {
  readonly __payload?: P
}
export function event<P>(): EventDef<P> {
  return {}
}
