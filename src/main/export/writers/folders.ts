// `folders`: images/<key>.<ext> and masks/<key>.png, the layout PyTorch datasets and Keras
// generators read. One epoch keeps the source names (images/x.jpg); several epochs go to one
// sub-folder each (images/e0001/x.jpg). The name follows from (epoch, key), which is also the plan
// key, so a sample drawn twice in an epoch (steps-per-epoch) is the same file.
import { join } from 'node:path'
import { LockstepError } from '../../../shared/errors'
import { AtomicFile } from '../files'
import type { Slot } from '../order'
import { pad, type RenderedOutput, type Writer, type WriterContext } from '../types'

const MAX_PENDING = 8

export function foldersRelPath(ctx: Pick<WriterContext, 'epochs'>, epoch: number, key: string): string {
  return ctx.epochs === 1 ? key : `e${pad(epoch, 4)}/${key}`
}

export class FoldersWriter implements Writer {
  readonly format = 'folders' as const
  readonly needs = { encoded: true, raw: false }
  private next = 0
  private readonly pending = new Map<number, Promise<void>>()
  private readonly inFlightPaths = new Map<string, Promise<void>>()
  private readonly open = new Set<AtomicFile>()
  private failure: unknown = null
  constructor(private readonly ctx: WriterContext) {}

  get committed(): number {
    let min = this.next
    for (const k of this.pending.keys()) if (k < min) min = k
    return min
  }

  async begin(startOrdinal: number): Promise<void> {
    this.next = startOrdinal
  }

  async write(o: RenderedOutput): Promise<Record<string, unknown>> {
    if (this.failure) throw this.failure
    if (!o.image || !o.mask) throw new LockstepError('INTERNAL', `folders writer: output ${o.slot.ordinal} has no encoded image/mask`)
    const rel = foldersRelPath(this.ctx, o.slot.epoch, o.source.key)
    const image = `images/${rel}.${this.ctx.imageExt}`
    const mask = `masks/${rel}.png`
    const ordinal = o.slot.ordinal
    this.next = ordinal + 1
    // The same (epoch, key) twice: identical bytes, write once.
    const same = this.inFlightPaths.get(image)
    const job = same
      ? same
      : Promise.all([this.put(join(this.ctx.outDir, image), o.image), this.put(join(this.ctx.outDir, mask), o.mask)]).then(() => {})
    if (!same) {
      this.inFlightPaths.set(image, job)
      job.then(() => this.inFlightPaths.delete(image), () => this.inFlightPaths.delete(image))
    }
    const tracked = job.then(
      () => {
        this.pending.delete(ordinal)
      },
      (err) => {
        this.failure ??= err
      },
    )
    this.pending.set(ordinal, tracked)
    if (this.pending.size >= MAX_PENDING) await Promise.race(this.pending.values())
    if (this.failure) throw this.failure
    return { image, mask }
  }

  async skip(slot: Slot): Promise<void> {
    this.next = slot.ordinal + 1
  }

  private async put(path: string, data: Uint8Array): Promise<void> {
    const f = await AtomicFile.open(path)
    this.open.add(f)
    try {
      await f.write(data)
      await f.commit()
    } finally {
      this.open.delete(f)
    }
  }

  async end(): Promise<void> {
    await Promise.all(this.pending.values())
    if (this.failure) throw this.failure
  }

  async abort(): Promise<void> {
    await Promise.allSettled(this.pending.values())
    await Promise.all([...this.open].map((f) => f.discard()))
  }
}
