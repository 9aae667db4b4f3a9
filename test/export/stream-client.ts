// A small client of lockstep.stream/1 (docs/stream-protocol.md) for the tests and the bench: sends
// the request line, reads the header line, then frames until the end frame or `maxFrames`.
import { createConnection, type Socket } from 'node:net'

export interface Frame {
  epoch: number
  batch: number
  n: number
  maskDtype: 'uint8' | 'uint16'
  records?: Array<Record<string, any>>
  failed: Array<{ sampleId: string; error: { code: string; message: string } }>
  x: Buffer
  y: Buffer
}

export interface StreamReply {
  header: Record<string, any> | null
  error: { code: string; message: string } | null
  frames: Frame[]
  /** The end frame (headerLength 0) arrived. */
  ended: boolean
}

/** Reads exact byte counts from a socket. */
class Reader {
  private chunks: Buffer[] = []
  private have = 0
  private wake: (() => void) | null = null
  closed = false
  constructor(readonly socket: Socket) {
    socket.on('data', (c: Buffer) => {
      this.chunks.push(c)
      this.have += c.byteLength
      this.wake?.()
    })
    const end = () => {
      this.closed = true
      this.wake?.()
    }
    socket.on('end', end)
    socket.on('close', end)
    socket.on('error', end)
  }
  private async fill(n: number): Promise<boolean> {
    while (this.have < n) {
      if (this.closed) return false
      await new Promise<void>((r) => (this.wake = r))
      this.wake = null
    }
    return true
  }
  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks)
    this.chunks = n < all.byteLength ? [all.subarray(n)] : []
    this.have -= n
    return all.subarray(0, n)
  }
  async bytes(n: number): Promise<Buffer | null> {
    return (await this.fill(n)) ? this.take(n) : null
  }
  async line(): Promise<string | null> {
    for (;;) {
      const all = Buffer.concat(this.chunks)
      this.chunks = [all]
      const nl = all.indexOf(0x0a)
      if (nl >= 0)
        return this.take(nl + 1)
          .subarray(0, nl)
          .toString('utf8')
      if (this.closed) return null
      await new Promise<void>((r) => (this.wake = r))
      this.wake = null
    }
  }
}

export function connectTo(address: string): Socket {
  if (address.startsWith('unix:')) return createConnection(address.slice(5))
  const m = /^tcp:\/\/([\d.]+):(\d+)$/.exec(address)
  if (!m) throw new Error(`unknown address ${address}`)
  return createConnection(Number(m[2]), m[1])
}

export interface Request {
  token: string
  rank?: number
  worldSize?: number
  start?: { epoch: number; batch: number }
  stop?: { epoch: number; batch: number } | null
  records?: boolean
  [k: string]: unknown
}

/**
 * One connection: the request (or a raw first line), then up to `maxFrames` frames. `onFrame` may
 * wait (a slow trainer): the client reads nothing meanwhile.
 */
export async function fetchStream(
  address: string,
  request: Request | string,
  o: { maxFrames?: number; onFrame?: (f: Frame, k: number) => Promise<void> | void } = {},
): Promise<StreamReply> {
  const socket = connectTo(address)
  const reader = new Reader(socket)
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve())
    socket.once('error', reject)
  })
  socket.write(typeof request === 'string' ? request : JSON.stringify(request) + '\n')
  const first = await reader.line()
  const reply: StreamReply = { header: null, error: null, frames: [], ended: false }
  if (first === null) {
    socket.destroy()
    return reply
  }
  const parsed = JSON.parse(first)
  if (parsed.error) {
    reply.error = parsed.error
    socket.destroy()
    return reply
  }
  reply.header = parsed
  const { height: h, width: w, channels: c, dtype } = parsed
  const xItem = dtype === 'float32' ? 4 : 1
  while (reply.frames.length < (o.maxFrames ?? Infinity)) {
    const len = await reader.bytes(4)
    if (!len) break
    const hl = len.readUInt32LE(0)
    if (hl === 0) {
      reply.ended = true
      break
    }
    const head = JSON.parse((await reader.bytes(hl))!.toString('utf8'))
    const x = (await reader.bytes(head.n * h * w * c * xItem))!
    const y = (await reader.bytes(head.n * h * w * (head.maskDtype === 'uint16' ? 2 : 1)))!
    const frame: Frame = { ...head, x, y }
    reply.frames.push(frame)
    if (o.onFrame) {
      // a trainer busy with its batch reads nothing meanwhile
      socket.pause()
      await o.onFrame(frame, reply.frames.length - 1)
      socket.resume()
    }
  }
  socket.destroy()
  return reply
}
