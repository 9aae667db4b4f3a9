// Where preview tiles render: off the calling thread (the Electron main process, or the server's
// event loop) on a small pool of worker threads (the built out/main/preview-worker.js), the
// decoded pair shared with them in SharedArrayBuffers (no copy per tile); inline where the worker
// is not built (tests from source) or cannot start. Each tile is a task; a task not yet started
// when its request is aborted (superseded by a newer edit) is dropped, so a slider drag never
// queues renders nobody will see. Worker or inline, a tile's bytes are the same: renderLoaded.
import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { LockstepError } from '../../shared/errors'
import type { Labels } from '../io/labels'
import type { Plan } from './plan'
import { renderLoaded, type LoadedPair } from './render'

/** What a preview tile is: a JPEG (q92: a third of a PNG's encode time, fast to decode in the page) and the exact class indices. */
export const TILE_OUTPUT = { image: { format: 'jpeg' as const, quality: 92 }, mask: false, labels: true }

export interface RenderedTile {
  plan: Plan
  image: Buffer
  labels: Labels | null
}

/** A task sent to a preview worker (the pair's buffers are shared, not copied). */
export interface TileTask {
  id: number
  plan: Plan
  pair: LoadedPair
}
export type TileAnswer =
  { id: number; ok: true; image: Uint8Array; labels: Labels | null } | { id: number; ok: false; error: { code: string; message: string } }

/** Renders one tile (the worker's and the inline path's one function). */
export async function renderTile(plan: Plan, pair: LoadedPair): Promise<RenderedTile> {
  const out = await renderLoaded(plan, pair, TILE_OUTPUT)
  return { plan: out.plan, image: out.image!, labels: out.labels ?? null }
}

/** A copy of a decoded pair in SharedArrayBuffers (made once per decode), so workers read it in place. */
export function sharedPair(p: LoadedPair): LoadedPair {
  const share = <T extends Uint8Array | Uint16Array>(a: T): T => {
    const sab = new SharedArrayBuffer(a.byteLength)
    const copy = (a instanceof Uint16Array ? new Uint16Array(sab) : new Uint8Array(sab)) as T
    copy.set(a)
    return copy
  }
  const img = share(p.image.data as Uint8Array)
  return {
    paths: p.paths,
    width: p.width,
    height: p.height,
    image: { width: p.image.width, height: p.image.height, data: Buffer.from(img.buffer, img.byteOffset, img.byteLength) },
    labels: p.labels ? { ...p.labels, data: share(p.labels.data) } : null,
  }
}

const aborted = () => new LockstepError('CANCELLED', 'The preview was superseded by a newer one')

/** The built worker entry beside the bundle running this code, or null (running from source). */
function workerEntry(): string | null {
  for (const rel of ['./preview-worker.js', '../preview-worker.js']) {
    const url = new URL(rel, import.meta.url)
    if (url.protocol === 'file:' && existsSync(fileURLToPath(url))) return fileURLToPath(url)
  }
  return null
}

interface Job {
  task: TileTask
  signal?: AbortSignal
  resolve: (t: RenderedTile) => void
  reject: (e: Error) => void
}
interface Slot {
  worker: Worker
  jobs: Map<number, Job>
}

/** Tiles in flight per worker: one rendering while the previous one encodes. */
const PER_WORKER = 2

class TilePool {
  private readonly slots: Slot[] = []
  private readonly queue: Job[] = []
  private nextId = 1

  constructor(entry: string, workers: number) {
    for (let i = 0; i < workers; i++) this.spawn(entry)
  }

  private spawn(entry: string): void {
    const worker = new Worker(entry)
    const slot: Slot = { worker, jobs: new Map() }
    worker.on('message', (a: TileAnswer) => {
      const job = slot.jobs.get(a.id)
      if (!job) return
      slot.jobs.delete(a.id)
      if (slot.jobs.size === 0) worker.unref()
      if (a.ok) job.resolve({ plan: job.task.plan, image: Buffer.from(a.image.buffer, a.image.byteOffset, a.image.byteLength), labels: a.labels })
      else job.reject(new LockstepError(a.error.code as never, a.error.message))
      this.pump()
    })
    const dead = (err: Error) => {
      this.slots.splice(this.slots.indexOf(slot), 1)
      for (const job of slot.jobs.values()) job.reject(new LockstepError('INTERNAL', `A preview worker stopped: ${err.message}`))
      slot.jobs.clear()
      if (this.slots.length === 0) for (const job of this.queue.splice(0)) job.reject(new LockstepError('INTERNAL', 'Every preview worker has stopped'))
    }
    worker.on('error', dead)
    worker.on('exit', (code) => {
      if (this.slots.includes(slot)) dead(new Error(`exit code ${code}`))
    })
    // after the listeners (a 'message' listener refs the worker again): an idle pool never keeps a
    // process (the CLI, a test) alive; a worker with tiles in flight does (see pump)
    worker.unref()
    this.slots.push(slot)
  }

  get alive(): boolean {
    return this.slots.length > 0
  }

  run(plan: Plan, pair: LoadedPair, signal?: AbortSignal): Promise<RenderedTile> {
    return new Promise((resolve, reject) => {
      this.queue.push({ task: { id: this.nextId++, plan, pair }, signal, resolve, reject })
      this.pump()
    })
  }

  /** Starts queued tiles on free workers; tiles whose request was aborted are dropped unstarted. */
  private pump(): void {
    for (;;) {
      const slot = this.slots.reduce<Slot | null>((a, b) => (b.jobs.size < PER_WORKER && (!a || b.jobs.size < a.jobs.size) ? b : a), null)
      if (!slot) return
      const job = this.queue.shift()
      if (!job) return
      if (job.signal?.aborted) {
        job.reject(aborted())
        continue
      }
      if (slot.jobs.size === 0) slot.worker.ref()
      slot.jobs.set(job.task.id, job)
      slot.worker.postMessage(job.task)
    }
  }
}

let pool: TilePool | null | undefined

function tilePool(): TilePool | null {
  if (pool === undefined || (pool && !pool.alive)) {
    const entry = process.env.LOCKSTEP_PREVIEW_INLINE === '1' ? null : workerEntry()
    try {
      pool = entry ? new TilePool(entry, Math.max(1, Math.min(4, availableParallelism()))) : null
    } catch {
      pool = null
    }
  }
  return pool
}

/**
 * Renders the tiles of one decoded pair (from sharedPair), on the worker pool when there is one.
 * A tile fails alone (its error in its place); tiles not started when `signal` aborts fail with
 * CANCELLED.
 */
export async function renderTiles(pair: LoadedPair, plans: Plan[], signal?: AbortSignal): Promise<PromiseSettledResult<RenderedTile>[]> {
  const p = tilePool()
  if (!p) {
    const out: PromiseSettledResult<RenderedTile>[] = []
    for (const plan of plans) {
      if (signal?.aborted) out.push({ status: 'rejected', reason: aborted() })
      else
        out.push(
          await renderTile(plan, pair).then(
            (value) => ({ status: 'fulfilled' as const, value }),
            (reason: unknown) => ({ status: 'rejected' as const, reason }),
          ),
        )
    }
    return out
  }
  return Promise.allSettled(plans.map((plan) => p.run(plan, pair, signal)))
}
