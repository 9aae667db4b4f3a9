// Class remaps across the dataset (classes.remap): every mask that holds a `from` index is
// rewritten with the mapping through the one replace path (mask-store.ts), so each changed mask
// is versioned (reason 'remap', the job's id on the version) and its catalog row, class counts and
// totals follow. Masks the class table already knows hold none of the `from` indices are skipped
// unread. A remap is undone by restoring the versions it made (undoJob).
import { randomUUID } from 'node:crypto'
import { LockstepError, toErrorPayload } from '../../shared/errors'
import type { RemapSummary } from '../../shared/contract/labels'
import type { Labels } from '../io'
import { readLabels } from '../io'
import type { Catalog } from './catalog'
import { runWriterJob } from './writer-job'
import { labelCounts, replaceMask } from './mask-store'
import { encodeMask, restoreMask } from './masks'

export interface JobControl {
  signal?: AbortSignal
  progress?(done: number, total: number | null, message?: string): void
}

export interface RemapOptions {
  mapping: { from: number; to: number }[]
  /** default: every sample with a mask */
  sampleIds?: number[]
  jobId?: string
}

/** The mapping as a lookup table over every 16-bit index; refuses a `from` listed twice. */
export function remapTable(mapping: RemapOptions['mapping']): { lut: Uint16Array; from: Set<number> } {
  const lut = new Uint16Array(65536)
  for (let i = 0; i < lut.length; i++) lut[i] = i
  const from = new Set<number>()
  for (const m of mapping) {
    if (from.has(m.from)) throw new LockstepError('INVALID_INPUT', `Class ${m.from} is mapped twice; give each source index one target`)
    if (m.from !== m.to) from.add(m.from)
    lut[m.from] = m.to
  }
  if (!from.size) throw new LockstepError('INVALID_INPUT', 'The mapping changes nothing (every index maps to itself)')
  return { lut, from }
}

/** `labels` through the table, or null when no pixel changes. Grows to 16 bits when a target needs it. */
export function applyRemap(labels: Labels, lut: Uint16Array): Labels | null {
  const src = labels.data
  let changed = false
  let wide = labels.depth === 16
  for (let i = 0; i < src.length; i++) {
    const v = lut[src[i]]
    if (v !== src[i]) {
      changed = true
      if (v > 255) wide = true
    }
  }
  if (!changed) return null
  const out = wide ? new Uint16Array(src.length) : new Uint8Array(src.length)
  for (let i = 0; i < src.length; i++) out[i] = lut[src[i]]
  return { width: labels.width, height: labels.height, depth: wide ? 16 : 8, data: out }
}

function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted) {
    const reason = signal.reason
    throw reason instanceof LockstepError
      ? reason
      : new LockstepError('CANCELLED', 'The remap was cancelled; the masks changed so far are versioned and stay changed')
  }
}

interface Target {
  id: number
  key: string
  mask_path: string | null
  mask_hash: string | null
  class_hash: string | null
  class_set: string | null
}

/** A remap-kind job: its summary is read back by classes.remapSummary. */
function remapJob(catalog: Catalog, jobId: string, what: string, params: unknown, body: (summary: RemapSummary) => Promise<void>): Promise<RemapSummary> {
  const summary: RemapSummary = { jobId, scanned: 0, changed: 0, failed: [], seconds: 0 }
  return runWriterJob(catalog, { id: jobId, kind: 'remap', what, params }, summary, () => body(summary))
}

/** Runs a remap. The summary is stored on the job's row. */
export async function runRemap(catalog: Catalog, o: RemapOptions, control: JobControl = {}): Promise<RemapSummary> {
  const { lut, from } = remapTable(o.mapping)
  const db = catalog.db
  return remapJob(catalog, o.jobId ?? randomUUID(), 'class remap', { mapping: o.mapping, sampleIds: o.sampleIds?.length ?? null }, async (summary) => {
    const select = 'SELECT id, key, mask_path, mask_hash, class_hash, class_set FROM samples'
    const targets = (
      o.sampleIds
        ? db.prepare(`${select} WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id`).all(JSON.stringify(o.sampleIds))
        : db.prepare(`${select} WHERE mask_path IS NOT NULL ORDER BY id`).all()
    ) as Target[]
    if (o.sampleIds) {
      const found = new Set(targets.map((t) => t.id))
      for (const id of o.sampleIds) if (!found.has(id)) summary.failed.push({ sampleId: id, message: `Sample ${id} is not in the catalog` })
    }
    const note = `remap ${o.mapping.map((m) => `${m.from}->${m.to}`).join(', ')}`
    for (let k = 0; k < targets.length; k++) {
      checkAbort(control.signal)
      const t = targets[k]
      control.progress?.(k, targets.length, `remapping ${t.key}`)
      summary.scanned++
      // known not to hold any source index: nothing to read
      if (t.class_set !== null && t.class_hash === t.mask_hash && !t.class_set.split(',').some((c) => from.has(Number(c)))) continue
      if (t.mask_path === null) continue
      try {
        const r = await replaceMask(
          catalog,
          t.id,
          async (cur) => {
            if (!cur.bytes) return null
            const next = applyRemap(await readLabels(cur.abs, undefined, cur.bytes), lut)
            if (!next) return null
            const counts = labelCounts(next)
            return { bytes: await encodeMask(catalog, cur, next, counts), labels: next, counts }
          },
          { reason: 'remap', jobId: summary.jobId, note },
        )
        if (r) summary.changed++
      } catch (err) {
        summary.failed.push({ sampleId: t.id, message: toErrorPayload(err).message })
      }
    }
    control.progress?.(targets.length, targets.length, 'done')
  })
}

/**
 * Undoes remap (or annotation import) `target` as a remap-kind job of its own (what the studio's
 * "Undo this remap" runs): scanned = masks the target changed, changed = masks restored, failed =
 * masks left alone because they changed since (each named). The summary is stored on its row.
 */
export async function runRemapUndo(catalog: Catalog, target: string, o: { jobId?: string } = {}, control: JobControl = {}): Promise<RemapSummary> {
  return remapJob(catalog, o.jobId ?? randomUUID(), 'undo of a class remap', { undo: target }, async (summary) => {
    const r = await undoJob(catalog, target, control)
    summary.scanned = r.restored + r.skipped.length
    summary.changed = r.restored
    summary.failed = r.skipped
  })
}

/** The summary of a remap job (the latest finished one when `jobId` is omitted). */
export function remapSummary(catalog: Catalog, jobId?: string): RemapSummary | null {
  return jobResult<RemapSummary>(catalog, 'remap', jobId)
}

/** A job's stored result by kind (the latest finished or cancelled when `jobId` is omitted). */
export function jobResult<T>(catalog: Catalog, kind: string, jobId?: string): T | null {
  const row = (
    jobId
      ? catalog.db.prepare('SELECT result FROM jobs WHERE id = ? AND kind = ?').get(jobId, kind)
      : catalog.db
          .prepare(
            "SELECT result FROM jobs WHERE kind = ? AND status IN ('done', 'cancelled') AND result IS NOT NULL ORDER BY ended_at DESC, rowid DESC LIMIT 1",
          )
          .get(kind)
  ) as { result: string | null } | undefined
  return row?.result ? (JSON.parse(row.result) as T) : null
}

/**
 * Undoes a remap or an annotation import: every mask the job changed and nobody changed since is
 * restored from the version the job kept (itself versioned, reason 'restore'); the others are
 * listed, untouched.
 */
export async function undoJob(
  catalog: Catalog,
  jobId: string,
  control: JobControl = {},
): Promise<{ restored: number; skipped: { sampleId: number; message: string }[] }> {
  const rows = catalog.db
    .prepare(
      'SELECT v.id, v.sample_id AS sampleId, v.replaced_by AS by, s.mask_hash AS now, s.key FROM mask_versions v LEFT JOIN samples s ON s.id = v.sample_id WHERE v.job_id = ? ORDER BY v.id DESC',
    )
    .all(jobId) as { id: number; sampleId: number | null; by: string | null; now: string | null; key: string | null }[]
  if (!rows.length) throw new LockstepError('NOT_FOUND', `Job ${jobId} changed no mask (or is not a remap or annotation import of this project)`)
  const out = { restored: 0, skipped: [] as { sampleId: number; message: string }[] }
  for (const [k, r] of rows.entries()) {
    checkAbort(control.signal)
    control.progress?.(k, rows.length, `restoring ${r.key ?? r.sampleId}`)
    if (r.sampleId === null) continue
    if (r.now !== r.by) {
      out.skipped.push({
        sampleId: r.sampleId,
        message: `Sample ${r.sampleId} (${r.key}) was changed after the job; restore its version ${r.id} by hand if wanted`,
      })
      continue
    }
    await restoreMask(catalog, r.sampleId, r.id)
    out.restored++
  }
  return out
}
