// The Python readers (python/lockstep) on exports written by the real CLI: every format gives the
// npy files' bytes row for row, every row is its source replayed from its plan, 16-bit masks stay
// 16-bit, failed sources are named, slices are disjoint, and damaged files are named with the
// problem. Run with Debian's /usr/bin/python3 (numpy, Pillow, OpenCV).
import { createHash } from 'node:crypto'
import { cpSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { beforeAll, describe, expect, it } from 'vitest'
import { GREY16_VALUES, writePair } from '../fixtures/pairs'
import { tmp } from '../export/helpers'
import { lockstepExport, py, PY, pyEnv, ROOT, writeJson } from './helpers'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const exec = promisify(execFile)
let png: string
let jpeg: string

const RECIPE = {
  schema: 'lockstep.recipe/1',
  output: { width: 48, height: 40 },
  mask: { ignoreIndex: 255 },
  // crops and flips only: exact pixel copies, so a row can be replayed from its plan in NumPy
  ops: [
    { type: 'random_crop', p: 1, width: 48, height: 40 },
    { type: 'hflip', p: 0.5 },
    { type: 'vflip', p: 0.5 },
  ],
}

beforeAll(async () => {
  const dir = tmp('lockstep-py-')
  for (let i = 0; i < 10; i++) await writePair(dir, `p${i}`, { seed: i + 1, mask: i % 3 === 1 ? 'grey16' : 'grey8' })
  // one source that fails: its rows are left out of every format and named in the manifest
  const broken = await writePair(dir, 'broken', { seed: 99 })
  writeFileSync(broken.image, readFileSync(broken.image).subarray(0, 200))
  const recipe = writeJson(join(dir, 'recipe.json'), RECIPE)
  const common = [
    '--images',
    join(dir, 'images'),
    '--masks',
    join(dir, 'masks'),
    '--recipe',
    recipe,
    '--seed',
    '3',
    '--batch-size',
    '4',
    '--format',
    'folders,npy,webdataset',
    '--wds-samples',
    '8',
  ]
  png = tmp('lockstep-py-png-')
  jpeg = tmp('lockstep-py-jpeg-')
  const [a, b] = await Promise.all([
    lockstepExport([...common, '--out', png, '--epochs', '2', '--image-format', 'png']),
    lockstepExport([...common, '--out', jpeg, '--epochs', '1', '--image-format', 'jpeg', '--quality', '85']),
  ])
  for (const r of [a, b]) {
    expect(r.code, r.stderr).toBe(1)
    expect(r.stderr).toContain('broken.png')
  }
})

describe('python readers on real exports', () => {
  it.each(['pil', 'cv2'])('npy, webdataset and folders give the npy files’ bytes, each row its source replayed from its plan (decoder %s)', async (decoder) => {
    const r = await py('check_readers.py', [png, '--decoder', decoder])
    expect(r.decoder).toBe(decoder)
    for (const fmt of ['npy', 'webdataset', 'folders']) {
      const f = r[fmt]
      expect(f.digest, `${fmt}: the batches' bytes equal the npy files'`).toBe(r.npyFiles)
      // 11 sources x 2 epochs, one failing: 20 rows, each checked against its source and plan
      expect(f.replayChecked, fmt).toBe(20)
      expect(f.replayMismatches, fmt).toEqual([])
      expect(f.maskValues16, `${fmt}: 16-bit mask values survive`).toEqual(expect.arrayContaining(GREY16_VALUES.slice(1)))
      expect(
        f.batches.map((b: any[]) => b.slice(0, 2)),
        fmt,
      ).toEqual([
        [0, 0],
        [0, 1],
        [0, 2],
        [1, 0],
        [1, 1],
        [1, 2],
      ])
      expect(new Set(f.batches.map((b: any[]) => b[3])), fmt).toEqual(new Set(['uint8']))
    }
    expect(r.batchSamples, 'the webdataset-library stage regroups the same batches').toBe(r.npyFiles)
    expect(r.webdataset.sampleIds).toEqual(r.npy.sampleIds)
    expect(r.folders.sampleIds).toEqual(r.npy.sampleIds)
    expect(r.npy.memmapped).toBe(true)
    // the failed source: its batch is one row short (11 sources in batches of 4, 4, 3), and named
    for (const b of r.npy.batches) expect(b[2], `rows of batch ${b[0]}/${b[1]}`).toBe((b[1] === 2 ? 3 : 4) - b[5].length)
    for (const fmt of ['npy', 'folders']) {
      const failed = r[fmt].batches.filter((b: any[]) => b[5].length)
      expect(
        failed.map((b: any[]) => b[5]),
        fmt,
      ).toEqual([['broken'], ['broken']])
    }
    const rows = r.npy.batches.reduce((n: number, b: any[]) => n + b[2], 0)
    expect(rows).toBe(20)
    // slices: disjoint, and their union is every batch
    const { all, ranks, range, rank1From } = r.slices
    expect(ranks.flat().map(String).sort()).toEqual(all.map(String).sort())
    expect(ranks.map((s: number[][]) => s.map((p) => p[1] % 3))).toEqual([
      [0, 0],
      [1, 1],
      [2, 2],
    ])
    expect(range).toEqual([
      [0, 2],
      [1, 0],
      [1, 1],
    ])
    expect(rank1From).toEqual([[1, 1]])
    expect(r.xy).toEqual(['tuple', 2, 'uint8', expect.stringMatching(/^uint(8|16)$/)])
  })

  it('decodes exported JPEGs to the pixels sharp (libvips) decodes, with Pillow and with OpenCV', async () => {
    const r = await py('check_jpeg.py', [jpeg])
    const files = Object.keys(r)
    expect(files.length).toBe(10)
    for (const rel of files) {
      const raw = await sharp(join(jpeg, rel)).removeAlpha().raw().toBuffer()
      const want = createHash('sha256').update(raw).digest('hex')
      expect(r[rel], rel).toEqual({ pil: want, cv2: want })
    }
  })

  it('names the file and the problem for every damaged input, and reads float32 npy x by its dtype', async () => {
    const r = await py('check_errors.py', [png, tmp('lockstep-py-damage-')])
    for (const d of ['pil', 'cv2']) {
      expect(r[`cutImage_${d}`]).toMatchObject({ ok: false, type: 'DecodeError', message: `${r.cutImagePath}: PNG cut short (no IEND chunk at the end)` })
    }
    expect(r.badMask).toMatchObject({
      ok: false,
      type: 'DecodeError',
      message: `${r.badMaskPath}: not a decodable mask: not an image file Pillow knows (JPEG, PNG, WebP, ...)`,
    })
    expect(r.cutTar).toMatchObject({ ok: false, type: 'ExportError', message: expect.stringContaining(`${r.cutTarPath}: cut short (`) })
    expect(r.cutTar.message).toMatch(/: cut short \(\d+ bytes, no end-of-archive blocks\): an incomplete shard$/)
    expect(r.noMaskMember).toMatchObject({ ok: false, message: expect.stringContaining(`${r.droppedMember.replace('.mask.png', '')} lacks mask.png`) })
    expect(r.missingNpy).toMatchObject({ ok: false, type: 'ExportError', message: `${r.missingNpyPath}: missing (the manifest names it)` })
    const short = /manifest\.jsonl: the manifest gives (\d) rows \(.*\) for epoch 0 batch 0 but npy\/x_e0000_b00000\.npy has (\d)$/.exec(r.shortNpy.message)
    expect(short, r.shortNpy.message).not.toBeNull()
    expect(Number(short![1]) - Number(short![2])).toBe(1)
    expect(r.floatX).toEqual({ ok: true, value: ['float32'] })
    expect(r.noManifest.value.map((b: any[]) => b[3])).toEqual([null, null, null, null, null, null])
    expect(r.noManifestSame).toBe(true)
    expect(r.cutManifest).toEqual({ ok: true, value: 19 })
    expect(r.cutManifestWarning).toEqual([expect.stringContaining('manifest.jsonl: the last line is cut short (an interrupted export); it is left out')])
    expect(r.badManifest).toMatchObject({ ok: false, message: expect.stringContaining(`${r.badManifestPath}: line 3 is not JSON`) })
    expect(r.notExport).toMatchObject({ ok: false, message: expect.stringContaining('is not a Lockstep export folder') })
    expect(r.notExportDescription).toMatchObject({ ok: false, message: expect.stringContaining('no export.json') })
    expect(r.badRank).toMatchObject({ ok: false, message: 'rank must be an integer in 0..1, not 2' })
    expect(r.badStart).toMatchObject({ ok: false, message: 'start must be (epoch, batch), e.g. (3, 0), not (1,)' })
  })

  it('says what to install when neither Pillow nor OpenCV is importable (npy needs neither)', async () => {
    const r = await py('check_no_decoder.py', [png])
    expect(r.npyBatches).toBe(6)
    expect(r.folders.ok).toBe(false)
    expect(r.folders.message).toContain('neither Pillow (PIL) nor OpenCV (cv2) is importable')
    expect(r.folders.message).toContain('pip install pillow')
  })

  it('installs with pip (pip install ./python) and imports from where it was installed', async () => {
    const src = tmp('lockstep-py-src-')
    cpSync(join(ROOT, 'python'), src, { recursive: true, filter: (p) => !/(__pycache__|\.egg-info|\/build)$/.test(p) })
    const target = tmp('lockstep-py-site-')
    // no PyPI here: setuptools from the system instead of an isolated build environment
    await exec(
      PY,
      [
        '-m',
        'pip',
        'install',
        '--quiet',
        '--no-build-isolation',
        '--no-deps',
        '--no-index',
        '--no-compile',
        '--disable-pip-version-check',
        '--target',
        target,
        src,
      ],
      { env: pyEnv({ PYTHONPATH: '' }), timeout: 120_000 },
    )
    const { stdout } = await exec(PY, ['-c', 'import lockstep, lockstep.pytorch, sys; print(lockstep.__version__, lockstep.__file__)', png], {
      env: pyEnv({ PYTHONPATH: target }),
    })
    expect(stdout.trim()).toBe(`0.1.0 ${join(target, 'lockstep', '__init__.py')}`)
  })
})
