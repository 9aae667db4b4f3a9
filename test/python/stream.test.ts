// The Python stream client (python/lockstep/stream.py) and its PyTorch dataset, against a stand-in
// server written from docs/stream-protocol.md (standin-stream.mjs), and against the real
// `lockstep stream` where this build has it: every batch is the npy export's bytes, slices are
// disjoint and cover each epoch, a trainer resumes where it stopped, and every failure says what
// happened (wrong token, refusal, a crash mid-frame, no server).
import { execFile } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, it } from 'vitest'
import { writePair } from '../fixtures/pairs'
import { tmp } from '../export/helpers'
import { CLI, HERE, lockstepExport, py, writeJson } from './helpers'

const exec = promisify(execFile)
let out: string
let sources: { images: string; masks: string; recipe: string }
const OPTIONS = ['--seed', '3', '--batch-size', '4', '--epochs', '2']

beforeAll(async () => {
  const dir = tmp('lockstep-py-stream-')
  for (let i = 0; i < 10; i++) await writePair(dir, `p${i}`, { seed: i + 1, mask: i % 3 === 1 ? 'grey16' : 'grey8' })
  const broken = await writePair(dir, 'broken', { seed: 99 })
  writeFileSync(broken.image, readFileSync(broken.image).subarray(0, 200))
  const recipe = writeJson(join(dir, 'recipe.json'), {
    schema: 'lockstep.recipe/1',
    output: { width: 40, height: 32 },
    mask: { ignoreIndex: 255 },
    ops: [
      { type: 'random_crop', p: 1, width: 40, height: 32 },
      { type: 'hflip', p: 0.5 },
      { type: 'brightness', p: 1, limit: [-0.2, 0.2] },
    ],
  })
  sources = { images: join(dir, 'images'), masks: join(dir, 'masks'), recipe }
  out = tmp('lockstep-py-stream-npy-')
  const r = await lockstepExport(['--images', sources.images, '--masks', sources.masks, '--recipe', recipe, '--out', out, '--format', 'npy', ...OPTIONS])
  expect(r.code, r.stderr).toBe(1) // the broken pair
})

function checkStream(r: any, real: boolean): void {
  const all = [
    [0, 0],
    [0, 1],
    [0, 2],
    [1, 0],
    [1, 1],
    [1, 2],
  ]
  expect(r.header).toMatchObject({
    schema: 'lockstep.stream/1',
    batchSize: 4,
    height: 32,
    width: 40,
    channels: 3,
    dtype: 'uint8',
    batchesPerEpoch: 3,
    epochs: 2,
    seed: 3,
  })
  expect(r.all).toEqual(all)
  expect(r.allSame).toEqual(all.map(() => true))
  expect(r.recordsSame).toBe(true)
  expect(Object.values(r.failed)).toEqual([['broken'], ['broken']])
  expect(r.ranks).toEqual([
    [
      [0, 0],
      [1, 0],
    ],
    [
      [0, 1],
      [1, 1],
    ],
    [
      [0, 2],
      [1, 2],
    ],
  ])
  expect(r.ranksSame).toBe(true)
  expect(r.noRecords).toEqual([null])
  expect(r.stop).toEqual(all.slice(0, 3))
  expect(r.savedPosition).toEqual([0, 2])
  expect(r.again).toEqual([6, [2, 0]])
  expect(r.resumed).toEqual(all)
  expect(r.resumedSame).toBe(true)
  expect(r.startMidRank).toEqual([[1, 1]])
  // even: 3 batches per epoch over 2 ranks -> each rank one batch per epoch, the third left out
  expect(r.even).toEqual([
    [
      [0, 0],
      [1, 0],
    ],
    [
      [0, 1],
      [1, 1],
    ],
  ])
  expect(r.xy).toEqual(['tuple', 2, [expect.any(Number), 32, 40, 3], 'uint8', [expect.any(Number), 32, 40]])
  expect(r.wrongToken).toMatch(/closed the connection without answering \(a wrong token is refused this way\)$/)
  expect(r.tcpAddress).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/)
  expect(r.tcpSame).toBe(true)
  expect(r.noServer).toMatch(/^cannot connect to lockstep stream at unix:.*nobody\.sock: No such file or directory$/)
  expect(r.badAddress).toBe("'http://example' is not a stream address (expected unix:PATH or tcp://127.0.0.1:PORT)")
  expect(r.exitsEarly).toBe('node -e process.exit(4) exited with status 4 before printing its address (its messages are on stderr)')
  expect(r.printsOther).toContain("printed 'hello' instead of 'Lockstep stream at ADDRESS token=TOKEN'")
  if (real) return
  expect(r.tokenFileMode).toBe('0o600')
  expect(r.tokenFile).toBe(2)
  expect(r.refused).toMatch(/refused: this stand-in was told to refuse \(BUSY\)$/)
  expect(r.crash).toMatch(/closed the connection in the middle of batch \(epoch 0, batch 2\) \(no end-of-stream frame\); resume with start=\(0, 2\)$/)
  expect(r.crashSeen).toEqual([
    [0, 0],
    [0, 1],
  ])
  expect(r.crashPosition).toEqual([0, 2])
}

const standin = () => JSON.stringify(['node', join(HERE, 'standin-stream.mjs'), '--export', out])

describe('python stream client against a stand-in server (docs/stream-protocol.md)', () => {
  it('receives the npy export’s batches byte for byte, in slices, resumable, with clear errors', async () => {
    checkStream(await py('check_stream.py', [out, tmp('lockstep-py-sock-'), standin()]), false)
  })

  it('gives each DataLoader worker and each rank its own slice of whole batches (PyTorch)', async () => {
    const r = await py('check_torch.py', [out, tmp('lockstep-py-sock-'), standin()])
    // rank 1 of 2, 2 workers: stream slices 2 and 3 of 4 (epochs of 3 batches: only batch 2)
    expect(r.streamRank1Workers2[0]).toEqual([
      [0, 2],
      [1, 2],
    ])
    expect(r.streamRank1Workers2[1]).toBe(true)
    // items are the batches themselves (N x H x W x 3), not batches of batches
    for (const shape of r.streamRank1Workers2[2]) expect(shape).toMatch(/^\(\([23], 32, 40, 3\), 'torch.uint8', \([23], 32, 40\), 'torch.int64'\)$/)
    expect(r.keptMaskDtypes).toEqual(['torch.int32', 'torch.uint8'])
    expect(r.streamRank0Workers2).toEqual([
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ])
    expect(r.streamEnvRank).toEqual([
      [0, 1],
      [1, 1],
    ])
    expect(r.streamEpoch1).toEqual([[1, 2]])
    for (const fmt of ['npy', 'webdataset', 'folders'].filter((f) => r[f])) {
      expect(r[fmt][1], fmt).toBe(true)
    }
    expect(r.npy[0].map(String).sort()).toEqual(['0,0', '0,1', '0,2', '1,0', '1,1', '1,2'])
    expect(r.batchSize).toBe('the items are whole batches already: leave batch_size out (it would re-batch them)')
  })
})

// The real server: once `lockstep stream` is built, the same checks run against it.
const realStream = await exec('node', [CLI, 'stream', '--help']).then(
  () => true,
  () => false,
)
if (!realStream) console.log('python client against the real `lockstep stream`: skipped, this build has no `lockstep stream` command yet')

describe.skipIf(!realStream)('python stream client against the real `lockstep stream`', () => {
  it('receives the npy export’s batches byte for byte, in slices, resumable', async () => {
    const command = ['node', CLI, 'stream', '--images', sources.images, '--masks', sources.masks, '--recipe', sources.recipe, ...OPTIONS]
    checkStream(await py('check_stream.py', [out, tmp('lockstep-py-sock-'), JSON.stringify(command), 'real']), true)
  })
})
