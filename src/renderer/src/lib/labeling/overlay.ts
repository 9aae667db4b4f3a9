// Draws the label map onto a canvas of the image's size in class colours, one tile at a time:
// an edit repaints only the tiles it changed.
import { TILE, TILE_SHIFT, type TileMap } from './tiles'

export class OverlayPainter {
  private readonly ctx: CanvasRenderingContext2D
  private readonly img = new ImageData(TILE, TILE)
  private readonly px = new Uint32Array(this.img.data.buffer)
  private lut: Uint32Array = new Uint32Array(1)

  constructor(
    readonly canvas: HTMLCanvasElement,
    readonly map: TileMap,
  ) {
    canvas.width = map.width
    canvas.height = map.height
    this.ctx = canvas.getContext('2d')!
  }

  /** index -> packed RGBA (0: transparent); indices beyond the table draw white. */
  setLut(lut: Uint32Array): void {
    this.lut = lut
  }

  /** Repaints every tile changed since the last call (and forgets them). */
  flush(): number {
    const dirty = this.map.dirty
    if (!dirty.size) return 0
    const n = dirty.size
    for (const t of dirty) this.paintTile(t)
    dirty.clear()
    return n
  }

  paintAll(): void {
    for (let t = 0; t < this.map.tiles.length; t++) this.paintTile(t)
    this.map.dirty.clear()
  }

  private paintTile(t: number): void {
    const [x0, y0, w, h] = this.map.tileRect(t)
    const tile = this.map.tiles[t]
    const lut = this.lut
    const max = lut.length - 1
    const px = this.px
    for (let y = 0; y < h; y++) {
      const o = y << TILE_SHIFT
      for (let x = 0; x < w; x++) {
        const v = tile[o + x]
        px[o + x] = v <= max ? lut[v] : 0xffffffff
      }
    }
    this.ctx.putImageData(this.img, x0, y0, 0, 0, w, h)
  }
}
