import type { EventName, PayloadOf } from '../../shared/contract'
import type { Jobs } from './jobs'
import type { Session } from './session'

export interface EventSink {
  emit<E extends EventName>(name: E, payload: PayloadOf<E>): void
}

/** What every handler gets: where to send events, the open project, the job runner. */
export interface ServiceContext {
  events: EventSink
  session: Session
  jobs: Jobs
}
