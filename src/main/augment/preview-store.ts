// Rendered preview tiles, kept in memory for the media routes (/media/preview/{token}/{index}/...),
// and the decoded pairs they were rendered from, so editing a recipe re-renders without decoding
// the sources again. Both are bounded by bytes (least recently used first out), so previews can
// never grow without limit.
import { randomBytes } from 'node:crypto'
import { stat } from 'node:fs/promises'
import type { Labels } from '../io/labels'
import { sharedPair } from './preview-render'
import { loadPair, type LoadedPair, type PairPaths } from './render'

/** A map bounded by the bytes of its values: the least recently used go first (never the newest). */
class ByteLru<V> {
  private entries = new Map<string, { value: V; bytes: number }>()
  private bytes = 0
  constructor(private readonly limit: number) {}

  set(key: string, value: V, bytes: number): void {
    this.delete(key)
    this.entries.set(key, { value, bytes })
    this.bytes += bytes
    for (const k of this.entries.keys()) {
      if (this.bytes <= this.limit || k === key) break
      this.delete(k)
    }
  }

  /** The value, now the most recently used. */
  get(key: string): V | undefined {
    const e = this.entries.get(key)
    if (!e) return undefined
    this.entries.delete(key)
    this.entries.set(key, e)
    return e.value
  }

  delete(key: string): void {
    const e = this.entries.get(key)
    if (!e) return
    this.entries.delete(key)
    this.bytes -= e.bytes
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes }
  }

  clear(): void {
    this.entries.clear()
    this.bytes = 0
  }
}

export interface PreviewTile {
  /** JPEG */
  image: Buffer
  labels: Labels | null
}

class PreviewStore {
  private readonly tiles = new ByteLru<PreviewTile[]>(64 * 1024 * 1024)

  put(tiles: PreviewTile[]): string {
    const token = randomBytes(12).toString('base64url')
    this.tiles.set(
      token,
      tiles,
      tiles.reduce((n, t) => n + t.image.byteLength + (t.labels?.data.byteLength ?? 0), 0),
    )
    return token
  }

  get(token: string, index: number): PreviewTile | undefined {
    return this.tiles.get(token)?.[index]
  }

  get size(): { tokens: number; bytes: number } {
    const { entries, bytes } = this.tiles.size
    return { tokens: entries, bytes }
  }

  clear(): void {
    this.tiles.clear()
  }
}

export const previewStore = new PreviewStore()

/** One rendered preview tile by token and index (undefined when unknown or evicted). */
export function previewTile(token: string, index: number): PreviewTile | undefined {
  return previewStore.get(token, index)
}

/**
 * Decoded pairs by path, checked on every use against the files' size and modification time (a
 * file replaced on disk is decoded again) and against `version` (the catalog's content hashes:
 * a mask saved twice within the filesystem's timestamp granularity, at the same size, is still
 * told apart). A pair larger than the whole budget is not kept.
 */
const PAIR_CACHE_LIMIT = 192 * 1024 * 1024

class PairCache {
  private readonly pairs = new ByteLru<{ stamp: string; pair: LoadedPair }>(PAIR_CACHE_LIMIT)

  async load(paths: PairPaths, version = ''): Promise<LoadedPair> {
    const key = `${paths.image}\0${paths.mask ?? ''}`
    const stats = await Promise.all([stat(paths.image), paths.mask ? stat(paths.mask) : null].map((p) => p?.catch(() => null)))
    const stamp = stats.map((s) => (s ? `${s.size}:${s.mtimeMs}:${s.ino}` : '-')).join('|') + `|${version}`
    const hit = this.pairs.get(key)
    if (hit && hit.stamp === stamp) return hit.pair
    this.pairs.delete(key)
    // kept in SharedArrayBuffers: the preview workers read it in place
    const pair = sharedPair(await loadPair(paths)) // names the file when it is missing or broken
    const bytes = pair.image.data.byteLength + (pair.labels?.data.byteLength ?? 0)
    if (bytes <= PAIR_CACHE_LIMIT) this.pairs.set(key, { stamp, pair }, bytes)
    return pair
  }

  clear(): void {
    this.pairs.clear()
  }
}

export const previewPairs = new PairCache()
