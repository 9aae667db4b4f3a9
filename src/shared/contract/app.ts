// Channels of the app area: jobs shared by every long task, and the project session.
import { z } from 'zod'
import { channel, event } from './define'

export type JobKind = 'import' | 'stats' | 'export' | 'thumbnails'
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

export const appChannels = {
  'job.list': channel<JobInfo[]>()(z.object({}).strict()),
  'job.cancel': channel<{ cancelled: boolean }>()(z.object({ id: z.string().min(1) }).strict()),
}
export const appEvents = {
  /** Every change of every job: start, progress (throttled), end. */
  'job.progress': event<JobInfo>(),
}
