// The class table: discovered from mask values, editable, importable from a JSON or CSV palette.
import { readFileSync } from 'node:fs'
import { basename } from 'node:path'
import { LockstepError } from '../../shared/errors'
import type { ClassInfo } from '../../shared/contract/catalog'
import type { Db } from './db'

/** The PASCAL VOC colour map: distinct, stable colours for any index (0 is black). */
export function defaultColor(index: number): string {
  let r = 0, g = 0, b = 0
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

export function listClasses(db: Db): ClassInfo[] {
  return (db.prepare('SELECT * FROM classes ORDER BY idx').all() as ClassRow[]).map((r) => ({
    index: r.idx,
    name: r.name,
    color: r.color,
    ignore: r.ignore === 1,
    pixelCount: r.pixel_count,
    sampleCount: r.sample_count,
  }))
}

/** Adds any class index not yet in the table, with a default name and colour. */
export function ensureClasses(db: Db, indices: Iterable<number>): number {
  const ins = db.prepare('INSERT OR IGNORE INTO classes(idx, name, color) VALUES (?, ?, ?)')
  let added = 0
  for (const i of indices) added += ins.run(i, defaultName(i), defaultColor(i)).changes
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
  const upd = db.prepare(
    'UPDATE classes SET name = coalesce(?, name), color = coalesce(?, color), ignore = coalesce(?, ignore) WHERE idx = ?',
  )
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
  if (m) return '#' + m[1]!.toLowerCase()
  const parts = s.split(/[\s;|]+/).map(Number)
  if (parts.length === 3 && parts.every((x) => Number.isInteger(x) && x >= 0 && x <= 255)) return '#' + parts.map(hex).join('')
  return undefined
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
      const cells = line.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1'))
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
