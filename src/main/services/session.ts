// The open project of one app/server instance. The catalog area owns what opening means and
// may grow this class; the members below are what other areas (preview, export, media) rely on.
import { LockstepError } from '../../shared/errors'

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

/** The catalog as other areas see it; implemented by src/main/catalog (class Catalog). */
export interface CatalogHandle {
  readonly projectDir: string
  getSample(id: number): SampleRef | undefined
  /** Every folder a sample's files may come from (media confines served files to these). */
  datasetRoots(): string[]
  /** JPEG, longest side 256, cached on disk by content hash; `overlay` paints the mask in class colours. */
  thumbnail(id: number, overlay: boolean): Promise<Buffer>
  close(): void
}

export class Session {
  private current: CatalogHandle | null = null
  get projectDir(): string | null {
    return this.current?.projectDir ?? null
  }
  get catalog(): CatalogHandle | null {
    return this.current
  }
  /** The open catalog, or a NO_PROJECT error that says what to do. */
  requireCatalog(): CatalogHandle {
    if (!this.current) throw new LockstepError('NO_PROJECT', 'No project is open: open or create a project first')
    return this.current
  }
  /** Replaces the open catalog (the catalog area calls this after opening one). */
  attach(catalog: CatalogHandle): void {
    this.current?.close()
    this.current = catalog
  }
  close(): void {
    this.current?.close()
    this.current = null
  }
}
