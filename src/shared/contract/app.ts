// Channels of the app area: jobs shared by every long task, and the project session.
import { z } from 'zod'
import { channel, event } from './define'
import type { ProjectProbe } from './catalog'

export type JobKind = 'import' | 'stats' | 'export' | 'thumbnails' | 'remap' | 'annotations'
export type JobStatus = 'running' | 'done' | 'failed' | 'cancelled'
export interface JobInfo {
  id: string
  kind: JobKind
  label: string
  status: JobStatus
  done: number
  total: number | null
  /** items per second over the job so far */
  rate: number
  etaSeconds: number | null
  message?: string
  error?: { code: string; message: string }
  startedAt: number
  endedAt?: number
}

/** A project in the recent list, most recent first; `state` is what the folder is now (it may have moved). */
export interface RecentProject {
  dir: string
  /** the project's name; null when the folder is no longer a project */
  name: string | null
  state: ProjectProbe['state']
  openedAt: number
}

const dialogSchema = z.object({ title: z.string().max(200).optional(), defaultPath: z.string().max(4096).optional() }).strict()

export const appChannels = {
  'job.list': channel<JobInfo[]>()(z.object({}).strict()),
  'job.cancel': channel<{ cancelled: boolean }>()(z.object({ id: z.string().min(1) }).strict()),
  /** What a folder is (a project, missing, empty, holding other files, unusable) before opening or creating one there. */
  'project.probe': channel<ProjectProbe>()(z.object({ dir: z.string().min(1).max(4096) }).strict()),
  /**
   * The recent projects (persisted in the user data folder), and the folder this door was asked
   * to open that is not a project yet (`serve --project NEW_DIR`): the studio offers to create it.
   */
  'project.recent': channel<{ recent: RecentProject[]; suggested: ProjectProbe | null }>()(z.object({}).strict()),
  /** Takes a folder off the recent list; returns the list. */
  'project.forget': channel<RecentProject[]>()(z.object({ dir: z.string().min(1).max(4096) }).strict()),
  /** Native pickers: desktop app only (browser mode answers FORBIDDEN: type the path instead). `path` is null when cancelled. */
  'dialog.openFolder': channel<{ path: string | null }>()(dialogSchema),
  'dialog.openFile': channel<{ path: string | null }>()(
    dialogSchema.extend({
      filters: z
        .array(z.object({ name: z.string().min(1).max(100), extensions: z.array(z.string().regex(/^(\*|[A-Za-z0-9]{1,10})$/)).min(1) }).strict())
        .max(20)
        .optional(),
    }),
  ),
}
export const appEvents = {
  /** Every change of every job: start, progress (throttled), end. */
  'job.progress': event<JobInfo>(),
  /** A native menu command the renderer carries out (desktop app only), e.g. show the export view. */
  'app.command': event<{ command: 'import' | 'export' | 'project-opened' }>(),
}
