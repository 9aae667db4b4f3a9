// Repeated draws and normalisation at export.
// - With steps per epoch past one pass, a sample drawn again in the same epoch gets a fresh
//   augmentation (its draw index is in the plan key), named x.d1.png beside x.png; draw 0 hashes
//   exactly as keys did before draws existed, and a manifest line without `draw` replays as draw 0.
// - npy's x as float32: featurewise (the project's or the folder's mean/std), samplewise, rescale,
//   checked against NumPy; recorded in export.json.
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { parseRecipe } from '../../src/shared/recipe'
import { rngFor } from '../../src/main/augment/rng'
import { plan } from '../../src/main/augment/plan'
import { runExport, type ExportRunOptions } from '../../src/main/export/job'
import { EPSILON, resolveNormalization } from '../../src/main/export/normalize'
import { folderInputs, folderStats } from '../../src/main/export/sources'
import { CLI, exportArgv, makePairs, RECIPE, run, tmp } from './helpers'

const PY = '/usr/bin/python3'
let data: { images: string; masks: string }
const general = parseRecipe({ ...RECIPE, ops: [...RECIPE.ops, { type: 'rotate', p: 1, degrees: [-20, 20] }, { type: 'gaussian_noise', p: 1, std: [2, 6] }] })

beforeAll(async () => {
  data = await makePairs(tmp(), 5)
})

function opts(out: string, extra: Partial<ExportRunOptions> = {}): ExportRunOptions {
  return {
    sources: folderInputs(data.images, data.masks).sources,
    recipe: general,
    seed: 8,
    epochs: 1,
    batchSize: 4,
    stepsPerEpoch: 4, // 16 outputs from 5 samples: 11 repeated draws
    dropLast: false,
    imageFormat: 'png',
    quality: 90,
    formats: ['folders', 'npy'],
    out,
    workers: 0,
    ...extra,
  }
}

function lines(out: string): Array<Record<string, any>> {
  return readFileSync(join(out, 'manifest.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
}

describe('repeated draws', () => {
  it('draw 0 hashes as keys did before draws existed; other draws are other streams', () => {
    const key = { seed: 3, epoch: 2, sampleId: 'a/b' }
    const seq = (k: Parameters<typeof rngFor>[0]) => Array.from({ length: 4 }, (_, i) => rngFor(k, 1).u32() + i)
    expect(seq({ ...key, draw: 0 })).toEqual(seq(key))
    expect(seq({ ...key, draw: 1 })).not.toEqual(seq(key))
    expect(seq({ ...key, draw: 1 })).not.toEqual(seq({ ...key, draw: 2 }))
    // a plan's key says draw only when it is not 0 (plans of draw 0 are the bytes they always were)
    expect(plan(general, { width: 80, height: 60 }, key).key).toEqual(key)
    expect(plan(general, { width: 80, height: 60 }, { ...key, draw: 2 }).key).toEqual({ ...key, draw: 2 })
  })

  it('gives a sample drawn again in one epoch a fresh augmentation, named apart, recorded in the manifest; replay honours the draw', async () => {
    const out = tmp()
    await runExport(opts(out))
    const ls = lines(out)
    expect(ls).toHaveLength(16)
    // draws count the earlier draws of that sample in the epoch
    const seen = new Map<string, number>()
    for (const l of ls) {
      const d = seen.get(l.sampleId) ?? 0
      expect(l.draw).toBe(d)
      seen.set(l.sampleId, d + 1)
      expect(l.plan.key.draw).toBe(d === 0 ? undefined : d)
      expect(l.files.folders.image).toBe(`images/${l.sampleId}${d ? `.d${d}` : ''}.png`)
    }
    const again = ls.filter((l) => l.draw > 0)
    expect(again.length).toBe(11)
    const first = ls.find((l) => l.sampleId === again[0].sampleId && l.draw === 0)!
    expect(JSON.stringify(again[0].plan.steps)).not.toBe(JSON.stringify(first.plan.steps))
    expect(readFileSync(join(out, again[0].files.folders.image)).equals(readFileSync(join(out, first.files.folders.image)))).toBe(false)

    // replay of a repeated draw, and of an old line (no draw anywhere) as draw 0
    const k = ls.indexOf(again[0]) + 1
    const c = await run('node', [CLI, 'replay', '--manifest', join(out, 'manifest.jsonl'), '--line', String(k), '--check'])
    expect(c.stdout).toContain('replays byte for byte in folders, npy')
    const old = tmp()
    const firstIndex = ls.indexOf(first)
    const stripped = ls.map((l) => {
      const { draw: _d, files: _f, ...rest } = l
      return JSON.stringify(rest)
    })
    writeFileSync(join(old, 'manifest.jsonl'), stripped.join('\n') + '\n')
    writeFileSync(join(old, 'export.json'), readFileSync(join(out, 'export.json')))
    const dest = tmp()
    await run('node', [CLI, 'replay', '--manifest', join(old, 'manifest.jsonl'), '--line', String(firstIndex + 1), '--out', dest])
    expect(readFileSync(join(dest, 'images', `${first.sampleId}.png`)).equals(readFileSync(join(out, first.files.folders.image)))).toBe(true)
  })
})

/** NumPy's view of an npy export: each x batch, and its uint8 twin's values pushed through the normalisation NumPy computes. */
function numpyCheck(uint8Dir: string, floatDir: string, mode: string, mean?: number[], std?: number[]): { maxAbs: number; dtype: string; yEqual: boolean } {
  const script = `
import json, glob, os, sys, numpy as np
a, b, mode = sys.argv[1], sys.argv[2], sys.argv[3]
mean = np.array(json.loads(sys.argv[4])) if len(sys.argv) > 4 else None
std = np.array(json.loads(sys.argv[5])) if len(sys.argv) > 5 else None
worst, dtype, y_equal = 0.0, None, True
for xa in sorted(glob.glob(os.path.join(a, 'npy', 'x_*.npy'))):
    name = os.path.basename(xa)
    x = np.load(xa).astype(np.float64)
    f = np.load(os.path.join(b, 'npy', name))
    dtype = str(f.dtype)
    if mode == 'featurewise':
        want = ((x - mean) / (std + ${EPSILON})).astype(np.float32)
        worst = max(worst, float(np.abs(want.view(np.uint32).astype(np.int64) - f.view(np.uint32).astype(np.int64)).max()))
    elif mode == 'samplewise':
        for i in range(x.shape[0]):
            want = (x[i] - x[i].mean()) / (x[i].std() + ${EPSILON})
            worst = max(worst, float(np.abs(want - f[i]).max()))
    else:
        worst = max(worst, float(np.abs(x * (1 / 255) - f).max()))
    y_equal = y_equal and np.array_equal(np.load(os.path.join(a, 'npy', name.replace('x_', 'y_'))), np.load(os.path.join(b, 'npy', name.replace('x_', 'y_'))))
print(json.dumps({'maxAbs': worst, 'dtype': dtype, 'yEqual': bool(y_equal)}))
`
  const args = ['-c', script, uint8Dir, floatDir, mode, ...(mean ? [JSON.stringify(mean), JSON.stringify(std)] : [])]
  return JSON.parse(execFileSync(PY, args, { encoding: 'utf8' }))
}

describe('normalisation at export', () => {
  it('featurewise: float32 x equal, bit for bit, to NumPy (x - mean) / (std + 1e-6) with the folder statistics; recorded in export.json', async () => {
    const base = tmp()
    await runExport(opts(base, { formats: ['npy'] }))
    const stats = await folderStats(folderInputs(data.images, data.masks).sources)
    const out = tmp()
    await runExport(opts(out, { formats: ['npy'], normalize: resolveNormalization('featurewise', stats) }))
    const desc = JSON.parse(readFileSync(join(out, 'export.json'), 'utf8'))
    expect(desc.normalize).toEqual({ mode: 'featurewise', mean: stats.mean, std: stats.std, epsilon: EPSILON })
    const r = numpyCheck(base, out, 'featurewise', stats.mean, stats.std)
    expect(r).toEqual({ maxAbs: 0, dtype: 'float32', yEqual: true })
    // NumPy's own mean/std over every pixel of the sources are the statistics used
    const np = JSON.parse(
      execFileSync(
        PY,
        [
          '-c',
          `import sys, json, glob, numpy as np; from PIL import Image; x = np.concatenate([np.asarray(Image.open(p).convert('RGB')).reshape(-1, 3) for p in sorted(glob.glob(sys.argv[1] + '/*.png'))]).astype(np.float64); print(json.dumps([x.mean(0).tolist(), x.std(0).tolist()]))`,
          data.images,
        ],
        { encoding: 'utf8' },
      ),
    ) as number[][]
    for (let c = 0; c < 3; c++) {
      expect(stats.mean[c]).toBeCloseTo(np[0][c], 9)
      expect(stats.std[c]).toBeCloseTo(np[1][c], 9)
    }
  })

  it('samplewise and rescale: as NumPy computes them; without npy it is refused', async () => {
    const base = tmp()
    await runExport(opts(base, { formats: ['npy'] }))
    const sw = tmp()
    await runExport(opts(sw, { formats: ['npy'], normalize: resolveNormalization('samplewise', null) }))
    const s = numpyCheck(base, sw, 'samplewise')
    expect(s.dtype).toBe('float32')
    expect(s.maxAbs).toBeLessThan(1e-5)
    expect(s.yEqual).toBe(true)
    const rs = tmp()
    await runExport(opts(rs, { formats: ['npy'], normalize: resolveNormalization({ rescale: 1 / 255 }, null) }))
    expect(numpyCheck(base, rs, 'rescale').maxAbs).toBeLessThan(1e-7)
    expect(JSON.parse(readFileSync(join(rs, 'export.json'), 'utf8')).normalize).toEqual({ mode: 'rescale', factor: 1 / 255 })
    await expect(runExport(opts(tmp(), { formats: ['folders'], normalize: resolveNormalization('samplewise', null) }))).rejects.toThrow(
      /needs a format of raw pixels \(npy\)/,
    )
  })

  it('the CLI takes --normalize (a bad value names the flag), and replay --check compares normalised rows', async () => {
    const recipe = join(tmp(), 'r.json')
    writeFileSync(recipe, JSON.stringify(RECIPE))
    const args = (out: string) => exportArgv(data, recipe, out, '--format', 'npy', '--batch-size', '2', '--epochs', '2', '--normalize', 'rescale=1/255')
    const out = tmp()
    await run('node', args(out))
    expect(JSON.parse(readFileSync(join(out, 'export.json'), 'utf8')).normalize).toEqual({ mode: 'rescale', factor: 1 / 255 })
    const c = await run('node', [CLI, 'replay', '--manifest', join(out, 'manifest.jsonl'), '--line', '3', '--check'])
    expect(c.stdout).toContain('replays byte for byte in npy')
    await expect(run('node', [...args(tmp()), '--normalize', 'zscore'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--normalize:') })
  })
})
