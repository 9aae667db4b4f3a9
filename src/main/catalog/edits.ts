// Undo and redo of curation edits (split, status, notes, tags; one sample's review or a bulk edit of
// 100,000): the edited samples' previous values are read before the edit and their new ones after,
// and putting either back goes through Catalog.update, grouped by value (a handful of statements,
// not one per sample). The history lives with the open catalog, in memory: a session's undo.
import type { SampleTarget } from '../../shared/contract/catalog'
import type { Catalog } from './catalog'
import { filterWhere } from './query'

/** The columns an edit touches, per sample (index-aligned with EditRecord.ids). */
export interface Columns {
  split?: string[]
  status?: string[]
  notes?: string[]
  /** per tag name: whether each sample carried it */
  tags?: { name: string; had: boolean[] }[]
}

export interface EditRecord {
  label: string
  ids: number[]
  before: Columns
  after: Columns
}

export interface EditFields {
  split?: boolean
  status?: boolean
  notes?: boolean
  tags?: string[]
}

/** Edits of more samples than this are done but not recorded (their undo would hold too much). */
export const MAX_UNDO_SAMPLES = 500_000
const MAX_HISTORY = 100

const history = new WeakMap<Catalog, { undo: EditRecord[]; redo: EditRecord[] }>()
function stacks(catalog: Catalog): { undo: EditRecord[]; redo: EditRecord[] } {
  let h = history.get(catalog)
  if (!h) history.set(catalog, (h = { undo: [], redo: [] }))
  return h
}

export function targetIds(catalog: Catalog, target: SampleTarget): number[] {
  if ('ids' in target) {
    return catalog.db
      .prepare('SELECT id FROM samples WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id')
      .pluck()
      .all(JSON.stringify(target.ids)) as number[]
  }
  const where = filterWhere(catalog.db, target.filter)
  return catalog.db
    .prepare(`SELECT s.id FROM samples s WHERE ${where.sql} ORDER BY s.id`)
    .pluck()
    .all(...where.params) as number[]
}

function readColumns(catalog: Catalog, ids: number[], fields: EditFields): Columns {
  const db = catalog.db
  const json = JSON.stringify(ids)
  const out: Columns = {}
  const cols = (['split', 'status', 'notes'] as const).filter((c) => fields[c])
  if (cols.length) {
    const rows = db.prepare(`SELECT id, ${cols.join(', ')} FROM samples WHERE id IN (SELECT value FROM json_each(?))`).all(json) as Record<
      string,
      string | number
    >[]
    const byId = new Map(rows.map((r) => [r.id as number, r]))
    for (const c of cols) out[c] = ids.map((id) => String(byId.get(id)?.[c] ?? ''))
  }
  if (fields.tags?.length) {
    out.tags = fields.tags.map((raw) => {
      const name = raw.trim()
      const having = new Set(
        db
          .prepare(
            'SELECT st.sample_id FROM sample_tags st JOIN tags t ON t.id = st.tag_id WHERE t.name = ? AND st.sample_id IN (SELECT value FROM json_each(?))',
          )
          .pluck()
          .all(name, json) as number[],
      )
      return { name, had: ids.map((id) => having.has(id)) }
    })
  }
  return out
}

/** Puts `cols` back on `ids`: one Catalog.update per distinct value, all in one transaction. */
function writeColumns(catalog: Catalog, ids: number[], cols: Columns): number {
  const groups = (values: string[]) => {
    const m = new Map<string, number[]>()
    values.forEach((v, i) => {
      const list = m.get(v)
      if (list) list.push(ids[i])
      else m.set(v, [ids[i]])
    })
    return m
  }
  return catalog.tx(() => {
    for (const [field, values] of [
      ['split', cols.split],
      ['status', cols.status],
      ['notes', cols.notes],
    ] as const) {
      if (!values) continue
      for (const [value, group] of groups(values)) catalog.update({ target: { ids: group }, [field]: value })
    }
    for (const tag of cols.tags ?? []) {
      const on = ids.filter((_, i) => tag.had[i])
      const off = ids.filter((_, i) => !tag.had[i])
      if (on.length) catalog.update({ target: { ids: on }, addTags: [tag.name] })
      if (off.length) catalog.update({ target: { ids: off }, removeTags: [tag.name] })
    }
    return ids.length
  })
}

/**
 * Runs `edit` on `target`, recording what it changed so `undoEdit` can put it back. Returns the
 * edit's own result.
 */
export function recordEdit<T>(catalog: Catalog, target: SampleTarget, fields: EditFields, label: (samples: number) => string, edit: () => T): T {
  const ids = targetIds(catalog, target)
  if (!ids.length || ids.length > MAX_UNDO_SAMPLES) return edit()
  const before = readColumns(catalog, ids, fields)
  const result = edit()
  const h = stacks(catalog)
  h.undo.push({ label: label(ids.length), ids, before, after: readColumns(catalog, ids, fields) })
  if (h.undo.length > MAX_HISTORY) h.undo.shift()
  h.redo = []
  return result
}

/** Undoes the last recorded edit; null when there is none. */
export function undoEdit(catalog: Catalog): { label: string; updated: number } | null {
  const h = stacks(catalog)
  const e = h.undo.pop()
  if (!e) return null
  const updated = writeColumns(catalog, e.ids, e.before)
  h.redo.push(e)
  return { label: e.label, updated }
}

/** Does the last undone edit again; null when there is none. */
export function redoEdit(catalog: Catalog): { label: string; updated: number } | null {
  const h = stacks(catalog)
  const e = h.redo.pop()
  if (!e) return null
  const updated = writeColumns(catalog, e.ids, e.after)
  h.undo.push(e)
  return { label: e.label, updated }
}

/** The labels of the edit an undo (a redo) would act on. */
export function editState(catalog: Catalog): { undo: string | null; redo: string | null } {
  const h = stacks(catalog)
  return { undo: h.undo.at(-1)?.label ?? null, redo: h.redo.at(-1)?.label ?? null }
}

/** "Set split to val, add tag night on 4 samples" */
export function describeUpdate(u: { split?: string; status?: string; notes?: string; addTags?: string[]; removeTags?: string[] }, n: number): string {
  const parts: string[] = []
  if (u.split !== undefined) parts.push(`set split to ${u.split}`)
  if (u.status !== undefined) parts.push(`set status to ${u.status}`)
  if (u.notes !== undefined) parts.push('edit notes')
  if (u.addTags?.length) parts.push(`add tag${u.addTags.length === 1 ? '' : 's'} ${u.addTags.join(', ')}`)
  if (u.removeTags?.length) parts.push(`remove tag${u.removeTags.length === 1 ? '' : 's'} ${u.removeTags.join(', ')}`)
  const what = parts.join(', ') || 'edit'
  return `${what[0].toUpperCase()}${what.slice(1)} on ${n.toLocaleString('en-US')} sample${n === 1 ? '' : 's'}`
}
