// What the media resolver borrows from other areas: ENGINE's label decoding and preview store,
// CATALOG's thumbnails. Injectable so the resolver is tested with the real files and fakes alike.
import { LockstepError } from '../../shared/errors'
import { readLabels, type Labels } from '../io/labels'
import { previewTile } from '../augment/preview-store'
import type { MediaCatalog } from './confine'

export type { Labels }

export interface MediaDeps {
  readLabels(maskPath: string): Promise<Labels>
  thumbnail(catalog: MediaCatalog, id: number, overlay: boolean): Promise<Buffer>
  previewTile(token: string, index: number): { image: Buffer; labels: Labels | null } | undefined
}

const missing = (what: string) => new LockstepError('INTERNAL', `${what} is not available in this build yet`)

export const defaultMediaDeps: MediaDeps = {
  readLabels: (maskPath) => readLabels(maskPath),
  thumbnail: async (catalog, id, overlay) => {
    const c = catalog as { thumbnail?: (id: number, overlay: boolean) => Promise<Buffer> }
    if (typeof c.thumbnail !== 'function') throw missing('Thumbnails')
    return c.thumbnail(id, overlay)
  },
  previewTile: (token, index) => previewTile(token, index),
}
