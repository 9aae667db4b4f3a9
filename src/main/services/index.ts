import type { EventSink, ServiceContext } from './context'
import { Jobs } from './jobs'
import { Session } from './session'

export { dispatch, handlers, type Overrides } from './handlers'
export type { ServiceContext, EventSink } from './context'
export { openDefaultProject, defaultUserDataDir } from './project'

/** One set of services per door instance (the Electron app, one `lockstep serve`). */
export function createContext(events: EventSink): ServiceContext {
  return { events, session: new Session(), jobs: new Jobs(events) }
}
