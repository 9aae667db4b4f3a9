// Rendered preview tiles, kept in memory for the media routes (/media/preview/{token}/{index}/...).
// Bounded by bytes (least recently used token evicted first), so previews can never grow without limit.
import { randomBytes } from 'node:crypto'
import type { Labels } from '../io/labels'

export interface PreviewTile {
  /** PNG */
  image: Buffer
  labels: Labels | null
}

const DEFAULT_LIMIT = 64 * 1024 * 1024

class PreviewStore {
  private entries = new Map<string, { tiles: PreviewTile[]; bytes: number }>()
  private bytes = 0
  constructor(private limit = DEFAULT_LIMIT) {}

  put(tiles: PreviewTile[]): string {
    const token = randomBytes(12).toString('base64url')
    const bytes = tiles.reduce((n, t) => n + t.image.byteLength + (t.labels?.data.byteLength ?? 0), 0)
    this.entries.set(token, { tiles, bytes })
    this.bytes += bytes
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.limit || k === token) break
      this.entries.delete(k)
      this.bytes -= v.bytes
    }
    return token
  }

  get(token: string, index: number): PreviewTile | undefined {
    const e = this.entries.get(token)
    if (!e) return undefined
    this.entries.delete(token) // refresh recency
    this.entries.set(token, e)
    return e.tiles[index]
  }

  get size(): { tokens: number; bytes: number } {
    return { tokens: this.entries.size, bytes: this.bytes }
  }

  clear(): void {
    this.entries.clear()
    this.bytes = 0
  }
}

export const previewStore = new PreviewStore()

/** One rendered preview tile by token and index (undefined when unknown or evicted). */
export function previewTile(token: string, index: number): PreviewTile | undefined {
  return previewStore.get(token, index)
}
