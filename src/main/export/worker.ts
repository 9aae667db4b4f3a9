// Export worker thread (built to out/main/export-worker.js): renders the tasks the pool sends
// and posts the results back, moving the big buffers instead of copying them.
import { parentPort, workerData } from 'node:worker_threads'
import type { RenderResult, RenderSetup, RenderTask } from './render'
import { renderTask } from './render'

const setup = (workerData as { setup: RenderSetup }).setup

function transferables(r: RenderResult): ArrayBuffer[] {
  if (!r.ok) return []
  const seen = new Set<ArrayBuffer>()
  const add = (a: Uint8Array | Uint16Array | undefined) => {
    // Only whole, unshared buffers can move; Buffer pool slices are copied by the structured clone.
    if (a && a.byteOffset === 0 && a.buffer instanceof ArrayBuffer && a.byteLength === a.buffer.byteLength) seen.add(a.buffer)
  }
  for (const it of r.items) {
    add(it.image)
    add(it.mask)
    if (it.raw) {
      add(it.raw.rgb)
      add(it.raw.labels)
    }
  }
  return [...seen]
}

parentPort!.on('message', (task: RenderTask) => {
  void renderTask(setup, task).then((r) => parentPort!.postMessage(r, transferables(r)))
})
