// What the project's jobs leave behind: statistics stored per split, and import summaries.
import type { ImportSummary, Split, StatsResult } from '../../shared/contract/catalog'
import type { Db } from './db'
import type { Store } from './types'

export function getStats(db: Db, split: Split | 'all'): StatsResult | null {
  const json = db.prepare('SELECT json FROM stats WHERE split = ?').pluck().get(split) as string | undefined
  return json ? (JSON.parse(json) as StatsResult) : null
}

export function saveStats(store: Store, stats: StatsResult): void {
  store.tx(() => {
    store.db.prepare('INSERT OR REPLACE INTO stats(split, json, computed_at) VALUES (?, ?, ?)').run(stats.split, JSON.stringify(stats), stats.computedAt)
  })
}

/** The summary of import job `jobId`, or of the last finished import. */
export function importSummary(db: Db, jobId?: string): ImportSummary | null {
  const row = (
    jobId
      ? db.prepare("SELECT result FROM jobs WHERE id = ? AND kind = 'import'").get(jobId)
      : db.prepare("SELECT result FROM jobs WHERE kind = 'import' AND status = 'done' ORDER BY ended_at DESC LIMIT 1").get()
  ) as { result: string | null } | undefined
  return row?.result ? (JSON.parse(row.result) as ImportSummary) : null
}
