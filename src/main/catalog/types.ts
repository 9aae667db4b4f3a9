// What the catalog area exposes to the rest of main (preview, export, media, the services).

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
