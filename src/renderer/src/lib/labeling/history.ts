// Undo and redo for the tile map, bounded in memory: a step keeps only the tiles it changed, as
// they were before it (run-length coded when that is smaller, which it is for almost any label
// map). Undoing a step swaps each kept tile with the current one, so the same step, now holding
// the "after" content, goes to the redo stack. Raw copies made on the hot path (an edit's first
// touch of a tile, an undo) are coded later by compact(), off the interaction.
import { TILE_AREA, TILE_MASK, TILE_SHIFT, TileMap, type LabelArray } from './tiles'

export interface TileSnap {
  tile: number
  /** exactly one of raw / runs is set; runs: ((length - 1) << 16 | value) per run */
  raw: LabelArray | null
  runs: Uint32Array | null
}

export interface Step {
  id: number
  label: string
  snaps: TileSnap[]
  bytes: number
}

export interface HistoryLimits {
  /** bytes of kept tiles, undo and redo together (the oldest steps go first) */
  maxBytes: number
  /** steps on the undo stack */
  maxSteps: number
}

export const DEFAULT_LIMITS: HistoryLimits = { maxBytes: 192 * 1024 * 1024, maxSteps: 1000 }

const scratch = new Uint32Array(TILE_AREA)

/** Run-length codes a tile; null when the runs would not be smaller than the raw tile. */
export function encodeRuns(src: LabelArray): Uint32Array | null {
  const limit = src.byteLength / 4
  let n = 0
  let v = src[0]
  let start = 0
  for (let i = 1; i < TILE_AREA; i++) {
    const c = src[i]
    if (c !== v) {
      if (n + 1 >= limit) return null
      scratch[n++] = (((i - start - 1) << 16) | v) >>> 0
      v = c
      start = i
    }
  }
  scratch[n++] = (((TILE_AREA - start - 1) << 16) | v) >>> 0
  return scratch.slice(0, n)
}

export function decodeRuns(runs: Uint32Array, dst: LabelArray): void {
  let pos = 0
  for (let i = 0; i < runs.length; i++) {
    const r = runs[i]
    const len = (r >>> 16) + 1
    dst.fill(r & 0xffff, pos, pos + len)
    pos += len
  }
}

const snapBytes = (s: TileSnap) => (s.raw ? s.raw.byteLength : s.runs!.byteLength) + 32

function restore(snap: TileSnap, dst: LabelArray): void {
  if (snap.raw) dst.set(snap.raw)
  else decodeRuns(snap.runs!, dst)
}

function sameContent(a: LabelArray, b: LabelArray): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/**
 * One change in progress: writes class `value` where allowed, snapshotting each tile the first
 * time it really changes. `locked[c]` = 1 means pixels of class c are never changed (the lock rule).
 */
export class Edit {
  readonly before = new Map<number, LabelArray>()
  /** pixels whose value this edit changed (counting a pixel again if written twice) */
  changed = 0
  /** revert() ran: a snapshotted tile may be back to its old content */
  reverted = false

  constructor(
    readonly map: TileMap,
    readonly value: number,
    readonly locked: Uint8Array | null,
    readonly label: string,
  ) {
    if (value < 0 || value > map.maxValue || !Number.isInteger(value)) {
      throw new Error(`Class ${value} cannot be written into a ${map.depth}-bit mask (0-${map.maxValue})`)
    }
  }

  private touch(t: number): LabelArray {
    const tile = this.map.tiles[t]
    if (!this.before.has(t)) this.before.set(t, tile.slice())
    this.map.dirty.add(t)
    return tile
  }

  /** Writes row y from x0 to x1 (inclusive), clipped to the image. */
  span(y: number, x0: number, x1: number): void {
    const map = this.map
    if (y < 0 || y >= map.height) return
    const a = Math.max(0, x0)
    const b = Math.min(map.width - 1, x1)
    const v = this.value
    const locked = this.locked
    const rowBase = (y >> TILE_SHIFT) * map.cols
    const off = (y & TILE_MASK) << TILE_SHIFT
    for (let x = a; x <= b;) {
      const t = rowBase + (x >> TILE_SHIFT)
      const end = Math.min(b, x | TILE_MASK)
      let tile = map.tiles[t]
      let touched = false
      for (let i = off + (x & TILE_MASK), e = off + (end & TILE_MASK); i <= e; i++) {
        const old = tile[i]
        if (old === v || (locked !== null && locked[old] === 1)) continue
        if (!touched) {
          tile = this.touch(t)
          touched = true
        }
        tile[i] = v
        this.changed++
      }
      x = end + 1
    }
  }

  /** Puts back every tile this edit changed; the edit stays open (the wand re-grows with it). */
  revert(): void {
    this.reverted = true
    for (const [t, data] of this.before) {
      this.map.tiles[t].set(data)
      this.map.dirty.add(t)
    }
    this.changed = 0
  }
}

export class History {
  private undoStack: Step[] = []
  private redoStack: Step[] = []
  private nextId = 1
  private savedId = 0
  private raw = new Set<TileSnap>()
  bytes = 0

  constructor(
    readonly map: TileMap,
    readonly limits: HistoryLimits = DEFAULT_LIMITS,
  ) {}

  get undoCount(): number {
    return this.undoStack.length
  }
  get redoCount(): number {
    return this.redoStack.length
  }
  /** The label of the step an undo would revert. */
  get nextUndo(): string | null {
    return this.undoStack.at(-1)?.label ?? null
  }
  /** The id of the step the content is at (0: the start). */
  get topId(): number {
    return this.undoStack.at(-1)?.id ?? 0
  }
  /** Content differs from the last markSaved() (or from the start). */
  get dirty(): boolean {
    return this.topId !== this.savedId
  }
  /** The content at step `id` (default: now) is what the file holds. */
  markSaved(id = this.topId): void {
    this.savedId = id
  }
  /** Forgets the saved state: the content on screen is not what the file holds. */
  markUnsaved(): void {
    this.savedId = -1
  }

  begin(value: number, locked: Uint8Array | null, label: string): Edit {
    return new Edit(this.map, value, locked, label)
  }

  /** Records a finished edit as one step (null when it changed nothing). */
  commit(edit: Edit): Step | null {
    const snaps: TileSnap[] = []
    for (const [t, before] of edit.before) {
      // a tile is snapshotted on its first real change: only a revert can have undone that
      if (edit.reverted && sameContent(before, this.map.tiles[t])) continue
      const s: TileSnap = { tile: t, raw: before, runs: null }
      this.raw.add(s)
      snaps.push(s)
    }
    if (!snaps.length) return null
    const step: Step = { id: this.nextId++, label: edit.label, snaps, bytes: 0 }
    this.account(step)
    this.drop(this.redoStack.splice(0))
    this.undoStack.push(step)
    this.evict()
    return step
  }

  /** Reverts the last step; returns the tiles it changed (null when there is none). */
  undo(): number[] | null {
    return this.swap(this.undoStack, this.redoStack)
  }
  redo(): number[] | null {
    return this.swap(this.redoStack, this.undoStack)
  }

  clear(): void {
    this.drop(this.undoStack.splice(0))
    this.drop(this.redoStack.splice(0))
    this.savedId = 0
  }

  /**
   * Run-length codes the raw copies made since the last call and applies the memory bound. With a
   * time budget it stops early (call again later); returns true when nothing is left to code.
   */
  compact(budgetMs = Infinity): boolean {
    const start = performance.now()
    for (const s of this.raw) {
      const runs = encodeRuns(s.raw!)
      if (runs) {
        s.runs = runs
        s.raw = null
      }
      this.raw.delete(s)
      if (performance.now() - start > budgetMs) break
    }
    for (const st of [...this.undoStack, ...this.redoStack]) this.account(st)
    this.evict()
    return this.raw.size === 0
  }

  private swap(from: Step[], to: Step[]): number[] | null {
    const step = from.pop()
    if (!step) return null
    const tiles: number[] = []
    for (const s of step.snaps) {
      const tile = this.map.tiles[s.tile]
      const current = tile.slice()
      restore(s, tile)
      this.raw.delete(s)
      s.raw = current
      s.runs = null
      this.raw.add(s)
      this.map.dirty.add(s.tile)
      tiles.push(s.tile)
    }
    this.account(step)
    to.push(step)
    return tiles
  }

  private account(step: Step): void {
    const bytes = step.snaps.reduce((n, s) => n + snapBytes(s), 64)
    this.bytes += bytes - step.bytes
    step.bytes = bytes
  }

  private drop(steps: Step[]): void {
    for (const st of steps) {
      this.bytes -= st.bytes
      for (const s of st.snaps) this.raw.delete(s)
    }
  }

  private evict(): void {
    const { maxBytes, maxSteps } = this.limits
    while (this.undoStack.length > 1 && (this.undoStack.length > maxSteps || this.bytes > maxBytes)) this.drop(this.undoStack.splice(0, 1))
  }
}
