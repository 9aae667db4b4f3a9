// Shapes shared by the export runner, its writers and its worker.
import type { ExportFormat, ImageFormat } from '../../shared/contract/export'
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
  rgb: Uint8Array
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
}

/**
 * One output format (Beekeeper-style: begin, write, end, abort). `write` is called in output
 * order and returns what the manifest line records about where that output went. Files are
 * committed atomically; `committed` is the ordinal before which every output is durably on disk,
 * and the runner journals manifest lines only up to the smallest `committed` of all writers.
 */
export interface Writer {
  readonly format: ExportFormat
  /** Needs the encoded image + mask (folders, webdataset) and/or raw pixels (npy). */
  readonly needs: { encoded: boolean; raw: boolean }
  begin(startOrdinal: number): Promise<void>
  write(output: RenderedOutput): Promise<Record<string, unknown>>
  /** An output whose source failed: nothing to write, but batch/tar boundaries still close. */
  skip(slot: Slot): Promise<void>
  readonly committed: number
  /**
   * The latest ordinal <= upTo from which this writer can start again on a resume (npy: a batch
   * start, webdataset: a shard start, folders: any). The journal never ends between two.
   */
  resumePoint(upTo: number): number
  /** Commits whatever is complete and waits for pending writes. */
  end(): Promise<void>
  /** Deletes partial files; leaves only complete ones. */
  abort(): Promise<void>
}

export const IMAGE_EXT: Record<ImageFormat, string> = { jpeg: 'jpg', png: 'png', webp: 'webp' }

export const pad = (n: number, width: number) => String(n).padStart(width, '0')
