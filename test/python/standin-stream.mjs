// A stand-in for `lockstep stream`, written from docs/stream-protocol.md alone, so the Python
// client is tested without the real server: it serves an npy export's batches (the bytes the real
// server must send for the same options) with the real server's start line, handshake, slices,
// frames and end frame.
//
//   node test/python/standin-stream.mjs --export DIR (--socket PATH | --port N) [--token-file F]
//        [--die-after N]   (exit in the middle of the N+1-th frame of each connection: a crash)
//        [--refuse CODE]   (answer every connection with an error instead of a header)
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { join } from 'node:path'

const args = process.argv.slice(2)
const opt = (name) => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : undefined
}
const dir = opt('--export')
const desc = JSON.parse(readFileSync(join(dir, 'export.json'), 'utf8'))
const lines = readFileSync(join(dir, 'manifest.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l))
const perEpoch = desc.order.batchesPerEpoch
const epochs = desc.options.epochs
const dieAfter = opt('--die-after') === undefined ? Infinity : Number(opt('--die-after'))
const tag = (e, b) => `e${String(e).padStart(4, '0')}_b${String(b).padStart(5, '0')}`
const DTYPE = { '|u1': 'uint8', '<u2': 'uint16', '<f4': 'float32' }

function readNpy(path) {
  const buf = readFileSync(path)
  const len = buf.readUInt16LE(8)
  const dict = buf.toString('latin1', 10, 10 + len)
  const descr = /'descr': '([^']+)'/.exec(dict)[1]
  const shape = /'shape': \(([^)]*)\)/
    .exec(dict)[1]
    .split(',')
    .filter((s) => s.trim())
    .map(Number)
  return { dtype: DTYPE[descr], shape, data: buf.subarray(10 + len) }
}

const first = lines.find((l) => l.files?.npy)
const x0 = readNpy(join(dir, first.files.npy.x))
const token = randomBytes(16).toString('hex')
const header = {
  schema: 'lockstep.stream/1',
  batchSize: desc.options.batchSize,
  height: x0.shape[1],
  width: x0.shape[2],
  channels: 3,
  dtype: x0.dtype,
  batchesPerEpoch: perEpoch,
  epochs,
  seed: desc.seed,
  normalize: null,
  export: desc,
}

function frame(e, b, records) {
  const good = lines.filter((l) => l.epoch === e && l.batch === b && !l.error).sort((p, q) => p.files.npy.row - q.files.npy.row)
  const failed = lines.filter((l) => l.epoch === e && l.batch === b && l.error).map((l) => ({ sampleId: l.sampleId, error: l.error }))
  const x = good.length ? readNpy(join(dir, 'npy', `x_${tag(e, b)}.npy`)) : { data: Buffer.alloc(0) }
  const y = good.length ? readNpy(join(dir, 'npy', `y_${tag(e, b)}.npy`)) : { data: Buffer.alloc(0), dtype: 'uint8' }
  const h = { epoch: e, batch: b, n: good.length, maskDtype: y.dtype, failed, ...(records ? { records: good } : {}) }
  const json = Buffer.from(JSON.stringify(h))
  const len = Buffer.alloc(4)
  len.writeUInt32LE(json.length)
  return Buffer.concat([len, json, x.data, y.data])
}

const write = (conn, buf) => new Promise((resolve) => (conn.write(buf) ? resolve() : conn.once('drain', resolve)))
const refuse = (conn, code, message) => conn.end(JSON.stringify({ error: { code, message } }) + '\n')

async function serve(conn, req) {
  const { rank, worldSize, start, stop, records } = req
  if (opt('--refuse')) return refuse(conn, opt('--refuse'), 'this stand-in was told to refuse')
  if (!Number.isInteger(worldSize) || worldSize < 1 || !Number.isInteger(rank) || rank < 0 || rank >= worldSize) {
    return refuse(conn, 'INVALID_INPUT', `rank ${rank} of worldSize ${worldSize}: rank must be in 0..worldSize-1`)
  }
  conn.write(JSON.stringify(header) + '\n')
  let sent = 0
  for (let e = start?.epoch ?? 0; e < epochs; e++) {
    for (let b = 0; b < perEpoch; b++) {
      if (e === (start?.epoch ?? 0) && b < (start?.batch ?? 0)) continue
      if (stop && (e > stop.epoch || (e === stop.epoch && b >= stop.batch))) break
      if (b % worldSize !== rank) continue
      if (conn.destroyed) return
      const f = frame(e, b, records)
      if (sent++ === dieAfter) {
        await write(conn, f.subarray(0, f.length >> 1))
        process.exit(3)
      }
      await write(conn, f)
    }
  }
  conn.end(Buffer.alloc(4))
}

const server = net.createServer((conn) => {
  let buf = Buffer.alloc(0)
  conn.on('error', () => {})
  conn.on('data', function onData(chunk) {
    buf = Buffer.concat([buf, chunk])
    const nl = buf.indexOf(10)
    if (nl < 0) {
      if (buf.length > 65536) conn.destroy()
      return
    }
    conn.off('data', onData)
    let req
    try {
      req = JSON.parse(buf.subarray(0, nl).toString('utf8'))
    } catch {
      return refuse(conn, 'INVALID_INPUT', 'the first line is not JSON')
    }
    const given = Buffer.from(String(req.token ?? ''))
    if (given.length !== token.length || !timingSafeEqual(given, Buffer.from(token))) return conn.destroy()
    serve(conn, req)
  })
})

const socket = opt('--socket')
const onListening = () => {
  const where = socket ? `unix:${socket}` : `tcp://127.0.0.1:${server.address().port}`
  const tokenFile = opt('--token-file')
  if (tokenFile) writeFileSync(tokenFile, token, { mode: 0o600 })
  process.stdout.write(`Lockstep stream at ${where} token=${tokenFile ? '@' + tokenFile : token}\n`)
}
if (socket) {
  if (existsSync(socket)) throw new Error(`${socket} exists`)
  server.listen(socket, onListening)
} else server.listen(Number(opt('--port') ?? 0), '127.0.0.1', onListening)
process.on('SIGTERM', () => process.exit(0))
