// annotations.import: labels made in other tools become the project's masks. A reader per format
// (labelme.ts, coco.ts, voc.ts) turns files into items (an image named as the file names it, its
// declared size, the class names used, a paint function); this module matches items to samples,
// matches class names to the class table (adding the unknown ones, listed in the summary),
// rasterises each item at the image's size (raster.ts: pixel centres inside or on a shape) and
// writes it through the one crash-safe, versioned replace path (reason 'import'). Every file or
// image that cannot be used is named in `problems`; nothing half-read is written.
import { randomUUID } from 'node:crypto'
import { statSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import { LockstepError, toErrorPayload } from '../../../shared/errors'
import type { AnnotationFormat, AnnotationImportSummary } from '../../../shared/contract/labels'
import type { Labels } from '../../io'
import type { Catalog } from '../catalog'
import { defaultColor, defaultName } from '../classes'
import { runWriterJob } from '../writer-job'
import { encodeMask } from '../masks'
import { labelCounts, replaceMask } from '../mask-store'
import { jobResult, type JobControl } from '../remap'
import { readCoco } from './coco'
import { readLabelme } from './labelme'
import type { AnnotationItem, ImageRef, ReadResult } from './types'
import { readVoc } from './voc'

export interface AnnotationImportOptions {
  format: AnnotationFormat
  /** a folder (labelme, voc) or a file (coco), absolute */
  path: string
  labelmap?: string
  existing?: 'skip' | 'replace'
  datasetId?: number
  jobId?: string
}

interface Target {
  id: number
  dataset_id: number
  key: string
  image_path: string
  mask_path: string | null
  width: number
  height: number
}

const stemOf = (p: string) => basename(p).replace(/\.[^./]+$/, '')

/** Finds the sample an annotation names: by absolute path, relative path, key, then unique name stem. */
export class SampleMatcher {
  private readonly byAbs = new Map<string, Target>()
  private readonly byRel = new Map<string, Target[]>()
  private readonly byKey = new Map<string, Target[]>()
  private readonly byStem = new Map<string, Target[]>()

  constructor(catalog: Catalog, datasetId?: number) {
    const rows = catalog.db
      .prepare('SELECT id, dataset_id, key, image_path, mask_path, width, height FROM samples WHERE image_path IS NOT NULL AND (? IS NULL OR dataset_id = ?)')
      .all(datasetId ?? null, datasetId ?? null) as Target[]
    const dirs = new Map(catalog.datasets().map((d) => [d.id, d.imagesDir]))
    const add = (m: Map<string, Target[]>, k: string, t: Target) => m.set(k, [...(m.get(k) ?? []), t])
    for (const t of rows) {
      this.byAbs.set(join(dirs.get(t.dataset_id)!, ...t.image_path.split('/')), t)
      add(this.byRel, t.image_path, t)
      add(this.byKey, t.key, t)
      add(this.byStem, stemOf(t.image_path), t)
    }
  }

  /** The sample, or a sentence saying why none (unknown, or several alike). */
  match(ref: ImageRef): Target | string {
    if (ref.abs) {
      const t = this.byAbs.get(resolve(ref.abs))
      if (t) return t
    }
    const tries: [Map<string, Target[]>, string | undefined][] = [
      [this.byRel, ref.rel],
      [this.byKey, ref.stem],
      [this.byStem, stemOf(ref.rel ?? ref.stem ?? ref.abs ?? '')],
    ]
    for (const [map, k] of tries) {
      const list = k ? map.get(k) : undefined
      if (list?.length === 1) return list[0]
      if (list && list.length > 1)
        return `names image ${k}, which matches ${list.length} samples (${list
          .slice(0, 3)
          .map((t) => t.image_path)
          .join(', ')}${list.length > 3 ? ', ...' : ''}); pick the dataset`
    }
    return `names image ${ref.rel ?? ref.abs ?? ref.stem}, which is not in the project`
  }
}

const ALIASES: Record<string, string> = { _background_: 'background', __background__: 'background' }
const norm = (name: string) => {
  const n = name.trim().toLowerCase()
  return ALIASES[n] ?? n
}

/**
 * Class names to indices: a name already in the table (case-insensitive) keeps its index; a new
 * name takes the index its format prefers (COCO category id, labelmap line) when that index is
 * free or still a placeholder named by default ("class 7"), else the lowest free index.
 */
export function resolveClasses(
  catalog: Catalog,
  wanted: { name: string; preferred?: number }[],
): { indexOf: (name: string) => number; added: { index: number; name: string }[] } {
  const db = catalog.db
  const table = catalog.classes()
  const byName = new Map(table.map((c) => [norm(c.name), c.index]))
  const used = new Map(table.map((c) => [c.index, c.name]))
  const added: { index: number; name: string }[] = []
  const placeholder = (i: number) => used.get(i) === defaultName(i)
  let next = 0 // the lowest free index
  for (const w of wanted) {
    const k = norm(w.name)
    if (byName.has(k)) continue
    const p = w.preferred
    let index: number
    if (p !== undefined && p >= 0 && p <= 65535 && (!used.has(p) || placeholder(p))) {
      index = p
      if (used.has(p)) byName.delete(norm(used.get(p)!))
    } else {
      while (used.has(next)) next++
      index = next
    }
    if (index > 65535) throw new LockstepError('INVALID_INPUT', `No class index is free for ${w.name}`)
    used.set(index, w.name.trim())
    byName.set(k, index)
    added.push({ index, name: w.name.trim() })
  }
  if (added.length) {
    catalog.tx(() => {
      // a placeholder ("class 7", named by default when a mask showed the index) takes the name and keeps its colour
      const ins = db.prepare('INSERT INTO classes(idx, name, color) VALUES (?, ?, ?) ON CONFLICT(idx) DO UPDATE SET name = excluded.name')
      for (const a of added) ins.run(a.index, a.name, defaultColor(a.index))
    })
  }
  return { indexOf: (name) => byName.get(norm(name)) ?? 0, added }
}

function readAll(o: AnnotationImportOptions): ReadResult {
  let st
  try {
    st = statSync(o.path)
  } catch {
    throw new LockstepError('NOT_FOUND', `${o.path} does not exist`)
  }
  const wantFile = o.format === 'coco'
  if (wantFile && !st.isFile()) throw new LockstepError('INVALID_INPUT', `COCO annotations are one JSON file; ${o.path} is a folder`)
  if (!wantFile && !st.isDirectory()) throw new LockstepError('INVALID_INPUT', `${o.format} annotations are a folder of files; ${o.path} is a file`)
  if (o.format === 'labelme') return readLabelme(o.path)
  if (o.format === 'coco') return readCoco(o.path)
  return readVoc(o.path, o.labelmap)
}

function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted) {
    const reason = signal.reason
    throw reason instanceof LockstepError
      ? reason
      : new LockstepError('CANCELLED', 'The annotation import was cancelled; the masks written so far are kept (and versioned)')
  }
}

/** Paints an item at the sample's size: 8-bit values unless a class index needs 16. */
async function rasterise(item: AnnotationItem, t: Target, indexOf: (n: string) => number): Promise<Labels> {
  const wide = item.names.some((n) => indexOf(n.name) > 255)
  const data = wide ? new Uint16Array(t.width * t.height) : new Uint8Array(t.width * t.height)
  await item.paint({ width: t.width, height: t.height, data }, indexOf)
  return { width: t.width, height: t.height, depth: wide ? 16 : 8, data }
}

export async function runAnnotationImport(catalog: Catalog, o: AnnotationImportOptions, control: JobControl = {}): Promise<AnnotationImportSummary> {
  const path = resolve(o.path)
  const jobId = o.jobId ?? randomUUID()
  const summary: AnnotationImportSummary = { jobId, format: o.format, files: 0, written: 0, problems: [], addedClasses: [], notes: [], seconds: 0 }
  let read: ReadResult | null = null
  const job = { id: jobId, kind: 'annotations', what: `${o.format} annotation import`, params: { ...o, path }, datasetId: o.datasetId }
  const settle = () => {
    if (read) summary.notes = [...read.notes, ...(read.lateNotes?.() ?? []), ...summary.notes]
  }
  return runWriterJob(
    catalog,
    job,
    summary,
    async () => {
      control.progress?.(0, null, `reading ${o.format} annotations`)
      read = readAll({ ...o, path })
      summary.files = read.files
      summary.problems.push(...read.problems)
      const matcher = new SampleMatcher(catalog, o.datasetId)
      const todo: { item: AnnotationItem; target: Target }[] = []
      const claimed = new Map<number, string>()
      for (const item of read.items) {
        const m = matcher.match(item.image)
        const what = item.what ? `${item.what}: ` : ''
        if (typeof m === 'string') summary.problems.push({ file: item.file, message: `${what}${m}` })
        else if (claimed.has(m.id))
          summary.problems.push({ file: item.file, message: `${what}sample ${m.key} is already annotated by ${claimed.get(m.id)}; this one was not used` })
        else if (item.size && (item.size.width !== m.width || item.size.height !== m.height)) {
          summary.problems.push({
            file: item.file,
            message: `${what}declares ${item.size.width}x${item.size.height}, but image ${m.image_path} is ${m.width}x${m.height}; not written`,
          })
        } else if (m.width === 0 || m.height === 0)
          summary.problems.push({ file: item.file, message: `${what}image ${m.image_path} could not be read, so its size is unknown; not written` })
        else {
          claimed.set(m.id, item.file)
          todo.push({ item, target: m })
        }
      }
      const classes = resolveClasses(
        catalog,
        todo.flatMap((t) => t.item.names),
      )
      summary.addedClasses = classes.added
      let kept = 0
      for (let k = 0; k < todo.length; k++) {
        checkAbort(control.signal)
        const { item, target } = todo[k]
        control.progress?.(k, todo.length, `writing ${target.key}`)
        if (target.mask_path !== null && o.existing !== 'replace') {
          kept++
          continue
        }
        try {
          const labels = await rasterise(item, target, classes.indexOf)
          const counts = labelCounts(labels)
          await replaceMask(catalog, target.id, async (cur) => ({ bytes: await encodeMask(catalog, cur, labels, counts), labels, counts }), {
            reason: 'import',
            jobId,
            note: `${o.format} import of ${item.file}`,
          })
          summary.written++
        } catch (err) {
          summary.problems.push({ file: item.file, message: `${item.what ? `${item.what}: ` : ''}${toErrorPayload(err).message}` })
        }
      }
      if (kept) summary.notes.push(`${kept} sample(s) already had a mask and were kept (existing: 'skip'; use 'replace' to overwrite them, versioned)`)
      control.progress?.(todo.length, todo.length, 'done')
    },
    settle,
  )
}

/** The summary of an annotation import (the latest finished one when `jobId` is omitted). */
export function annotationSummary(catalog: Catalog, jobId?: string): AnnotationImportSummary | null {
  return jobResult<AnnotationImportSummary>(catalog, 'annotations', jobId)
}
