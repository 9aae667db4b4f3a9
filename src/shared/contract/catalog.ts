// Channels of the catalog area (issue 3): projects, import/re-scan, sample queries and curation,
// classes, statistics, tags, recipes. Owned by the catalog; importable by the renderer (no node
// imports here). Long tasks (import, rescan, stats) return a job id; their progress and end go
// through the shared `job.progress` event, and `import.summary` / `stats.get` read their results.
import { z } from 'zod'
import { channel, event } from './define'

// ---------------------------------------------------------------------------------------------
// Vocabulary

import { REVIEW_STATUSES, SAMPLE_ERROR_KINDS, SPLITS, type ReviewStatus, type SampleErrorKind, type Split } from './vocabulary'
export {
  REVIEW_STATUSES,
  SAMPLE_ERROR_KINDS,
  SPLITS,
  type ReviewStatus,
  type SampleErrorKind,
  type Split,
  DEFAULT_MASK_PATTERNS,
  DEFAULT_SINGLE_FOLDER_PATTERNS,
} from './vocabulary'

export const SORT_FIELDS = ['key', 'id', 'width', 'height', 'updatedAt'] as const
export type SortField = (typeof SORT_FIELDS)[number]

// ---------------------------------------------------------------------------------------------
// Result shapes (plain JSON)

export interface DatasetInfo {
  id: number
  name: string
  /** absolute */
  imagesDir: string
  /** absolute; null for a single-folder layout (images and masks told apart by the mask pattern) */
  masksDir: string | null
  maskPatterns: string[]
  sampleCount: number
  lastScanAt: number | null
}

export interface ProjectInfo {
  dir: string
  name: string
  schemaVersion: number
  datasets: DatasetInfo[]
  sampleCount: number
  /** samples with an error */
  errorCount: number
}

/** What a folder is before a project is opened or created there (`project.probe`). */
export type ProjectProbe =
  | { dir: string; state: 'project'; name: string }
  | { dir: string; state: 'missing' | 'empty' }
  | { dir: string; state: 'not-empty'; entries: number }
  | { dir: string; state: 'unusable'; reason: string }

export interface SampleError {
  kind: SampleErrorKind
  message: string
}

/** One row of a grid page. Paths are relative to the dataset's images/masks folder. */
export interface SampleRow {
  id: number
  datasetId: number
  /** image path relative to the dataset root, without extension: the augmentation sampleId */
  key: string
  imagePath: string | null
  maskPath: string | null
  width: number | null
  height: number | null
  split: Split
  status: ReviewStatus
  tags: string[]
  error: SampleError | null
}

export interface SampleDetail extends SampleRow {
  imageAbsPath: string | null
  maskAbsPath: string | null
  channels: number | null
  /** bits per channel of the image (8 or 16) */
  bitDepth: number | null
  /** 8 or 16 for the mask's class indices; null when unknown */
  maskDepth: number | null
  imageFormat: string | null
  /** EXIF orientation 1-8 (width/height above are after orientation) */
  orientation: number | null
  imageHash: string | null
  maskHash: string | null
  imageBytes: number | null
  maskBytes: number | null
  notes: string
  /** classes found in the mask, with pixel counts; null until the class scan has run on it */
  classes: { index: number; pixels: number }[] | null
  createdAt: number
  /** last change of split, status, notes or file content (tag edits do not move it) */
  updatedAt: number
}

export interface SamplePage {
  rows: SampleRow[]
  /** pass back as `cursor` for the next page; null at the end */
  nextCursor: string | null
  /** samples matching the filter (all pages); null when `withTotal` was false */
  total: number | null
}

export interface ClassInfo {
  index: number
  name: string
  /** '#rrggbb' */
  color: string
  ignore: boolean
  /** null until discovered / computed */
  pixelCount: number | null
  sampleCount: number | null
}

export interface ImportSummary {
  jobId: string
  datasetId: number
  imagesDir: string
  masksDir: string | null
  /** pairs + lone images + lone masks + other files seen */
  seen: number
  added: number
  changed: number
  removed: number
  unchanged: number
  /** samples with each problem after this import (every kind listed, zero included) */
  errors: Record<SampleErrorKind, number>
  /** distinct mask values discovered during the class pass */
  classesFound: number
  seconds: number
  /** pairs (samples) per second over the header+hash phase */
  rate: number
  /** true when this run continued an interrupted one */
  resumed: boolean
}

export interface StatsResult {
  split: Split | 'all'
  sampleCount: number
  pixelCount: number
  /** per channel R, G, B on the 0..255 scale: Keras ImageDataGenerator.fit featurewise mean/std */
  mean: [number, number, number]
  std: [number, number, number]
  classes: { index: number; name: string; pixels: number; samples: number }[]
  /** samples skipped because of an error */
  skipped: number
  computedAt: number
}

export interface Counts {
  total: number
  bySplit: Record<Split, number>
  byStatus: Record<ReviewStatus, number>
  byError: Record<SampleErrorKind | 'none', number>
}

/** The edits an undo and a redo would act on (null: nothing to undo / redo). */
export interface EditState {
  undo: string | null
  redo: string | null
}
export interface EditResult extends EditState {
  /** what was undone or redone ("Set split to val on 4 samples"); null when there was nothing */
  label: string | null
  updated: number
}

export interface TagCount {
  name: string
  count: number
}

export interface RecipeSummary {
  id: number
  name: string
  latestVersion: number
  versionCount: number
  updatedAt: number
}

export interface RecipeVersionInfo {
  /** the version's own id: what `export.start` takes as `recipe: { versionId }` */
  versionId: number
  recipeId: number
  name: string
  /** 1, 2, ... — a saved version never changes */
  version: number
  /** the recipe JSON as validated by parseRecipe (src/shared/recipe.ts) */
  recipe: unknown
  note: string
  createdAt: number
}

// ---------------------------------------------------------------------------------------------
// Input schemas

const id = z.number().int().positive()
const splitSchema = z.enum(SPLITS)
const statusSchema = z.enum(REVIEW_STATUSES)
const tagName = z.string().trim().min(1).max(100)
const classIndex = z.number().int().min(0).max(65535)

export const sampleFilterSchema = z
  .object({
    datasetId: id.optional(),
    split: z.array(splitSchema).optional(),
    status: z.array(statusSchema).optional(),
    /** samples carrying every one of these tags */
    tags: z.array(tagName).optional(),
    /** samples carrying none of these tags */
    notTags: z.array(tagName).optional(),
    /** masks containing every one of these class indices */
    classPresent: z.array(classIndex).optional(),
    /** masks containing none of these class indices */
    classAbsent: z.array(classIndex).optional(),
    /** samples with one of these problems; 'none' = healthy, 'any' = any problem */
    error: z.array(z.enum([...SAMPLE_ERROR_KINDS, 'none', 'any'])).optional(),
    /** case-insensitive substring of the key (relative path without extension) */
    pathContains: z.string().max(500).optional(),
  })
  .strict()
export type SampleFilter = z.input<typeof sampleFilterSchema>

/** Which samples a bulk edit applies to: explicit ids, or everything a filter matches. */
export const sampleTargetSchema = z.union([z.object({ ids: z.array(id).min(1).max(1_000_000) }).strict(), z.object({ filter: sampleFilterSchema }).strict()])
export type SampleTarget = z.input<typeof sampleTargetSchema>

export const sampleQuerySchema = z
  .object({
    filter: sampleFilterSchema.default({}),
    sort: z
      .object({ field: z.enum(SORT_FIELDS), dir: z.enum(['asc', 'desc']).default('asc') })
      .strict()
      .default({ field: 'key', dir: 'asc' }),
    cursor: z.string().max(2000).nullable().optional(),
    /** random access: start at the offset-th match (0-based) in the sort order, in one call however deep (not with a cursor) */
    offset: z.number().int().min(0).max(1_000_000_000).optional(),
    limit: z.number().int().min(1).max(1000).default(200),
    /** count all matches (costs a scan on very large filters; ask on the first page only) */
    withTotal: z.boolean().default(true),
  })
  .strict()
export type SampleQuery = z.input<typeof sampleQuerySchema>

export const sampleUpdateSchema = z
  .object({
    target: sampleTargetSchema,
    split: splitSchema.optional(),
    status: statusSchema.optional(),
    notes: z.string().max(100_000).optional(),
    addTags: z.array(tagName).optional(),
    removeTags: z.array(tagName).optional(),
  })
  .strict()
export type SampleUpdate = z.input<typeof sampleUpdateSchema>

export const randomSplitSchema = z
  .object({
    seed: z.number().int().min(0).max(0xffffffff),
    ratios: z
      .object({ train: z.number().min(0), val: z.number().min(0), test: z.number().min(0) })
      .strict()
      .refine((r) => r.train + r.val + r.test > 0, 'ratios must not all be zero'),
    /** keep the proportion of each class combination equal across splits (needs the class scan) */
    stratify: z.boolean().default(false),
    /** default: every sample without an error */
    target: sampleTargetSchema.optional(),
  })
  .strict()
export type RandomSplitInput = z.input<typeof randomSplitSchema>

export const importSchema = z
  .object({
    /** absolute folder of images (searched recursively) */
    images: z.string().min(1),
    /** absolute folder of masks; omit for a single folder holding both */
    masks: z.string().min(1).optional(),
    /** mask file name patterns tried in order, each with one {stem}; e.g. '{stem}_mask.png' */
    maskPatterns: z.array(z.string().min(1).includes('{stem}')).min(1).optional(),
    name: z.string().min(1).max(200).optional(),
  })
  .strict()
export type ImportInput = z.input<typeof importSchema>

const colorSchema = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'expected a colour like #ff8800')

export const classesUpdateSchema = z
  .object({
    classes: z
      .array(
        z.object({ index: classIndex, name: z.string().min(1).max(200).optional(), color: colorSchema.optional(), ignore: z.boolean().optional() }).strict(),
      )
      .min(1),
  })
  .strict()

export const paletteImportSchema = z.union([
  z.object({ path: z.string().min(1) }).strict(),
  z.object({ text: z.string().min(1).max(10_000_000), format: z.enum(['json', 'csv']) }).strict(),
])

const statsSplit = z.enum([...SPLITS, 'all'])

// ---------------------------------------------------------------------------------------------

export const catalogChannels = {
  /** Opens an existing project folder (holding lockstep.db). */
  'project.open': channel<ProjectInfo>()(z.object({ dir: z.string().min(1) }).strict()),
  /** Creates (or opens, if it already is one) a project folder. */
  'project.create': channel<ProjectInfo>()(z.object({ dir: z.string().min(1), name: z.string().min(1).max(200).optional() }).strict()),
  /** The open project, or null. */
  'project.info': channel<ProjectInfo | null>()(z.object({}).strict()),
  'project.close': channel<{ closed: boolean }>()(z.object({}).strict()),

  /** Starts an import job (pairs, headers, hashes, then the class pass). */
  'import.start': channel<{ jobId: string }>()(importSchema),
  /** Re-scans a dataset (all when omitted): added / changed / removed; user labels kept on unchanged pairs. */
  'import.rescan': channel<{ jobId: string }>()(z.object({ datasetId: id.optional() }).strict()),
  /** The summary of an import job (the latest when jobId is omitted); null if none finished. */
  'import.summary': channel<ImportSummary | null>()(z.object({ jobId: z.string().min(1).optional() }).strict()),

  'samples.query': channel<SamplePage>()(sampleQuerySchema),
  'samples.get': channel<SampleDetail>()(z.object({ id }).strict()),
  /** One transaction: set split/status/notes, add/remove tags on ids or a filter. */
  'samples.update': channel<{ updated: number }>()(sampleUpdateSchema),
  /** Seeded, reproducible random split; optionally stratified by the set of classes in each mask. */
  'samples.randomSplit': channel<{ counts: Record<'train' | 'val' | 'test', number> }>()(randomSplitSchema),
  /** Undoes the session's last edit of split, status, notes or tags (bulk or one review); `label` null when there was none. */
  'samples.undo': channel<EditResult>()(z.object({}).strict()),
  /** Does the last undone edit again. */
  'samples.redo': channel<EditResult>()(z.object({}).strict()),
  /** What an undo and a redo would act on now (labels), for buttons and menus. */
  'samples.edits': channel<EditState>()(z.object({}).strict()),
  'samples.counts': channel<Counts>()(z.object({ filter: sampleFilterSchema.optional() }).strict()),

  'tags.list': channel<TagCount[]>()(z.object({}).strict()),

  'classes.list': channel<ClassInfo[]>()(z.object({}).strict()),
  /** Edits (or adds) classes by index; returns the whole table. */
  'classes.update': channel<ClassInfo[]>()(classesUpdateSchema),
  /** Imports a palette: JSON `[{index,name,color,ignore?}]` or `{ "0": {...} }`, or CSV `index,name,color[,ignore]`. */
  'classes.importPalette': channel<ClassInfo[]>()(paletteImportSchema),

  /** Starts a stats job over a split: featurewise mean/std and per-class pixel/sample counts. */
  'stats.run': channel<{ jobId: string }>()(z.object({ split: statsSplit.default('train') }).strict()),
  /** The stored stats of a split, or null if never computed. */
  'stats.get': channel<StatsResult | null>()(z.object({ split: statsSplit.default('train') }).strict()),

  'recipe.list': channel<RecipeSummary[]>()(z.object({}).strict()),
  /** A recipe version (the latest when version is omitted). */
  'recipe.get': channel<RecipeVersionInfo>()(z.object({ id, version: z.number().int().positive().optional() }).strict()),
  /** Saves a new immutable version (of recipe `id`, or of a new recipe when id is omitted). */
  'recipe.save': channel<RecipeVersionInfo>()(
    z.object({ id: id.optional(), name: z.string().min(1).max(200), recipe: z.unknown(), note: z.string().max(10_000).optional() }).strict(),
  ),
}

export const catalogEvents = {
  /** The catalog changed (import finished, bulk edit, classes edited, stats stored): refresh views. */
  'catalog.changed': event<{ what: 'project' | 'samples' | 'classes' | 'stats' | 'recipes' }>(),
}
