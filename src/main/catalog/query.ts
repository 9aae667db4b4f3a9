// Filters, sorting and keyset paging over samples. Every filter becomes SQL over indexed columns
// (or a primary-key EXISTS probe for tags and classes); pages continue after the last row's
// (sort value, id), so page N costs the same as page 1.
import { LockstepError } from '../../shared/errors'
import type { SampleFilter, SamplePage, SampleRow, SortField, SampleErrorKind, Split, ReviewStatus } from '../../shared/contract/catalog'
import type { Db } from './db'

export interface Where {
  sql: string
  params: unknown[]
}

const SORT_COLUMN: Record<SortField, string> = {
  key: 's.key',
  id: 's.id',
  width: 's.width',
  height: 's.height',
  updatedAt: 's.updated_at',
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => '\\' + c)
}

/** The WHERE clause (over alias `s`) for a filter. Unknown tags match nothing. */
export function filterWhere(db: Db, filter: SampleFilter = {}): Where {
  const parts: string[] = []
  const params: unknown[] = []
  const inList = (col: string, values: readonly unknown[]) => {
    parts.push(values.length ? `${col} IN (${values.map(() => '?').join(',')})` : '0')
    params.push(...values)
  }
  if (filter.datasetId !== undefined) {
    parts.push('s.dataset_id = ?')
    params.push(filter.datasetId)
  }
  if (filter.split) inList('s.split', filter.split)
  if (filter.status) inList('s.status', filter.status)
  const tagId = db.prepare('SELECT id FROM tags WHERE name = ?').pluck()
  for (const name of filter.tags ?? []) {
    const id = tagId.get(name.trim()) as number | undefined
    if (id === undefined) parts.push('0')
    else {
      parts.push('EXISTS (SELECT 1 FROM sample_tags WHERE tag_id = ? AND sample_id = s.id)')
      params.push(id)
    }
  }
  for (const name of filter.notTags ?? []) {
    const id = tagId.get(name.trim()) as number | undefined
    if (id !== undefined) {
      parts.push('NOT EXISTS (SELECT 1 FROM sample_tags WHERE tag_id = ? AND sample_id = s.id)')
      params.push(id)
    }
  }
  for (const c of filter.classPresent ?? []) {
    parts.push('EXISTS (SELECT 1 FROM sample_classes WHERE class_idx = ? AND sample_id = s.id)')
    params.push(c)
  }
  if (filter.classAbsent?.length) {
    // Absence is only known for masks the class pass has read.
    parts.push('s.class_set IS NOT NULL')
    for (const c of filter.classAbsent) {
      parts.push('NOT EXISTS (SELECT 1 FROM sample_classes WHERE class_idx = ? AND sample_id = s.id)')
      params.push(c)
    }
  }
  if (filter.error) {
    const ors: string[] = []
    const kinds = filter.error.filter((k): k is SampleErrorKind => k !== 'none' && k !== 'any')
    if (filter.error.includes('none')) ors.push('s.error_kind IS NULL')
    if (filter.error.includes('any')) ors.push('s.error_kind IS NOT NULL')
    if (kinds.length) {
      ors.push(`s.error_kind IN (${kinds.map(() => '?').join(',')})`)
      params.push(...kinds)
    }
    parts.push(ors.length ? `(${ors.join(' OR ')})` : '0')
  }
  if (filter.pathContains) {
    parts.push("s.key LIKE ? ESCAPE '\\'")
    params.push(`%${escapeLike(filter.pathContains)}%`)
  }
  return { sql: parts.length ? parts.join(' AND ') : '1', params }
}

interface CursorState {
  f: SortField
  d: 'asc' | 'desc'
  v: string | number
  id: number
}

function encodeCursor(c: CursorState): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url')
}

function decodeCursor(s: string, field: SortField, dir: 'asc' | 'desc'): CursorState {
  let c: CursorState
  try {
    c = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as CursorState
  } catch {
    throw new LockstepError('INVALID_INPUT', 'The page cursor is not one this catalog returned')
  }
  if (!c || typeof c !== 'object' || typeof c.id !== 'number' || (typeof c.v !== 'string' && typeof c.v !== 'number')) {
    throw new LockstepError('INVALID_INPUT', 'The page cursor is not one this catalog returned')
  }
  if (c.f !== field || c.d !== dir) {
    throw new LockstepError('INVALID_INPUT', `The page cursor was made for sort ${c.f} ${c.d}, not ${field} ${dir}: start again without a cursor`)
  }
  return c
}

interface RawRow {
  id: number
  dataset_id: number
  key: string
  image_path: string | null
  mask_path: string | null
  width: number
  height: number
  split: Split
  status: ReviewStatus
  error_kind: SampleErrorKind | null
  error_message: string | null
  sortv: string | number
}

export function toRow(r: Omit<RawRow, 'sortv'>, tags: string[]): SampleRow {
  return {
    id: r.id,
    datasetId: r.dataset_id,
    key: r.key,
    imagePath: r.image_path,
    maskPath: r.mask_path,
    width: r.width || null,
    height: r.height || null,
    split: r.split,
    status: r.status,
    tags,
    error: r.error_kind ? { kind: r.error_kind, message: r.error_message ?? '' } : null,
  }
}

/** Tag names of many samples at once. */
export function tagsOf(db: Db, ids: number[]): Map<number, string[]> {
  const out = new Map<number, string[]>()
  if (!ids.length) return out
  const rows = db
    .prepare(
      `SELECT st.sample_id AS id, t.name AS name FROM sample_tags st JOIN tags t ON t.id = st.tag_id
       WHERE st.sample_id IN (SELECT value FROM json_each(?)) ORDER BY t.name`,
    )
    .all(JSON.stringify(ids)) as { id: number; name: string }[]
  for (const r of rows) {
    const list = out.get(r.id)
    if (list) list.push(r.name)
    else out.set(r.id, [r.name])
  }
  return out
}

export interface PageQuery {
  filter: SampleFilter
  sort: { field: SortField; dir: 'asc' | 'desc' }
  cursor?: string | null
  limit: number
  withTotal: boolean
}

export function queryPage(db: Db, q: PageQuery): SamplePage {
  const where = filterWhere(db, q.filter)
  const col = SORT_COLUMN[q.sort.field]
  const dir = q.sort.dir === 'desc' ? 'DESC' : 'ASC'
  const params = [...where.params]
  let keyset = ''
  if (q.cursor) {
    const c = decodeCursor(q.cursor, q.sort.field, q.sort.dir)
    keyset = q.sort.field === 'id' ? ` AND s.id ${dir === 'ASC' ? '>' : '<'} ?` : ` AND (${col}, s.id) ${dir === 'ASC' ? '>' : '<'} (?, ?)`
    if (q.sort.field === 'id') params.push(c.id)
    else params.push(c.v, c.id)
  }
  const order = q.sort.field === 'id' ? `s.id ${dir}` : `${col} ${dir}, s.id ${dir}`
  const sql = `SELECT s.id, s.dataset_id, s.key, s.image_path, s.mask_path, s.width, s.height, s.split, s.status,
      s.error_kind, s.error_message, ${col} AS sortv
    FROM samples s WHERE ${where.sql}${keyset} ORDER BY ${order} LIMIT ?`
  params.push(q.limit + 1)
  const raw = db.prepare(sql).all(...params) as RawRow[]
  const more = raw.length > q.limit
  if (more) raw.pop()
  const tags = tagsOf(
    db,
    raw.map((r) => r.id),
  )
  const rows = raw.map((r) => toRow(r, tags.get(r.id) ?? []))
  const last = raw[raw.length - 1]
  const nextCursor = more && last ? encodeCursor({ f: q.sort.field, d: q.sort.dir, v: last.sortv, id: last.id }) : null
  const total = q.withTotal ? (db.prepare(`SELECT COUNT(*) FROM samples s WHERE ${where.sql}`).pluck().get(...where.params) as number) : null
  return { rows, nextCursor, total }
}
