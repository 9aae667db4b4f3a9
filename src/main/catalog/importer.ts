// Import and re-scan as a job. Phases:
//   1. list + pair (pure pairing over the folder listings), sorted by key;
//   2. headers + hashes, many files in flight, written in batches, one transaction each, together
//      with the job's checkpoint (the last key written): a killed run resumes after it, and
//      upserts keyed by (dataset, key) make any overlap harmless;
//   3. removal of pairs this scan did not see, in one transaction;
//   4. the class pass: masks whose content changed since they were last read are decoded (indices,
//      via the engine's readLabels) and their per-class pixel counts stored.
// User labels (split, tags, notes) survive on every pair that still exists; the review status is
// reset to 'unreviewed' when the image or mask content changed (the review was of other pixels).
import { randomUUID } from 'node:crypto'
import { join, resolve } from 'node:path'
import { statSync } from 'node:fs'
import { LockstepError, toErrorPayload } from '../../shared/errors'
import type { ImportSummary, SampleError, SampleErrorKind } from '../../shared/contract/catalog'
import { SAMPLE_ERROR_KINDS } from '../../shared/contract/catalog'
import { readLabels } from '../io'
import type { Catalog, Dataset } from './catalog'
import type { Db } from './db'
import { ensureClasses, refreshClassCounts } from './classes'
import { acquireJobLock } from './lock'
import { DEFAULT_MASK_PATTERNS, DEFAULT_SINGLE_FOLDER_PATTERNS, pairFiles, listFiles } from './pairing'
import { probeFile, type FileProbe, type ProbeResult } from './probe'
import { recordChecks, type FileCheck } from './file-checks'
import { invalidateEstimates } from './query'
import { mapLimit } from '../map-limit'

export interface ImportControl {
  signal?: AbortSignal
  progress?(done: number, total: number | null, message?: string): void
}

export interface ImportOptions {
  images: string
  masks?: string | null
  maskPatterns?: string[]
  name?: string
  /** files read at once (default 32) */
  concurrency?: number
  /** pairs per transaction (default 1000) */
  batchSize?: number
  maxPixels?: number
  /** run the class pass (decodes masks; default true) */
  classes?: boolean
  /** id recorded in the jobs table (the job runner's id when run as a job) */
  jobId?: string
  /** test hook: called after each committed batch */
  afterBatch?(written: number): void
}

/** What one catalog entry is made of before probing. */
interface Entry {
  key: string
  image: string | null // relative to imagesDir
  mask: string | null // relative to masksDir (or imagesDir)
  /** an error known from pairing alone (lone image/mask, unsupported file, duplicate) */
  pairingError?: SampleError
  /** false for a file not worth reading (an unsupported format known by its name) */
  probeImage?: boolean
  probeMask?: boolean
}

interface Analyzed {
  entry: Entry
  image: ProbeResult | null
  mask: ProbeResult | null
}

interface Checkpoint {
  scanId: number
  lastKey: string | null
  added: number
  changed: number
  unchanged: number
  written: number
  startedAt: number
  headerSeconds: number
  removed: number
}

function emptyErrors(): Record<SampleErrorKind, number> {
  return Object.fromEntries(SAMPLE_ERROR_KINDS.map((k) => [k, 0])) as Record<SampleErrorKind, number>
}

function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted) {
    const reason = signal.reason
    throw reason instanceof LockstepError ? reason : new LockstepError('CANCELLED', 'The import was cancelled; run it again to resume')
  }
}

function stripExt(rel: string): string {
  const slash = rel.lastIndexOf('/')
  const dot = rel.lastIndexOf('.')
  return dot > slash + 1 ? rel.slice(0, dot) : rel
}

/** Turns the pairing into one entry per catalog row, every file accounted for, keys unique. */
export function entriesFor(imagesDir: string, masksDir: string | null, patterns: string[]): Entry[] {
  const images = listFiles(imagesDir, masksDir ? [masksDir] : [])
  const masks = masksDir ? listFiles(masksDir) : null
  const r = pairFiles(images, masks, { patterns })
  const entries: Entry[] = []
  const used = new Set<string>()
  const unique = (k: string) => {
    let key = k
    for (let i = 2; used.has(key); i++) key = `${k}#${i}`
    used.add(key)
    return key
  }
  for (const p of r.pairs) entries.push({ key: unique(p.stem), image: p.image, mask: p.mask })
  for (const u of r.unpairedImages) {
    entries.push({
      key: unique(u.stem),
      image: u.image,
      mask: null,
      pairingError: {
        kind: 'MISSING_MASK',
        message: `Image ${u.image} has no mask (looked for ${patterns.map((p) => p.replace('{stem}', u.stem)).join(', ')} in ${masksDir ?? imagesDir})`,
      },
    })
  }
  // An unsupported image (x.gif) with a mask (x.png) is one broken pair, not two rows.
  const loneMasks = new Map(r.unpairedMasks.map((u) => [u.stem, u.mask]))
  const maskSet = new Set(masks ?? [])
  for (const f of r.unsupported) {
    const inMasks = masksDir !== null && maskSet.has(f)
    if (inMasks) {
      entries.push({
        key: unique(f),
        image: null,
        mask: f,
        probeMask: false,
        pairingError: {
          kind: 'UNSUPPORTED_FORMAT',
          message: `Mask folder file ${f} matches no mask pattern (${patterns.join(', ')}) or is not a PNG/TIFF mask`,
        },
      })
      continue
    }
    const stem = stripExt(f)
    const mask = loneMasks.get(stem)
    if (mask !== undefined) loneMasks.delete(stem)
    entries.push({
      key: unique(stem),
      image: f,
      mask: mask ?? null,
      probeImage: false,
      pairingError: { kind: 'UNSUPPORTED_FORMAT', message: `File ${f} is not a supported image (JPEG, PNG, WebP, TIFF)` },
    })
  }
  for (const [stem, mask] of loneMasks) {
    entries.push({
      key: unique(stem),
      image: null,
      mask,
      pairingError: { kind: 'MISSING_IMAGE', message: `Mask ${mask} has no image ${stem}.(jpg|jpeg|png|webp|tif|tiff) in ${imagesDir}` },
    })
  }
  const imageSet = new Set(r.pairs.map((p) => p.image))
  for (const d of r.duplicates) {
    const isMask = !imageSet.has(d.kept) && !r.unpairedImages.some((u) => u.image === d.kept)
    entries.push({
      key: unique(d.file),
      image: isMask ? null : d.file,
      mask: isMask ? d.file : null,
      pairingError: isMask
        ? { kind: 'MISSING_IMAGE', message: `Mask ${d.file} is a second mask for ${d.stem}; ${d.kept} is the one paired with its image` }
        : { kind: 'MISSING_MASK', message: `Image ${d.file} has the same name stem as ${d.kept}; only ${d.kept} is paired with the mask ${d.stem}` },
    })
  }
  entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  return entries
}

function combine(a: Analyzed): {
  error: SampleError | null
  img: FileProbe | null
  msk: FileProbe | null
} {
  const img = a.image?.ok ? a.image.probe : null
  const msk = a.mask?.ok ? a.mask.probe : null
  let error: SampleError | null = null
  if (a.entry.pairingError) error = a.entry.pairingError
  else if (a.image && !a.image.ok) error = a.image.error
  else if (a.mask && !a.mask.ok) error = a.mask.error
  else if (img && msk && (img.width !== msk.width || img.height !== msk.height)) {
    const oriented = img.orientation >= 5 ? ' (after EXIF orientation)' : ''
    error = {
      kind: 'SIZE_MISMATCH',
      message: `Image ${a.entry.image} is ${img.width}x${img.height}${oriented} but mask ${a.entry.mask} is ${msk.width}x${msk.height}`,
    }
  }
  // Colour masks (RGB with R=G=B) are checked pixel by pixel by the class pass (the engine's readLabels).
  return { error, img, msk }
}

/**
 * The checks an import makes before it writes anything: both folders exist and are folders, the
 * mask patterns are valid for the layout. Errors name the field (`details.field`: images, masks,
 * maskPatterns), so a form can show each at its input. The import.start channel runs it before
 * starting the job, so a bad form fails at once instead of as a failed job.
 */
export function checkImportOptions(options: Pick<ImportOptions, 'images' | 'masks' | 'maskPatterns'>): {
  imagesDir: string
  masksDir: string | null
  patterns: string[]
} {
  const imagesDir = resolve(options.images)
  const masksDirRaw = options.masks ? resolve(options.masks) : null
  const masksDir = masksDirRaw === imagesDir ? null : masksDirRaw
  for (const [flag, dir] of [
    ['images', imagesDir],
    ['masks', masksDir],
  ] as const) {
    if (!dir) continue
    let isDir: boolean
    try {
      isDir = statSync(dir).isDirectory()
    } catch {
      throw new LockstepError('NOT_FOUND', `The ${flag} folder ${dir} does not exist`, { field: flag })
    }
    if (!isDir) throw new LockstepError('INVALID_INPUT', `The ${flag} path ${dir} is not a folder`, { field: flag })
  }
  const patterns = options.maskPatterns ?? (masksDir ? DEFAULT_MASK_PATTERNS : DEFAULT_SINGLE_FOLDER_PATTERNS)
  try {
    pairFiles([], masksDir ? [] : null, { patterns })
  } catch (err) {
    if (err instanceof LockstepError) throw new LockstepError(err.code, err.message, { field: 'maskPatterns' })
    throw err
  }
  return { imagesDir, masksDir, patterns }
}

export async function runImport(catalog: Catalog, options: ImportOptions, control: ImportControl = {}): Promise<ImportSummary> {
  const { imagesDir, masksDir, patterns } = checkImportOptions(options) // before anything is written

  const lock = acquireJobLock(catalog.projectDir, `import of ${imagesDir}`)
  try {
    const db = catalog.db
    const now = Date.now()
    let dataset = catalog.findDataset(imagesDir, masksDir)
    if (!dataset) {
      catalog.tx(() => {
        db.prepare('INSERT INTO datasets(name, images_dir, masks_dir, mask_patterns, created_at) VALUES (?, ?, ?, ?, ?)').run(
          options.name ?? imagesDir.split(/[\\/]/).filter(Boolean).slice(-2).join('/'),
          imagesDir,
          masksDir,
          JSON.stringify(patterns),
          now,
        )
      })
      dataset = catalog.findDataset(imagesDir, masksDir)!
    } else if (options.maskPatterns && JSON.stringify(options.maskPatterns) !== JSON.stringify(dataset.maskPatterns)) {
      catalog.tx(() => db.prepare('UPDATE datasets SET mask_patterns = ? WHERE id = ?').run(JSON.stringify(patterns), dataset!.id))
      dataset = catalog.dataset(dataset.id)!
    }
    return await scanDataset(catalog, dataset, options, control)
  } finally {
    lock.release()
  }
}

/** Re-scans datasets already in the catalog (all when `datasetId` is omitted). */
export async function runRescan(
  catalog: Catalog,
  datasetId: number | undefined,
  options: Omit<ImportOptions, 'images'> = {},
  control: ImportControl = {},
): Promise<ImportSummary[]> {
  const list = datasetId === undefined ? catalog.datasets() : [catalog.dataset(datasetId)].filter((d): d is Dataset => !!d)
  if (!list.length)
    throw new LockstepError(
      'NOT_FOUND',
      datasetId === undefined ? 'The project has no dataset to re-scan; import one first' : `Dataset ${datasetId} does not exist`,
    )
  const out: ImportSummary[] = []
  for (const d of list) {
    const lock = acquireJobLock(catalog.projectDir, `re-scan of ${d.imagesDir}`)
    try {
      out.push(
        await scanDataset(catalog, d, { ...options, images: d.imagesDir, masks: d.masksDir, jobId: list.length > 1 ? undefined : options.jobId }, control),
      )
    } finally {
      lock.release()
    }
  }
  return out
}

interface ExistingRow {
  id: number
  image_path: string | null
  mask_path: string | null
  image_hash: string | null
  mask_hash: string | null
  error_kind: string | null
  error_message: string | null
  scan_id: number
}

/**
 * One scan of one dataset, in the phases listed at the top of this file: start (or resume) the
 * job, list and pair, read headers in batches, remove what was not seen, the class pass, finish.
 */
async function scanDataset(catalog: Catalog, dataset: Dataset, options: ImportOptions, control: ImportControl): Promise<ImportSummary> {
  const db = catalog.db
  const jobId = options.jobId ?? randomUUID()
  const concurrency = options.concurrency ?? 32
  const { cp, resumed } = startScanJob(catalog, dataset, jobId)

  control.progress?.(0, null, 'listing files')
  const all = entriesFor(dataset.imagesDir, dataset.masksDir, dataset.maskPatterns)
  const todo = cp.lastKey === null ? all : all.filter((e) => e.key > cp.lastKey!)
  control.progress?.(all.length - todo.length, all.length, resumed ? `resuming after ${cp.lastKey}` : 'reading headers')

  const headerSeconds = await readHeaders(catalog, dataset, { todo, total: all.length, cp, jobId }, options, control)
  checkAbort(control.signal)
  removeUnseen(catalog, dataset, cp, jobId)

  if (options.classes !== false)
    await classPass(catalog, dataset.id, { concurrency: Math.min(concurrency, 8), signal: control.signal, progress: control.progress })
  else catalog.tx(() => refreshClassCounts(db))

  const summary = summarize(db, dataset, { jobId, seen: all.length, cp, headerSeconds, resumed })
  catalog.tx(() => {
    db.prepare("UPDATE jobs SET status = 'done', result = ?, checkpoint = ?, ended_at = ? WHERE id = ?").run(
      JSON.stringify(summary),
      JSON.stringify(cp),
      Date.now(),
      jobId,
    )
    db.prepare('UPDATE datasets SET last_scan_at = ? WHERE id = ?').run(Date.now(), dataset.id)
  })
  invalidateEstimates(db)
  control.progress?.(all.length, all.length, 'done')
  return summary
}

/** Records the scan as a running job; a run of this dataset that never finished (killed, cancelled) is resumed from its checkpoint. */
function startScanJob(catalog: Catalog, dataset: Dataset, jobId: string): { cp: Checkpoint; resumed: boolean } {
  const db = catalog.db
  const t0 = Date.now()
  const interrupted = db
    .prepare("SELECT id, checkpoint FROM jobs WHERE kind = 'import' AND dataset_id = ? AND status = 'running' ORDER BY started_at DESC LIMIT 1")
    .get(dataset.id) as { id: string; checkpoint: string | null } | undefined
  let cp: Checkpoint
  const resumed = !!interrupted?.checkpoint
  if (interrupted?.checkpoint) cp = JSON.parse(interrupted.checkpoint) as Checkpoint
  else {
    const lastScan = (db.prepare('SELECT MAX(scan_id) FROM samples WHERE dataset_id = ?').pluck().get(dataset.id) as number | null) ?? 0
    cp = { scanId: lastScan + 1, lastKey: null, added: 0, changed: 0, unchanged: 0, written: 0, startedAt: t0, headerSeconds: 0, removed: 0 }
  }
  catalog.tx(() => {
    if (interrupted) db.prepare("UPDATE jobs SET status = 'resumed', ended_at = ? WHERE id = ?").run(t0, interrupted.id)
    db.prepare("INSERT INTO jobs(id, kind, dataset_id, status, params, checkpoint, started_at) VALUES (?, 'import', ?, 'running', ?, ?, ?)").run(
      jobId,
      dataset.id,
      JSON.stringify({ images: dataset.imagesDir, masks: dataset.masksDir, maskPatterns: dataset.maskPatterns }),
      JSON.stringify(cp),
      t0,
    )
  })
  return { cp, resumed }
}

/** Probes a batch of entries' files (headers and hashes), `concurrency` at a time. */
function batchProber(dataset: Dataset, concurrency: number, maxPixels: number | undefined): (batch: Entry[]) => Promise<Analyzed[]> {
  const imagesRoot = dataset.imagesDir
  const masksRoot = dataset.masksDir ?? dataset.imagesDir
  const probeOpts = { maxPixels }
  return (batch) =>
    mapLimit(batch, concurrency, async (entry): Promise<Analyzed> => {
      const [image, mask] = await Promise.all([
        entry.image !== null && entry.probeImage !== false
          ? probeFile(join(imagesRoot, ...entry.image.split('/')), entry.image, 'image', probeOpts)
          : Promise.resolve(null),
        entry.mask !== null && entry.probeMask !== false
          ? probeFile(join(masksRoot, ...entry.mask.split('/')), entry.mask, 'mask', probeOpts)
          : Promise.resolve(null),
      ])
      return { entry, image, mask }
    })
}

/** Phase 2: probe batch i+1 while batch i is written (one transaction each, with the checkpoint). Returns the seconds spent on headers. */
async function readHeaders(
  catalog: Catalog,
  dataset: Dataset,
  scan: { todo: Entry[]; total: number; cp: Checkpoint; jobId: string },
  options: ImportOptions,
  control: ImportControl,
): Promise<number> {
  const { todo, total, cp } = scan
  const batchSize = options.batchSize ?? 1000
  const analyze = batchProber(dataset, options.concurrency ?? 32, options.maxPixels)
  const write = batchWriter(catalog, dataset, cp, scan.jobId, () => headerBase + (Date.now() - tHeaders) / 1000)
  const tHeaders = Date.now()
  const headerBase = cp.headerSeconds ?? 0
  const batches: Entry[][] = []
  for (let i = 0; i < todo.length; i += batchSize) batches.push(todo.slice(i, i + batchSize))
  let done = total - todo.length
  let pending = batches.length ? analyze(batches[0]) : null
  for (let b = 0; b < batches.length; b++) {
    checkAbort(control.signal)
    const results = await pending!
    pending = b + 1 < batches.length ? analyze(batches[b + 1]) : null
    write(results)
    done += results.length
    options.afterBatch?.(cp.written)
    control.progress?.(done, total, 'reading headers')
  }
  const headerSeconds = headerBase + (Date.now() - tHeaders) / 1000
  cp.headerSeconds = headerSeconds
  return headerSeconds
}

/** A samples row as the probes found it. */
function sampleRow(a: Analyzed, datasetId: number, scanId: number, now: number) {
  const { error, img, msk } = combine(a)
  const imgHash = a.image ? (a.image.ok ? a.image.probe.hash : a.image.hash) : null
  const mskHash = a.mask ? (a.mask.ok ? a.mask.probe.hash : a.mask.hash) : null
  const row = {
    dataset_id: datasetId,
    key: a.entry.key,
    image_path: a.entry.image,
    mask_path: a.entry.mask,
    // the image's size; a lone mask's own size; 0 (unknown) when the image could not be read
    width: img?.width ?? (a.entry.image === null ? msk?.width : undefined) ?? 0,
    height: img?.height ?? (a.entry.image === null ? msk?.height : undefined) ?? 0,
    channels: img?.channels ?? null,
    bit_depth: img?.depth ?? null,
    mask_depth: msk ? (msk.palette ? 8 : msk.depth) : null,
    image_format: img?.format ?? null,
    orientation: img?.orientation ?? null,
    image_hash: imgHash,
    mask_hash: mskHash,
    image_bytes: a.image ? (a.image.ok ? a.image.probe.bytes : a.image.bytes) : null,
    mask_bytes: a.mask ? (a.mask.ok ? a.mask.probe.bytes : a.mask.bytes) : null,
    error_kind: error?.kind ?? null,
    error_message: error?.message ?? null,
    scan_id: scanId,
    now,
  }
  // masks read on the fast path have their classes stored with the row (no class pass needed)
  const hist = !error && msk?.histogram && mskHash ? msk.histogram : null
  return { row, hist }
}

/**
 * Writes probed batches: each row inserted, refreshed or touched (counted on the checkpoint), in
 * one transaction with the checkpoint. `headerSeconds` is the header time so far.
 */
function batchWriter(catalog: Catalog, dataset: Dataset, cp: Checkpoint, jobId: string, headerSeconds: () => number): (results: Analyzed[]) => void {
  const db = catalog.db
  const getExisting = db.prepare(
    'SELECT id, image_path, mask_path, image_hash, mask_hash, error_kind, error_message, scan_id FROM samples WHERE dataset_id = ? AND key = ?',
  )
  const insert = db.prepare(`INSERT INTO samples(dataset_id, key, image_path, mask_path, width, height, channels, bit_depth, mask_depth,
      image_format, orientation, image_hash, mask_hash, image_bytes, mask_bytes, error_kind, error_message, scan_id, created_at, updated_at)
      VALUES (@dataset_id, @key, @image_path, @mask_path, @width, @height, @channels, @bit_depth, @mask_depth, @image_format, @orientation,
      @image_hash, @mask_hash, @image_bytes, @mask_bytes, @error_kind, @error_message, @scan_id, @now, @now)`)
  const updateChanged = db.prepare(`UPDATE samples SET image_path = @image_path, mask_path = @mask_path, width = @width, height = @height,
      channels = @channels, bit_depth = @bit_depth, mask_depth = @mask_depth, image_format = @image_format, orientation = @orientation,
      image_hash = @image_hash, mask_hash = @mask_hash, image_bytes = @image_bytes, mask_bytes = @mask_bytes, error_kind = @error_kind,
      error_message = @error_message, scan_id = @scan_id, updated_at = @now,
      status = CASE WHEN @content_changed THEN 'unreviewed' ELSE status END
      WHERE id = @id`)
  const touch = db.prepare('UPDATE samples SET scan_id = ? WHERE id = ?')
  const delClasses = db.prepare('DELETE FROM sample_classes WHERE sample_id = ?')
  const insClass = db.prepare('INSERT INTO sample_classes(class_idx, sample_id, pixels) VALUES (?, ?, ?)')
  const markClasses = db.prepare('UPDATE samples SET class_hash = ?, class_set = ? WHERE id = ?')
  const saveCheckpoint = db.prepare('UPDATE jobs SET checkpoint = ? WHERE id = ?')
  const classesSeen = new Set<number>()
  const paletteColours = new Map<number, string>() // a palette mask's colour for an index: a new class's colour
  const storeClasses = (id: number, hist: Map<number, number>, maskHash: string) => {
    delClasses.run(id)
    const keys = [...hist.keys()].sort((x, y) => x - y)
    for (const k of keys) {
      insClass.run(k, id, hist.get(k)!)
      classesSeen.add(k)
    }
    markClasses.run(maskHash, keys.join(','), id)
  }
  const upsert = (a: Analyzed, now: number) => {
    const { row, hist } = sampleRow(a, dataset.id, cp.scanId, now)
    if (a.mask?.ok) a.mask.probe.paletteColors?.forEach((c, i) => paletteColours.has(i) || paletteColours.set(i, c))
    const mskHash = row.mask_hash
    const prev = getExisting.get(dataset.id, a.entry.key) as ExistingRow | undefined
    if (!prev) {
      const id = Number(insert.run(row).lastInsertRowid)
      if (hist) storeClasses(id, hist, mskHash!)
      cp.added++
    } else if (prev.scan_id === cp.scanId) {
      // written by the interrupted run of this same scan: refresh, count nothing twice
      updateChanged.run({ ...row, id: prev.id, content_changed: 0 })
      if (hist) storeClasses(prev.id, hist, mskHash!)
    } else {
      const contentChanged = prev.image_hash !== row.image_hash || prev.mask_hash !== mskHash
      const same =
        !contentChanged &&
        prev.image_path === row.image_path &&
        prev.mask_path === row.mask_path &&
        prev.error_kind === row.error_kind &&
        prev.error_message === row.error_message
      if (same) {
        touch.run(cp.scanId, prev.id)
        cp.unchanged++
      } else {
        updateChanged.run({ ...row, id: prev.id, content_changed: contentChanged ? 1 : 0 })
        if (hist && prev.mask_hash !== mskHash) storeClasses(prev.id, hist, mskHash!)
        cp.changed++
      }
    }
  }
  return (results) => {
    const now = Date.now()
    const checks: FileCheck[] = results.flatMap((a) => [a.image?.check, a.mask?.check].filter((c): c is FileCheck => !!c))
    catalog.tx(() => {
      recordChecks(db, checks)
      for (const a of results) upsert(a, now)
      ensureClasses(db, classesSeen, (i) => paletteColours.get(i))
      cp.lastKey = results[results.length - 1].entry.key
      cp.written += results.length
      cp.headerSeconds = headerSeconds()
      saveCheckpoint.run(JSON.stringify(cp), jobId)
    })
  }
}

/** Phase 3: every row of this dataset the scan did not see is a removed file. */
function removeUnseen(catalog: Catalog, dataset: Dataset, cp: Checkpoint, jobId: string): void {
  const db = catalog.db
  catalog.tx(() => {
    const n = db.prepare('DELETE FROM samples WHERE dataset_id = ? AND scan_id != ?').run(dataset.id, cp.scanId).changes
    cp.removed = (cp.removed ?? 0) + n
    db.prepare('UPDATE jobs SET checkpoint = ? WHERE id = ?').run(JSON.stringify(cp), jobId)
  })
  if (cp.removed) db.exec('DELETE FROM tags WHERE NOT EXISTS (SELECT 1 FROM sample_tags WHERE tag_id = tags.id)')
}

function summarize(db: Db, dataset: Dataset, scan: { jobId: string; seen: number; cp: Checkpoint; headerSeconds: number; resumed: boolean }): ImportSummary {
  const { cp, headerSeconds } = scan
  const classesFound = db
    .prepare('SELECT COUNT(DISTINCT class_idx) FROM sample_classes WHERE sample_id IN (SELECT id FROM samples WHERE dataset_id = ?)')
    .pluck()
    .get(dataset.id) as number
  const errors = emptyErrors()
  for (const r of db
    .prepare('SELECT error_kind AS k, COUNT(*) AS n FROM samples WHERE dataset_id = ? AND error_kind IS NOT NULL GROUP BY error_kind')
    .all(dataset.id) as {
    k: SampleErrorKind
    n: number
  }[])
    errors[r.k] = r.n
  const seconds = (Date.now() - cp.startedAt) / 1000
  return {
    jobId: scan.jobId,
    datasetId: dataset.id,
    imagesDir: dataset.imagesDir,
    masksDir: dataset.masksDir,
    seen: scan.seen,
    added: cp.added,
    changed: cp.changed,
    removed: cp.removed,
    unchanged: cp.unchanged,
    errors,
    classesFound,
    seconds,
    rate: headerSeconds > 0 ? cp.written / headerSeconds : cp.written,
    resumed: scan.resumed,
  }
}

/** The label histogram of one mask: class index -> pixel count. */
export async function maskHistogram(file: string): Promise<Map<number, number>> {
  const labels = await readLabels(file)
  const counts = labels.depth === 16 ? new Float64Array(65536) : new Float64Array(256)
  const d = labels.data
  for (let i = 0; i < d.length; i++) counts[d[i]]++
  const out = new Map<number, number>()
  for (let v = 0; v < counts.length; v++) if (counts[v]) out.set(v, counts[v])
  return out
}

/**
 * Reads every healthy mask whose content the class table has not seen (class_hash != mask_hash),
 * stores its per-class pixel counts, adds new classes, and refreshes the class totals. Idempotent
 * and restartable: a killed pass just leaves some masks to read next time.
 */
export async function classPass(
  catalog: Catalog,
  datasetId: number | undefined,
  opts: { concurrency?: number; signal?: AbortSignal; progress?: ImportControl['progress']; ids?: number[] } = {},
): Promise<number> {
  const db = catalog.db
  const rows = (
    opts.ids
      ? db
          .prepare(
            `SELECT id, mask_hash FROM samples WHERE id IN (SELECT value FROM json_each(?)) AND mask_hash IS NOT NULL AND error_kind IS NULL
             AND (class_hash IS NULL OR class_hash != mask_hash)`,
          )
          .all(JSON.stringify(opts.ids))
      : db
          .prepare(
            `SELECT id, mask_hash FROM samples WHERE (? IS NULL OR dataset_id = ?) AND mask_hash IS NOT NULL AND error_kind IS NULL
             AND (class_hash IS NULL OR class_hash != mask_hash) ORDER BY id`,
          )
          .all(datasetId ?? null, datasetId ?? null)
  ) as { id: number; mask_hash: string }[]
  const found = new Set<number>()
  const del = db.prepare('DELETE FROM sample_classes WHERE sample_id = ?')
  const ins = db.prepare('INSERT INTO sample_classes(class_idx, sample_id, pixels) VALUES (?, ?, ?)')
  const mark = db.prepare('UPDATE samples SET class_hash = ?, class_set = ? WHERE id = ?')
  const fail = db.prepare('UPDATE samples SET error_kind = ?, error_message = ?, updated_at = ? WHERE id = ?')
  const batch = 200
  for (let i = 0; i < rows.length; i += batch) {
    checkAbort(opts.signal)
    const slice = rows.slice(i, i + batch)
    const results = await mapLimit(slice, opts.concurrency ?? 4, async (r) => {
      const ref = catalog.getSample(r.id)
      if (!ref?.maskPath) return { r, hist: null, error: null }
      try {
        return { r, hist: await maskHistogram(ref.maskPath), error: null }
      } catch (err) {
        const e = toErrorPayload(err)
        const kind =
          (SAMPLE_ERROR_KINDS as readonly string[]).includes(e.code) && e.code !== 'MISSING_MASK'
            ? e.code
            : e.code === 'MISSING_MASK'
              ? 'UNREADABLE'
              : 'CORRUPT'
        return { r, hist: null, error: { kind, message: e.message } }
      }
    })
    catalog.tx(() => {
      const now = Date.now()
      for (const { r, hist, error } of results) {
        if (error) {
          fail.run(error.kind, error.message, now, r.id)
          continue
        }
        if (!hist) continue
        del.run(r.id)
        const keys = [...hist.keys()].sort((a, b) => a - b)
        for (const k of keys) {
          ins.run(k, r.id, hist.get(k)!)
          found.add(k)
        }
        mark.run(r.mask_hash, keys.join(','), r.id)
      }
      ensureClasses(db, found)
    })
    opts.progress?.(Math.min(i + batch, rows.length), rows.length, 'reading mask classes')
  }
  catalog.tx(() => {
    // classes present anywhere (also from earlier passes) are in the table
    ensureClasses(db, db.prepare('SELECT DISTINCT class_idx FROM sample_classes').pluck().all() as number[])
    refreshClassCounts(db)
  })
  return found.size
}
