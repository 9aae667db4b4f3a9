import type { EventSink, ServiceContext } from './context'
import { join } from 'node:path'
import { Jobs } from './jobs'
import { RecentProjects, RECENT_FILE } from './recent'
import { Session } from './session'

export { dispatch, handlers, type Overrides } from './handlers'
export type { ServiceContext, EventSink } from './context'
export { openDefaultProject, defaultUserDataDir } from './project'
export { RecentProjects, projectOrSuggestion } from './recent'

/**
 * One set of services per door instance (the Electron app, one `lockstep serve`). With a user
 * data folder, every project opened goes to the recent list kept there.
 */
export function createContext(events: EventSink, options: { userDataDir?: string } = {}): ServiceContext {
  const session = new Session()
  const recent = new RecentProjects(options.userDataDir ? join(options.userDataDir, RECENT_FILE) : null)
  const sink: EventSink = {
    emit(name, payload) {
      if (name === 'catalog.changed' && (payload as { what?: string }).what === 'project' && session.projectDir) recent.add(session.projectDir)
      events.emit(name, payload)
    },
  }
  return { events: sink, session, jobs: new Jobs(sink), recent }
}
