// Channels of labeling (issue 11): saving edited label maps, mask versions, the class table's
// remaining edits, class remaps across the dataset, and annotations brought in from other tools.
// Owned by the catalog (it writes masks and keeps their history); importable by the renderer.
//
// A label map travels as `data`: base64 of the zlib (deflate, RFC 1950) stream of the raw class
// indices, row-major, little-endian Uint8 (depth 8) or Uint16 (depth 16), width*height values.
// The renderer makes it with CompressionStream('deflate'); main inflates it with a bound of
// width*height*depth/8 bytes (anything longer is INVALID_INPUT).
import { z } from 'zod'
import type { ClassInfo, SampleDetail } from './catalog'
import { channel } from './define'

/** Why a mask version exists: the content a save, restore, remap or annotation import replaced. */
export const MASK_VERSION_REASONS = ['save', 'restore', 'remap', 'import'] as const
export type MaskVersionReason = (typeof MASK_VERSION_REASONS)[number]

/** One kept earlier content of a sample's mask (`<project>/history/`), restorable. */
export interface MaskVersionInfo {
  id: number
  sampleId: number
  /** what replaced this content */
  reason: MaskVersionReason
  /** sha256 (hex) of the kept file */
  hash: string
  bytes: number
  /** the mask's path (relative to the dataset's masks folder) when this content was current */
  maskPath: string
  /** who replaced it: the OS user of the process that saved */
  author: string
  note: string
  createdAt: number
}

export interface MaskSaveResult {
  /** the sample after the save: new maskHash, classes, error cleared where the mask was the problem */
  sample: SampleDetail
  /** the version holding the content this save replaced; null when the sample had no mask file */
  replaced: MaskVersionInfo | null
}

export interface RemapSummary {
  jobId: string
  /** masks scanned / changed (each changed one versioned, reason 'remap') */
  scanned: number
  changed: number
  failed: { sampleId: number; message: string }[]
  seconds: number
}

export const ANNOTATION_FORMATS = ['labelme', 'coco', 'voc'] as const
export type AnnotationFormat = (typeof ANNOTATION_FORMATS)[number]

export interface AnnotationImportSummary {
  jobId: string
  format: AnnotationFormat
  /** annotation files (labelme JSON, COCO JSON, VOC/CVAT PNG) read */
  files: number
  /** masks written (new, or replacing a versioned earlier one) */
  written: number
  /** samples the annotations name that the project does not hold, or files that failed: each named */
  problems: { file: string; message: string }[]
  /** class names not in the table before, added with these indices */
  addedClasses: { index: number; name: string }[]
  /** e.g. "grey-valued RGB masks were read as grey levels" */
  notes: string[]
  seconds: number
}

const id = z.number().int().positive()
const classIndex = z.number().int().min(0).max(65535)
const colorSchema = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'expected a colour like #ff8800')

export const maskSaveSchema = z
  .object({
    sampleId: id,
    width: z.number().int().min(1).max(65535),
    height: z.number().int().min(1).max(65535),
    depth: z.union([z.literal(8), z.literal(16)]),
    /** base64 of deflate(raw label map), see the header */
    data: z.string().min(1).max(400_000_000),
    /**
     * The maskHash the edit started from (null: the sample had no mask). A different current hash
     * means the file changed underneath the editor: CONFLICT-style INVALID_INPUT unless `force`.
     */
    baseHash: z.string().max(128).nullable(),
    force: z.boolean().default(false),
    note: z.string().max(10_000).optional(),
  })
  .strict()
export type MaskSaveInput = z.input<typeof maskSaveSchema>

export const remapSchema = z
  .object({
    /** each `from` index becomes `to` (e.g. merge 3 into 1; move 7 to the ignore index) */
    mapping: z
      .array(z.object({ from: classIndex, to: classIndex }).strict())
      .min(1)
      .max(65536),
    /** default: every sample with a mask */
    sampleIds: z.array(id).max(1_000_000).optional(),
  })
  .strict()

export const labelChannels = {
  /** Writes an edited label map crash-safely in the mask file's own encoding, versioning the content it replaces. */
  'mask.save': channel<MaskSaveResult>()(maskSaveSchema),
  /** The kept versions of a sample's mask, newest first. */
  'mask.versions': channel<MaskVersionInfo[]>()(z.object({ sampleId: id }).strict()),
  /** Makes a kept version current again (the content it replaces is itself kept, reason 'restore'). */
  'mask.restore': channel<MaskSaveResult>()(z.object({ sampleId: id, versionId: id }).strict()),

  /** Adds a class at the next free index (or the given one); returns the whole table. */
  'classes.add': channel<ClassInfo[]>()(
    z.object({ name: z.string().min(1).max(200), color: colorSchema.optional(), index: classIndex.optional(), ignore: z.boolean().optional() }).strict(),
  ),
  /** Sets the display order of the class table (indices, every class once). */
  'classes.reorder': channel<ClassInfo[]>()(z.object({ order: z.array(classIndex).min(1).max(65536) }).strict()),
  /** The class table as JSON or CSV text (the formats classes.importPalette reads). */
  'classes.export': channel<{ text: string; format: 'json' | 'csv' }>()(z.object({ format: z.enum(['json', 'csv']) }).strict()),
  /** Starts a job rewriting class indices across the dataset; every changed mask is versioned. */
  'classes.remap': channel<{ jobId: string }>()(remapSchema),
  /**
   * Starts a job undoing remap (or annotation import) `jobId`: every mask it changed and nobody
   * changed since is restored from the version it kept. Returns the undo's own job id; its summary
   * (changed = restored, failed = left alone, each named) through classes.remapSummary.
   */
  'classes.remapUndo': channel<{ jobId: string }>()(z.object({ jobId: z.string().min(1).max(200) }).strict()),
  /** The summary of a remap job (the latest when jobId is omitted). */
  'classes.remapSummary': channel<RemapSummary | null>()(z.object({ jobId: z.string().min(1).optional() }).strict()),

  /**
   * Starts a job rasterising annotations from another tool into the project's masks: labelme JSON
   * files (a folder, next to the images), a COCO JSON file (polygons and RLE), or a folder of
   * VOC/CVAT colour PNGs with their `labelmap.txt`. Classes are matched by name.
   */
  'annotations.import': channel<{ jobId: string }>()(
    z
      .object({
        format: z.enum(ANNOTATION_FORMATS),
        /** absolute: a folder (labelme, voc) or a file (coco) */
        path: z.string().min(1),
        /** VOC/CVAT: the colour map (default: labelmap.txt in `path`) */
        labelmap: z.string().min(1).optional(),
        /** a sample that already has a mask: keep it (skip) or replace it, versioning the old one */
        existing: z.enum(['skip', 'replace']).default('skip'),
        datasetId: id.optional(),
      })
      .strict(),
  ),
  'annotations.summary': channel<AnnotationImportSummary | null>()(z.object({ jobId: z.string().min(1).optional() }).strict()),
}

export const labelEvents = {}
