// The export pipeline on the calling thread (--workers 0): formats, order, shards, resume, cancel,
// errors. The worker-thread path is exercised through the built CLI in cli.test.ts.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import sharp from 'sharp'
import { chmodSync, existsSync, mkdirSync, promises as fsp, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { parseRecipe } from '../../src/shared/recipe'
import { runExport, type ExportRunOptions } from '../../src/main/export/job'
import { folderInputs } from '../../src/main/export/sources'
import { checkWholeFiles, expectSameFiles, makePairs, RECIPE, snapshot, tmp } from './helpers'
import { formatPlugin } from '../../src/main/export/formats'
import { parseNpy } from '../../src/main/export/writers/npy'
import { tarMembers } from '../../src/main/export/writers/tar'

const PY = '/usr/bin/python3'
let data: { images: string; masks: string }

function opts(out: string, extra: Partial<ExportRunOptions> = {}): ExportRunOptions {
  const inputs = folderInputs(data.images, data.masks)
  return {
    sources: inputs.sources,
    recipe: parseRecipe(RECIPE),
    seed: 5,
    epochs: 2,
    batchSize: 4,
    dropLast: false,
    imageFormat: 'png',
    quality: 90,
    formats: ['folders', 'npy', 'webdataset'],
    out,
    workers: 0,
    formatOptions: { webdataset: { samples: 8 } },
    ...extra,
  }
}

function manifest(out: string): Array<Record<string, any>> {
  return readFileSync(join(out, 'manifest.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
}

beforeAll(async () => {
  data = await makePairs(tmp(), 10)
})

describe('export on the calling thread', () => {
  it('writes folders, npy and webdataset whose pixels agree, with a manifest line per output', async () => {
    const out = tmp()
    const s = await runExport(opts(out))
    expect(s).toMatchObject({ outputs: 20, written: 20, failedOutputs: 0, resumed: 0 })
    const lines = manifest(out)
    expect(lines).toHaveLength(20)
    expect(lines.map((l) => [l.epoch, l.batch, l.index])).toEqual(
      [0, 1].flatMap((e) => [0, 1, 2].flatMap((b) => Array.from({ length: b === 2 ? 2 : 4 }, (_, i) => [e, b, i]))),
    )
    // each epoch visits every sample once
    for (const e of [0, 1]) expect(new Set(lines.filter((l) => l.epoch === e).map((l) => l.sampleId)).size).toBe(10)
    expect(lines[0].source.imageSha256).toMatch(/^[0-9a-f]{64}$/)
    expect(lines[0].plan.key).toEqual({ seed: 5, epoch: 0, sampleId: lines[0].sampleId })
    const files = readdirSync(join(out, 'npy')).sort()
    expect(files).toEqual(
      ['e0000_b00000', 'e0000_b00001', 'e0000_b00002', 'e0001_b00000', 'e0001_b00001', 'e0001_b00002'].flatMap((t) => [`x_${t}.npy`, `y_${t}.npy`]).sort(),
    )
    const desc = JSON.parse(readFileSync(join(out, 'export.json'), 'utf8'))
    expect(desc).toMatchObject({ schema: 'lockstep.export/1', seed: 5, options: { epochs: 2, batchSize: 4 }, order: { totalOutputs: 20, batchesPerEpoch: 3 } })

    // numpy reads every batch (also memory-mapped) with the right shape and dtype, and its pixels
    // are the folder export's pixels; tarfile reads every shard and its members are the same bytes.
    const script = `
import json, sys, os, tarfile, hashlib, numpy as np
out = sys.argv[1]
lines = [json.loads(l) for l in open(os.path.join(out, 'manifest.jsonl'))]
rows = []
for l in lines:
    f = l['files']
    for mm in (None, 'r'):
        x = np.load(os.path.join(out, f['npy']['x']), mmap_mode=mm)
        y = np.load(os.path.join(out, f['npy']['y']), mmap_mode=mm)
        assert x.dtype == np.uint8 and x.ndim == 4 and x.shape[1:] == (24, 32, 3), x.shape
        assert y.dtype == np.uint8 and y.shape == x.shape[:3], (y.shape, x.shape)
        assert x.shape[0] == (2 if l['batch'] == 2 else 4)
    with tarfile.open(os.path.join(out, f['webdataset']['tar'])) as t:
        key = f['webdataset']['key']
        assert t.extractfile(key + '.png').read() == open(os.path.join(out, f['folders']['image']), 'rb').read()
        assert t.extractfile(key + '.mask.png').read() == open(os.path.join(out, f['folders']['mask']), 'rb').read()
        meta = json.loads(t.extractfile(key + '.json').read())
        assert meta['plan'] == l['plan'] and meta['sampleId'] == l['sampleId']
    r = f['npy']['row']
    rows.append([hashlib.sha256(np.ascontiguousarray(x[r]).tobytes()).hexdigest(), hashlib.sha256(np.ascontiguousarray(y[r]).tobytes()).hexdigest()])
names = sorted(os.listdir(os.path.join(out, 'webdataset')))
total = sum(len(tarfile.open(os.path.join(out, 'webdataset', n)).getnames()) for n in names)
print(json.dumps({'rows': rows, 'tars': len(names), 'members': total}))
`
    const r = JSON.parse(execFileSync(PY, ['-c', script, out], { encoding: 'utf8' }))
    // numpy's pixels are the folder export's pixels (decoded here with sharp)
    const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')
    for (const [i, l] of lines.entries()) {
      const img = await sharp(join(out, l.files.folders.image)).raw().toBuffer()
      const msk = await sharp(join(out, l.files.folders.mask)).extractChannel(0).raw().toBuffer()
      expect(r.rows[i], `output ${i}`).toEqual([sha(img), sha(msk)])
    }
    // 20 outputs; tars of 2 batches (8 samples): 3 batches/epoch x 2 epochs = 6 batches -> 3 tars, 3 members per sample
    expect([r.tars, r.members]).toEqual([3, 60])
  })

  it('is byte-identical on a re-run, and the union of shards is the whole export', async () => {
    const a = tmp()
    const b = tmp()
    await runExport(opts(a))
    await runExport(opts(b, { memoryBudget: 1 })) // no decode reuse at all: every output from files
    const noDesc = (rel: string) => rel === 'export.json'
    expect(expectSameFiles(snapshot(a), snapshot(b))).toEqual([])
    const parts = [0, 1, 2].map(() => tmp())
    for (let i = 0; i < 3; i++) await runExport(opts(parts[i], { shard: { index: i, count: 3 } }))
    const union = new Map<string, Buffer>()
    let manifestText = ''
    for (const p of parts) {
      for (const [k, v] of snapshot(p, (rel) => noDesc(rel) || rel === 'manifest.jsonl')) {
        expect(union.has(k)).toBe(false) // disjoint
        union.set(k, v)
      }
      manifestText += readFileSync(join(p, 'manifest.jsonl'), 'utf8')
    }
    expect(
      expectSameFiles(
        snapshot(a, (rel) => noDesc(rel) || rel === 'manifest.jsonl'),
        union,
      ),
    ).toEqual([])
    expect(manifestText).toBe(readFileSync(join(a, 'manifest.jsonl'), 'utf8'))
  })

  it('steps-per-epoch and drop-last give the promised number of outputs and batches', async () => {
    const out = tmp()
    const s = await runExport(opts(out, { epochs: 1, batchSize: 4, stepsPerEpoch: 4, formats: ['npy', 'folders'] }))
    expect(s.outputs).toBe(16)
    expect(manifest(out)).toHaveLength(16)
    expect(readdirSync(join(out, 'npy')).filter((f) => f.startsWith('x_'))).toHaveLength(4)
    const d = tmp()
    const s2 = await runExport(opts(d, { epochs: 1, batchSize: 4, dropLast: true, formats: ['npy'] }))
    expect(s2.outputs).toBe(8)
    expect(
      readdirSync(join(d, 'npy'))
        .filter((f) => f.startsWith('x_'))
        .sort(),
    ).toEqual(['x_e0000_b00000.npy', 'x_e0000_b00001.npy'])
  })

  it('cancel keeps every output handed to the writers journaled (the npy batch and the tar in progress closed short); the resumed export equals an uninterrupted one', async () => {
    const whole = tmp()
    await runExport(opts(whole))
    const out = tmp()
    const controller = new AbortController()
    let seen = 0
    await expect(
      runExport(
        opts(out, {
          signal: controller.signal,
          progressIntervalMs: 0,
          onProgress: (p) => {
            seen = p.done
            if (p.done >= 9) controller.abort()
          },
        }),
      ),
    ).rejects.toMatchObject({ code: 'CANCELLED' })
    expect(seen).toBeGreaterThanOrEqual(9)
    const lines = manifest(out)
    // nothing rendered and written is lost: 9 outputs handed over, 9 lines (mid-batch, mid-tar)
    expect(lines.length).toBe(9)
    const ref = snapshot(whole)
    expect(checkWholeFiles(out, ref)).toEqual([])
    const after = snapshot(out)
    const last = lines[8]
    // the batch and the tar in progress were closed short, valid, holding exactly the journaled outputs
    expect(parseNpy(after.get(last.files.npy.x)!, 'x').shape[0]).toBe(last.files.npy.row + 1)
    expect([...tarMembers(after.get(last.files.webdataset.tar)!, 'tar')].length).toBe(
      3 * lines.filter((l) => l.files.webdataset.tar === last.files.webdataset.tar).length,
    )
    for (const l of lines) {
      for (const f of ['folders', 'npy', 'webdataset'])
        expect((await formatPlugin(f).read(out, l as never)).image ?? (await formatPlugin(f).read(out, l as never)).x).toBeDefined()
    }
    const s = await runExport(opts(out))
    expect(s.resumed).toBe(lines.length)
    expect(expectSameFiles(ref, snapshot(out))).toEqual([])
  })

  it('refuses to resume into a folder that holds a different export', async () => {
    const out = tmp()
    await runExport(opts(out, { epochs: 1 }))
    await expect(runExport(opts(out, { epochs: 1, seed: 6 }))).rejects.toThrow(/already holds a different export/)
  })

  it('a pair that fails is named; every other output is written', async () => {
    const dir = tmp()
    const d = await makePairs(dir, 4)
    writeFileSync(join(d.images, 'p001.png'), Buffer.from('not a png at all'))
    const inputs = folderInputs(d.images, d.masks)
    const out = tmp()
    const s = await runExport({ ...opts(out, { epochs: 1, batchSize: 2 }), sources: inputs.sources })
    expect(s.failed).toHaveLength(1)
    expect(s.failed[0].image).toBe(join(d.images, 'p001.png'))
    expect(s.failed[0].error.message).toContain('p001.png')
    expect(s.written).toBe(3)
    expect(s.failedOutputs).toBe(1)
    const lines = manifest(out)
    expect(lines).toHaveLength(4)
    expect(lines.filter((l) => l.error).map((l) => l.sampleId)).toEqual(['p001'])
    expect(existsSync(join(out, 'images', 'p000.png'))).toBe(true)
    expect(existsSync(join(out, 'images', 'p001.png'))).toBe(false)
    // the npy batch holding the failed pair has one row less
    const r = execFileSync(PY, ['-c', 'import numpy as np,sys,glob; print(sorted(np.load(f).shape[0] for f in glob.glob(sys.argv[1]+"/npy/x_*.npy")))', out], {
      encoding: 'utf8',
    })
    expect(r.trim()).toBe('[1, 2]')
  })

  for (const victim of ['images/e0001/p006.png', 'npy/x_e0000_b00001.npy']) {
    it(`a full disk (${victim} written to /dev/full) stops with DISK_FULL naming the file; every journaled file is complete and a re-run finishes identically`, async () => {
      const whole = tmp()
      await runExport(opts(whole))
      const out = tmp()
      // the kernel's own ENOSPC: this one file's temporary copy is opened on /dev/full (through
      // fs.promises: the native batch writer meets /dev/full in test/export/files.test.ts)
      process.env.LOCKSTEP_NATIVE_FILES = '0'
      const open = fsp.open.bind(fsp)
      const spy = vi
        .spyOn(fsp, 'open')
        .mockImplementation(((path: string, ...rest: unknown[]) =>
          (open as (...a: unknown[]) => unknown)(String(path).endsWith(`${victim}.partial`) ? '/dev/full' : path, ...rest)) as typeof fsp.open)
      try {
        await expect(runExport(opts(out))).rejects.toMatchObject({ code: 'DISK_FULL', message: expect.stringContaining(join(out, victim)) })
      } finally {
        spy.mockRestore()
        delete process.env.LOCKSTEP_NATIVE_FILES
      }
      const after = snapshot(out)
      expect([...after.keys()].filter((k) => k.endsWith('.partial'))).toEqual([])
      expect(after.has(victim)).toBe(false)
      const ref = snapshot(whole)
      // whatever stands under a final name is complete (equal to the uninterrupted export's file)
      // (a tar the failure closed short is a valid tar of the first members: its bytes before the
      // end-of-archive blocks are the start of the complete tar's)
      for (const [rel, bytes] of after) {
        if (rel === 'manifest.jsonl' || rel === 'export.json') continue
        const whole = ref.get(rel)!
        if (rel.startsWith('webdataset/') && !bytes.equals(whole)) {
          const body = bytes.subarray(0, bytes.length - 1024)
          expect(
            bytes.subarray(body.length).every((b) => b === 0),
            `${rel} ends with the end-of-archive blocks`,
          ).toBe(true)
          expect(
            body.length > 0 && body.length < whole.length && whole.subarray(0, body.length).equals(body),
            `${rel} is the complete tar's first members`,
          ).toBe(true)
          continue
        }
        expect(bytes.equals(whole), rel).toBe(true)
      }
      const journaled = readFileSync(join(out, 'manifest.jsonl'), 'utf8').split('\n').filter(Boolean).length
      const s = await runExport(opts(out))
      expect(s.resumed).toBe(journaled)
      expect(expectSameFiles(ref, snapshot(out))).toEqual([])
    })
  }

  it('an unwritable output folder stops with an error naming the path and leaves no partial file', async () => {
    if (process.getuid?.() === 0) {
      // root ignores permissions: use a path under a file instead
      const base = tmp()
      writeFileSync(join(base, 'file'), 'x')
      await expect(runExport(opts(join(base, 'file', 'out')))).rejects.toThrow(join(base, 'file'))
      return
    }
    const base = tmp()
    const out = join(base, 'ro')
    mkdirSync(out)
    chmodSync(out, 0o500)
    try {
      await expect(runExport(opts(out))).rejects.toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining(out) })
    } finally {
      chmodSync(out, 0o700)
      rmSync(base, { recursive: true, force: true })
    }
  })
})
