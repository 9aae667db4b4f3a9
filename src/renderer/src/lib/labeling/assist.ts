// Box assist from the page's side: crops the image around the user's box (with a margin of
// background for GrabCut to learn from), runs the worker, and returns the proposal as a 0/1 mask
// over the box, in image pixels.
import cvUrl from '@techstark/opencv-js/dist/opencv.js?url'
import type { AssistReply, AssistRequest } from './assist-protocol'
import type { Rgba } from './fill'

export interface Box {
  x: number
  y: number
  w: number
  h: number
}
export interface Proposal {
  box: Box
  /** box.w * box.h, 1 = the object */
  mask: Uint8Array
  /** pixels set */
  area: number
  ms: number
  loadMs: number
}

export const ASSIST_MAX_SIDE = 256
export const ASSIST_ITERATIONS = 3

export class BoxAssist {
  private worker: Worker | null = null
  private next = 1
  private readonly waiting = new Map<number, (r: AssistReply) => void>()

  private ensure(): Worker {
    if (this.worker) return this.worker
    const w = new Worker(new URL('../../workers/assist.worker.ts', import.meta.url))
    w.onmessage = (ev: MessageEvent<AssistReply>) => {
      this.waiting.get(ev.data.id)?.(ev.data)
      this.waiting.delete(ev.data.id)
    }
    w.onerror = (ev) => {
      for (const [id, done] of this.waiting) done({ id, ok: false, error: `Box assist worker failed: ${ev.message || 'could not start'}` })
      this.waiting.clear()
      this.worker = null
    }
    return (this.worker = w)
  }

  async propose(img: Rgba, box: Box): Promise<Proposal> {
    const margin = Math.max(8, Math.round(Math.max(box.w, box.h) * 0.15))
    const cx = Math.max(0, box.x - margin)
    const cy = Math.max(0, box.y - margin)
    const cw = Math.min(img.width, box.x + box.w + margin) - cx
    const ch = Math.min(img.height, box.y + box.h + margin) - cy
    if (cw <= box.w && ch <= box.h) throw new Error('Box assist needs some background around the box: draw it inside the image edges')
    const rgba = new Uint8Array(cw * ch * 4)
    for (let y = 0; y < ch; y++) rgba.set(img.data.subarray(((cy + y) * img.width + cx) * 4, ((cy + y) * img.width + cx + cw) * 4), y * cw * 4)
    const id = this.next++
    const req: AssistRequest = {
      id,
      cvUrl: new URL(cvUrl, location.href).href,
      width: cw,
      height: ch,
      rgba: rgba.buffer,
      rect: { x: box.x - cx, y: box.y - cy, w: box.w, h: box.h },
      iterations: ASSIST_ITERATIONS,
      maxSide: ASSIST_MAX_SIDE,
    }
    const reply = await new Promise<AssistReply>((resolve) => {
      this.waiting.set(id, resolve)
      this.ensure().postMessage(req, [rgba.buffer])
    })
    if (!reply.ok) throw new Error(reply.error)
    const crop = new Uint8Array(reply.mask)
    const mask = new Uint8Array(box.w * box.h)
    let area = 0
    for (let y = 0; y < box.h; y++) {
      for (let x = 0; x < box.w; x++) {
        const v = crop[(box.y - cy + y) * cw + (box.x - cx + x)]
        mask[y * box.w + x] = v
        area += v
      }
    }
    return { box, mask, area, ms: reply.ms, loadMs: reply.loadMs }
  }

  dispose(): void {
    this.worker?.terminate()
    this.worker = null
  }
}
