// What the catalog area exposes to the rest of main (preview, export, media, the services), and
// what its modules share: the one open connection (Store) and the samples table's record.
import type { ReviewStatus, SampleErrorKind, Split } from '../../shared/contract/catalog'
import type { Db } from './db'

/** One open catalog: the connection every module of the catalog works through. */
export interface Store {
  readonly db: Db
  /** The catalog file (for BUSY errors that name it). */
  readonly dbPath: string
  /** Runs `fn` in one IMMEDIATE transaction, with a clear BUSY error if another process holds the lock too long. */
  tx<T>(fn: () => T): T
}

/** What preview, export and media need to know about one cataloged pair. */
export interface SampleRef {
  id: number
  /** Stable identity used as the augmentation key's sampleId: the image path relative to the dataset root, without extension. */
  key: string
  imagePath: string // absolute
  maskPath: string | null // absolute; null when the image has no mask
  width: number | null
  height: number | null
  imageHash: string | null
  maskHash: string | null
  /** Set when the pair is broken (missing mask, size mismatch, corrupt, ...). */
  error: { kind: string; message: string } | null
}

/** The part of a Catalog that media serving reads (tests fake just this part). */
export interface CatalogHandle {
  readonly projectDir: string
  getSample(id: number): SampleRef | undefined
  /** Every folder a sample's files may come from (media confines served files to these). */
  datasetRoots(): string[]
  /** JPEG, longest side 256, cached on disk by content hash; `overlay` paints the mask in class colours. */
  thumbnail(id: number, overlay: boolean): Promise<Buffer>
  close(): void
}

/** A row of the samples table. */
export interface SampleRecord {
  id: number
  dataset_id: number
  key: string
  image_path: string | null
  mask_path: string | null
  width: number
  height: number
  channels: number | null
  bit_depth: number | null
  mask_depth: number | null
  image_format: string | null
  orientation: number | null
  image_hash: string | null
  mask_hash: string | null
  image_bytes: number | null
  mask_bytes: number | null
  split: Split
  status: ReviewStatus
  notes: string
  error_kind: SampleErrorKind | null
  error_message: string | null
  class_hash: string | null
  class_set: string | null
  created_at: number
  updated_at: number
}

export interface Dataset {
  id: number
  name: string
  imagesDir: string
  masksDir: string | null
  maskPatterns: string[]
  lastScanAt: number | null
}
