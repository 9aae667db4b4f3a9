// The label map being edited: class indices (8 or 16 bits) in square tiles of TILE x TILE, so an
// edit touches, snapshots (for undo) and repaints only the tiles it changes. Edge tiles are full
// size too (one stride everywhere); their pixels outside the image are never written or read.
export const TILE_SHIFT = 8
export const TILE = 1 << TILE_SHIFT
export const TILE_MASK = TILE - 1
export const TILE_AREA = TILE * TILE

export type LabelArray = Uint8Array | Uint16Array
export type Depth = 8 | 16

export class TileMap {
  readonly width: number
  readonly height: number
  readonly depth: Depth
  /** tiles across / down */
  readonly cols: number
  readonly rows: number
  readonly tiles: LabelArray[]
  /** tiles changed since the overlay last drew them */
  readonly dirty = new Set<number>()

  constructor(width: number, height: number, depth: Depth) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
      throw new Error(`A label map needs a positive integer size, got ${width}x${height}`)
    }
    this.width = width
    this.height = height
    this.depth = depth
    this.cols = Math.ceil(width / TILE)
    this.rows = Math.ceil(height / TILE)
    this.tiles = Array.from({ length: this.cols * this.rows }, () => (depth === 16 ? new Uint16Array(TILE_AREA) : new Uint8Array(TILE_AREA)))
  }

  /** The largest class index this map can hold. */
  get maxValue(): number {
    return this.depth === 16 ? 65535 : 255
  }

  static fromFlat(width: number, height: number, depth: Depth, data: LabelArray): TileMap {
    if (data.length < width * height) throw new Error(`Label data has ${data.length} values, expected ${width}x${height} = ${width * height}`)
    const map = new TileMap(width, height, depth)
    map.eachRow((tile, at, flat, w) => tile.set(data.subarray(flat, flat + w), at))
    return map
  }

  /** Row-major copy of the whole map (the form a save sends and a draft keeps). */
  toFlat(): LabelArray {
    const out = this.depth === 16 ? new Uint16Array(this.width * this.height) : new Uint8Array(this.width * this.height)
    this.eachRow((tile, at, flat, w) => out.set(tile.subarray(at, at + w), flat))
    return out
  }

  /** Every image row of every tile: the tile, where the row starts in it and in the row-major image, its width. */
  private eachRow(visit: (tile: LabelArray, at: number, flat: number, w: number) => void): void {
    const { width, height } = this
    for (let ty = 0; ty < this.rows; ty++) {
      const y1 = Math.min(height, (ty + 1) * TILE)
      for (let tx = 0; tx < this.cols; tx++) {
        const tile = this.tiles[ty * this.cols + tx]
        const x0 = tx * TILE
        const w = Math.min(width, x0 + TILE) - x0
        for (let y = ty * TILE; y < y1; y++) visit(tile, (y & TILE_MASK) * TILE, y * width + x0, w)
      }
    }
  }

  tileIndex(x: number, y: number): number {
    return (y >> TILE_SHIFT) * this.cols + (x >> TILE_SHIFT)
  }

  get(x: number, y: number): number {
    return this.tiles[(y >> TILE_SHIFT) * this.cols + (x >> TILE_SHIFT)][((y & TILE_MASK) << TILE_SHIFT) | (x & TILE_MASK)]
  }

  /** Pixels of tile `t` that lie inside the image: [x0, y0, w, h]. */
  tileRect(t: number): [number, number, number, number] {
    const x0 = (t % this.cols) * TILE
    const y0 = Math.floor(t / this.cols) * TILE
    return [x0, y0, Math.min(TILE, this.width - x0), Math.min(TILE, this.height - y0)]
  }

  /** Pixels per class index, over the image area only. */
  histogram(): Uint32Array {
    const hist = new Uint32Array(this.maxValue + 1)
    for (let t = 0; t < this.tiles.length; t++) {
      const tile = this.tiles[t]
      const [, , w, h] = this.tileRect(t)
      for (let y = 0; y < h; y++) {
        const o = y * TILE
        for (let x = 0; x < w; x++) hist[tile[o + x]]++
      }
    }
    return hist
  }
}
