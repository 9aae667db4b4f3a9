// A project job that writes masks (a class remap, its undo, an annotation import): one writer job
// per project at a time (the job lock), its row in `jobs` written when it starts, and its summary
// stored on that row however it ends (done, cancelled, failed), so the studio and the CLI read the
// same summary afterwards.
import { toErrorPayload } from '../../shared/errors'
import type { Catalog } from './catalog'
import { acquireJobLock } from './lock'

export interface WriterJob {
  id: string
  /** the `jobs.kind` its summary is read back by */
  kind: string
  /** what the job lock names while it runs (e.g. 'class remap') */
  what: string
  params: unknown
  datasetId?: number | null
}

/** Runs `body` as job `job`; `settle` completes the summary just before it is stored. */
export async function runWriterJob<S extends { seconds: number }>(
  catalog: Catalog,
  job: WriterJob,
  summary: S,
  body: () => Promise<void>,
  settle?: () => void,
): Promise<S> {
  const lock = acquireJobLock(catalog.projectDir, job.what)
  const t0 = Date.now()
  const db = catalog.db
  const finish = (status: string) => {
    summary.seconds = (Date.now() - t0) / 1000
    settle?.()
    catalog.tx(() => db.prepare('UPDATE jobs SET status = ?, result = ?, ended_at = ? WHERE id = ?').run(status, JSON.stringify(summary), Date.now(), job.id))
  }
  try {
    catalog.tx(() =>
      db
        .prepare("INSERT INTO jobs(id, kind, dataset_id, status, params, started_at) VALUES (?, ?, ?, 'running', ?, ?)")
        .run(job.id, job.kind, job.datasetId ?? null, JSON.stringify(job.params), t0),
    )
    await body()
    finish('done')
    return summary
  } catch (err) {
    finish(toErrorPayload(err).code === 'CANCELLED' ? 'cancelled' : 'failed')
    throw err
  } finally {
    lock.release()
  }
}
