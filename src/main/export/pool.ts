// Where render tasks run: a pool of worker threads (the built out/main/export-worker.js), each
// with a few tasks in flight (sharp works on libuv's threads, so a worker overlaps several
// decodes), or the calling thread itself (--workers 0: tests run from source, tiny exports).
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { LockstepError } from '../../shared/errors'
import { renderTask, type RenderResult, type RenderSetup, type RenderTask } from './render'

export interface Renderer {
  /** Tasks that may be in flight at once. */
  readonly capacity: number
  run(task: RenderTask): Promise<RenderResult>
  close(): Promise<void>
}

export class InlineRenderer implements Renderer {
  constructor(
    private readonly setup: RenderSetup,
    readonly capacity = 3,
  ) {}
  run(task: RenderTask): Promise<RenderResult> {
    return renderTask(this.setup, task)
  }
  async close(): Promise<void> {}
}

/** The built worker entry next to the bundle that runs this code (out/main/export-worker.js). */
export function workerEntry(): string | null {
  for (const rel of ['./export-worker.js', '../export-worker.js']) {
    const url = new URL(rel, import.meta.url)
    if (url.protocol === 'file:' && existsSync(fileURLToPath(url))) return fileURLToPath(url)
  }
  return null
}

interface Slot {
  worker: Worker
  busy: number
  dead: Error | null
}

export class WorkerPool implements Renderer {
  readonly capacity: number
  private readonly slots: Slot[] = []
  private readonly waiting = new Map<number, { slot: Slot; id: number; resolve: (r: RenderResult) => void; reject: (e: Error) => void }>()
  /** The pool's own task ids: several feeds (stream connections) may share one pool. */
  private nextId = 0

  constructor(setup: RenderSetup, workers: number, perWorker = 2) {
    const entry = workerEntry()
    if (!entry) {
      throw new LockstepError('INTERNAL', 'The export worker (out/main/export-worker.js) is not built: run `npm run build`, or use --workers 0')
    }
    this.capacity = workers * perWorker
    for (let i = 0; i < workers; i++) {
      const worker = new Worker(entry, { workerData: { setup } })
      const slot: Slot = { worker, busy: 0, dead: null }
      worker.on('message', (r: RenderResult) => {
        const w = this.waiting.get(r.id)
        if (!w) return
        this.waiting.delete(r.id)
        slot.busy--
        w.resolve({ ...r, id: w.id })
      })
      const fail = (err: Error) => {
        slot.dead = err
        for (const [id, w] of this.waiting) {
          if (w.slot === slot) {
            this.waiting.delete(id)
            w.reject(new LockstepError('INTERNAL', `An export worker stopped: ${err.message}`))
          }
        }
      }
      worker.on('error', fail)
      worker.on('exit', (code) => {
        if (code !== 0) fail(new Error(`exit code ${code}`))
      })
      this.slots.push(slot)
    }
  }

  run(task: RenderTask): Promise<RenderResult> {
    const live = this.slots.filter((s) => !s.dead)
    if (live.length === 0) return Promise.reject(new LockstepError('INTERNAL', 'Every export worker has stopped'))
    const slot = live.reduce((a, b) => (b.busy < a.busy ? b : a))
    slot.busy++
    const id = ++this.nextId
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { slot, id: task.id, resolve, reject })
      slot.worker.postMessage({ ...task, id })
    })
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate().catch(() => 0)))
  }
}
