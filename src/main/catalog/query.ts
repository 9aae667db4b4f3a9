// Filters, sorting and keyset paging over samples. Every filter becomes SQL over indexed columns
// (or a primary-key EXISTS probe for tags and classes); pages continue after the last row's
// (sort value, id), so page N costs the same as page 1.
import { LockstepError } from '../../shared/errors'
import type { SampleFilter, SamplePage, SampleRow, SortField, SampleErrorKind } from '../../shared/contract/catalog'
import type { SampleRecord } from './types'
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
  if (filter.classPresent?.length || filter.classAbsent?.length) {
    // absence is only known for masks the class pass has read: class_set NULL matches neither
    const sets = classSetsMatching(db, filter.classPresent ?? [], filter.classAbsent ?? [])
    parts.push('s.class_set IN (SELECT value FROM json_each(?))')
    params.push(JSON.stringify(sets.list))
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

/**
 * The class sets (samples.class_set values, e.g. '0,1,4') whose masks contain every class of
 * `present` and none of `absent`, with how many samples have them. Exact: class_sets is kept by
 * triggers (migration 7). A few hundred distinct sets is typical; this reads that small table.
 */
export function classSetsMatching(db: Db, present: readonly number[], absent: readonly number[]): { list: string[]; samples: number } {
  const rows = db.prepare('SELECT class_set, samples FROM class_sets WHERE samples > 0').raw().all() as [string, number][]
  const list: string[] = []
  let samples = 0
  for (const [set, n] of rows) {
    const has = new Set(set === '' ? [] : set.split(',').map(Number))
    if (present.every((c) => has.has(c)) && !absent.some((c) => has.has(c))) {
      list.push(set)
      samples += n
    }
  }
  return { list, samples }
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

/** The columns a page selects: a slice of the samples table's record, plus the sort value. */
type RawRow = Pick<
  SampleRecord,
  'id' | 'dataset_id' | 'key' | 'image_path' | 'mask_path' | 'width' | 'height' | 'split' | 'status' | 'error_kind' | 'error_message'
> & {
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
  /** random access: the page starts at the offset-th match (0-based) in the sort order; no cursor with it */
  offset?: number
  limit: number
  withTotal: boolean
  /** tests: force walking the sort index ('scan'), fetching the smallest set ('set'), or walking
   * first and switching to the set once the walk costs more ('walk'), or walking a tag's rows in
   * sort order ('tag': key or id sort with a tag filter; otherwise as if unset) */
  plan?: 'scan' | 'set' | 'walk' | 'tag'
  /** tests: the first scan window (default 2048 rows) */
  scanWindow?: number
}

// ---------------------------------------------------------------------------------------------
// Page planning. SQLite's planner, asked for "WHERE <equalities> ORDER BY x LIMIT 200", likes to
// drive from an equality index and sort every match, which at a million rows costs 100+ ms. A
// page only needs the first 200 matches in sort order, so we choose ourselves, from cheap cached
// counts, between (A) walking the sort index (split-prefixed when one split is asked for) and
// filtering as we go, which costs about 200 / selectivity rows, and (B) fetching the smallest
// matching set (a tag, a class, a status...) and sorting it, which costs about its size.

interface Estimates {
  at: number
  total: number
  split: Map<string, number>
  status: Map<string, number>
  error: Map<string | null, number>
  tags: Map<number, number>
  datasets: Map<number, number>
}

/** Estimates only steer the plan: a minute-old count is as good as an exact one. */
const ESTIMATE_TTL_MS = 60_000
const estimateCache = new WeakMap<Db, Estimates>()

function groupCounts<K>(db: Db, sql: string): Map<K, number> {
  return new Map((db.prepare(sql).raw().all() as [K, number][]).map(([k, n]) => [k, n]))
}

/** Counts per split/status/error/tag/class, at most ESTIMATE_TTL_MS old: estimates, not answers. */
export function estimates(db: Db, fresh = false): Estimates {
  const cached = estimateCache.get(db)
  if (cached && !fresh && Date.now() - cached.at < ESTIMATE_TTL_MS) return cached
  const split = groupCounts<string>(db, 'SELECT split, COUNT(*) FROM samples GROUP BY split')
  const e: Estimates = {
    at: Date.now(),
    total: [...split.values()].reduce((a, b) => a + b, 0),
    split,
    status: groupCounts<string>(db, 'SELECT status, COUNT(*) FROM samples GROUP BY status'),
    error: groupCounts<string | null>(db, 'SELECT error_kind, COUNT(*) FROM samples GROUP BY error_kind'),
    tags: groupCounts<number>(db, 'SELECT tag_id, COUNT(*) FROM sample_tags GROUP BY tag_id'),
    datasets: groupCounts<number>(db, 'SELECT dataset_id, COUNT(*) FROM samples GROUP BY dataset_id'),
  }
  estimateCache.set(db, e)
  return e
}

/** Forget cached estimates (after large edits in this process). */
export function invalidateEstimates(db: Db): void {
  estimateCache.delete(db)
}

interface Term {
  /** the condition, written so no index is used for it (a residual filter) */
  residual: string
  params: unknown[]
  /** estimated fraction of all samples that pass */
  fraction: number
  /** a way to fetch exactly the matching set: its estimated size and how */
  driver?: { size: number; from: string; where: string; params: unknown[] }
  /** a tag term: its tag id (sample_tags is ordered by (tag, key) and (tag, id)) */
  tagId?: number
}

const SORT_INDEX: Record<SortField, { all: string | null; split: string; splitStatus: string }> = {
  key: { all: 'samples_key', split: 'samples_split_key', splitStatus: 'samples_split_status_key' },
  id: { all: null, split: 'samples_split_id', splitStatus: 'samples_split_status_id' },
  width: { all: 'samples_width', split: 'samples_split_width', splitStatus: 'samples_split_status_width' },
  height: { all: 'samples_height', split: 'samples_split_height', splitStatus: 'samples_split_status_height' },
  updatedAt: { all: 'samples_updated', split: 'samples_split_updated', splitStatus: 'samples_split_status_updated' },
}

function terms(db: Db, filter: SampleFilter, est: Estimates): { list: Term[]; never: boolean; singleSplit: string | null; singleStatus: string | null } {
  const N = Math.max(1, est.total)
  const list: Term[] = []
  let never = false
  const frac = (n: number) => Math.min(1, Math.max(0, n) / N)
  const marks = (xs: readonly unknown[]) => xs.map(() => '?').join(',')
  const column = (col: string, values: readonly string[], counts: Map<string, number>, index: string) => {
    if (!values.length) return void (never = true)
    const size = values.reduce((a, v) => a + (counts.get(v) ?? 0), 0)
    list.push({
      residual: `+s.${col} IN (${marks(values)})`,
      params: [...values],
      fraction: frac(size),
      driver: { size, from: `samples s INDEXED BY ${index}`, where: `s.${col} IN (${marks(values)})`, params: [...values] },
    })
  }
  if (filter.datasetId !== undefined) {
    list.push({ residual: '+s.dataset_id = ?', params: [filter.datasetId], fraction: frac(est.datasets.get(filter.datasetId) ?? 0) })
  }
  const splits = filter.split ? [...new Set(filter.split)] : undefined
  if (splits) column('split', splits, est.split, 'samples_split_key')
  const statuses = filter.status ? [...new Set(filter.status)] : undefined
  if (statuses) column('status', statuses, est.status, 'samples_status_key')
  const tagId = db.prepare('SELECT id FROM tags WHERE name = ?').pluck()
  for (const name of filter.tags ?? []) {
    const id = tagId.get(name.trim()) as number | undefined
    if (id === undefined) {
      never = true
      continue
    }
    const size = est.tags.get(id) ?? 0
    list.push({
      residual: 'EXISTS (SELECT 1 FROM sample_tags WHERE tag_id = ? AND sample_id = s.id)',
      params: [id],
      fraction: frac(size),
      driver: { size, from: 'samples s NOT INDEXED', where: 's.id IN (SELECT sample_id FROM sample_tags WHERE tag_id = ?)', params: [id] },
      tagId: id,
    })
  }
  for (const name of filter.notTags ?? []) {
    const id = tagId.get(name.trim()) as number | undefined
    if (id === undefined) continue
    list.push({
      residual: 'NOT EXISTS (SELECT 1 FROM sample_tags WHERE tag_id = ? AND sample_id = s.id)',
      params: [id],
      fraction: 1 - frac(est.tags.get(id) ?? 0),
    })
  }
  if (filter.classPresent?.length || filter.classAbsent?.length) {
    // one term for every class condition: the class sets that qualify (exact, from class_sets)
    const sets = classSetsMatching(db, filter.classPresent ?? [], filter.classAbsent ?? [])
    if (!sets.list.length) never = true
    else {
      const json = JSON.stringify(sets.list)
      list.push({
        residual: '+s.class_set IN (SELECT value FROM json_each(?))',
        params: [json],
        fraction: frac(sets.samples),
        driver: {
          size: sets.samples,
          from: 'samples s INDEXED BY samples_class_set_key',
          where: 's.class_set IN (SELECT value FROM json_each(?))',
          params: [json],
        },
      })
    }
  }
  if (filter.error) {
    const ors: string[] = []
    const params: unknown[] = []
    const kinds = filter.error.filter((k): k is SampleErrorKind => k !== 'none' && k !== 'any')
    let size = 0
    const broken = [...est.error.entries()].filter(([k]) => k !== null).reduce((a, [, n]) => a + n, 0)
    if (filter.error.includes('none')) {
      ors.push('+s.error_kind IS NULL')
      size += est.error.get(null) ?? 0
    }
    if (filter.error.includes('any')) {
      ors.push('+s.error_kind IS NOT NULL')
      size += broken
    }
    if (kinds.length) {
      ors.push(`+s.error_kind IN (${marks(kinds)})`)
      params.push(...kinds)
      if (!filter.error.includes('any')) size += kinds.reduce((a, k) => a + (est.error.get(k) ?? 0), 0)
    }
    if (!ors.length) never = true
    else list.push({ residual: `(${ors.join(' OR ')})`, params, fraction: frac(size) })
  }
  if (filter.pathContains) {
    list.push({ residual: "s.key LIKE ? ESCAPE '\\'", params: [`%${escapeLike(filter.pathContains)}%`], fraction: 0.2 })
  }
  return { list, never, singleSplit: splits && splits.length === 1 ? splits[0] : null, singleStatus: statuses && statuses.length === 1 ? statuses[0] : null }
}

type Pos = { v: string | number; id: number }

/** The SQL of one sort: its column and direction, the keyset conditions, the selected columns. */
function sortSql(sort: PageQuery['sort']) {
  const col = SORT_COLUMN[sort.field]
  const dir = sort.dir === 'desc' ? 'DESC' : 'ASC'
  const byId = sort.field === 'id'
  const op = dir === 'ASC' ? '>' : '<'
  const after = (pos: Pos | null): [string, unknown[]] =>
    pos === null ? ['', []] : byId ? [` AND s.id ${op} ?`, [pos.id]] : [` AND (${col}, s.id) ${op} (?, ?)`, [pos.v, pos.id]]
  const upTo = (pos: Pos): [string, unknown[]] =>
    byId ? [` AND s.id ${dir === 'ASC' ? '<=' : '>='} ?`, [pos.id]] : [` AND (${col}, s.id) ${dir === 'ASC' ? '<=' : '>='} (?, ?)`, [pos.v, pos.id]]
  const order = byId ? `s.id ${dir}` : `${col} ${dir}, s.id ${dir}`
  const select = `SELECT s.id, s.dataset_id, s.key, s.image_path, s.mask_path, s.width, s.height, s.split, s.status,
        s.error_kind, s.error_message, ${col} AS sortv`
  return { col, dir, byId, op, after, upTo, order, select }
}
type SortSql = ReturnType<typeof sortSql>
type Terms = ReturnType<typeof terms>

export function queryPage(db: Db, q: PageQuery): SamplePage {
  const sql = sortSql(q.sort)
  const est = estimates(db)
  const found = terms(db, q.filter, est)
  let start: Pos | null = null
  if (q.cursor) {
    if (q.offset) throw new LockstepError('INVALID_INPUT', 'A page is asked for by cursor or by offset, not both')
    const c = decodeCursor(q.cursor, q.sort.field, q.sort.dir)
    start = { v: c.v, id: c.id }
  }
  if (q.offset && !found.never) {
    const at = seekStart(db, q, sql, found, q.offset)
    if (at === undefined) return toPage(db, q, []) // past the last match
    start = at
  }
  const rows = found.never ? [] : fetchRows(db, q, sql, found, est, start)
  return toPage(db, q, rows)
}

/**
 * Random access: the keyset position of the match just before the offset-th (so the page starts
 * at it), found by stepping `offset` rows along the sort index (the split or split+status prefixed
 * one when the filter names one of each: a covering index step per row, no table read) and testing
 * the other terms on the way. One query however deep the jump; undefined past the last match.
 */
function seekStart(db: Db, q: PageQuery, sql: SortSql, { list, singleSplit, singleStatus }: Terms, offset: number): Pos | undefined {
  const ix = SORT_INDEX[q.sort.field]
  const splitTerm = singleSplit !== null ? list.find((t) => t.residual.startsWith('+s.split IN')) : undefined
  const statusTerm = splitTerm && singleStatus !== null ? list.find((t) => t.residual.startsWith('+s.status IN')) : undefined
  const from = statusTerm
    ? `samples s INDEXED BY ${ix.splitStatus}`
    : splitTerm
      ? `samples s INDEXED BY ${ix.split}`
      : `samples s${ix.all ? ` INDEXED BY ${ix.all}` : ''}`
  const base = statusTerm ? ['s.split = ?', 's.status = ?'] : splitTerm ? ['s.split = ?'] : []
  const baseParams: unknown[] = statusTerm ? [singleSplit, singleStatus] : splitTerm ? [singleSplit] : []
  const rest = list.filter((t) => t !== splitTerm && t !== statusTerm)
  const where = [...base, ...rest.map((t) => t.residual)]
  return db
    .prepare(`SELECT ${sql.col} AS v, s.id AS id FROM ${from} WHERE ${where.length ? where.join(' AND ') : '1'} ORDER BY ${sql.order} LIMIT 1 OFFSET ?`)
    .get(...baseParams, ...rest.flatMap((t) => t.params), offset - 1) as Pos | undefined
}

/** The page's plan, from cheap estimates (see "Page planning" above), and the terms each plan needs. */
function choosePlan(q: PageQuery, sql: SortSql, { list, singleSplit, singleStatus }: Terms, est: Estimates, need: number) {
  // (A) walk the sort index (prefixed by split, or split and status, when one of each is asked
  // for): cost ~ rows visited until `need` matches
  const splitTerm = singleSplit !== null ? list.find((t) => t.residual.startsWith('+s.split IN')) : undefined
  const statusTerm = splitTerm && singleStatus !== null ? list.find((t) => t.residual.startsWith('+s.status IN')) : undefined
  const rest = list.filter((t) => t !== splitTerm && t !== statusTerm)
  const scanned = singleSplit !== null ? (est.split.get(singleSplit) ?? 0) * (statusTerm ? statusTerm.fraction : 1) : est.total
  const passRate = rest.reduce((a, t) => a * Math.max(t.fraction, 1e-6), 1)
  const costA = Math.min(scanned, need / passRate)
  // (B) fetch the smallest matching set and sort it: cost ~ its size (rows fetched) plus the sort
  const best = list.filter((t) => t.driver).sort((a, b) => a.driver!.size - b.driver!.size)[0]
  const costB = best ? best.driver!.size * 1.3 : Infinity
  // (C) walk one tag's rows in sort order (an index range of sample_tags_key, or its primary key
  // for id), joining each to its sample: cost ~ need / pass rate of the other terms, at most the
  // tag's size, and the walk ends at the tag's last match (no scan past it).
  const tagTerm = q.sort.field === 'key' || sql.byId ? list.filter((t) => t.tagId !== undefined).sort((a, b) => a.driver!.size - b.driver!.size)[0] : undefined
  const tagRest = list.filter((t) => t !== tagTerm)
  const costC = tagTerm ? Math.min(tagTerm.driver!.size, need / tagRest.reduce((a, t) => a * Math.max(t.fraction, 1e-6), 1)) : Infinity
  const useTag = tagTerm !== undefined && (q.plan === 'tag' || (q.plan === undefined && costC <= costA && costC <= costB))
  const useSet = !useTag && best !== undefined && (q.plan === 'set' || (q.plan === undefined && costB < costA))
  return { use: useTag ? ('tag' as const) : useSet ? ('set' as const) : ('walk' as const), splitTerm, statusTerm, rest, best, costB, tagTerm, tagRest }
}
type Plan = ReturnType<typeof choosePlan>

function fetchRows(db: Db, q: PageQuery, sql: SortSql, found: Terms, est: Estimates, start: Pos | null): RawRow[] {
  const need = q.limit + 1
  const plan = choosePlan(q, sql, found, est, need)
  if (plan.use === 'tag') return walkTag(db, sql, plan.tagTerm!, plan.tagRest, start, need)
  if (plan.use === 'set') return fetchSet(db, sql, found.list, plan.best, start, need)
  return walkIndex(db, q, sql, found, plan, start, need)
}

/** (B): the smallest matching set, every other term as a residual, sorted. */
function fetchSet(db: Db, sql: SortSql, list: Term[], best: Term, pos: Pos | null, limit: number): RawRow[] {
  const where = [best.driver!.where]
  const params: unknown[] = [...best.driver!.params]
  for (const t of list) {
    if (t === best) continue
    where.push(t.residual)
    params.push(...t.params)
  }
  const [k, kp] = sql.after(pos)
  return db
    .prepare(`${sql.select} FROM ${best.driver!.from} WHERE ${where.join(' AND ')}${k} ORDER BY ${sql.order} LIMIT ?`)
    .all(...params, ...kp, limit) as RawRow[]
}

/** (C): one tag's rows in sort order, joined to their samples. */
function walkTag(db: Db, sql: SortSql, tagTerm: Term, tagRest: Term[], start: Pos | null, need: number): RawRow[] {
  const { byId, dir, op } = sql
  const stCol = byId ? 'st.sample_id' : 'st.sort_key'
  const tOrder = byId ? `st.sample_id ${dir}` : `st.sort_key ${dir}, st.sample_id ${dir}`
  const [k, kp]: [string, unknown[]] =
    start === null ? ['', []] : byId ? [` AND st.sample_id ${op} ?`, [start.id]] : [` AND (${stCol}, st.sample_id) ${op} (?, ?)`, [start.v, start.id]]
  const resSql = tagRest.map((t) => ` AND ${t.residual}`).join('')
  const resParams = tagRest.flatMap((t) => t.params)
  return db
    .prepare(
      `${sql.select} FROM sample_tags st${byId ? '' : ' INDEXED BY sample_tags_key'} CROSS JOIN samples s ON s.id = st.sample_id
       WHERE st.tag_id = ?${k}${resSql} ORDER BY ${tOrder} LIMIT ?`,
    )
    .all(tagTerm.tagId, ...kp, ...resParams, need) as RawRow[]
}

/**
 * (A): walk in windows: find the position `window` rows further along the sort index (a covering
 * index step, no table reads), fetch the matches up to it, repeat. Matches that cluster
 * (correlated with the sort order) cannot make one page scan the whole table unnoticed: once the
 * walk has cost more than the set plan would, the rest of the page comes from it.
 */
function walkIndex(db: Db, q: PageQuery, sql: SortSql, { list, singleSplit, singleStatus }: Terms, plan: Plan, start: Pos | null, need: number): RawRow[] {
  const { col, order, select } = sql
  const { splitTerm, statusTerm, best, costB } = plan
  const rows: RawRow[] = []
  const ix = SORT_INDEX[q.sort.field]
  const from = statusTerm
    ? `samples s INDEXED BY ${ix.splitStatus}`
    : splitTerm
      ? `samples s INDEXED BY ${ix.split}`
      : `samples s${ix.all ? ` INDEXED BY ${ix.all}` : ''}`
  const baseWhere = statusTerm ? 's.split = ? AND s.status = ?' : splitTerm ? 's.split = ?' : '1'
  const baseParams: unknown[] = statusTerm ? [singleSplit, singleStatus] : splitTerm ? [singleSplit] : []
  const residual = plan.rest
  const resSql = residual.map((t) => ` AND ${t.residual}`).join('')
  const resParams = residual.flatMap((t) => t.params)
  let pos = start
  let visited = 0
  let window = q.scanWindow ?? 2048
  for (;;) {
    const [k, kp] = sql.after(pos)
    const edge = db
      .prepare(`SELECT ${col} AS v, s.id AS id FROM ${from} WHERE ${baseWhere}${k} ORDER BY ${order} LIMIT 1 OFFSET ${window - 1}`)
      .get(...baseParams, ...kp) as Pos | undefined
    const [u, up] = edge ? sql.upTo(edge) : ['', []]
    const got = db
      .prepare(`${select} FROM ${from} WHERE ${baseWhere}${resSql}${k}${u} ORDER BY ${order} LIMIT ?`)
      .all(...baseParams, ...resParams, ...kp, ...up, need - rows.length) as RawRow[]
    rows.push(...got)
    visited += window
    if (rows.length >= need || !edge) break
    pos = edge
    if (best && q.plan !== 'scan' && visited > costB) {
      rows.push(...fetchSet(db, sql, list, best, pos, need - rows.length))
      break
    }
    window = Math.min(window * 2, 65536)
  }
  return rows
}

/** The page: rows with their tags, the cursor after the last one, the total when asked for. */
function toPage(db: Db, q: PageQuery, rows: RawRow[]): SamplePage {
  const more = rows.length > q.limit
  if (more) rows.pop()
  const tags = tagsOf(
    db,
    rows.map((r) => r.id),
  )
  const out = rows.map((r) => toRow(r, tags.get(r.id) ?? []))
  const last = rows[rows.length - 1]
  const nextCursor = more && last ? encodeCursor({ f: q.sort.field, d: q.sort.dir, v: last.sortv, id: last.id }) : null
  let total: number | null = null
  if (q.withTotal) {
    const where = filterWhere(db, q.filter)
    total = db
      .prepare(`SELECT COUNT(*) FROM samples s WHERE ${where.sql}`)
      .pluck()
      .get(...where.params) as number
  }
  return { rows: out, nextCursor, total }
}
