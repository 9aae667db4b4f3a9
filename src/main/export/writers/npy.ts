// `npy`: one pair of NumPy files per batch, npy/x_eEEEE_bBBBBB.npy (uint8, B x H x W x 3) and
// npy/y_eEEEE_bBBBBB.npy (uint8, or little-endian uint16 when a mask in the batch is 16-bit;
// B x H x W), in NumPy format 1.0 (C order, header padded to 64 bytes, so
// numpy.load(..., mmap_mode='r') maps it). A batch is gathered in one of two sets of buffers
// reused from batch to batch and written atomically while the next batch gathers in the other
// (a batch is megabytes: waiting for its write and fsync would stall the renderers). A row whose
// source failed is left out (the batch is shorter).
import { join } from 'node:path'
import { LockstepError } from '../../../shared/errors'
import { NO_CACHE, readWhole, writeAtomic } from '../files'
import type { Slot } from '../order'
import { pad, type ExportFormatPlugin, type RenderedOutput, type ResumeFrom, type Writer, type WriterContext } from '../types'

/** The NumPy format 1.0 header for a C-ordered array. */
export function npyHeader(descr: '|u1' | '<u2' | '<f4', shape: number[]): Buffer {
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`
  const unpadded = 10 + dict.length + 1 // magic(6) + version(2) + len(2) + dict + '\n'
  const total = Math.ceil(unpadded / 64) * 64
  const headerLen = total - 10
  if (headerLen > 0xffff) throw new Error('npy header too long')
  const buf = Buffer.alloc(total, 0x20)
  buf.write('\x93NUMPY', 0, 'latin1')
  buf[6] = 1
  buf[7] = 0
  buf.writeUInt16LE(headerLen, 8)
  buf.write(dict, 10, 'latin1')
  buf[total - 1] = 0x0a
  return buf
}

const ITEM_BYTES: Record<string, number> = { '|u1': 1, '<u2': 2, '<f4': 4 }

/** The header of a NumPy 1.0/2.0 file: dtype, shape and where the data starts. */
export function parseNpy(buf: Uint8Array, path: string): { descr: string; shape: number[]; offset: number } {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength)
  const bad = (why: string) => new LockstepError('CORRUPT', `${path} is not a NumPy file this export wrote: ${why}`, { path })
  if (b.byteLength < 10 || b.toString('latin1', 0, 6) !== '\x93NUMPY') throw bad('no NumPy magic')
  const major = b[6]
  const len = major === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8)
  const start = major === 1 ? 10 : 12
  const dict = b.toString('latin1', start, start + len)
  const descr = /'descr':\s*'([^']+)'/.exec(dict)?.[1]
  const shape = /'shape':\s*\(([^)]*)\)/.exec(dict)?.[1]
  if (!descr || shape === undefined || /'fortran_order':\s*True/.test(dict)) throw bad(`unexpected header ${JSON.stringify(dict.trim())}`)
  const dims = shape
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)
    .map(Number)
  const offset = start + len
  const item = ITEM_BYTES[descr] ?? 0
  if (!item) throw bad(`unexpected dtype ${descr}`)
  if (b.byteLength !== offset + dims.reduce((a, d) => a * d, 1) * item) throw bad(`${b.byteLength - offset} data bytes for shape (${dims.join(', ')})`)
  return { descr, shape: dims, offset }
}

/** Row `row` of a batch file: its bytes as stored (x: HxWx3 uint8; y: HxW uint8 or uint16 LE). */
export function npyRow(buf: Uint8Array, path: string, row: number): Uint8Array {
  const { descr, shape, offset } = parseNpy(buf, path)
  if (row < 0 || row >= shape[0]) throw new LockstepError('CORRUPT', `${path} has ${shape[0]} rows; row ${row} is missing`, { path })
  const size = shape.slice(1).reduce((a, d) => a * d, 1) * ITEM_BYTES[descr]
  return buf.subarray(offset + row * size, offset + (row + 1) * size)
}

export function npyNames(epoch: number, batch: number): { x: string; y: string } {
  const tag = `e${pad(epoch, 4)}_b${pad(batch, 5)}`
  return { x: `npy/x_${tag}.npy`, y: `npy/y_${tag}.npy` }
}

interface BatchBuffers {
  x: Buffer | null
  y8: Buffer | null
  y16: Uint16Array | null
}

export class NpyWriter implements Writer {
  readonly format = 'npy' as const
  readonly needs = { encoded: false, raw: true }
  private done = 0
  private readonly sets: [BatchBuffers, BatchBuffers] = [
    { x: null, y8: null, y16: null },
    { x: null, y8: null, y16: null },
  ]
  private current = 0
  /** The batch being written (at most one), and the first write failure. */
  private writing: Promise<void> | null = null
  private failure: unknown = null
  private wide = false
  private rows = 0
  private shape: { width: number; height: number } | null = null
  /** Bytes per x value: 1 (uint8 pixels) or 4 (float32, normalised). */
  private xItem = 1
  /** The last output handed over (written or skipped). */
  private last: Slot | null = null
  constructor(private readonly ctx: WriterContext) {}

  get committed(): number {
    return this.done
  }

  /** A start inside a batch reopens that batch's files and keeps their first rows (the journal says how many). */
  async begin(from: ResumeFrom): Promise<void> {
    this.done = from.start
    const { order } = this.ctx
    if (from.start >= order.end) return
    const slot = order.slot(from.start)
    if (slot.index === 0) return
    const rows = from.written(from.start - slot.index)
    if (rows > 0) await this.reopen(slot, rows)
  }

  private async reopen(slot: Slot, rows: number): Promise<void> {
    const names = npyNames(slot.epoch, slot.batch)
    const [xb, yb] = await Promise.all([readWhole(join(this.ctx.outDir, names.x)), readWhole(join(this.ctx.outDir, names.y))])
    const x = parseNpy(xb, names.x)
    const y = parseNpy(yb, names.y)
    const [n, height, width] = x.shape as [number, number, number]
    if (n < rows || y.shape[0] < rows || y.shape[1] !== height || y.shape[2] !== width) {
      throw new LockstepError(
        'CORRUPT',
        `${names.x} holds ${Math.min(n, y.shape[0])} rows but the manifest journals ${rows} outputs of that batch: the folder changed since; export into an empty folder`,
      )
    }
    const px = width * height
    const bsize = this.ctx.order.batchSize(slot.batch)
    const set = this.sets[this.current]
    this.xItem = ITEM_BYTES[x.descr]
    set.x = Buffer.allocUnsafe(bsize * px * 3 * this.xItem)
    set.y8 = Buffer.allocUnsafe(bsize * px)
    set.y16 = new Uint16Array(bsize * px)
    xb.copy(set.x, 0, x.offset, x.offset + rows * px * 3 * this.xItem)
    this.wide = y.descr === '<u2'
    if (this.wide) for (let i = 0; i < rows * px; i++) set.y16[i] = yb.readUInt16LE(y.offset + i * 2)
    else yb.copy(set.y8, 0, y.offset, y.offset + rows * px)
    this.shape = { width, height }
    this.rows = rows
  }

  private startBatch(slot: Slot): void {
    if (slot.index === 0) {
      this.rows = 0
      this.wide = false
    }
  }

  async write(o: RenderedOutput): Promise<Record<string, unknown>> {
    if (this.failure) throw this.failure
    const raw = o.raw
    if (!raw) throw new LockstepError('INTERNAL', `npy writer: output ${o.slot.ordinal} has no raw pixels`)
    const { width, height } = raw
    if (!this.shape) {
      this.shape = { width, height }
      this.xItem = raw.rgbType === 'float32' ? 4 : 1
    }
    if (this.shape.width !== width || this.shape.height !== height) {
      throw new LockstepError(
        'INVALID_INPUT',
        `npy batches need every output the same size, but ${o.source.imagePath} gave ${width}x${height} and earlier outputs ${this.shape.width}x${this.shape.height}: end the recipe with a crop or resize to a fixed size`,
      )
    }
    const { slot } = o
    this.startBatch(slot)
    this.last = slot
    const bsize = this.ctx.order.batchSize(slot.batch)
    const px = width * height
    const set = this.sets[this.current]
    const xRow = px * 3 * this.xItem
    if (!set.x || set.x.byteLength < bsize * xRow) set.x = Buffer.allocUnsafe(bsize * xRow)
    if (!set.y8 || set.y8.byteLength < bsize * px) set.y8 = Buffer.allocUnsafe(bsize * px)
    if (!set.y16 || set.y16.length < bsize * px) set.y16 = new Uint16Array(bsize * px)
    const row = this.rows++
    set.x.set(raw.rgb.subarray(0, xRow), row * xRow)
    if (raw.depth === 16 && !this.wide) {
      // widen the rows gathered so far
      for (let i = 0; i < row * px; i++) set.y16[i] = set.y8[i]
      this.wide = true
    }
    if (this.wide) set.y16.set(raw.labels.subarray(0, px), row * px)
    else set.y8.set(raw.labels.subarray(0, px), row * px)
    const names = npyNames(slot.epoch, slot.batch)
    if (slot.index === bsize - 1) await this.flush(slot)
    return { x: names.x, y: names.y, row }
  }

  async skip(slot: Slot): Promise<void> {
    this.startBatch(slot)
    this.last = slot
    if (slot.index === this.ctx.order.batchSize(slot.batch) - 1) await this.flush(slot)
  }

  /** Starts writing the gathered batch (after the previous one is written) and switches buffers. */
  private async flush(last: Slot): Promise<void> {
    await this.settle()
    if (this.failure) throw this.failure
    const rows = this.rows
    const upTo = last.ordinal + 1
    if (rows === 0) {
      this.done = upTo
      return
    }
    const { width, height } = this.shape!
    const px = width * height
    const names = npyNames(last.epoch, last.batch)
    const set = this.sets[this.current]
    const x = set.x!.subarray(0, rows * px * 3 * this.xItem)
    let y: Uint8Array
    if (this.wide) {
      const le = Buffer.allocUnsafe(rows * px * 2)
      for (let i = 0; i < rows * px; i++) le.writeUInt16LE(set.y16![i], i * 2)
      y = le
    } else y = set.y8!.subarray(0, rows * px)
    const wide = this.wide
    this.current = 1 - this.current
    this.rows = 0
    this.writing = (async () => {
      await writeAtomic(join(this.ctx.outDir, names.x), npyHeader(this.xItem === 4 ? '<f4' : '|u1', [rows, height, width, 3]), x)
      await writeAtomic(join(this.ctx.outDir, names.y), npyHeader(wide ? '<u2' : '|u1', [rows, height, width]), y)
      this.done = upTo
    })().catch((err: unknown) => {
      this.failure ??= err
    })
  }

  private async settle(): Promise<void> {
    const w = this.writing
    this.writing = null
    if (w) await w
  }

  async end(): Promise<void> {
    await this.settle()
    if (this.failure) throw this.failure
  }

  /** Writes the batch in progress short (its rows so far), so every output handed over is on disk. */
  async abort(): Promise<void> {
    await this.settle()
    if (this.failure || !this.last || this.last.ordinal + 1 <= this.done) return
    try {
      await this.flush(this.last)
      await this.settle()
    } catch {
      // nothing more can be kept: the outputs of the batch in progress are not journaled
    }
  }
}

export const npyFormat: ExportFormatPlugin = {
  name: 'npy',
  help: 'NumPy batches: x (uint8 BxHxWx3, or float32 with --normalize) and y (uint8/uint16 BxHxW) .npy files, memory-mappable',
  layout: 'npy/x_eEEEE_bBBBBB.npy (uint8 BxHxWx3, float32 with --normalize) + npy/y_...npy (uint8/uint16 BxHxW)',
  needs: { encoded: false, raw: true },
  options: [],
  bytesPerOutput: (size) => size.width * size.height * 4, // uint8 x + y (float32 x: 13 bytes a pixel)
  create: (ctx) => new NpyWriter(ctx),
  read: async (outDir, record, cache = NO_CACHE) => {
    const f = record.files?.npy as { x?: string; y?: string; row?: number } | undefined
    if (!f?.x || !f.y || typeof f.row !== 'number')
      throw new LockstepError('INVALID_INPUT', `The manifest line of ${record.sampleId} (epoch ${record.epoch}) names no npy batch`)
    const [x, y] = await Promise.all([cache.get(join(outDir, f.x)), cache.get(join(outDir, f.y))])
    return { x: npyRow(x, f.x, f.row), y: npyRow(y, f.y, f.row) }
  },
}
