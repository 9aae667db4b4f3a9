// Shapes shared by the export runner, its writers and its worker.
import type { ImageFormat } from '../../shared/contract/vocabulary'
import type { FileSource } from './files'
import type { ExportOrder, Slot } from './order'

/** One source pair of an export, from the catalog or from `--images/--masks` folders. */
export interface SourcePair {
  /** Stable key (relative path without extension): the augmentation sampleId and the output name. */
  key: string
  imagePath: string
  maskPath: string
  /** Catalog id, when the export runs on a project. */
  id?: number
  imageHash?: string | null
  maskHash?: string | null
  /** sha256 of the image / mask bytes the project's checks found sound (file_checks): a render whose bytes hash the same need not check them again */
  imageSound?: string
  maskSound?: string
}

/** Raw pixels of a rendered output (npy): RGB HxWx3 and class indices HxW. */
export interface RawPixels {
  width: number
  height: number
  /** HxWx3 values: uint8 pixels, or the bytes of float32 values when the export normalises. */
  rgb: Uint8Array
  rgbType: 'uint8' | 'float32'
  labels: Uint8Array | Uint16Array
  depth: 8 | 16
}

/** One rendered output, handed to every writer in output order. */
export interface RenderedOutput {
  slot: Slot
  source: SourcePair
  /** sha256 of the source files, hex. */
  hashes: { image: string; mask: string }
  plan: unknown
  /** Encoded image (imageFormat) and single-channel PNG mask, when a writer needs files. */
  image?: Uint8Array
  mask?: Uint8Array
  raw?: RawPixels
}

export interface WriterContext {
  outDir: string
  order: ExportOrder
  epochs: number
  imageFormat: ImageFormat
  /** File extension of encoded images: jpg | png | webp. */
  imageExt: string
  /** This format's own options (its registry entry's `options`, defaults filled in). */
  options: Record<string, number>
}

/** Where a run starts, and what the journal says about the outputs before it. */
export interface ResumeFrom {
  /** The first ordinal this run writes. */
  start: number
  /** Outputs written (not failed) in [from, start), by the journal: how many rows or members a reopened file keeps. */
  written(from: number): number
}

/**
 * One output format (Beekeeper-style: begin, write, end, abort). `write` is called in output
 * order and returns what the manifest line records about where that output went. Files are
 * committed atomically; `committed` is the ordinal before which every output is durably on disk,
 * and the runner journals manifest lines only up to the smallest `committed` of all writers.
 *
 * Every ordinal up to `committed` is a point a re-run can start from: a writer whose files hold
 * several outputs (an npy batch, a tar) reopens the file that point falls in, keeps the outputs
 * before it (the journal says how many) and goes on, so the re-run's bytes are an uninterrupted
 * run's. That is what lets `abort` close a batch or tar early (a valid, shorter file) and count
 * every output handed to it as committed: a cancel loses nothing.
 */
export interface Writer {
  readonly format: string
  /** Needs the encoded image + mask (folders, webdataset) and/or raw pixels (npy). */
  readonly needs: { encoded: boolean; raw: boolean }
  begin(from: ResumeFrom): Promise<void>
  write(output: RenderedOutput): Promise<Record<string, unknown>>
  /** An output whose source failed: nothing to write, but batch/tar boundaries still close. */
  skip(slot: Slot): Promise<void>
  readonly committed: number
  /** Commits whatever is complete and waits for pending writes. */
  end(): Promise<void>
  /** Stops early: commits every output handed over so far (closing a batch or tar short), or, if that fails, deletes the partial files. */
  abort(): Promise<void>
}

/** A numeric option of one format (CLI flag, contract key under formatOptions[format]). */
export interface FormatOption {
  key: string
  flag: string
  help: string
  min: number
  max: number
  default: number
}

/** What a format holds for one output, read back from its files (replay, merge). */
export interface ReadBack {
  /** Encoded image and mask bytes (folders files, webdataset members). */
  image?: Uint8Array
  mask?: Uint8Array
  /** The output's rows of an npy batch: RGB bytes, and class indices as stored (uint8, or uint16 LE). */
  x?: Uint8Array
  y?: Uint8Array
  /** The per-sample JSON a format stores beside the pixels (webdataset). */
  json?: Uint8Array
}

/** The part of a manifest line a format's reader needs. */
export interface OutputRecord {
  epoch: number
  batch: number
  index: number
  sampleId: string
  /** Absent in manifests written before draws existed: draw 0. */
  draw?: number
  files?: Record<string, unknown>
}

/**
 * One export format, registered in ./formats.ts: everything about it lives in its writer module.
 * Adding a format is that module, its test and one registry line.
 */
export interface ExportFormatPlugin {
  name: string
  /** One line: what the format is (CLI help, the Export view). */
  help: string
  /** Where its files go and what they hold (CLI help). */
  layout: string
  /** Encoded image + mask (folders, webdataset) and/or raw pixels (npy). */
  needs: { encoded: boolean; raw: boolean }
  options: FormatOption[]
  /** A guess of the bytes one output takes on disk (estimates, memory budgets). */
  bytesPerOutput(size: { width: number; height: number }, imageFormat: ImageFormat): number
  /** Batches its files hold whole (webdataset: a tar); shards are cut on these boundaries. */
  chunkBatches?(o: { batchSize: number; imageFormat: ImageFormat; size: { width: number; height: number }; options: Record<string, number> }): number
  create(ctx: WriterContext): Writer
  /** Reads one output back from this format's files (its manifest line says where); `cache` keeps files read for the next lines. */
  read(outDir: string, record: OutputRecord, cache?: FileSource): Promise<ReadBack>
}

/** Bytes of an encoded image of px pixels, roughly (estimates only). */
export function encodedBytes(px: number, imageFormat: ImageFormat): number {
  return imageFormat === 'png' ? px * 2.2 : px * 0.5
}

export const IMAGE_EXT: Record<ImageFormat, string> = { jpeg: 'jpg', png: 'png', webp: 'webp' }

export const pad = (n: number, width: number) => String(n).padStart(width, '0')
