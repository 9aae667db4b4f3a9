// Channels of the export area (issue 4): start an export of the open project as a job, estimate
// its size first, list past exports. Cancel goes through the shared `job.cancel`; progress
// (samples done, rate, ETA) through the shared `job.progress` event with kind 'export'.
import { z } from 'zod'
import { channel } from './define'

import { EXPORT_FORMATS, IMAGE_FORMATS } from './vocabulary'
export { EXPORT_FORMATS, IMAGE_FORMATS, type ExportFormat, type ImageFormat } from './vocabulary'

const positiveInt = z.number().int().min(1)

/** What an export needs besides the project: the same options as `lockstep export`. */
export const exportOptionsSchema = z
  .object({
    /** A saved recipe version of the open project, or a recipe given inline (Lockstep or Albumentations JSON). */
    recipe: z.union([
      z.object({ versionId: positiveInt }).strict(),
      z.object({ json: z.unknown() }).strict(),
    ]),
    seed: z.number().int().min(0).max(0xffffffff).default(0),
    /** Splits to export (e.g. ['train']); empty or absent = every sample. */
    splits: z.array(z.string().min(1)).default([]),
    epochs: positiveInt.max(100_000).default(1),
    batchSize: positiveInt.max(65_536).default(32),
    /** Batches per epoch; past one pass over the samples, samples are drawn with replacement. */
    stepsPerEpoch: positiveInt.optional(),
    /** Drop the last short batch of each epoch instead of writing it short (never padded). */
    dropLast: z.boolean().default(false),
    imageFormat: z.enum(IMAGE_FORMATS).default('jpeg'),
    /** 1..100 for jpeg/webp; ignored for png. */
    quality: z.number().int().min(1).max(100).default(90),
    formats: z.array(z.enum(EXPORT_FORMATS)).min(1).default(['folders']),
    /** Absolute output folder. */
    out: z.string().min(1),
    /** Run only slice `index` of `count` (0-based); the slices' union is the whole export. */
    shard: z
      .object({ index: z.number().int().min(0), count: positiveInt })
      .strict()
      .refine((s) => s.index < s.count, { message: 'shard index must be < count' })
      .optional(),
    /** Render threads; 0 = on the main thread; absent = automatic (see autoWorkers in src/main/export/job.ts). */
    workers: z.number().int().min(0).max(64).optional(),
  })
  .strict()
export type ExportOptionsInput = z.input<typeof exportOptionsSchema>
export type ExportOptions = z.output<typeof exportOptionsSchema>

export interface ExportEstimate {
  /** Source pairs selected (after split filter, excluding broken pairs). */
  samples: number
  /** Broken pairs skipped (missing mask, size mismatch, ...). */
  skipped: number
  epochs: number
  batchesPerEpoch: number
  /** Outputs in this shard (all epochs). */
  outputs: number
  batches: number
  /** Rough size on disk in bytes for the chosen formats. */
  approxBytes: number
}

export type ExportStatus = 'running' | 'done' | 'failed' | 'cancelled'

export interface ExportRecord {
  id: number
  recipeVersionId: number | null
  seed: number
  options: unknown
  status: ExportStatus
  out: string
  outputs: number | null
  failed: number | null
  error: string | null
  startedAt: number
  endedAt: number | null
}

export const exportChannels = {
  /** Starts the export as a job ('export' kind) and returns at once. */
  'export.start': channel<{ jobId: string; exportId: number | null }>()(exportOptionsSchema),
  /** Counts outputs and batches and guesses the disk size, without rendering anything. */
  'export.estimate': channel<ExportEstimate>()(exportOptionsSchema),
  /** Past exports of the open project, newest first. */
  'export.history': channel<ExportRecord[]>()(z.object({ limit: positiveInt.max(1000).default(100) }).strict()),
}
export const exportEvents = {}
