import type { EventName, PayloadOf } from '../../shared/contract'

/** Where services send events (a door forwards them to its windows or sockets). */
export interface EventSink {
  emit<E extends EventName>(name: E, payload: PayloadOf<E>): void
}
