// The class table: discovered from mask values, editable, importable from a JSON or CSV palette.
import { readFileSync } from 'node:fs'
import { basename } from 'node:path'
import { LockstepError } from '../../shared/errors'
import type { ClassInfo } from '../../shared/contract/catalog'
import type { Db } from './db'

/** The PASCAL VOC colour map: distinct, stable colours for any index (0 is black). */
export function defaultColor(index: number): string {
  let r = 0,
    g = 0,
    b = 0
  let c = index
  for (let j = 7; j >= 0 && c > 0; j--) {
    r |= (c & 1) << j
    g |= ((c >> 1) & 1) << j
    b |= ((c >> 2) & 1) << j
    c >>= 3
  }
  return '#' + [r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('')
}

export function defaultName(index: number): string {
  return index === 0 ? 'background' : `class ${index}`
}

interface ClassRow {
  idx: number
  name: string
  color: string
  ignore: number
  pixel_count: number | null
  sample_count: number | null
}

/** The class table in display order (classes.reorder; by index where no order was set). */
export function listClasses(db: Db): ClassInfo[] {
  return (db.prepare('SELECT * FROM classes ORDER BY display_order IS NULL, display_order, idx').all() as ClassRow[]).map((r) => ({
    index: r.idx,
    name: r.name,
    color: r.color,
    ignore: r.ignore === 1,
    pixelCount: r.pixel_count,
    sampleCount: r.sample_count,
  }))
}

/**
 * Adds any class index not yet in the table, with a default name and a colour: `colorOf(i)` when
 * it has one (a palette mask's own colour for its index), else the default.
 */
export function ensureClasses(db: Db, indices: Iterable<number>, colorOf?: (index: number) => string | undefined): number {
  const ins = db.prepare('INSERT OR IGNORE INTO classes(idx, name, color) VALUES (?, ?, ?)')
  let added = 0
  for (const i of indices) added += ins.run(i, defaultName(i), colorOf?.(i) ?? defaultColor(i)).changes
  return added
}

/** Recomputes each class's pixel and sample counts from the per-sample class table. */
export function refreshClassCounts(db: Db): void {
  db.exec(`
    UPDATE classes SET
      pixel_count = (SELECT SUM(pixels) FROM sample_classes WHERE class_idx = classes.idx),
      sample_count = (SELECT COUNT(*) FROM sample_classes WHERE class_idx = classes.idx)`)
}

export interface ClassEdit {
  index: number
  name?: string
  color?: string
  ignore?: boolean
}

export function updateClasses(db: Db, edits: ClassEdit[]): void {
  const ins = db.prepare('INSERT OR IGNORE INTO classes(idx, name, color) VALUES (?, ?, ?)')
  const upd = db.prepare('UPDATE classes SET name = coalesce(?, name), color = coalesce(?, color), ignore = coalesce(?, ignore) WHERE idx = ?')
  db.transaction(() => {
    for (const e of edits) {
      ins.run(e.index, defaultName(e.index), defaultColor(e.index))
      upd.run(e.name ?? null, e.color?.toLowerCase() ?? null, e.ignore === undefined ? null : e.ignore ? 1 : 0, e.index)
    }
  }).immediate()
}

function hex(n: number): string {
  return n.toString(16).padStart(2, '0')
}

/** '#rrggbb', 'rrggbb', [r,g,b] or 'r g b' / 'r;g;b' -> '#rrggbb', or undefined. */
function parseColor(v: unknown): string | undefined {
  if (Array.isArray(v) && v.length === 3 && v.every((x) => Number.isInteger(x) && x >= 0 && x <= 255)) {
    return '#' + v.map((x: number) => hex(x)).join('')
  }
  if (typeof v !== 'string') return undefined
  const s = v.trim()
  const m = /^#?([0-9a-fA-F]{6})$/.exec(s)
  if (m) return '#' + m[1].toLowerCase()
  const parts = s.split(/[\s;|]+/).map(Number)
  if (parts.length === 3 && parts.every((x) => Number.isInteger(x) && x >= 0 && x <= 255)) return '#' + parts.map(hex).join('')
  return undefined
}

/** The cells of one CSV line: quoted cells may hold commas and doubled quotes (RFC 4180). */
function csvCells(line: string): string[] {
  const cells: string[] = []
  let i = 0
  for (;;) {
    while (line[i] === ' ' || line[i] === '\t') i++
    let cell = ''
    if (line[i] === '"') {
      for (i++; i < line.length; i++) {
        if (line[i] === '"' && line[i + 1] === '"') {
          cell += '"'
          i++
        } else if (line[i] === '"') break
        else cell += line[i]
      }
      i++
      while (i < line.length && line[i] !== ',') i++
      cells.push(cell)
    } else {
      const end = line.indexOf(',', i)
      cells.push(line.slice(i, end < 0 ? line.length : end).trim())
      i = end < 0 ? line.length : end
    }
    if (i >= line.length) return cells
    i++ // the comma
  }
}

function csvCell(v: string): string {
  return /[",\r\n]|^\s|\s$/.test(v) ? `"${v.replace(/"/g, '""')}"` : v
}

/**
 * The class table as text parsePalette reads back: JSON `{ "classes": [{ index, name, color,
 * ignore }] }` or CSV `index,name,color,ignore`, in display order.
 */
export function exportPalette(classes: ClassInfo[], format: 'json' | 'csv'): string {
  if (format === 'json') {
    return JSON.stringify({ classes: classes.map((c) => ({ index: c.index, name: c.name, color: c.color, ignore: c.ignore })) }, null, 2) + '\n'
  }
  return (
    ['index,name,color,ignore', ...classes.map((c) => [String(c.index), csvCell(c.name), c.color, c.ignore ? 'true' : 'false'].join(','))].join('\n') + '\n'
  )
}

/** classes.add: a new class at `index` (default: the lowest free index); names are unique. */
export function addClass(db: Db, c: { name: string; color?: string; index?: number; ignore?: boolean }): number {
  const name = c.name.trim()
  if (!name) throw new LockstepError('INVALID_INPUT', 'A class needs a name')
  return db
    .transaction(() => {
      const same = db.prepare('SELECT idx FROM classes WHERE lower(name) = lower(?)').pluck().get(name) as number | undefined
      if (same !== undefined) throw new LockstepError('INVALID_INPUT', `A class named ${JSON.stringify(name)} already exists (index ${same})`)
      let index = c.index
      if (index === undefined) {
        // the lowest free index (an ignore class at 255 does not push new classes past 8 bits)
        index = db
          .prepare(
            'SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM classes WHERE idx = 0) THEN 0 ELSE (SELECT MIN(idx + 1) FROM classes c WHERE NOT EXISTS (SELECT 1 FROM classes d WHERE d.idx = c.idx + 1)) END',
          )
          .pluck()
          .get() as number
        if (index > 65535) throw new LockstepError('INVALID_INPUT', 'Every class index up to 65535 is taken')
      } else {
        const taken = db.prepare('SELECT name FROM classes WHERE idx = ?').pluck().get(index) as string | undefined
        if (taken !== undefined) throw new LockstepError('INVALID_INPUT', `Class index ${index} is already ${JSON.stringify(taken)}`)
      }
      const order = db.prepare('SELECT MAX(display_order) FROM classes').pluck().get() as number | null
      db.prepare('INSERT INTO classes(idx, name, color, ignore, display_order) VALUES (?, ?, ?, ?, ?)').run(
        index,
        name,
        c.color?.toLowerCase() ?? defaultColor(index),
        c.ignore ? 1 : 0,
        order === null ? null : order + 1,
      )
      return index
    })
    .immediate()
}

/** classes.reorder: `order` lists every class index once; it becomes the display order. */
export function reorderClasses(db: Db, order: number[]): void {
  db.transaction(() => {
    const all = db.prepare('SELECT idx FROM classes').pluck().all() as number[]
    const known = new Set(all)
    const seen = new Set<number>()
    const problems: string[] = []
    for (const i of order) {
      if (!known.has(i)) problems.push(`${i} is not a class`)
      else if (seen.has(i)) problems.push(`${i} is listed twice`)
      seen.add(i)
    }
    const missing = all.filter((i) => !seen.has(i))
    if (missing.length) problems.push(`${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing`)
    if (problems.length) throw new LockstepError('INVALID_INPUT', `The order must list every class index once: ${problems.join('; ')}`, { problems })
    const set = db.prepare('UPDATE classes SET display_order = ? WHERE idx = ?')
    order.forEach((idx, pos) => set.run(pos, idx))
  }).immediate()
}

function parseBool(v: unknown): boolean | undefined {
  if (v === undefined || v === null || v === '') return undefined
  if (typeof v === 'boolean') return v
  if (v === 1 || v === '1' || v === 'true' || v === 'yes' || v === 'ignore') return true
  if (v === 0 || v === '0' || v === 'false' || v === 'no') return false
  return undefined
}

/**
 * Parses a palette. JSON: `[{ "index": 1, "name": "road", "color": "#804080", "ignore": false }]`
 * (colour also as [r,g,b]), or an object keyed by index with `{ name, color, ignore }` or a name.
 * CSV: `index,name,color[,ignore]` or `index,name,r,g,b[,ignore]`, an optional header row.
 * Every problem is listed with where it is.
 */
export function parsePalette(text: string, format: 'json' | 'csv', source = 'palette'): ClassEdit[] {
  const problems: string[] = []
  const out: ClassEdit[] = []
  const seen = new Set<number>()
  const add = (where: string, index: unknown, name: unknown, color: unknown, ignore: unknown) => {
    const idx = typeof index === 'string' && index.trim() !== '' ? Number(index) : index
    if (!Number.isInteger(idx) || (idx as number) < 0 || (idx as number) > 65535) {
      problems.push(`${where}: index ${JSON.stringify(index)} is not an integer in 0..65535`)
      return
    }
    const i = idx as number
    if (seen.has(i)) problems.push(`${where}: index ${i} appears twice`)
    seen.add(i)
    const edit: ClassEdit = { index: i }
    if (name !== undefined && name !== null && name !== '') {
      if (typeof name !== 'string') problems.push(`${where}: name must be text`)
      else edit.name = name.trim()
    }
    if (color !== undefined && color !== null && color !== '') {
      const c = parseColor(color)
      if (!c) problems.push(`${where}: colour ${JSON.stringify(color)} is not #rrggbb or [r,g,b] with 0..255`)
      else edit.color = c
    }
    if (ignore !== undefined && ignore !== '') {
      const b = parseBool(ignore)
      if (b === undefined) problems.push(`${where}: ignore ${JSON.stringify(ignore)} is not true/false`)
      else edit.ignore = b
    }
    out.push(edit)
  }
  if (format === 'json') {
    let data: unknown
    try {
      data = JSON.parse(text)
    } catch (err) {
      throw new LockstepError('INVALID_INPUT', `${source}: not valid JSON (${(err as Error).message})`)
    }
    if (data && typeof data === 'object' && !Array.isArray(data) && Array.isArray((data as { classes?: unknown }).classes)) {
      data = (data as { classes: unknown[] }).classes
    }
    if (Array.isArray(data)) {
      data.forEach((e, i) => {
        if (!e || typeof e !== 'object') return void problems.push(`${source}[${i}]: expected an object with index, name, color`)
        const o = e as Record<string, unknown>
        add(`${source}[${i}]`, o.index ?? o.id ?? o.value, o.name, o.color ?? o.colour ?? o.rgb, o.ignore)
      })
    } else if (data && typeof data === 'object') {
      for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
        if (typeof v === 'string') add(`${source}.${k}`, k, v, undefined, undefined)
        else if (v && typeof v === 'object') {
          const o = v as Record<string, unknown>
          add(`${source}.${k}`, k, o.name, o.color ?? o.colour ?? o.rgb, o.ignore)
        } else problems.push(`${source}.${k}: expected a name or an object`)
      }
    } else problems.push(`${source}: expected an array of classes or an object keyed by index`)
  } else {
    const lines = text.split(/\r?\n/)
    lines.forEach((line, n) => {
      if (!line.trim() || line.trim().startsWith('#')) return
      const cells = csvCells(line)
      if (n === 0 && !/^\d+$/.test(cells[0] ?? '')) return // header
      const where = `${source} line ${n + 1}`
      if (cells.length >= 5 && cells.slice(2, 5).every((c) => /^\d+$/.test(c))) add(where, cells[0], cells[1], cells.slice(2, 5).map(Number), cells[5])
      else if (cells.length >= 2) add(where, cells[0], cells[1], cells[2], cells[3])
      else problems.push(`${where}: expected index,name,color[,ignore]`)
    })
  }
  if (problems.length) {
    throw new LockstepError('INVALID_INPUT', `Palette ${source} has ${problems.length} problem(s): ${problems.join('; ')}`, { problems })
  }
  if (!out.length) throw new LockstepError('INVALID_INPUT', `Palette ${source} lists no classes`)
  return out
}

export function readPaletteFile(path: string): ClassEdit[] {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new LockstepError(code === 'ENOENT' ? 'NOT_FOUND' : 'UNREADABLE', `Cannot read palette ${path}: ${(err as Error).message}`)
  }
  const format = /\.csv$/i.test(path) ? 'csv' : 'json'
  return parsePalette(text, format, basename(path))
}
