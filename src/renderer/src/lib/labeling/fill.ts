// Region tools. Both find 4-connected regions with a scanline walk (one span per row run, a stack
// of seeds for the rows above and below) and hand the spans to an Edit, which applies the lock rule.
//
//   floodFill: the connected region of ONE class under the seed (the bucket)
//   growRegion: the connected region of similar COLOUR in the image (the magic wand)
import type { Edit } from './history'
import type { Span } from './raster'
import { TILE_MASK, TILE_SHIFT, type TileMap } from './tiles'

/** Reads a row of the map tile by tile (the fill's inner loops, without a tile lookup per pixel). */
class RowReader {
  constructor(private readonly map: TileMap) {}

  /** The smallest x' <= x such that row y holds `v` on all of x'..x-1. */
  left(y: number, x: number, v: number): number {
    const { tiles, cols } = this.map
    const base = (y >> TILE_SHIFT) * cols
    const off = (y & TILE_MASK) << TILE_SHIFT
    while (x > 0) {
      const tile = tiles[base + ((x - 1) >> TILE_SHIFT)]
      const first = off
      let i = off + ((x - 1) & TILE_MASK)
      const tileX = x - 1 - (i - off)
      while (i >= first && tile[i] === v) i--
      if (i >= first) return tileX + (i - off) + 1
      x = tileX
    }
    return 0
  }

  /** The largest x' >= x such that row y holds `v` on all of x+1..x'. */
  right(y: number, x: number, v: number): number {
    const { tiles, cols, width } = this.map
    const base = (y >> TILE_SHIFT) * cols
    const off = (y & TILE_MASK) << TILE_SHIFT
    while (x < width - 1) {
      const tile = tiles[base + ((x + 1) >> TILE_SHIFT)]
      const tileX = (x + 1) & ~TILE_MASK
      const last = off + Math.min(width - 1 - tileX, TILE_MASK)
      let i = off + (x + 1 - tileX)
      while (i <= last && tile[i] === v) i++
      if (i <= last) return tileX + (i - off) - 1
      x = tileX + (last - off)
    }
    return width - 1
  }

  /** Pushes (x, y) for the first pixel of every run of `v` in row y between x0 and x1. */
  seeds(y: number, x0: number, x1: number, v: number, out: number[]): void {
    const { tiles, cols } = this.map
    const base = (y >> TILE_SHIFT) * cols
    const off = (y & TILE_MASK) << TILE_SHIFT
    let inRun = false
    for (let x = x0; x <= x1;) {
      const tile = tiles[base + (x >> TILE_SHIFT)]
      const tileX = x & ~TILE_MASK
      const last = off + (Math.min(x1, tileX + TILE_MASK) - tileX)
      for (let i = off + (x - tileX); i <= last; i++) {
        const match = tile[i] === v
        if (match && !inRun) out.push(tileX + (i - off), y)
        inRun = match
      }
      x = tileX + TILE_MASK + 1
    }
  }
}

/**
 * Fills the connected region of the seed's class with the edit's value. Nothing happens on a
 * locked class or when the region already has the value. Returns the pixels filled.
 */
export function floodFill(map: TileMap, x: number, y: number, edit: Edit): number {
  const { width, height } = map
  if (x < 0 || y < 0 || x >= width || y >= height) return 0
  const target = map.get(x, y)
  if (target === edit.value || (edit.locked && edit.locked[target] === 1)) return 0
  const rows = new RowReader(map)
  let filled = 0
  const stack: number[] = [x, y]
  // the edit overwrites each span with a different value, so a filled pixel never matches again
  while (stack.length) {
    const sy = stack.pop()!
    const sx = stack.pop()!
    if (map.get(sx, sy) !== target) continue
    const xl = rows.left(sy, sx, target)
    const xr = rows.right(sy, sx, target)
    edit.span(sy, xl, xr)
    filled += xr - xl + 1
    if (sy > 0) rows.seeds(sy - 1, xl, xr, target, stack)
    if (sy < height - 1) rows.seeds(sy + 1, xl, xr, target, stack)
  }
  return filled
}

export interface Rgba {
  width: number
  height: number
  /** width * height * 4 bytes, as ImageData holds them */
  data: Uint8ClampedArray | Uint8Array
}

/**
 * The 4-connected region around (x, y) whose colour is within `tolerance` of the seed's on every
 * channel (0: exactly its colour; 255: everything), as row spans; `seen` (width * height bytes)
 * marks the pixels already taken and may be shared to grow several seeds into one selection.
 */
export function growRegion(img: Rgba, x: number, y: number, tolerance: number, seen = new Uint8Array(img.width * img.height)): Span[] {
  const { width, height, data } = img
  const spans: Span[] = []
  if (x < 0 || y < 0 || x >= width || y >= height || seen[y * width + x]) return spans
  const o = (y * width + x) * 4
  const r0 = data[o]
  const g0 = data[o + 1]
  const b0 = data[o + 2]
  const near = (i: number): boolean => {
    if (seen[i]) return false
    const p = i * 4
    return Math.abs(data[p] - r0) <= tolerance && Math.abs(data[p + 1] - g0) <= tolerance && Math.abs(data[p + 2] - b0) <= tolerance
  }
  const stack: number[] = [x, y]
  while (stack.length) {
    const sy = stack.pop()!
    const sx = stack.pop()!
    const row = sy * width
    if (!near(row + sx)) continue
    let xl = sx
    let xr = sx
    while (xl > 0 && near(row + xl - 1)) xl--
    while (xr < width - 1 && near(row + xr + 1)) xr++
    seen.fill(1, row + xl, row + xr + 1)
    spans.push([sy, xl, xr])
    for (const ny of [sy - 1, sy + 1]) {
      if (ny < 0 || ny >= height) continue
      let inRun = false
      for (let nx = xl; nx <= xr; nx++) {
        const match = near(ny * width + nx)
        if (match && !inRun) stack.push(nx, ny)
        inRun = match
      }
    }
  }
  return spans
}
