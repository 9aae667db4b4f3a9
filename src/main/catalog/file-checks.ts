// The verdicts of io/verify's whole-file checks, kept in the project (file_checks, by content
// hash): the import records one for every file it reads; an export of the project asks which
// files are known sound, so it reads only a crop's window of those whose bytes still hash the same.
import type { Db } from './db'
import { CHECKER_VERSION, type Verdict } from '../io/verify'

export interface FileCheck {
  sha256: string
  sha1: string
  verdict: Verdict
}

/** Records verdicts (inside the caller's transaction, if any). */
export function recordChecks(db: Db, checks: FileCheck[]): void {
  if (!checks.length) return
  const put = db.prepare(
    `INSERT INTO file_checks(sha256, sha1, ok, code, problem, format, checker, checked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(sha256) DO UPDATE SET sha1 = excluded.sha1, ok = excluded.ok, code = excluded.code, problem = excluded.problem,
     format = excluded.format, checker = excluded.checker, checked_at = excluded.checked_at`,
  )
  const now = Date.now()
  for (const c of checks) {
    const v = c.verdict
    put.run(c.sha256, c.sha1, v.ok ? 1 : 0, v.ok ? null : v.code, v.ok ? null : v.problem, v.format, CHECKER_VERSION, now)
  }
}

/** The sha256 of the bytes with this sha1 (the catalog's content hash) when they were found sound by the current checks. */
export function soundLookup(db: Db): (sha1: string | null | undefined) => string | undefined {
  const get = db.prepare('SELECT sha256 FROM file_checks WHERE sha1 = ? AND ok = 1 AND checker = ? LIMIT 1').pluck()
  return (sha1) => (sha1 ? (get.get(sha1, CHECKER_VERSION) as string | undefined) : undefined)
}
