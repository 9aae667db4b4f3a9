// Messages between the page and the box-assist worker (workers/assist.worker.ts).
export interface AssistRequest {
  id: number
  cvUrl: string
  /** the crop sent: width x height RGBA */
  width: number
  height: number
  rgba: ArrayBuffer
  /** the user's box inside the crop */
  rect: { x: number; y: number; w: number; h: number }
  iterations: number
  /** the crop is segmented at most this long (then the answer is scaled up) */
  maxSide: number
}

export type AssistReply = { id: number; ok: true; mask: ArrayBuffer; ms: number; loadMs: number } | { id: number; ok: false; error: string }
