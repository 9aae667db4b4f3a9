// labelme's JSON, one file per image, next to the images (labelme/label_file.py): `imagePath`
// relative to the JSON, `imageWidth`/`imageHeight`, and `shapes` with `label`, `points` and
// `shape_type`. Polygons, rectangles (two corners) and circles (centre, a point on the circle) are
// painted in file order: a later shape lies over an earlier one, as labelme draws them. Lines,
// points and line strips have no area and are counted in the notes.
import { readFileSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { listFiles } from '../pairing'
import { fillCircle, fillPolygon, fillRectangle } from './raster'
import { bump, type AnnotationItem, type Counter, type ReadResult } from './types'

interface Shape {
  label: string
  points: [number, number][]
  type: 'polygon' | 'rectangle' | 'circle'
}

const AREA_LESS = new Set(['line', 'point', 'linestrip', 'points'])

function isPoint(p: unknown): p is [number, number] {
  return Array.isArray(p) && p.length >= 2 && Number.isFinite(p[0]) && Number.isFinite(p[1])
}

/** One labelme file as an item, or throws an Error saying what is wrong with it. */
export function parseLabelme(text: string, file: string, skipped: Counter): AnnotationItem {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (err) {
    throw new Error(`not valid JSON (${(err as Error).message})`, { cause: err })
  }
  const o = doc as Record<string, unknown>
  if (!o || typeof o !== 'object' || !Array.isArray(o.shapes)) throw new Error('not a labelme file (no "shapes" list)')
  if (typeof o.imagePath !== 'string' || !o.imagePath) throw new Error('not a labelme file (no "imagePath")')
  const shapes: Shape[] = []
  ;(o.shapes as unknown[]).forEach((raw, i) => {
    const s = raw as Record<string, unknown>
    const where = `shape ${i}`
    if (!s || typeof s !== 'object') throw new Error(`${where} is not an object`)
    if (typeof s.label !== 'string' || !s.label.trim()) throw new Error(`${where} has no label`)
    const type = typeof s.shape_type === 'string' ? s.shape_type : 'polygon'
    if (!Array.isArray(s.points) || !s.points.every(isPoint)) throw new Error(`${where} (${s.label}) has points that are not [x, y] numbers`)
    const points = (s.points as number[][]).map((p) => [p[0], p[1]] as [number, number])
    if (type === 'polygon' || type === 'rectangle' || type === 'circle') {
      const need = type === 'polygon' ? 3 : 2
      if (points.length < need) throw new Error(`${where} (${s.label}) is a ${type} with ${points.length} point(s); it needs ${need}`)
      shapes.push({ label: s.label.trim(), points, type })
    } else bump(skipped, AREA_LESS.has(type) ? `${type} shapes (no area)` : `${type} shapes (not supported)`)
  })
  const w = o.imageWidth
  const h = o.imageHeight
  const size = Number.isInteger(w) && Number.isInteger(h) ? { width: w as number, height: h as number } : undefined
  const imagePath = o.imagePath.replace(/\\/g, '/')
  return {
    file,
    image: { abs: resolve(dirname(file), ...imagePath.split('/')), stem: basename(imagePath).replace(/\.[^.]+$/, '') },
    size,
    names: shapes.map((s) => ({ name: s.label })),
    paint(canvas, indexOf) {
      for (const s of shapes) {
        const v = indexOf(s.label)
        if (s.type === 'polygon') fillPolygon(canvas, s.points, v)
        else if (s.type === 'rectangle') fillRectangle(canvas, s.points[0], s.points[1], v)
        else fillCircle(canvas, s.points[0], s.points[1], v)
      }
    },
  }
}

/** Every labelme JSON under `folder`. */
export function readLabelme(folder: string): ReadResult {
  const out: ReadResult = { items: [], files: 0, problems: [], notes: [] }
  const skipped: Counter = new Map()
  for (const rel of listFiles(folder).filter((f) => /\.json$/i.test(f))) {
    const file = join(folder, ...rel.split('/'))
    out.files++
    try {
      out.items.push(parseLabelme(readFileSync(file, 'utf8'), file, skipped))
    } catch (err) {
      out.problems.push({ file, message: (err as Error).message })
    }
  }
  for (const [what, n] of skipped) out.notes.push(`${n} ${what} were skipped`)
  return out
}
