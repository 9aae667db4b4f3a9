// Channels of the export area (issue 4): start an export of the open project as a job, estimate
// its size first, list past exports. Cancel goes through the shared `job.cancel`; progress
// (samples done, rate, ETA) through the shared `job.progress` event with kind 'export'.
import { z } from 'zod'
import { channel } from './define'

import { IMAGE_FORMATS } from './vocabulary'
export { IMAGE_FORMATS, type ImageFormat } from './vocabulary'

/** A registered export format's name (the registry is src/main/export/formats.ts; `export.formats` lists it). */
export type ExportFormat = string

const positiveInt = z.number().int().min(1)

const shown = (v: unknown) => (typeof v === 'number' ? String(v) : (JSON.stringify(v) ?? String(v)))
/**
 * An integer option in [min, max], its problems in the words the CLI uses for every number
 * ("--seed must be ≥ 0 but received -1"); `why` says what the upper bound protects.
 */
function intIn(min: number, max?: number, why = '') {
  const notInt = (i: { input: unknown }) => `must be an integer ≥ ${min} but received ${shown(i.input)}`
  const n = z
    .number({ error: notInt })
    .int({ error: notInt })
    .min(min, { error: (i) => `must be ≥ ${min} but received ${shown(i.input)}` })
  return max === undefined ? n : n.max(max, { error: (i) => `must be ≤ ${max} but received ${shown(i.input)}${why}` })
}

/** Limits shared by the CLI and the contract (one schema): past them an export only thrashes. */
export const EXPORT_LIMITS = {
  /** Render threads: each holds decoded pairs; more threads than this only add memory. */
  workers: 32,
  /** --memory / memoryMb bounds, in MiB. */
  memoryMb: { min: 16, max: 65536, default: 256 },
  /** Pixels of one output (8192 x 8192): a larger output needs gigabytes per sample in flight. */
  outputPixels: 8192 * 8192,
} as const

/** What an export needs besides the project: the same options as `lockstep export`. */
export const exportOptionsSchema = z
  .object({
    /** A saved recipe version of the open project, or a recipe given inline (Lockstep or Albumentations JSON). */
    recipe: z.union([z.object({ versionId: positiveInt }).strict(), z.object({ json: z.unknown() }).strict()]),
    seed: intIn(0, 0xffffffff).default(0),
    /** Splits to export (e.g. ['train']); empty or absent = every sample. */
    splits: z.array(z.string().min(1)).default([]),
    epochs: intIn(1, 100_000).default(1),
    batchSize: intIn(1, 65_536).default(32),
    /** Batches per epoch; past one pass over the samples, samples are drawn with replacement. */
    stepsPerEpoch: intIn(1, 10_000_000).optional(),
    /** Drop the last short batch of each epoch instead of writing it short (never padded). */
    dropLast: z.boolean().default(false),
    imageFormat: z.enum(IMAGE_FORMATS).default('jpeg'),
    /** 1..100 for jpeg/webp; ignored for png. */
    quality: intIn(1, 100).default(90),
    /** Registered format names (see `export.formats`); unknown names are refused naming the known ones. */
    formats: z.array(z.string().min(1)).min(1).default(['folders']),
    /** Options of each format, by its name, e.g. { webdataset: { samples: 1000 } } (see `export.formats`). */
    formatOptions: z.record(z.string(), z.record(z.string(), z.number())).default({}),
    /** Absolute output folder. */
    out: z.string().min(1),
    /** Run only slice `index` of `count` (0-based); the slices' union is the whole export. */
    shard: z
      .object({ index: z.number().int().min(0), count: positiveInt })
      .strict()
      .refine((s) => s.index < s.count, { message: 'shard index must be < count' })
      .optional(),
    /** Render threads; 0 = on the main thread; absent = automatic (see autoWorkers in src/main/export/job.ts). */
    workers: intIn(0, EXPORT_LIMITS.workers, ' (render threads: each holds decoded images, more only add memory)').optional(),
    /**
     * npy's x as float32, normalised: 'featurewise' ((x - mean) / std per channel, the project's
     * statistics), 'samplewise' (each output's own mean and std) or { rescale: factor }. Needs npy.
     */
    normalize: z
      .union([
        z.enum(['featurewise', 'samplewise']),
        z
          .object({
            rescale: z
              .number()
              .finite()
              .refine((v) => v !== 0, 'a non-zero factor'),
          })
          .strict(),
      ])
      .optional(),
    /** MiB for reordering and decode reuse. */
    memoryMb: intIn(EXPORT_LIMITS.memoryMb.min, EXPORT_LIMITS.memoryMb.max, ' (MiB)').default(EXPORT_LIMITS.memoryMb.default),
  })
  .strict()
export type ExportOptionsInput = z.input<typeof exportOptionsSchema>

/**
 * `lockstep stream`'s options: the export's, less what only files need (formats, output folder,
 * encoding, shard), with epochs optional (endless) and the prefetch per connection. The batches
 * are the npy export's for the same options (docs/stream-protocol.md).
 */
export const streamOptionsSchema = exportOptionsSchema
  .pick({ recipe: true, seed: true, splits: true, batchSize: true, stepsPerEpoch: true, dropLast: true, workers: true, memoryMb: true, normalize: true })
  .extend({
    /** Epochs to serve; null = endless (epochs roll over). */
    epochs: intIn(1, 100_000).nullable().default(null),
    /** Batches rendered ahead of what a connection has read. */
    prefetch: intIn(1, 64, ' (batches per connection)').default(4),
  })
  .strict()
export type StreamOptions = z.output<typeof streamOptionsSchema>
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

/** One registered export format, as `export.formats` lists it (the Export view's checkboxes and help). */
export interface ExportFormatInfo {
  name: string
  help: string
  layout: string
  options: { key: string; flag: string; help: string; min: number; max: number; default: number }[]
}

export const exportChannels = {
  /** The registered export formats: names, help and options. */
  'export.formats': channel<ExportFormatInfo[]>()(z.object({}).strict()),
  /** Starts the export as a job ('export' kind) and returns at once. */
  'export.start': channel<{ jobId: string; exportId: number | null }>()(exportOptionsSchema),
  /** Counts outputs and batches and guesses the disk size, without rendering anything. */
  'export.estimate': channel<ExportEstimate>()(exportOptionsSchema),
  /** Past exports of the open project, newest first. */
  'export.history': channel<ExportRecord[]>()(z.object({ limit: positiveInt.max(1000).default(100) }).strict()),
}
export const exportEvents = {}
