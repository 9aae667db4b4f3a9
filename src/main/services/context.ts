import type { ChannelName, ParsedInputOf, ResultOf } from '../../shared/contract'
import type { EventSink } from './events'
import type { Jobs } from './jobs'
import type { RecentProjects } from './recent'
import type { Session } from './session'

export type { EventSink } from './events'

/** What every handler gets: where to send events, the open project, the job runner. */
export interface ServiceContext {
  events: EventSink
  session: Session
  jobs: Jobs
  /** recent projects and the folder the door was asked to open that is not a project yet */
  recent: RecentProjects
}

export type Handler<C extends ChannelName> = (input: ParsedInputOf<C>, ctx: ServiceContext) => Promise<ResultOf<C>>
/** An area's handlers (src/main/services/<area>.ts), checked against the contract. */
export type AreaHandlers<K extends ChannelName> = { [C in K]: Handler<C> }
