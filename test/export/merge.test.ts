// lockstep merge, by simulation: three shard processes run in parallel (as a job array would),
// merged, equal the single-machine export byte for byte; a missing, doubled, unfinished, foreign
// or corrupted shard is named; a manifest without hashes (an old one) is still read.
import { spawn } from 'node:child_process'
import { cpSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { parseNpy } from '../../src/main/export/writers/npy'
import { tarMembers } from '../../src/main/export/writers/tar'
import { parseRecipe } from '../../src/shared/recipe'
import { runExport } from '../../src/main/export/job'
import { mergeShards } from '../../src/main/export/merge'
import { folderInputs } from '../../src/main/export/sources'
import { writePair } from '../fixtures/pairs'
import { CLI, expectSameFiles, exportArgv, makePairs, RECIPE, snapshot, tmp } from './helpers'

let data: { images: string; masks: string }
let recipe: string
let whole: string
let shards: string[]

const args = (out: string, ...extra: string[]) =>
  exportArgv(
    data,
    recipe,
    out,
    '--seed',
    '2',
    '--epochs',
    '3',
    '--batch-size',
    '4',
    '--format',
    'folders,npy,webdataset',
    '--image-format',
    'jpeg',
    '--wds-samples',
    '8',
    ...extra,
  )

function exitOf(cmd: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn('node', cmd, { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    c.stdout.on('data', (d) => (stdout += d))
    c.stderr.on('data', (d) => (stderr += d))
    c.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }))
  })
}

const merge = (...a: string[]) => exitOf([CLI, 'merge', ...a])

beforeAll(async () => {
  const dir = tmp()
  data = await makePairs(dir, 26, 64, 48, 'jpg')
  recipe = join(dir, 'recipe.json')
  writeFileSync(recipe, JSON.stringify(RECIPE))
  whole = tmp()
  const root = tmp()
  shards = [0, 1, 2].map((i) => join(root, `shard-${i}`))
  // the single-machine export and three shard processes, all at once
  const runs = await Promise.all([exitOf(args(whole)), ...shards.map((out, i) => exitOf(args(out, '--shard', `${i}/3`)))])
  for (const r of runs) expect(r.code, r.stderr).toBe(0)
})

function lines(dir: string): Array<Record<string, any>> {
  return readFileSync(join(dir, 'manifest.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
}

describe('lockstep merge', () => {
  it('assembles shards run in parallel into the single-machine export, byte for byte', async () => {
    // every manifest line records the sha256 of its output's bytes
    expect(
      lines(whole).every(
        (l) => /^[0-9a-f]{64}$/.test(l.sha256.image) && /^[0-9a-f]{64}$/.test(l.sha256.x) && /^[0-9a-f]{64}$/.test(l.files.webdataset.jsonSha256),
      ),
    ).toBe(true)
    const out = join(tmp(), 'merged')
    const r = await merge(shards[2], shards[0], shards[1], '--out', out)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/3 shard\(s\), 78 outputs, no overlap, no gap, every output checked against its sha256; assembled in .* \(\d+ files\)/)
    const a = snapshot(whole)
    expect(a.size).toBeGreaterThan(78 * 2)
    expect(expectSameFiles(a, snapshot(out))).toEqual([])
    // checking alone (no --out) passes too; an --out that holds an export is refused, untouched
    expect((await merge(...shards)).code).toBe(0)
    expect((await merge(...shards, '--out', out)).stderr).toMatch(/export.json exists: merge into a folder that holds no export \(nothing was placed\)/)
    // the layout of deploy/merge.sh: the shard folders under DIR/shards, the export assembled in DIR
    const shared = tmp()
    for (const [i, s] of shards.entries()) cpSync(s, join(shared, 'shards', String(i)), { recursive: true })
    const d = await merge('--out', shared, ...[0, 1, 2].map((i) => join(shared, 'shards', String(i))))
    expect(d.code, d.stderr).toBe(0)
    expect(
      expectSameFiles(
        a,
        snapshot(shared, (rel) => rel.startsWith('shards/')),
      ),
    ).toEqual([])
  })

  it('names a missing shard, a doubled one, an unfinished one and one of another export', async () => {
    const gap = await merge(shards[0], shards[2])
    expect(gap.code).toBe(1)
    expect(gap.stderr).toMatch(/shard 1\/3 is missing \(gap: outputs \d+\.\.\d+ are in no folder given\)/)
    const twice = await merge(shards[0], shards[1], shards[1], shards[2])
    expect(twice.stderr).toMatch(/shard 1\/3 is in both .*shard-1 and .*shard-1/)
    const cut = tmp()
    cpSync(shards[1], cut, { recursive: true })
    const text = readFileSync(join(cut, 'manifest.jsonl'), 'utf8').split('\n')
    writeFileSync(join(cut, 'manifest.jsonl'), text.slice(0, 5).join('\n') + '\n')
    const unfinished = await merge(shards[0], cut, shards[2], '--out', join(tmp(), 'never'))
    expect(unfinished.code).toBe(1)
    expect(unfinished.stderr).toMatch(/\(shard 1\/3\) is incomplete: 5 of its \d+ outputs are journaled/)
    expect(unfinished.stderr).toContain('nothing was assembled')
    const other = tmp()
    expect((await exitOf(args(other, '--shard', '1/3', '--seed', '3'))).code).toBe(0)
    expect((await merge(shards[0], other, shards[2])).stderr).toMatch(/holds another export than/)
  })

  it('names every corrupted file: an npy row, a folders image, a webdataset member', async () => {
    const bad = tmp()
    cpSync(shards[1], bad, { recursive: true })
    const ls = lines(bad)
    const l = ls[2]
    // one byte of the line's npy row
    const xPath = join(bad, l.files.npy.x)
    const x = readFileSync(xPath)
    x[parseNpy(x, xPath).offset + l.files.npy.row * 32 * 24 * 3 + 7] ^= 1
    writeFileSync(xPath, x)
    // one byte of another line's folders image
    const img = join(bad, ls[5].files.folders.image)
    const ib = readFileSync(img)
    ib[ib.byteLength - 10] ^= 1
    writeFileSync(img, ib)
    // one byte of a mask member inside a tar
    const m = ls[9]
    const tarPath = join(bad, m.files.webdataset.tar)
    const tar = readFileSync(tarPath)
    const member = [...tarMembers(tar, tarPath)].find((x) => x.name === `${m.files.webdataset.key}.mask.png`)!
    tar[member.data.byteOffset - tar.byteOffset + member.data.byteLength - 20] ^= 1
    writeFileSync(tarPath, tar)
    const r = await merge(shards[0], bad, shards[2])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(
      `line 3 (${l.sampleId}, epoch ${l.epoch}): npy x (${l.files.npy.x}, ${l.files.npy.y}, row ${l.files.npy.row}) differs from the sha256 its line records`,
    )
    expect(r.stderr).toContain(
      `line 6 (${ls[5].sampleId}, epoch ${ls[5].epoch}): folders image (${ls[5].files.folders.image}, ${ls[5].files.folders.mask}) differs`,
    )
    expect(r.stderr).toContain(`line 10 (${m.sampleId}, epoch ${m.epoch}): webdataset mask (${m.files.webdataset.tar}, ${m.files.webdataset.key}) differs`)
    expect(r.stderr.split('\n').filter((s) => s.includes('differs'))).toHaveLength(3)
  })

  it('still reads manifests written before lines recorded hashes', async () => {
    const old = shards.map((s) => {
      const d = tmp()
      cpSync(s, d, { recursive: true })
      const stripped = lines(d).map((l) => {
        const { sha256: _s, draw: _d, ...rest } = l
        if (rest.files?.webdataset) delete rest.files.webdataset.jsonSha256
        return JSON.stringify(rest)
      })
      writeFileSync(join(d, 'manifest.jsonl'), stripped.join('\n') + '\n')
      return d
    })
    const r = await merge(...old)
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('0 of 78 outputs checked against a sha256')
  })

  it('checks the rows of npy batches widened to uint16 by a 16-bit mask against their 8-bit hashes', async () => {
    const dir = tmp()
    for (const [i, mask] of (['grey8', 'grey16', 'grey8', 'palette'] as const).entries())
      await writePair(dir, `w${i}`, { width: 40, height: 30, seed: i + 1, mask })
    const out = tmp()
    await runExport({
      sources: folderInputs(join(dir, 'images'), join(dir, 'masks')).sources,
      recipe: parseRecipe(RECIPE),
      seed: 1,
      epochs: 2,
      batchSize: 4,
      dropLast: false,
      imageFormat: 'png',
      quality: 90,
      formats: ['npy'],
      out,
      workers: 0,
    })
    expect(parseNpy(readFileSync(join(out, 'npy', 'y_e0000_b00000.npy')), 'y').descr).toBe('<u2')
    const r = await mergeShards([out], null)
    expect(r.problems).toEqual([])
    expect(r.hashed).toBe(8)
  })
})
