// The open project of one app/server instance: one Catalog (src/main/catalog), or none.
import { LockstepError } from '../../shared/errors'
import type { Catalog } from '../catalog/catalog'

export class Session {
  private current: Catalog | null = null
  get projectDir(): string | null {
    return this.current?.projectDir ?? null
  }
  get catalog(): Catalog | null {
    return this.current
  }
  /** The open catalog, or a NO_PROJECT error that says what to do. */
  requireCatalog(): Catalog {
    if (!this.current) throw new LockstepError('NO_PROJECT', 'No project is open: open or create a project first')
    return this.current
  }
  /** Replaces the open catalog (project.open/create and the default project call this). */
  attach(catalog: Catalog): void {
    this.current?.close()
    this.current = catalog
  }
  close(): void {
    this.current?.close()
    this.current = null
  }
}
