import { randomUUID } from 'node:crypto'
import type { JobInfo, JobKind } from '../../shared/contract/app'
import { LockstepError, toErrorPayload } from '../../shared/errors'
import type { EventSink } from './events'

export interface JobControl {
  signal: AbortSignal
  /** Report progress; events are throttled to ~10 per second, the last one always goes out. */
  progress(done: number, total?: number | null, message?: string): void
}

/** Runs long tasks (import, stats, export) with progress events and cancellation. */
export class Jobs {
  private readonly jobs = new Map<string, { info: JobInfo; controller: AbortController; lastEmit: number }>()
  constructor(private readonly events: EventSink) {}

  list(): JobInfo[] {
    return [...this.jobs.values()].map((j) => ({ ...j.info }))
  }

  cancel(id: string): boolean {
    const job = this.jobs.get(id)
    if (!job || job.info.status !== 'running') return false
    job.controller.abort(new LockstepError('CANCELLED', `${job.info.label} was cancelled`))
    return true
  }

  /**
   * Starts `work` and returns its id at once with the promise of its result. Failures are
   * recorded on the job (and re-thrown to the promise's holder).
   */
  start<T>(kind: JobKind, label: string, work: (job: JobControl) => Promise<T>): { id: string; result: Promise<T> } {
    const id = randomUUID()
    const controller = new AbortController()
    const info: JobInfo = { id, kind, label, status: 'running', done: 0, total: null, rate: 0, etaSeconds: null, startedAt: Date.now() }
    const entry = { info, controller, lastEmit: 0 }
    this.jobs.set(id, entry)
    this.emit(entry, true)
    const control: JobControl = {
      signal: controller.signal,
      progress: (done, total, message) => {
        info.done = done
        if (total !== undefined) info.total = total
        if (message !== undefined) info.message = message
        const seconds = (Date.now() - info.startedAt) / 1000
        info.rate = seconds > 0 ? done / seconds : 0
        info.etaSeconds = info.total !== null && info.rate > 0 ? Math.max(0, (info.total - done) / info.rate) : null
        this.emit(entry, false)
      },
    }
    const result = (async () => {
      try {
        const value = await work(control)
        info.status = 'done'
        return value
      } catch (err) {
        const e = toErrorPayload(err)
        info.status = controller.signal.aborted || e.code === 'CANCELLED' ? 'cancelled' : 'failed'
        info.error = { code: e.code, message: e.message }
        throw err
      } finally {
        info.endedAt = Date.now()
        this.emit(entry, true)
      }
    })()
    result.catch(() => {}) // recorded on the job; the caller may also await it
    return { id, result }
  }

  private emit(entry: { info: JobInfo; lastEmit: number }, force: boolean): void {
    const now = Date.now()
    if (!force && now - entry.lastEmit < 100) return
    entry.lastEmit = now
    this.events.emit('job.progress', { ...entry.info })
  }
}
