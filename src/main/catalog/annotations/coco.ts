// COCO JSON: instance segmentation (polygons, and RLE with uncompressed or compressed counts) and
// panoptic segmentation (a PNG per image whose RGB encodes segment ids), made into semantic masks
// (class indices by category name). Instances overlap: they are painted in decreasing order of
// their area (computed from the segmentation itself), ties in file order, so a smaller object lying
// on a larger one stays visible. Panoptic segments do not overlap; pixels of no segment (id 0, VOID)
// are class 0. An image listed with no annotation is written as all class 0 (noted).
import { existsSync, readFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import sharp from 'sharp'
import { MAX_INPUT_PIXELS } from '../../io'
import { decodeRleCounts, fillPolygon, fillRle, type Canvas } from './raster'
import type { ReadResult } from './types'

interface CocoImage {
  id: number
  file_name: string
  width: number
  height: number
}

type Segmentation = number[][] | { size: [number, number]; counts: number[] | string }

interface Instance {
  id: unknown
  category: string
  seg: Segmentation
  area: number
  order: number
}

function polygonArea(flat: number[]): number {
  const n = flat.length >> 1
  let a = 0
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n
    a += flat[2 * i] * flat[2 * j + 1] - flat[2 * j] * flat[2 * i + 1]
  }
  return Math.abs(a) / 2
}

function segArea(seg: Segmentation): number {
  if (Array.isArray(seg)) return seg.reduce((n, p) => n + polygonArea(p), 0)
  const runs = decodeRleCounts(seg.counts)
  let n = 0
  for (let i = 1; i < runs.length; i += 2) n += runs[i]
  return n
}

function checkSegmentation(s: unknown): Segmentation {
  if (Array.isArray(s)) {
    if (!s.length || !s.every((p) => Array.isArray(p) && p.length >= 6 && p.length % 2 === 0 && p.every((v) => Number.isFinite(v)))) {
      throw new Error('its polygon segmentation is not a list of [x1, y1, x2, y2, ...] lists of at least 3 points')
    }
    return s as number[][]
  }
  const r = s as { size?: unknown; counts?: unknown }
  if (r && typeof r === 'object' && Array.isArray(r.size) && r.size.length === 2 && (typeof r.counts === 'string' || Array.isArray(r.counts))) {
    return r as Segmentation
  }
  throw new Error('its segmentation is neither polygons nor an RLE {size, counts}')
}

function paintInstance(c: Canvas, seg: Segmentation, v: number): void {
  if (Array.isArray(seg)) {
    for (const flat of seg) {
      const pts: [number, number][] = []
      for (let i = 0; i + 1 < flat.length; i += 2) pts.push([flat[i], flat[i + 1]])
      fillPolygon(c, pts, v)
    }
  } else fillRle(c, seg.size, seg.counts, v)
}

function imageRef(img: CocoImage) {
  const rel = img.file_name.replace(/\\/g, '/')
  return { rel, stem: basename(rel).replace(/\.[^.]+$/, '') }
}

/** Where a panoptic file's PNGs are: <json folder>/<json name without .json>/, else the JSON's folder. */
function panopticDir(file: string): string {
  const own = join(dirname(file), basename(file).replace(/\.json$/i, ''))
  return existsSync(own) ? own : dirname(file)
}

async function segmentIds(png: string): Promise<{ width: number; height: number; ids: Uint32Array }> {
  const { data, info } = await sharp(png, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error' })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true })
  const ids = new Uint32Array(info.width * info.height)
  for (let i = 0, j = 0; i < ids.length; i++, j += info.channels) ids[i] = data[j] + 256 * data[j + 1] + 65536 * data[j + 2]
  return { width: info.width, height: info.height, ids }
}

export function readCoco(file: string): ReadResult {
  const out: ReadResult = { items: [], files: 1, problems: [], notes: [] }
  let doc: Record<string, unknown>
  try {
    doc = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
  } catch (err) {
    out.problems.push({ file, message: `cannot read it as JSON: ${(err as Error).message}` })
    return out
  }
  if (!doc || typeof doc !== 'object' || !Array.isArray(doc.images) || !Array.isArray(doc.annotations) || !Array.isArray(doc.categories)) {
    out.problems.push({ file, message: 'not a COCO file (it needs "images", "annotations" and "categories" lists)' })
    return out
  }
  const categories = new Map<number, { name: string; id: number }>()
  for (const c of doc.categories as { id?: unknown; name?: unknown }[]) {
    if (Number.isInteger(c?.id) && typeof c.name === 'string' && c.name.trim()) categories.set(c.id as number, { name: c.name.trim(), id: c.id as number })
    else out.problems.push({ file, message: `category ${JSON.stringify(c)} has no integer id and name; skipped` })
  }
  const images = new Map<number, CocoImage>()
  for (const im of doc.images as Partial<CocoImage>[]) {
    if (Number.isInteger(im?.id) && typeof im.file_name === 'string' && Number.isInteger(im.width) && Number.isInteger(im.height))
      images.set(im.id!, im as CocoImage)
    else out.problems.push({ file, message: `image ${JSON.stringify(im).slice(0, 200)} lacks an integer id, file_name, width or height; skipped` })
  }
  const anns = doc.annotations as Record<string, unknown>[]
  const panoptic = anns.some((a) => Array.isArray(a?.segments_info))
  if (panoptic) readPanoptic(file, anns, images, categories, out)
  else readInstances(file, anns, images, categories, out)
  return out
}

function readInstances(
  file: string,
  anns: Record<string, unknown>[],
  images: Map<number, CocoImage>,
  categories: Map<number, { name: string; id: number }>,
  out: ReadResult,
): void {
  const byImage = new Map<number, Instance[]>()
  const broken = new Map<number, string>()
  anns.forEach((a, order) => {
    const imageId = a?.image_id as number
    const img = images.get(imageId)
    if (!img) {
      out.problems.push({ file, message: `annotation ${JSON.stringify(a?.id)} names image_id ${JSON.stringify(imageId)}, which the file does not list` })
      return
    }
    const cat = categories.get(a.category_id as number)
    try {
      if (!cat) throw new Error(`its category_id ${JSON.stringify(a.category_id)} is not in "categories"`)
      const seg = checkSegmentation(a.segmentation)
      const list = byImage.get(imageId) ?? []
      list.push({ id: a.id, category: cat.name, seg, area: segArea(seg), order })
      byImage.set(imageId, list)
    } catch (err) {
      if (!broken.has(imageId)) broken.set(imageId, `annotation ${JSON.stringify(a.id)}: ${(err as Error).message}`)
    }
  })
  let empty = 0
  out.lateNotes = () => (empty ? [`${empty} image(s) listed with no annotation were written as all class 0 (background)`] : [])
  for (const img of images.values()) {
    const what = `image ${img.id} (${img.file_name})`
    const why = broken.get(img.id)
    if (why) {
      out.problems.push({ file, message: `${what}: ${why}; the image was not written` })
      continue
    }
    const list = (byImage.get(img.id) ?? []).sort((p, q) => q.area - p.area || p.order - q.order)
    const cats = new Map<string, number>()
    for (const inst of list) if (!cats.has(inst.category)) cats.set(inst.category, [...categories.values()].find((c) => c.name === inst.category)!.id)
    out.items.push({
      file,
      what,
      image: imageRef(img),
      size: { width: img.width, height: img.height },
      names: [...cats].map(([name, preferred]) => ({ name, preferred })),
      paint(canvas, indexOf) {
        if (!list.length) empty++
        for (const inst of list) {
          try {
            paintInstance(canvas, inst.seg, indexOf(inst.category))
          } catch (err) {
            throw new Error(`annotation ${JSON.stringify(inst.id)}: ${(err as Error).message}`, { cause: err })
          }
        }
      },
    })
  }
}

function readPanoptic(
  file: string,
  anns: Record<string, unknown>[],
  images: Map<number, CocoImage>,
  categories: Map<number, { name: string; id: number }>,
  out: ReadResult,
): void {
  const dir = panopticDir(file)
  let voidImages = 0
  out.lateNotes = () => (voidImages ? [`panoptic: pixels of no segment (id 0, VOID) in ${voidImages} image(s) were written as class 0`] : [])
  for (const a of anns) {
    const img = images.get(a?.image_id as number)
    if (!img || typeof a.file_name !== 'string' || !Array.isArray(a.segments_info)) {
      out.problems.push({ file, message: `panoptic annotation for image_id ${JSON.stringify(a?.image_id)} lacks a listed image, a file_name or segments_info` })
      continue
    }
    const what = `image ${img.id} (${img.file_name})`
    const segments = new Map<number, { name: string; id: number }>()
    let bad: string | null = null
    for (const s of a.segments_info as { id?: unknown; category_id?: unknown }[]) {
      const cat = categories.get(s?.category_id as number)
      if (!Number.isInteger(s?.id) || !cat)
        bad = `segment ${JSON.stringify(s?.id)} has category_id ${JSON.stringify(s?.category_id)}, which is not in "categories"`
      else segments.set(s.id as number, cat)
    }
    if (bad) {
      out.problems.push({ file, message: `${what}: ${bad}; the image was not written` })
      continue
    }
    const png = join(dir, ...a.file_name.split('/'))
    if (!existsSync(png)) {
      out.problems.push({ file: png, message: `the panoptic PNG of ${what} is missing (looked in ${dir})` })
      continue
    }
    const names = new Map([...segments.values()].map((c) => [c.name, c.id]))
    out.items.push({
      file: png,
      what,
      image: imageRef(img),
      size: { width: img.width, height: img.height },
      names: [...names].map(([name, preferred]) => ({ name, preferred })),
      async paint(canvas, indexOf) {
        const seg = await segmentIds(png)
        if (seg.width !== canvas.width || seg.height !== canvas.height)
          throw new Error(`the PNG is ${seg.width}x${seg.height} but the image is ${canvas.width}x${canvas.height}`)
        const value = new Map<number, number>([[0, 0]])
        let sawVoid = false
        for (const [id, c] of segments) value.set(id, indexOf(c.name))
        for (let i = 0; i < seg.ids.length; i++) {
          const v = value.get(seg.ids[i])
          if (v === undefined)
            throw new Error(`pixel (${i % seg.width}, ${Math.floor(i / seg.width)}) has segment id ${seg.ids[i]}, which segments_info does not list`)
          if (seg.ids[i] === 0) sawVoid = true
          canvas.data[i] = v
        }
        if (sawVoid) voidImages++
      },
    })
  }
}
