// `folders`: images/<key>.<ext> and masks/<key>.png, the layout PyTorch datasets and Keras
// generators read. One epoch keeps the source names (images/x.jpg); several epochs go to one
// sub-folder each (images/e0001/x.jpg). The name follows from the plan key (epoch, key, draw): a
// sample drawn again in the same epoch (steps per epoch past one pass) is a fresh augmentation,
// named x.d1.jpg, x.d2.jpg, ... beside x.jpg (masks alike, so image and mask still pair by stem).
import { dirname, join } from 'node:path'
import { LockstepError } from '../../../shared/errors'
import { ensureDir, FileBatch, NO_CACHE } from '../files'
import type { Slot } from '../order'
import { encodedBytes, pad, type ExportFormatPlugin, type OutputRecord, type RenderedOutput, type ResumeFrom, type Writer, type WriterContext } from '../types'

const MAX_PENDING = 8
/** Files committed together (see FileBatch), the bytes they may hold, and the longest an output waits. */
const GROUP_FILES = 128
const GROUP_BYTES = 64 * 2 ** 20
const GROUP_MS = 2000

export function foldersRelPath(ctx: Pick<WriterContext, 'epochs'>, epoch: number, key: string, draw = 0): string {
  const name = draw ? `${key}.d${draw}` : key
  return ctx.epochs === 1 ? name : `e${pad(epoch, 4)}/${name}`
}

export class FoldersWriter implements Writer {
  readonly format = 'folders' as const
  readonly needs = { encoded: true, raw: false }
  private next = 0
  /** Outputs whose files are being written. */
  private readonly pending = new Map<number, Promise<void>>()
  /** Outputs whose files are held in the group, waiting to be written, fsync'd and renamed. */
  private readonly grouped = new Set<number>()
  /** Outputs whose group failed to commit: their files were never written, so never committed. */
  private readonly lost = new Set<number>()
  private readonly group = new FileBatch()
  private groupStarted = 0
  private failure: unknown = null
  constructor(private readonly ctx: WriterContext) {}

  get committed(): number {
    let min = this.next
    for (const k of this.pending.keys()) if (k < min) min = k
    for (const k of this.grouped) if (k < min) min = k
    for (const k of this.lost) if (k < min) min = k
    return min
  }

  async begin(from: ResumeFrom): Promise<void> {
    this.next = from.start
  }

  async write(o: RenderedOutput): Promise<Record<string, unknown>> {
    if (this.failure) throw this.failure
    if (!o.image || !o.mask) throw new LockstepError('INTERNAL', `folders writer: output ${o.slot.ordinal} has no encoded image/mask`)
    const rel = foldersRelPath(this.ctx, o.slot.epoch, o.source.key, o.slot.draw)
    const image = `images/${rel}.${this.ctx.imageExt}`
    const mask = `masks/${rel}.png`
    const ordinal = o.slot.ordinal
    this.next = ordinal + 1
    const job = Promise.all([this.put(join(this.ctx.outDir, image), o.image), this.put(join(this.ctx.outDir, mask), o.mask)]).then(() => {})
    const tracked = job.then(
      () => {
        this.pending.delete(ordinal)
        this.grouped.add(ordinal)
      },
      (err) => {
        this.failure ??= err
      },
    )
    this.pending.set(ordinal, tracked)
    if (this.pending.size >= MAX_PENDING) await Promise.race(this.pending.values())
    if (this.failure) throw this.failure
    if (this.group.size >= GROUP_FILES || this.group.bytes >= GROUP_BYTES || (this.group.size > 0 && Date.now() - this.groupStarted >= GROUP_MS))
      await this.commitGroup()
    return { image, mask }
  }

  /** Writes, fsyncs and renames every file held so far; their outputs become committed. */
  private async commitGroup(): Promise<void> {
    const done = [...this.grouped]
    try {
      await this.group.commit()
    } catch (err) {
      // the batch is gone (none of its files is on disk): its outputs must never count as
      // committed, even when a later commit (abort's) of an empty group succeeds
      for (const k of done) {
        this.grouped.delete(k)
        this.lost.add(k)
      }
      this.failure ??= err
      throw err
    }
    for (const k of done) this.grouped.delete(k)
    this.groupStarted = Date.now()
  }

  async skip(slot: Slot): Promise<void> {
    this.next = slot.ordinal + 1
  }

  private async put(path: string, data: Uint8Array): Promise<void> {
    await ensureDir(dirname(path))
    if (this.group.size === 0) this.groupStarted = Date.now()
    this.group.add(path, data)
  }

  async end(): Promise<void> {
    await Promise.all(this.pending.values())
    if (this.failure) throw this.failure
    await this.commitGroup()
  }

  async abort(): Promise<void> {
    await Promise.allSettled(this.pending.values())
    // Complete files still waiting for their group are committed, so their outputs are journaled
    // and a resume does not redo them; if even that fails (a full disk), none of them is left.
    await this.commitGroup().catch(() => this.group.discard())
  }
}

/** Where an output's files are (relative to the export folder), from its manifest record or, for old records without one, its name. */
export function foldersFiles(record: OutputRecord, epochs: number, imageExt: string): { image: string; mask: string } {
  const f = record.files?.folders as { image?: string; mask?: string } | undefined
  if (f?.image && f.mask) return { image: f.image, mask: f.mask }
  const rel = foldersRelPath({ epochs }, record.epoch, record.sampleId, record.draw ?? 0)
  return { image: `images/${rel}.${imageExt}`, mask: `masks/${rel}.png` }
}

export const foldersFormat: ExportFormatPlugin = {
  name: 'folders',
  help: 'images/ + masks/ folders, one file per output (PyTorch and Keras folder datasets)',
  layout: 'images/<key>.<ext> + masks/<key>.png (one epoch) or images/eEEEE/<key>.<ext> (several)',
  needs: { encoded: true, raw: false },
  options: [],
  bytesPerOutput: (size, imageFormat) => {
    const px = size.width * size.height
    return encodedBytes(px, imageFormat) + px * 0.1
  },
  create: (ctx) => new FoldersWriter(ctx),
  read: async (outDir, record, cache = NO_CACHE) => {
    const f = record.files?.folders as { image?: string; mask?: string } | undefined
    if (!f?.image || !f.mask) throw new LockstepError('INVALID_INPUT', `The manifest line of ${record.sampleId} (epoch ${record.epoch}) names no folders files`)
    const [image, mask] = await Promise.all([cache.get(join(outDir, f.image)), cache.get(join(outDir, f.mask))])
    return { image, mask }
  },
}
