// What the media resolver borrows from other areas: ENGINE's label decoding and preview store,
// CATALOG's thumbnails. Injectable so the resolver is tested with the real files and fakes alike.
import { LockstepError } from '../../shared/errors'
import type { MediaCatalog } from './confine'

export interface Labels {
  width: number
  height: number
  depth: 8 | 16
  data: Uint8Array | Uint16Array
}

export interface MediaDeps {
  readLabels(maskPath: string): Promise<Labels>
  thumbnail(catalog: MediaCatalog, id: number, overlay: boolean): Promise<Buffer>
  previewTile(token: string, index: number): { image: Buffer; labels: Labels } | undefined
}

const missing = (what: string) => new LockstepError('INTERNAL', `${what} is not available in this build yet`)

export const defaultMediaDeps: MediaDeps = {
  readLabels: async () => {
    throw missing('Mask decoding')
  },
  thumbnail: async () => {
    throw missing('Thumbnails')
  },
  previewTile: () => undefined,
}
