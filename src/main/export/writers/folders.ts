// `folders`: images/<key>.<ext> and masks/<key>.png, the layout PyTorch datasets and Keras
// generators read. One epoch keeps the source names (images/x.jpg); several epochs go to one
// sub-folder each (images/e0001/x.jpg). The name follows from (epoch, key), which is also the plan
// key, so a sample drawn twice in an epoch (steps-per-epoch) is the same file.
import { join } from 'node:path'
import { LockstepError } from '../../../shared/errors'
import { AtomicFile, CommitGroup } from '../files'
import type { Slot } from '../order'
import { pad, type RenderedOutput, type Writer, type WriterContext } from '../types'

const MAX_PENDING = 8
/** Files committed together (see CommitGroup), and the longest an output waits for its group. */
const GROUP_FILES = 128
const GROUP_MS = 2000

export function foldersRelPath(ctx: Pick<WriterContext, 'epochs'>, epoch: number, key: string): string {
  return ctx.epochs === 1 ? key : `e${pad(epoch, 4)}/${key}`
}

export class FoldersWriter implements Writer {
  readonly format = 'folders' as const
  readonly needs = { encoded: true, raw: false }
  private next = 0
  /** Outputs whose files are being written. */
  private readonly pending = new Map<number, Promise<void>>()
  /** Outputs whose files are written and wait in the group for their fsync and rename. */
  private readonly grouped = new Set<number>()
  private readonly group = new CommitGroup()
  private groupStarted = 0
  private readonly inFlightPaths = new Map<string, Promise<void>>()
  /** Image paths whose files wait in the group (mask paths follow from them). */
  private readonly groupedPaths = new Set<string>()
  private readonly open = new Set<AtomicFile>()
  private failure: unknown = null
  constructor(private readonly ctx: WriterContext) {}

  get committed(): number {
    let min = this.next
    for (const k of this.pending.keys()) if (k < min) min = k
    for (const k of this.grouped) if (k < min) min = k
    return min
  }

  resumePoint(upTo: number): number {
    return upTo
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
    const same = this.inFlightPaths.get(image) ?? (this.groupedPaths.has(image) ? Promise.resolve() : undefined)
    const job = same
      ? same
      : Promise.all([this.put(join(this.ctx.outDir, image), o.image), this.put(join(this.ctx.outDir, mask), o.mask)]).then(() => {})
    if (!same) {
      this.inFlightPaths.set(image, job)
      job.then(
        () => {
          this.inFlightPaths.delete(image)
          this.groupedPaths.add(image)
        },
        () => this.inFlightPaths.delete(image),
      )
    }
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
    if (this.group.size >= GROUP_FILES || (this.group.size > 0 && Date.now() - this.groupStarted >= GROUP_MS)) await this.commitGroup()
    return { image, mask }
  }

  /** fsyncs and renames every file written so far; their outputs become committed. */
  private async commitGroup(): Promise<void> {
    const done = [...this.grouped]
    const paths = [...this.groupedPaths]
    try {
      await this.group.commit()
    } catch (err) {
      this.failure ??= err
      throw err
    }
    for (const k of done) this.grouped.delete(k)
    for (const p of paths) this.groupedPaths.delete(p)
    this.groupStarted = Date.now()
  }

  async skip(slot: Slot): Promise<void> {
    this.next = slot.ordinal + 1
  }

  private async put(path: string, data: Uint8Array): Promise<void> {
    const f = await AtomicFile.open(path)
    this.open.add(f)
    try {
      await f.write(data)
    } finally {
      this.open.delete(f)
    }
    if (this.group.size === 0) this.groupStarted = Date.now()
    this.group.add(f)
  }

  async end(): Promise<void> {
    await Promise.all(this.pending.values())
    if (this.failure) throw this.failure
    await this.commitGroup()
  }

  async abort(): Promise<void> {
    await Promise.allSettled(this.pending.values())
    await Promise.all([...this.open].map((f) => f.discard()))
    // Complete files still waiting for their group are committed, so their outputs are journaled
    // and a resume does not redo them; if even that fails (a full disk), they are deleted.
    await this.commitGroup().catch(() => this.group.discard())
  }
}
