// Pruning the kept mask versions (<project>/history/): every save, restore, remap and annotation
// import keeps the content it replaces, so a project that is labeled every day, or remapped, grows
// without bound. A prune drops the version rows the user no longer wants, then the history files
// no row names any more.
//
// Two phases, each safe against a kill and against a save running beside it (this process or
// another one):
//   1. one transaction deletes the chosen version rows. Rows of a replacement still in the
//      journal (a save in flight, or one a killed process left to settle) are never chosen.
//   2. under the database's write lock, every history file no row names is removed. A save checks
//      its history file exists inside its own write transaction (mask-store.ts,
//      recordReplacement) and writes it again if a prune took it, so a version row never names a
//      missing file. A kill in phase 2 leaves unreferenced files, which the next prune removes.
import { lstatSync, readdirSync, unlinkSync } from 'node:fs'
import { join } from 'node:path'
import { LockstepError } from '../../shared/errors'
import { DURABLE_TEMP_PREFIX } from '../io/durable'
import type { Catalog } from './catalog'
import { HISTORY_DIR, historyPath, settleJournal } from './mask-store'

export interface PruneOptions {
  /** keep at least this many newest versions of every sample's mask */
  keep?: number
  /** only versions kept before this time (ms since the epoch) are pruned */
  before?: number
  /** report what would be pruned; change nothing */
  dryRun?: boolean
}

export interface PruneSummary {
  /** version rows removed (or that would be) */
  versions: number
  /** history files removed (or that would be), and their bytes */
  files: number
  bytes: number
  /** remap and annotation-import jobs that lost versions: their undo cannot bring those samples back */
  jobs: string[]
}

/** A temporary file of a writer killed mid-write is left alone for this long (a live writer's is young). */
const STALE_TEMP_MS = 60 * 60 * 1000

interface Candidate {
  id: number
  file: string
  job_id: string | null
}

/** The version rows a prune with these options removes. */
function candidates(catalog: Catalog, keep: number, before: number): Candidate[] {
  return catalog.db
    .prepare(
      `SELECT id, file, job_id FROM (
         SELECT id, file, job_id, created_at,
                ROW_NUMBER() OVER (PARTITION BY sample_key ORDER BY created_at DESC, id DESC) AS newest
         FROM mask_versions
         WHERE id NOT IN (SELECT version_id FROM mask_journal WHERE version_id IS NOT NULL))
       WHERE newest > ? AND created_at < ? ORDER BY id`,
    )
    .all(keep, before) as Candidate[]
}

/** Every file under history/ (relative to the project, '/'-separated), with its size and age. */
function historyFiles(catalog: Catalog): { file: string; bytes: number; mtimeMs: number }[] {
  const root = join(catalog.projectDir, HISTORY_DIR)
  const out: { file: string; bytes: number; mtimeMs: number }[] = []
  const walk = (dir: string, rel: string) => {
    let names: string[]
    try {
      names = readdirSync(dir)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
      throw new LockstepError('UNREADABLE', `Cannot list ${dir}: ${(err as Error).message}`, { file: dir })
    }
    for (const name of names.sort()) {
      const abs = join(dir, name)
      const st = lstatSync(abs, { throwIfNoEntry: false })
      if (!st) continue
      if (st.isDirectory()) walk(abs, `${rel}/${name}`)
      else if (st.isFile()) out.push({ file: `${rel}/${name}`, bytes: st.size, mtimeMs: st.mtimeMs })
    }
  }
  walk(root, HISTORY_DIR)
  return out
}

/**
 * Removes kept mask versions: those beyond the newest `keep` of each sample (0 when not given)
 * and, with `before`, only those kept before it. At least one of the two must be given.
 */
export async function pruneMaskHistory(catalog: Catalog, options: PruneOptions): Promise<PruneSummary> {
  const { keep, before, dryRun = false } = options
  if (keep === undefined && before === undefined) {
    throw new LockstepError('INVALID_INPUT', 'A prune needs --keep N (versions kept per sample) or --older-than DAYS, or both')
  }
  if (keep !== undefined && (!Number.isInteger(keep) || keep < 0))
    throw new LockstepError('INVALID_INPUT', `--keep must be a whole number >= 0, received ${keep}`)
  await settleJournal(catalog) // a killed writer's journal row would keep its version forever
  const chosen = candidates(catalog, keep ?? 0, before ?? Number.MAX_SAFE_INTEGER)
  const jobs = [...new Set(chosen.map((c) => c.job_id).filter((j): j is string => j !== null))].sort()
  const db = catalog.db
  if (dryRun) {
    const dropped = new Set(chosen.map((c) => c.id))
    const named = new Set(
      (db.prepare('SELECT id, file FROM mask_versions').all() as { id: number; file: string }[]).filter((r) => !dropped.has(r.id)).map((r) => r.file),
    )
    const gone = historyFiles(catalog).filter((f) => !named.has(f.file) && !f.file.split('/').pop()!.startsWith(DURABLE_TEMP_PREFIX))
    return { versions: chosen.length, files: gone.length, bytes: gone.reduce((a, f) => a + f.bytes, 0), jobs }
  }
  // phase 1: the rows
  catalog.tx(() => {
    const del = db.prepare('DELETE FROM mask_versions WHERE id = ?')
    for (const c of chosen) del.run(c.id)
  })
  // phase 2: the files no row names, under the write lock (see the header)
  let files = 0,
    bytes = 0
  const now = Date.now()
  catalog.tx(() => {
    const named = new Set((db.prepare('SELECT file FROM mask_versions').all() as { file: string }[]).map((r) => r.file))
    for (const f of historyFiles(catalog)) {
      if (named.has(f.file)) continue
      if (f.file.split('/').pop()!.startsWith(DURABLE_TEMP_PREFIX) && now - f.mtimeMs < STALE_TEMP_MS) continue
      try {
        unlinkSync(historyPath(catalog, f.file))
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue
        throw new LockstepError('UNREADABLE', `Cannot remove ${historyPath(catalog, f.file)}: ${(err as Error).message}`, {
          file: historyPath(catalog, f.file),
        })
      }
      files++
      bytes += f.bytes
    }
  })
  return { versions: chosen.length, files, bytes, jobs }
}
