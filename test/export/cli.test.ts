// The built CLI (npm run build first): worker threads, SIGKILL + resume, replay, failures, help.
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { loadAddon } from '../../src/main/io/native'
import { parseNpy } from '../../src/main/export/writers/npy'
import { CLI, expectSameFiles, exportArgv, makePairs, RECIPE, ROOT, run, snapshot, tmp } from './helpers'

// without the addon both runs would take the same (JS/sharp) path: that comparison proves nothing
const { addon: nativeBuilt, why: nativeWhy } = loadAddon()
if (!nativeBuilt) console.log(`native on/off export comparison skipped: ${nativeWhy}`)

let data: { images: string; masks: string }
let recipe: string

function args(out: string, ...extra: string[]): string[] {
  return exportArgv(
    data,
    recipe,
    out,
    '--seed',
    '3',
    '--epochs',
    '3',
    '--batch-size',
    '4',
    '--format',
    'folders,npy,webdataset',
    '--image-format',
    'jpeg',
    '--quality',
    '85',
    '--wds-samples',
    '8',
    ...extra,
  )
}

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'out', 'main', 'cli.js')) || !existsSync(join(ROOT, 'out', 'main', 'export-worker.js'))) {
    throw new Error('test/export/cli.test.ts runs the built CLI: run `npm run build` first')
  }
  const dir = tmp()
  data = await makePairs(dir, 24, 96, 72, 'jpg')
  recipe = join(dir, 'recipe.json')
  writeFileSync(recipe, JSON.stringify(RECIPE))
})

describe('lockstep export (built CLI, worker threads)', () => {
  it('gives byte-identical output with --workers 1 and --workers 2', async () => {
    const a = tmp()
    const b = tmp()
    const ra = await run('node', args(a, '--workers', '1'))
    await run('node', args(b, '--workers', '2'))
    expect(ra.stdout).toMatch(/exported 72 outputs to /)
    const sa = snapshot(a)
    expect(sa.size).toBeGreaterThan(72 * 2)
    expect(expectSameFiles(sa, snapshot(b))).toEqual([])
  })

  it.skipIf(!nativeBuilt)('gives byte-identical output with the native decoders switched off (LOCKSTEP_NATIVE=0), for every format', async () => {
    // RECIPE (crop, hflip, brightness) takes the native path end to end; the second adds contrast
    // and a quarter turn (the JS warp, then the one linear) and a general-path gamma in one of two
    const second = join(tmp(), 'recipe2.json')
    writeFileSync(
      second,
      JSON.stringify({
        ...RECIPE,
        output: { width: 24, height: 32 },
        ops: [...RECIPE.ops, { type: 'contrast', p: 1, limit: [-0.3, 0.3] }, { type: 'rot90', p: 1, turns: [1] }, { type: 'gamma', p: 0.5 }],
      }),
    )
    const common = (out: string) => [
      CLI,
      'export',
      '--images',
      data.images,
      '--masks',
      data.masks,
      '--out',
      out,
      '--seed',
      '5',
      '--epochs',
      '2',
      '--batch-size',
      '4',
      '--format',
      'folders,npy,webdataset',
      '--wds-samples',
      '8',
    ]
    for (const [rec, extra] of [
      [recipe, ['--image-format', 'jpeg']],
      [second, ['--image-format', 'png']],
    ] as const) {
      const on = tmp()
      const off = tmp()
      await run('node', [...common(on), '--recipe', rec, ...extra], { env: { ...process.env, LOCKSTEP_NATIVE: '1' } })
      await run('node', [...common(off), '--recipe', rec, ...extra], { env: { ...process.env, LOCKSTEP_NATIVE: '0' } })
      const sa = snapshot(on)
      expect(sa.size).toBeGreaterThan(48 * 2)
      expect(expectSameFiles(sa, snapshot(off))).toEqual([])
    }
  })

  it('resumes after SIGKILL mid-export and finishes with the bytes of an uninterrupted run', async () => {
    // Enough outputs (480) that the kill lands mid-export however fast rendering gets: the folders
    // writer journals in groups of up to 128 files, so the manifest grows in steps.
    const long = (out: string) => args(out, '--workers', '2').map((a, i, all) => (all[i - 1] === '--epochs' ? '20' : a))
    const whole = tmp()
    await run('node', long(whole))
    const out = tmp()
    // Kill the process once some outputs are journaled (the manifest has lines).
    const child = spawn('node', long(out), { stdio: 'ignore' })
    const manifest = join(out, 'manifest.jsonl')
    let lines = 0
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        lines = existsSync(manifest) ? readFileSync(manifest, 'utf8').split('\n').length - 1 : 0
        if (lines >= 8) {
          clearInterval(timer)
          child.kill('SIGKILL')
          resolve()
        }
      }, 2)
      child.on('exit', () => {
        clearInterval(timer)
        reject(new Error(`the export finished before it could be killed (${lines} lines seen)`))
      })
    })
    await new Promise((r) => child.on('exit', r))
    const killed = readFileSync(manifest, 'utf8').split('\n').length - 1
    expect(killed).toBeLessThan(480)
    const r = await run('node', long(out))
    expect(r.stdout).toMatch(/resuming after \d+ already written/)
    expect(expectSameFiles(snapshot(whole), snapshot(out))).toEqual([])
  })

  it('replay reproduces any manifest line byte for byte', async () => {
    const out = tmp()
    await run('node', args(out))
    const lines = readFileSync(join(out, 'manifest.jsonl'), 'utf8').trim().split('\n')
    for (const k of [1, 30, lines.length]) {
      const line = JSON.parse(lines[k - 1])
      const dest = tmp()
      const r = await run('node', [CLI, 'replay', '--manifest', join(out, 'manifest.jsonl'), '--line', String(k), '--out', dest])
      expect(r.stdout).toContain(`line ${k}`)
      for (const rel of [line.files.folders.image, line.files.folders.mask]) {
        expect(readFileSync(join(dest, rel)).equals(readFileSync(join(out, rel))), `${rel} of line ${k}`).toBe(true)
      }
      // --check compares with what every format holds (each format's reader in the registry)
      const c = await run('node', [CLI, 'replay', '--manifest', join(out, 'manifest.jsonl'), '--line', String(k), '--check'])
      expect(c.stdout).toContain(`line ${k} (${line.sampleId}, epoch ${line.epoch}) replays byte for byte in folders, npy, webdataset`)
    }
    // a changed npy row is found and named
    const first = JSON.parse(lines[0])
    const xPath = join(out, first.files.npy.x)
    const x = readFileSync(xPath)
    x[parseNpy(x, xPath).offset + first.files.npy.row * 32 * 24 * 3 + 5] ^= 0xff
    writeFileSync(xPath, x)
    await expect(run('node', [CLI, 'replay', '--manifest', join(out, 'manifest.jsonl'), '--line', '1', '--check'])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('differs from the export in: npy x'),
    })
    // an export written by other encoders: replay says so (its bytes may differ), and a resume refuses the folder
    const descPath = join(out, 'export.json')
    const desc = JSON.parse(readFileSync(descPath, 'utf8'))
    expect(desc.encoders).toBe(2)
    writeFileSync(descPath, JSON.stringify({ ...desc, encoders: undefined }, null, 2))
    const old = await run('node', [CLI, 'replay', '--manifest', join(out, 'manifest.jsonl'), '--line', '1', '--out', tmp()])
    expect(old.stderr).toContain('written by encoders version 1 and this Lockstep has version 2')
    await expect(run('node', args(out))).rejects.toMatchObject({ stderr: expect.stringContaining('already holds a different export') })
    await expect(run('node', [CLI, 'replay', '--manifest', join(out, 'manifest.jsonl'), '--line', '999', '--out', tmp()])).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('has 72 lines; --line 999 is past its end'),
    })
  })

  it('writes every good pair, names each failed file and its problem, and exits non-zero', async () => {
    const dir = tmp()
    const d = await makePairs(dir, 6, 64, 48)
    writeFileSync(join(d.images, 'p002.png'), readFileSync(join(d.images, 'p002.png')).subarray(0, 60)) // truncated
    writeFileSync(join(d.images, 'p009.png'), readFileSync(join(d.images, 'p000.png'))) // no mask
    const out = tmp()
    const err = await run('node', [CLI, 'export', '--images', d.images, '--masks', d.masks, '--recipe', recipe, '--out', out]).then(
      () => null,
      (e: { code: number; stderr: string; stdout: string }) => e,
    )
    expect(err).not.toBeNull()
    expect(err!.code).toBe(1)
    expect(err!.stderr).toContain(join(d.images, 'p002.png'))
    expect(err!.stderr).toMatch(/p009\.png: no mask/)
    expect(err!.stderr).toMatch(/2 source pair\(s\) failed/)
    expect(err!.stdout).toMatch(/exported 5 outputs/)
    for (const n of ['p000', 'p001', 'p003', 'p004', 'p005']) expect(existsSync(join(out, 'images', `${n}.jpg`))).toBe(true)
    expect(existsSync(join(out, 'images', 'p002.jpg'))).toBe(false)
  })

  it('explains its options and rejects bad ones', async () => {
    for (const cmd of ['export', 'replay']) {
      const r = await run('node', [CLI, cmd, '--help'])
      expect(r.stdout).toMatch(new RegExp(`usage: lockstep ${cmd}`))
    }
    await expect(run('node', [...args(tmp()), '--shard', '3/3'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--shard i/n') })
    await expect(run('node', [...args(tmp()), '--format', 'folders,csv'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('"csv"') })
  })
})
