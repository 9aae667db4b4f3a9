// Rendered preview tiles, kept in memory for the media routes (/media/preview/{token}/{index}/...),
// and the decoded pairs they were rendered from, so editing a recipe re-renders without decoding
// the sources again. Both are bounded by bytes (least recently used first out), so previews can
// never grow without limit.
import { randomBytes } from 'node:crypto'
import { stat } from 'node:fs/promises'
import type { Labels } from '../io/labels'
import { loadPair, type LoadedPair, type PairPaths } from './render'

export interface PreviewTile {
  /** JPEG */
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

const PAIR_CACHE_LIMIT = 192 * 1024 * 1024

/**
 * Decoded pairs by path, checked against the files' size and modification time on every use (a
 * file replaced on disk is decoded again).
 */
class PairCache {
  private entries = new Map<string, { stamp: string; pair: LoadedPair; bytes: number }>()
  private bytes = 0
  constructor(private limit = PAIR_CACHE_LIMIT) {}

  async load(paths: PairPaths): Promise<LoadedPair> {
    const key = `${paths.image}\0${paths.mask ?? ''}`
    const stats = await Promise.all([stat(paths.image), paths.mask ? stat(paths.mask) : null].map((p) => p?.catch(() => null)))
    const stamp = stats.map((s) => (s ? `${s.size}:${s.mtimeMs}` : '-')).join('|')
    const hit = this.entries.get(key)
    if (hit && hit.stamp === stamp) {
      this.entries.delete(key)
      this.entries.set(key, hit)
      return hit.pair
    }
    const pair = await loadPair(paths) // names the file when it is missing or broken
    const bytes = pair.image.data.byteLength + (pair.labels?.data.byteLength ?? 0)
    if (hit) this.drop(key)
    if (bytes <= this.limit) {
      this.entries.set(key, { stamp, pair, bytes })
      this.bytes += bytes
      for (const k of this.entries.keys()) {
        if (this.bytes <= this.limit) break
        this.drop(k)
      }
    }
    return pair
  }

  private drop(key: string): void {
    const e = this.entries.get(key)
    if (!e) return
    this.entries.delete(key)
    this.bytes -= e.bytes
  }

  clear(): void {
    this.entries.clear()
    this.bytes = 0
  }
}

export const previewPairs = new PairCache()
