// `lockstep stream`'s server (docs/stream-protocol.md, lockstep.stream/1): the npy export's
// batches, on demand, to training processes on this machine. It walks the export's plan of work
// (ExportOrder, work items) through the export's render pool (RenderFeed), so batch (e, b) has
// the npy export's bytes for the same options; each connection is its own feed over its rank's
// batches, bounded to `prefetch` batches ahead of what the client has read.
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { once } from 'node:events'
import { chmodSync, existsSync, lstatSync, unlinkSync, writeFileSync } from 'node:fs'
import { createConnection, createServer, type Server, type Socket } from 'node:net'
import { z } from 'zod'
import type { StreamOptions } from '../../shared/contract/export'
import { LockstepError, toErrorPayload } from '../../shared/errors'
import type { Recipe } from '../../shared/recipe'
import { autoWorkers, makeRenderer, manifestLine } from './job'
import { exportDescriptor } from './journal'
import { resolveNormalization, type Normalization } from './normalize'
import { ExportOrder } from './order'
import type { Renderer } from './pool'
import type { RenderSetup } from './render'
import { RenderFeed } from './render-pool'
import { checkMachineLimits, resolveInputs, statsFor, verdictRecorder, type ExportSource } from './start'
import type { SourcePair } from './types'
import { recipeOutputSize, sortSources } from './work'

export const STREAM_SCHEMA = 'lockstep.stream/1'
/** Epochs an endless stream can count up to (an ordinal stays an exact double). */
const ENDLESS = 1_000_000_000
const HELLO_MAX = 64 * 1024
const HELLO_TIMEOUT_MS = 10_000

/** What every connection of one server shares: the sources, the order, the renderer. */
export interface StreamPlan {
  sources: SourcePair[]
  recipe: Recipe
  seed: number
  order: ExportOrder
  epochs: number | null
  batchSize: number
  size: { width: number; height: number }
  normalize: Normalization | null
  renderer: Renderer
  workers: number
  prefetch: number
  memoryBudget: number
  /** The export.json the npy export with the same options would write. */
  descriptor: Record<string, unknown>
  /** Outputs rendered so far, over every connection (the prefetch bound is tested on it). */
  rendered: number
  close(): Promise<void>
}

/** Sources, recipe, statistics and renderer for a stream; the limits checked as for an export. */
export async function prepareStream(o: StreamOptions, source: ExportSource, control: { onNote?: (text: string) => void } = {}): Promise<StreamPlan> {
  const { recipe, versionId, inputs, catalog } = resolveInputs(o, source)
  checkMachineLimits(o.memoryMb, recipe)
  const sources = sortSources(inputs.sources)
  const order = new ExportOrder({
    samples: sources.length,
    seed: o.seed,
    epochs: o.epochs ?? ENDLESS,
    batchSize: o.batchSize,
    stepsPerEpoch: o.stepsPerEpoch,
    dropLast: o.dropLast,
  })
  const stats = await statsFor(catalog, inputs, o.normalize, control)
  const normalize = resolveNormalization(o.normalize, stats)
  const setup: RenderSetup = { recipe, seed: o.seed, encoded: null, raw: true, normalize }
  const workers = o.workers ?? autoWorkers(recipe, (o.epochs ?? 2) > 1 || order.shape.length > sources.length)
  const inner = makeRenderer(setup, workers)
  const recordVerdicts = verdictRecorder(catalog, control.onNote)
  const descriptor = exportDescriptor(
    {
      recipe,
      recipeVersionId: versionId,
      seed: o.seed,
      epochs: o.epochs ?? 1,
      batchSize: o.batchSize,
      stepsPerEpoch: o.stepsPerEpoch,
      dropLast: o.dropLast,
      imageFormat: 'jpeg',
      quality: 90,
      formats: ['npy'],
      classes: inputs.classes,
      stats,
      sourceInfo: inputs.sourceInfo,
      normalize,
    },
    sources,
    order,
  )
  if (o.epochs === null) {
    Object.assign(descriptor.options as object, { epochs: null })
    Object.assign(descriptor.order as object, { totalOutputs: null, shardOrdinals: null })
  }
  const plan: StreamPlan = {
    sources,
    recipe,
    seed: o.seed,
    order,
    epochs: o.epochs,
    batchSize: o.batchSize,
    size: recipeOutputSize(recipe),
    normalize,
    workers,
    prefetch: o.prefetch,
    memoryBudget: o.memoryMb * 2 ** 20,
    descriptor,
    rendered: 0,
    // shared by every connection: a feed's close() must not close it
    renderer: {
      capacity: inner.capacity,
      run: async (task) => {
        const r = await inner.run(task)
        if (r.ok) plan.rendered += r.items.length
        if (r.checks) recordVerdicts?.(r.checks)
        return r
      },
      close: async () => {},
    },
    close: () => inner.close(),
  }
  return plan
}

const position = z.object({ epoch: z.number().int().min(0), batch: z.number().int().min(0) }).strict()
const helloSchema = z.object({
  token: z.string(),
  rank: z.number().int().min(0).default(0),
  worldSize: z.number().int().min(1).default(1),
  start: position.default({ epoch: 0, batch: 0 }),
  stop: position.nullable().default(null),
  records: z.boolean().default(false),
})
type Hello = z.output<typeof helloSchema>

const before = (a: { epoch: number; batch: number }, b: { epoch: number; batch: number }) => a.epoch < b.epoch || (a.epoch === b.epoch && a.batch < b.batch)

/** Checks a client's first line against the plan; a problem is an INVALID_INPUT naming the field. */
function checkHello(raw: unknown, plan: StreamPlan): Hello {
  const parsed = helloSchema.safeParse(raw)
  if (!parsed.success) {
    throw new LockstepError(
      'INVALID_INPUT',
      `Bad stream request: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(request)'}: ${i.message}`).join('; ')}`,
    )
  }
  const h = parsed.data
  const batches = plan.order.shape.batches
  if (h.rank >= h.worldSize) throw new LockstepError('INVALID_INPUT', `Bad stream request: rank ${h.rank} is not below worldSize ${h.worldSize}`)
  if (h.start.batch >= batches)
    throw new LockstepError('INVALID_INPUT', `Bad stream request: start.batch ${h.start.batch} is past the ${batches} batches of an epoch`)
  if (plan.epochs !== null && h.start.epoch >= plan.epochs)
    throw new LockstepError('INVALID_INPUT', `Bad stream request: start.epoch ${h.start.epoch} is past the stream's ${plan.epochs} epochs`)
  if (h.stop && (h.stop.batch > batches || !before(h.start, h.stop)))
    throw new LockstepError(
      'INVALID_INPUT',
      `Bad stream request: stop ${JSON.stringify(h.stop)} must come after start ${JSON.stringify(h.start)} within ${batches} batches an epoch`,
    )
  return h
}

/** This rank's batches from start to stop (or the stream's end), in order. */
function* rankBatches(plan: StreamPlan, h: Hello): Generator<{ epoch: number; batch: number }> {
  const batches = plan.order.shape.batches
  const lastEpoch = plan.epochs ?? ENDLESS
  for (let epoch = h.start.epoch; epoch < lastEpoch; epoch++) {
    for (let batch = epoch === h.start.epoch ? h.start.batch : 0; batch < batches; batch++) {
      if (h.stop && !before({ epoch, batch }, h.stop)) return
      if (batch % h.worldSize === h.rank) yield { epoch, batch }
    }
  }
}

function ordinals(plan: StreamPlan, p: { epoch: number; batch: number }): [number, number] {
  const from = plan.order.batchStart(p.epoch * plan.order.shape.batches + p.batch)
  return [from, from + plan.order.batchSize(p.batch)]
}

/** The header line a connection gets once its request is accepted. */
function streamHeader(plan: StreamPlan): Record<string, unknown> {
  return {
    schema: STREAM_SCHEMA,
    batchSize: plan.batchSize,
    height: plan.size.height,
    width: plan.size.width,
    channels: 3,
    dtype: plan.normalize ? 'float32' : 'uint8',
    batchesPerEpoch: plan.order.shape.batches,
    epochs: plan.epochs,
    seed: plan.seed,
    normalize: plan.normalize,
    export: plan.descriptor,
  }
}

async function send(socket: Socket, ...chunks: Uint8Array[]): Promise<void> {
  let ok = true
  socket.cork()
  for (const c of chunks) ok = socket.write(c) && ok
  socket.uncork()
  if (ok || socket.destroyed) return
  await new Promise<void>((resolve) => {
    const done = () => {
      socket.off('drain', done)
      socket.off('close', done)
      resolve()
    }
    socket.on('drain', done)
    socket.on('close', done)
  })
}

/** Serves one accepted request: frames of this rank's batches until stop, the stream's end or the client leaving. */
async function serveBatches(socket: Socket, plan: StreamPlan, h: Hello): Promise<void> {
  const feed = new RenderFeed(
    {
      sources: plan.sources,
      order: plan.order,
      renderer: plan.renderer,
      window: plan.batchSize,
      budget: plan.memoryBudget,
      workers: plan.workers,
      ahead: plan.prefetch * plan.batchSize,
    },
    (function* () {
      for (const p of rankBatches(plan, h)) yield ordinals(plan, p)
    })(),
  )
  const stop = () => void feed.close()
  socket.once('close', stop)
  try {
    for (const p of rankBatches(plan, h)) {
      const [from, to] = ordinals(plan, p)
      const rows: { x: Uint8Array; labels: Uint8Array | Uint16Array; wide: boolean }[] = []
      const records: unknown[] = []
      const failed: unknown[] = []
      for (let i = from; i < to; i++) {
        const r = await feed.take()
        if (!r) return // the client left
        const source = plan.sources[r.slot.sample]
        const raw = r.item?.raw
        if (raw) {
          // the npy writer's row: the first HxWx3 values and HxW labels (buffers may be larger)
          const px = raw.width * raw.height
          rows.push({ x: raw.rgb.subarray(0, px * 3 * (raw.rgbType === 'float32' ? 4 : 1)), labels: raw.labels.subarray(0, px), wide: raw.depth === 16 })
          if (h.records) records.push(manifestLine(r.slot, plan, source, feed.hashes.get(r.slot.sample), { plan: r.item!.plan }))
        } else {
          const error = feed.failed.get(r.slot.sample) ?? { code: 'INTERNAL', message: 'no pixels rendered' }
          failed.push({ sampleId: source.key, error: { code: error.code, message: error.message } })
        }
      }
      // the npy writer's rule: a batch holding any 16-bit mask stores every row as uint16
      const wide = rows.some((r) => r.wide)
      const header = Buffer.from(
        JSON.stringify({ epoch: p.epoch, batch: p.batch, n: rows.length, maskDtype: wide ? 'uint16' : 'uint8', ...(h.records ? { records } : {}), failed }),
      )
      const len = Buffer.alloc(4)
      len.writeUInt32LE(header.byteLength)
      const ys = rows.map((r) =>
        wide ? new Uint8Array(Uint16Array.from(r.labels).buffer) : new Uint8Array(r.labels.buffer, r.labels.byteOffset, r.labels.byteLength),
      )
      await send(socket, len, header, ...rows.map((r) => r.x), ...ys)
      if (socket.destroyed) return
    }
    await send(socket, Buffer.alloc(4))
    socket.end()
  } finally {
    socket.off('close', stop)
    await feed.close()
  }
}

/** Reads the client's first line (at most 64 KiB, within 10 s). */
async function readHello(socket: Socket): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0)
    const timer = setTimeout(() => done(new LockstepError('INVALID_INPUT', 'Bad stream request: no request line within 10 s')), HELLO_TIMEOUT_MS)
    const done = (err: Error | null, value?: unknown) => {
      clearTimeout(timer)
      socket.off('data', onData)
      socket.off('close', onClose)
      if (err) reject(err)
      else resolve(value)
    }
    const onClose = () => done(new LockstepError('CANCELLED', 'the client left before its request'))
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk])
      const nl = buf.indexOf(0x0a)
      if (nl < 0) {
        if (buf.byteLength > HELLO_MAX) done(new LockstepError('INVALID_INPUT', 'Bad stream request: the request line is longer than 64 KiB'))
        return
      }
      socket.pause()
      try {
        done(null, JSON.parse(buf.subarray(0, nl).toString('utf8')))
      } catch {
        done(new LockstepError('INVALID_INPUT', 'Bad stream request: the request line is not JSON'))
      }
    }
    socket.on('data', onData)
    socket.on('close', onClose)
  })
}

function sameToken(given: unknown, token: Buffer): boolean {
  if (typeof given !== 'string') return false
  const g = Buffer.from(given)
  return g.byteLength === token.byteLength && timingSafeEqual(g, token)
}

async function serveConnection(socket: Socket, plan: StreamPlan, token: Buffer): Promise<void> {
  socket.on('error', () => {}) // a client that vanishes mid-write is not the server's failure
  try {
    const raw = await readHello(socket)
    // the protocol: a connection that does not present the token is closed, unanswered
    if (!sameToken((raw as { token?: unknown } | null)?.token, token)) return void socket.destroy()
    const hello = checkHello(raw, plan)
    await send(socket, Buffer.from(JSON.stringify(streamHeader(plan)) + '\n'))
    socket.resume()
    await serveBatches(socket, plan, hello)
  } catch (err) {
    const e = toErrorPayload(err)
    if (!socket.destroyed && e.code !== 'CANCELLED') socket.end(JSON.stringify({ error: { code: e.code, message: e.message } }) + '\n')
    else socket.destroy()
  }
}

export interface StreamServer {
  /** `unix:/path` or `tcp://127.0.0.1:PORT`. */
  address: string
  token: string
  plan: StreamPlan
  close(): Promise<void>
}

/** Refuses a socket path that another live server holds; removes a stale one. */
async function claimSocketPath(path: string): Promise<void> {
  if (!existsSync(path)) return
  if (!lstatSync(path).isSocket()) throw new LockstepError('INVALID_INPUT', `${path} exists and is not a socket: choose another --socket path`)
  const live = await new Promise<boolean>((resolve) => {
    const c = createConnection(path)
    c.once('connect', () => (c.destroy(), resolve(true)))
    c.once('error', () => resolve(false))
  })
  if (live) throw new LockstepError('BUSY', `${path} is in use by another stream`)
  unlinkSync(path)
}

/** Listens on a Unix socket (mode 0600) or on 127.0.0.1 only, with a fresh random token. */
export async function startStreamServer(plan: StreamPlan, where: { socket?: string; port?: number; tokenFile?: string }): Promise<StreamServer> {
  const token = randomBytes(24).toString('hex')
  const secret = Buffer.from(token)
  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    void serveConnection(socket, plan, secret)
  })
  let address: string
  if (where.socket) {
    await claimSocketPath(where.socket)
    const old = process.umask(0o177)
    try {
      server.listen(where.socket)
      await once(server, 'listening')
    } finally {
      process.umask(old)
    }
    chmodSync(where.socket, 0o600)
    address = `unix:${where.socket}`
  } else {
    server.listen(where.port ?? 0, '127.0.0.1')
    await once(server, 'listening')
    const a = server.address() as { port: number }
    address = `tcp://127.0.0.1:${a.port}`
  }
  if (where.tokenFile) writeFileSync(where.tokenFile, token + '\n', { mode: 0o600 })
  return {
    address,
    token,
    plan,
    async close() {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await plan.close()
    },
  }
}
