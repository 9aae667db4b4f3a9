// Preview worker thread (built to out/main/preview-worker.js): renders the tiles preview-render.ts
// sends (the decoded pair arrives in SharedArrayBuffers, read in place) and posts each tile back,
// moving its buffers instead of copying them.
import { parentPort } from 'node:worker_threads'
import { toErrorPayload } from '../../shared/errors'
import { renderTile, type TileAnswer, type TileTask } from './preview-render'

const movable = (a: Uint8Array | Uint16Array | undefined | null): ArrayBuffer[] =>
  a && a.byteOffset === 0 && a.buffer instanceof ArrayBuffer && a.byteLength === a.buffer.byteLength ? [a.buffer] : []

parentPort!.on('message', (task: TileTask) => {
  void renderTile(task.plan, task.pair).then(
    (t) => {
      // a JPEG from a Buffer pool slice is copied by the structured clone; whole buffers move
      const image = new Uint8Array(t.image.buffer, t.image.byteOffset, t.image.byteLength)
      const answer: TileAnswer = { id: task.id, ok: true, image, labels: t.labels }
      parentPort!.postMessage(answer, [...movable(image), ...movable(t.labels?.data)])
    },
    (err: unknown) => {
      const e = toErrorPayload(err)
      parentPort!.postMessage({ id: task.id, ok: false, error: { code: e.code, message: e.message } } satisfies TileAnswer)
    },
  )
})
