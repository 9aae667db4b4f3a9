// The render pool's feed: render tasks go out to the renderer (worker threads or the calling
// thread) a bounded number at a time, results come back in any order, and `take()` hands them
// out strictly in output order. Memory stays bounded: a few tasks per worker, decoded pairs held
// by multi-output tasks within half the budget, and never more than `ahead` outputs beyond the
// consumer (a slow writer or a slow trainer holds the producer back).
import { LockstepError, type ErrorPayload } from '../../shared/errors'
import type { FileCheck } from '../catalog/file-checks'
import type { ExportOrder, Slot } from './order'
import type { Renderer } from './pool'
import type { RenderedItem, RenderResult, RenderTask } from './render'
import type { SourcePair } from './types'
import { workItems } from './work'

/** One output, ready to write: its rendering, or null when its source failed (see `failed`). */
export interface Ready {
  slot: Slot
  item: RenderedItem | null
}

export interface FeedOptions {
  sources: SourcePair[]
  order: ExportOrder
  renderer: Renderer
  /** Outputs grouped into tasks at a time (a source's outputs in one window decode it once). */
  window: number
  /** Bytes the decoded pairs of multi-output tasks may hold together (half of it, in fact). */
  budget: number
  /** Worker threads (0 = the calling thread): one decoded pair each until sizes are known. */
  workers: number
  /** Outputs the producer may run ahead of `take()` (default two windows). */
  ahead?: number
  signal?: AbortSignal
  /** The whole-file verdicts the renders computed for a project's files (RenderResult.checks), as they come. */
  onChecks?: (checks: FileCheck[]) => void
}

export class RenderFeed {
  /** sha256 of each source's files, as read by this run (hex). */
  readonly hashes = new Map<number, { image: string; mask: string }>()
  /** Sources that failed, with why. */
  readonly failed = new Map<number, ErrorPayload>()
  private readonly ready = new Map<number, Ready>()
  /** Sequence number of the next output `take()` returns. */
  private next = 0
  private fatal: unknown = null
  private closed = false
  /** Every task of every segment is dispatched. */
  private done = false
  private waiters: Array<() => void> = []
  private inFlight = 0
  private wholeInFlight = 0
  private maxWhole: number
  private largestPair = 0
  private taskId = 0
  private readonly producing: Promise<void>
  private readonly ahead: number
  private readonly onAbort = () => this.notify()

  /** Renders the outputs of `segments` (ordinal ranges [from, to), in that order). */
  constructor(
    private readonly o: FeedOptions,
    segments: Iterable<[number, number]>,
  ) {
    this.maxWhole = Math.max(1, o.workers)
    this.ahead = o.ahead ?? 2 * o.window
    o.signal?.addEventListener('abort', this.onAbort)
    this.producing = this.produce(segments).catch((err) => {
      this.fatal ??= err
      this.notify()
    })
  }

  private get stopped(): boolean {
    return this.closed || !!this.fatal || !!this.o.signal?.aborted
  }

  private notify(): void {
    const w = this.waiters
    this.waiters = []
    for (const f of w) f()
  }

  private sleep(): Promise<void> {
    return new Promise<void>((r) => this.waiters.push(r))
  }

  /** The next output in order; null once every segment is done or the feed was stopped (abort, close). */
  async take(): Promise<Ready | null> {
    for (;;) {
      if (this.fatal) throw this.fatal
      if (this.closed || this.o.signal?.aborted) return null
      const r = this.ready.get(this.next)
      if (r) {
        this.ready.delete(this.next)
        this.next++
        this.notify()
        return r
      }
      if (this.done && this.inFlight === 0 && !this.ready.has(this.next)) return null
      await this.sleep()
    }
  }

  private async produce(segments: Iterable<[number, number]>): Promise<void> {
    let base = 0
    for (const [from, to] of segments) {
      const first = base
      const seqOf = (s: Slot) => first + s.ordinal - from
      for (const w of workItems(this.o.order, from, to, this.o.window)) {
        const decodesWhole = w.slots.length > 1
        const lastSeq = seqOf(w.slots[w.slots.length - 1])
        while (
          !this.stopped &&
          (this.inFlight >= this.o.renderer.capacity || (decodesWhole && this.wholeInFlight >= this.maxWhole) || lastSeq - this.next >= this.ahead)
        ) {
          await this.sleep()
        }
        if (this.stopped) return
        const failed = this.failed.get(w.sample)
        if (failed) {
          for (const s of w.slots) this.ready.set(seqOf(s), { slot: s, item: null })
          this.notify()
          continue
        }
        this.dispatch(w.sample, w.slots, w.outputs, decodesWhole, seqOf)
      }
      base += to - from
    }
    this.done = true
    this.notify()
  }

  private dispatch(sample: number, slots: Slot[], outputs: RenderTask['outputs'], decodesWhole: boolean, seqOf: (s: Slot) => number): void {
    const task: RenderTask = { id: ++this.taskId, source: this.o.sources[sample], outputs, hash: !this.hashes.has(sample) }
    this.inFlight++
    if (decodesWhole) this.wholeInFlight++
    const settle = () => {
      this.inFlight--
      if (decodesWhole) this.wholeInFlight--
      this.notify()
    }
    this.o.renderer.run(task).then(
      (r: RenderResult) => {
        if (r.checks) this.o.onChecks?.(r.checks)
        if (r.ok) {
          if (r.decodedBytes && r.decodedBytes > this.largestPair) {
            this.largestPair = r.decodedBytes
            this.maxWhole = Math.max(1, Math.min(this.o.renderer.capacity, Math.floor(this.o.budget / 2 / this.largestPair)))
          }
          if (r.hashes) this.hashes.set(sample, r.hashes)
          const byOrdinal = new Map(r.items.map((it, k) => [outputs[k].ordinal, it]))
          for (const s of slots) this.ready.set(seqOf(s), { slot: s, item: byOrdinal.get(s.ordinal)! })
        } else {
          this.failed.set(sample, r.error)
          for (const s of slots) this.ready.set(seqOf(s), { slot: s, item: null })
        }
        settle()
      },
      (err: unknown) => {
        this.fatal ??= err
        settle()
      },
    )
  }

  /** Stops producing, lets the tasks in flight settle, and closes the renderer. */
  async close(): Promise<void> {
    this.closed = true
    this.notify()
    await this.producing
    while (this.inFlight > 0) await this.sleep()
    this.o.signal?.removeEventListener('abort', this.onAbort)
    this.ready.clear()
    await this.o.renderer.close()
  }
}

/** The error a cancelled export reports. */
export function cancelledError(out: string, details?: unknown): LockstepError {
  return new LockstepError('CANCELLED', `Export to ${out} was cancelled`, details)
}
