// `npy`: one pair of NumPy files per batch, npy/x_eEEEE_bBBBBB.npy (uint8, B x H x W x 3) and
// npy/y_eEEEE_bBBBBB.npy (uint8, or uint16 when a mask in the batch is 16-bit; B x H x W), in
// NumPy format 1.0 (C order, header padded to 64 bytes, so numpy.load(..., mmap_mode='r') maps it).
// The batch is gathered in two buffers reused from batch to batch, then written atomically.
import { join } from 'node:path'
import { LockstepError } from '../../../shared/errors'
import { writeAtomic } from '../files'
import { pad, type RenderedOutput, type Writer, type WriterContext } from '../types'

/** The NumPy format 1.0 header for a C-ordered array. */
export function npyHeader(descr: '|u1' | '<u2', shape: number[]): Buffer {
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

export function npyNames(epoch: number, batch: number): { x: string; y: string } {
  const tag = `e${pad(epoch, 4)}_b${pad(batch, 5)}`
  return { x: `npy/x_${tag}.npy`, y: `npy/y_${tag}.npy` }
}

export class NpyWriter implements Writer {
  readonly format = 'npy' as const
  readonly needs = { encoded: false, raw: true }
  private done = 0
  private x: Buffer | null = null
  private y: Buffer | null = null
  private y16 = false
  private count = 0
  private shape: { width: number; height: number } | null = null
  private batchStart = 0
  constructor(private readonly ctx: WriterContext) {}

  get committed(): number {
    return this.done
  }

  async begin(startOrdinal: number): Promise<void> {
    this.done = startOrdinal
    this.batchStart = startOrdinal
  }

  async write(o: RenderedOutput): Promise<Record<string, unknown>> {
    const raw = o.raw
    if (!raw) throw new LockstepError('INTERNAL', `npy writer: output ${o.slot.ordinal} has no raw pixels`)
    const { width, height } = raw
    if (!this.shape) this.shape = { width, height }
    if (this.shape.width !== width || this.shape.height !== height) {
      throw new LockstepError(
        'INVALID_INPUT',
        `npy batches need every output the same size, but ${o.source.imagePath} gave ${width}x${height} and earlier outputs ${this.shape.width}x${this.shape.height}: end the recipe with a crop or resize to a fixed size`,
      )
    }
    const { slot } = o
    const bsize = this.ctx.order.batchSize(slot.batch)
    const px = width * height
    if (slot.index === 0) {
      this.count = 0
      this.y16 = false
      this.batchStart = slot.ordinal
    }
    const xBytes = bsize * px * 3
    const yBytes = bsize * px * 2
    if (!this.x || this.x.byteLength < xBytes) this.x = Buffer.allocUnsafe(xBytes)
    if (!this.y || this.y.byteLength < yBytes) this.y = Buffer.allocUnsafe(yBytes)
    this.x.set(raw.rgb.subarray(0, px * 3), slot.index * px * 3)
    // y is kept as uint16 until the batch is written; narrowed to uint8 if every mask was 8-bit.
    const y = new Uint16Array(this.y.buffer, this.y.byteOffset, bsize * px)
    y.set(raw.labels.subarray(0, px), slot.index * px)
    if (raw.depth === 16) this.y16 = true
    this.count++
    const names = npyNames(slot.epoch, slot.batch)
    if (slot.index === bsize - 1) await this.flush(slot.epoch, slot.batch, bsize)
    return { x: names.x, y: names.y, row: slot.index }
  }

  private async flush(epoch: number, batch: number, bsize: number): Promise<void> {
    const { width, height } = this.shape!
    const px = width * height
    const names = npyNames(epoch, batch)
    const x = this.x!.subarray(0, bsize * px * 3)
    await writeAtomic(join(this.ctx.outDir, names.x), npyHeader('|u1', [bsize, height, width, 3]), x)
    const y16 = new Uint16Array(this.y!.buffer, this.y!.byteOffset, bsize * px)
    let yData: Uint8Array
    if (this.y16) {
      // little-endian on every platform Node runs on here; make it explicit anyway
      const le = Buffer.allocUnsafe(bsize * px * 2)
      for (let i = 0; i < y16.length; i++) le.writeUInt16LE(y16[i]!, i * 2)
      yData = le
    } else {
      const narrow = Buffer.allocUnsafe(bsize * px)
      for (let i = 0; i < y16.length; i++) narrow[i] = y16[i]!
      yData = narrow
    }
    await writeAtomic(join(this.ctx.outDir, names.y), npyHeader(this.y16 ? '<u2' : '|u1', [bsize, height, width]), yData)
    this.done = this.batchStart + bsize
  }

  async end(): Promise<void> {}
  async abort(): Promise<void> {}
}
