// The exports table: one row per export, from start to end (the Export view's history).
import { LockstepError } from '../../shared/errors'
import type { ExportRecord, ExportStatus } from '../../shared/contract/export'
import type { Db } from './db'
import type { Store } from './types'

export function recordExport(store: Store, e: { recipeVersionId: number | null; seed: number; options: unknown; out: string; startedAt?: number }): number {
  return store.tx(() =>
    Number(
      store.db
        .prepare("INSERT INTO exports(recipe_version_id, seed, options, status, out, started_at) VALUES (?, ?, ?, 'running', ?, ?)")
        .run(e.recipeVersionId, e.seed, JSON.stringify(e.options ?? null), e.out, e.startedAt ?? Date.now()).lastInsertRowid,
    ),
  )
}

export type ExportUpdate = { status?: ExportStatus; outputs?: number; failed?: number; error?: string | null; endedAt?: number | null }

export function updateExport(store: Store, id: number, u: ExportUpdate): void {
  const sets: string[] = []
  const params: unknown[] = []
  const set = (col: string, v: unknown) => (sets.push(`${col} = ?`), params.push(v))
  if (u.status !== undefined) set('status', u.status)
  if (u.outputs !== undefined) set('outputs', u.outputs)
  if (u.failed !== undefined) set('failed', u.failed)
  if (u.error !== undefined) set('error', u.error)
  if (u.endedAt !== undefined) set('ended_at', u.endedAt)
  else if (u.status !== undefined && u.status !== 'running') set('ended_at', Date.now())
  if (!sets.length) return
  const n = store.tx(() => store.db.prepare(`UPDATE exports SET ${sets.join(', ')} WHERE id = ?`).run(...params, id).changes)
  if (!n) throw new LockstepError('NOT_FOUND', `Export ${id} is not recorded in this project`)
}

interface ExportRow {
  id: number
  recipe_version_id: number | null
  seed: number
  options: string
  status: ExportStatus
  out: string
  outputs: number | null
  failed: number | null
  error: string | null
  started_at: number
  ended_at: number | null
}

export function listExports(db: Db, limit = 100): ExportRecord[] {
  const rows = db.prepare('SELECT * FROM exports ORDER BY started_at DESC, id DESC LIMIT ?').all(limit) as ExportRow[]
  return rows.map((r) => ({
    id: r.id,
    recipeVersionId: r.recipe_version_id,
    seed: r.seed,
    options: JSON.parse(r.options) as unknown,
    status: r.status,
    out: r.out,
    outputs: r.outputs,
    failed: r.failed,
    error: r.error,
    startedAt: r.started_at,
    endedAt: r.ended_at,
  }))
}
