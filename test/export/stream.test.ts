// lockstep stream (docs/stream-protocol.md), with a small Node client: batch (e, b) is the npy
// export's batch byte for byte (uint8 and float32, with a broken pair and 16-bit masks); a stream
// resumes at any (epoch, batch); ranks get disjoint slices whose union is the epoch; a slow
// consumer holds the server at its prefetch; a wrong token and bad requests are refused by name;
// the built CLI listens on a 0600 socket or 127.0.0.1 only.
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runExport, type ExportRunOptions } from '../../src/main/export/job'
import { resolveNormalization } from '../../src/main/export/normalize'
import { folderInputs } from '../../src/main/export/sources'
import { parseStreamOptions } from '../../src/main/export/start'
import { prepareStream, startStreamServer, type StreamServer } from '../../src/main/export/stream'
import { parseNpy } from '../../src/main/export/writers/npy'
import { parseRecipe } from '../../src/shared/recipe'
import { writePair } from '../fixtures/pairs'
import { CLI, RECIPE, tmp } from './helpers'
import { fetchStream, type Frame } from './stream-client'

let dir: string
const servers: StreamServer[] = []
const recipeJson = {
  ...RECIPE,
  output: { width: 24, height: 20 },
  ops: [
    { type: 'random_crop', p: 1, width: 24, height: 20 },
    { type: 'hflip', p: 0.5 },
    { type: 'rotate', p: 0.5, degrees: [-10, 10] },
  ],
}

beforeAll(async () => {
  dir = tmp('lockstep-stream-')
  const variants = ['grey8', 'grey16', 'palette', 'grey8', 'grey8', 'palette', 'grey8'] as const
  for (let i = 0; i < variants.length; i++) await writePair(dir, `s${i}`, { width: 40, height: 30, seed: i + 11, mask: variants[i] })
  // a broken pair (its mask has another size): left out of its batches, named in `failed`
  const other = tmp('lockstep-stream-')
  await writePair(other, 's4', { width: 30, height: 20, seed: 2 })
  writeFileSync(join(dir, 'masks', 's4.png'), readFileSync(join(other, 'masks', 's4.png')))
})
afterAll(async () => {
  for (const s of servers) await s.close()
})

const source = () => ({ images: join(dir, 'images'), masks: join(dir, 'masks') })

async function serve(extra: Record<string, unknown> = {}, where: { socket?: string; port?: number } = {}): Promise<StreamServer> {
  const options = parseStreamOptions({ recipe: { json: recipeJson }, seed: 5, batchSize: 3, epochs: 3, workers: 0, ...extra })
  const plan = await prepareStream(options, source())
  const server = await startStreamServer(plan, where.port !== undefined ? where : { socket: where.socket ?? join(tmp(), 's.sock') })
  servers.push(server)
  return server
}

async function exportNpy(extra: Partial<ExportRunOptions> = {}): Promise<string> {
  const out = tmp()
  await runExport({
    sources: folderInputs(source().images, source().masks).sources,
    recipe: parseRecipe(recipeJson),
    seed: 5,
    epochs: 3,
    batchSize: 3,
    dropLast: false,
    imageFormat: 'png',
    quality: 90,
    formats: ['npy'],
    out,
    workers: 0,
    ...extra,
  })
  return out
}

/** The data bytes of the export's npy batch (epoch, batch), or null where the batch has no file (every row failed). */
function npyData(out: string, epoch: number, batch: number): { x: Buffer; y: Buffer; rows: number; wide: boolean } | null {
  const tag = `e${String(epoch).padStart(4, '0')}_b${String(batch).padStart(5, '0')}`
  const xp = join(out, 'npy', `x_${tag}.npy`)
  if (!existsSync(xp)) return null
  const xb = readFileSync(xp)
  const yb = readFileSync(join(out, 'npy', `y_${tag}.npy`))
  const x = parseNpy(xb, 'x')
  const y = parseNpy(yb, 'y')
  return { x: xb.subarray(x.offset), y: yb.subarray(y.offset), rows: x.shape[0], wide: y.descr === '<u2' }
}

function expectFrameIsNpy(f: Frame, out: string): void {
  const d = npyData(out, f.epoch, f.batch)
  if (!d) {
    expect(f.n, `batch ${f.epoch}/${f.batch}: every row failed`).toBe(0)
    return
  }
  expect(f.n, `rows of ${f.epoch}/${f.batch}`).toBe(d.rows)
  expect(f.maskDtype).toBe(d.wide ? 'uint16' : 'uint8')
  expect(f.x.equals(d.x), `x of ${f.epoch}/${f.batch}`).toBe(true)
  expect(f.y.equals(d.y), `y of ${f.epoch}/${f.batch}`).toBe(true)
}

describe('lockstep stream', () => {
  it("serves the npy export's batches byte for byte, with records and failures, then an end frame", async () => {
    const out = await exportNpy()
    const server = await serve()
    const r = await fetchStream(server.address, { token: server.token, records: true })
    expect(r.error).toBeNull()
    expect(r.header).toMatchObject({
      schema: 'lockstep.stream/1',
      batchSize: 3,
      height: 20,
      width: 24,
      channels: 3,
      dtype: 'uint8',
      batchesPerEpoch: 3,
      epochs: 3,
      seed: 5,
      normalize: null,
    })
    expect(r.header!.export).toMatchObject({ schema: 'lockstep.export/1', seed: 5, options: { epochs: 3, batchSize: 3, formats: ['npy'] } })
    expect(r.ended).toBe(true)
    expect(r.frames.map((f) => [f.epoch, f.batch])).toEqual([0, 1, 2].flatMap((e) => [0, 1, 2].map((b) => [e, b])))
    for (const f of r.frames) expectFrameIsNpy(f, out)
    // the records are the manifest's lines (without files), the failures named
    const manifest = readFileSync(join(out, 'manifest.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    const records = r.frames.flatMap((f) => f.records!)
    const written = manifest.filter((l) => !l.error).map(({ files: _f, sha256: _s, ...rest }) => rest)
    expect(records).toEqual(written)
    const failed = r.frames.flatMap((f) => f.failed)
    expect(failed.map((x) => x.sampleId)).toEqual(['s4', 's4', 's4'])
    expect(failed[0].error.message).toMatch(/s4\.png/)
    expect(r.frames.some((f) => f.maskDtype === 'uint16') && r.frames.some((f) => f.maskDtype === 'uint8')).toBe(true)
  })

  it('resumes at any (epoch, batch) and stops where asked', async () => {
    const out = await exportNpy()
    const server = await serve()
    const r = await fetchStream(server.address, { token: server.token, start: { epoch: 1, batch: 2 }, stop: { epoch: 2, batch: 2 } })
    expect(r.frames.map((f) => [f.epoch, f.batch])).toEqual([
      [1, 2],
      [2, 0],
      [2, 1],
    ])
    expect(r.ended).toBe(true)
    for (const f of r.frames) expectFrameIsNpy(f, out)
  })

  it('gives ranks disjoint slices whose union per epoch is the epoch, served at once', async () => {
    const out = await exportNpy({ epochs: 2, batchSize: 2 })
    const server = await serve({ epochs: 2, batchSize: 2 })
    const replies = await Promise.all([0, 1, 2].map((rank) => fetchStream(server.address, { token: server.token, rank, worldSize: 3 })))
    const seen = replies.flatMap((r, rank) => r.frames.map((f) => ({ rank, key: `${f.epoch}/${f.batch}`, f })))
    expect(seen.every((s) => Number(s.key.split('/')[1]) % 3 === s.rank)).toBe(true)
    expect(new Set(seen.map((s) => s.key)).size).toBe(seen.length)
    expect(seen.map((s) => s.key).sort()).toEqual([0, 1].flatMap((e) => [0, 1, 2, 3].map((b) => `${e}/${b}`)).sort())
    for (const s of seen) expectFrameIsNpy(s.f, out)
  })

  it('serves float32 batches normalised as the npy export normalises them', async () => {
    const out = await exportNpy({ normalize: resolveNormalization('samplewise', null) })
    const server = await serve({ normalize: 'samplewise' })
    const r = await fetchStream(server.address, { token: server.token })
    expect(r.header).toMatchObject({ dtype: 'float32', normalize: { mode: 'samplewise', epsilon: 1e-6 } })
    for (const f of r.frames) expectFrameIsNpy(f, out)
  })

  it('is endless without --epochs: epoch 4 is what a 5-epoch export writes', async () => {
    const out = await exportNpy({ epochs: 5 })
    const server = await serve({ epochs: null })
    const r = await fetchStream(server.address, { token: server.token, start: { epoch: 4, batch: 0 } }, { maxFrames: 4 })
    expect(r.header!.epochs).toBeNull()
    expect(r.frames.map((f) => [f.epoch, f.batch])).toEqual([
      [4, 0],
      [4, 1],
      [4, 2],
      [5, 0],
    ])
    for (const f of r.frames.slice(0, 3)) expectFrameIsNpy(f, out)
  })

  it('holds a slow consumer at its prefetch: the server renders about `prefetch` batches ahead, not the epoch', async () => {
    // 96x80 outputs, batches of 8: a frame (8 x 30 KB) is larger than the socket's buffers
    const big = { ...recipeJson, output: { width: 96, height: 80 }, ops: [{ type: 'resize', p: 1, width: 96, height: 80 }] }
    const server = await serve({ recipe: { json: big }, epochs: null, batchSize: 8, prefetch: 2 })
    const plan = server.plan
    let renderedAtFrame: number[] = []
    await fetchStream(
      server.address,
      { token: server.token },
      {
        maxFrames: 6,
        onFrame: async () => {
          // a trainer taking its time over each batch
          await new Promise((r) => setTimeout(r, 150))
          renderedAtFrame.push(plan.rendered)
        },
      },
    )
    // after k frames read: at most k + prefetch batches + the batches in the socket and in flight
    renderedAtFrame = renderedAtFrame.map((n, k) => n - (k + 1) * 8)
    expect(Math.max(...renderedAtFrame)).toBeLessThanOrEqual((2 + 3) * 8)
    // and it does render ahead (the bound is not 0: a fast trainer never waits for a whole batch)
    expect(Math.max(...renderedAtFrame)).toBeGreaterThanOrEqual(8)
  })

  it('closes on a wrong or missing token unanswered, and names what is wrong in a bad request', async () => {
    const server = await serve()
    // a wrong or missing token: closed unanswered (nothing about the stream is told)
    for (const req of [{ token: 'not-the-token' }, '{"rank": 0}\n', `{"token": "${server.token.slice(0, -1)}"}\n`]) {
      expect(await fetchStream(server.address, req as never)).toEqual({ header: null, error: null, frames: [], ended: false })
    }
    const bad = async (req: Record<string, unknown>) => (await fetchStream(server.address, { token: server.token, ...req })).error
    expect(await bad({ rank: 2, worldSize: 2 })).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('rank 2 is not below worldSize 2') })
    expect(await bad({ start: { epoch: 0, batch: 3 } })).toMatchObject({ message: expect.stringContaining('start.batch 3 is past the 3 batches') })
    expect(await bad({ start: { epoch: 3, batch: 0 } })).toMatchObject({ message: expect.stringContaining("start.epoch 3 is past the stream's 3 epochs") })
    expect(await bad({ stop: { epoch: 0, batch: 0 } })).toMatchObject({ message: expect.stringContaining('stop {"epoch":0,"batch":0} must come after start') })
    expect(await bad({ worldSize: 0 })).toMatchObject({ message: expect.stringMatching(/worldSize: .*>=1/) })
    expect(await bad({ records: 'yes' })).toMatchObject({ message: expect.stringContaining('records:') })
    expect((await fetchStream(server.address, `{"token": "${server.token}", \n`)).error).toMatchObject({ message: expect.stringContaining('not JSON') })
  })

  it('the built CLI: a 0600 Unix socket, or 127.0.0.1 with the token in a 0600 file; worker threads give the same bytes', async () => {
    const out = await exportNpy()
    const recipe = join(tmp(), 'r.json')
    writeFileSync(recipe, JSON.stringify(recipeJson))
    const base = [
      CLI,
      'stream',
      '--images',
      source().images,
      '--masks',
      source().masks,
      '--recipe',
      recipe,
      '--seed',
      '5',
      '--batch-size',
      '3',
      '--epochs',
      '3',
    ]
    const launch = async (extra: string[]) => {
      const child = spawn('node', [...base, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] })
      const line = await new Promise<string>((resolve, reject) => {
        let text = ''
        child.stdout.on('data', (c) => {
          text += c
          if (text.includes('\n')) resolve(text.split('\n')[0])
        })
        child.on('exit', (code) => reject(new Error(`lockstep stream exited ${code}`)))
      })
      return { child, line }
    }
    const sock = join(tmp(), 'l.sock')
    const a = await launch(['--socket', sock, '--workers', '2'])
    try {
      const m = /^Lockstep stream at (unix:\S+) token=(\w+)$/.exec(a.line)!
      expect(m[1]).toBe(`unix:${sock}`)
      expect(statSync(sock).mode & 0o777).toBe(0o600)
      const r = await fetchStream(m[1], { token: m[2] })
      expect(r.frames).toHaveLength(9)
      for (const f of r.frames) expectFrameIsNpy(f, out)
    } finally {
      a.child.kill('SIGINT')
    }
    const tokenFile = join(tmp(), 'token')
    const b = await launch(['--port', '0', '--token-file', tokenFile])
    try {
      const m = /^Lockstep stream at (tcp:\/\/127\.0\.0\.1:\d+) token=@(.+)$/.exec(b.line)!
      expect(m[2]).toBe(tokenFile)
      expect(statSync(tokenFile).mode & 0o777).toBe(0o600)
      const r = await fetchStream(m[1], { token: readFileSync(tokenFile, 'utf8').trim(), start: { epoch: 2, batch: 0 } })
      expect(r.frames).toHaveLength(3)
      for (const f of r.frames) expectFrameIsNpy(f, out)
    } finally {
      b.child.kill('SIGINT')
    }
    await expect(
      new Promise((resolve, reject) => {
        const c = spawn('node', [...base, '--port', '0', '--prefetch', '0'], { stdio: ['ignore', 'pipe', 'pipe'] })
        let err = ''
        c.stderr.on('data', (d) => (err += d))
        c.on('exit', (code) => (code === 2 ? reject(new Error(err)) : resolve(code)))
      }),
    ).rejects.toThrow(/--prefetch must be ≥ 1 but received 0/)
  })
})
