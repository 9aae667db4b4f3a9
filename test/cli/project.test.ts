// `lockstep init` and `lockstep split` (built CLI): creating a project, and a seeded, optionally
// stratified, reproducible split that `stats --split train` can then use.
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Catalog } from '../../src/main/catalog'
import { simplePairs, tempDir, writePairs } from '../catalog/fixtures'

const CLI = join(import.meta.dirname, '..', '..', 'bin', 'lockstep.js')
const exec = promisify(execFile)

async function lockstep(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec(process.execPath, [CLI, ...args], { env: { ...process.env, LOCKSTEP_NO_BROWSER: '1' } })
    return { code: 0, stdout: r.stdout, stderr: r.stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

function splits(project: string): Map<string, string> {
  const c = Catalog.open(project)
  try {
    return new Map((c.db.prepare('SELECT key, split FROM samples ORDER BY key').all() as { key: string; split: string }[]).map((r) => [r.key, r.split]))
  } finally {
    c.close()
  }
}

const tmp = tempDir('lockstep-cli-project-')
afterAll(() => tmp.cleanup())

describe('lockstep init', () => {
  it('creates a missing folder as a project with the given name, and leaves an existing one alone', async () => {
    const dir = join(tmp.dir, 'new', 'proj')
    const first = await lockstep('init', dir, '--name', 'Streets')
    expect(first).toMatchObject({ code: 0, stdout: expect.stringContaining(`Created project "Streets" in ${dir}`) })
    expect(existsSync(join(dir, 'lockstep.db'))).toBe(true)
    const again = await lockstep('init', dir, '--name', 'Other')
    expect(again).toMatchObject({ code: 0, stdout: expect.stringContaining('already a Lockstep project ("Streets"); nothing changed') })
  })

  it('turns a folder with files into a project without touching them', async () => {
    const dir = join(tmp.dir, 'withfiles')
    mkdirSync(dir)
    writeFileSync(join(dir, 'notes.txt'), 'mine')
    expect((await lockstep('init', dir)).code).toBe(0)
    expect(existsSync(join(dir, 'notes.txt'))).toBe(true)
  })

  it('refuses a file, naming it', async () => {
    const file = join(tmp.dir, 'a-file')
    writeFileSync(file, 'x')
    const r = await lockstep('init', file)
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(`${file} is a file, not a folder`)
  })
})

describe('lockstep split', () => {
  let project: string
  beforeAll(async () => {
    const data = join(tmp.dir, 'data')
    // two class combinations: {0,1} for 30 samples and {0,2} for 10 (stratification keeps 3:1 in each split)
    await writePairs(data, simplePairs(40, { labelAt: (x, _y, i) => (x < 4 ? 0 : i % 4 === 3 ? 2 : 1) }))
    project = join(tmp.dir, 'splitproj')
    expect((await lockstep('init', project)).code).toBe(0)
    const imported = await lockstep('import', join(data, 'images'), '--masks', join(data, 'masks'), '--project', project)
    expect(imported.code).toBe(0)
  })

  it('is what makes stats --split train work after an import', async () => {
    const before = await lockstep('stats', '--project', project, '--split', 'train')
    expect(before.code).toBe(1)
    const r = await lockstep('split', '--project', project, '--seed', '3', '--ratios', '70,15,15')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/Split 40 samples with seed 3: train 28 \(70\.0%\), val 6 \(15\.0%\), test 6 \(15\.0%\)/)
    const stats = await lockstep('stats', '--project', project, '--split', 'train')
    expect(stats.code).toBe(0)
    expect(stats.stdout).toMatch(/split train: 28 samples/)
  })

  it('gives the same split for the same seed and another for another seed', async () => {
    await lockstep('split', '--project', project, '--seed', '11')
    const a = splits(project)
    await lockstep('split', '--project', project, '--seed', '12')
    const b = splits(project)
    await lockstep('split', '--project', project, '--seed', '11')
    expect(splits(project)).toEqual(a)
    expect(b).not.toEqual(a)
  })

  it('stratified: each class combination keeps the ratios in every split', async () => {
    const r = await lockstep('split', '--project', project, '--seed', '5', '--ratios', '0.5,0.25,0.25', '--stratify', '--json')
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).counts).toEqual({ train: 20, val: 10, test: 10 })
    const s = splits(project)
    const rare = [...s].filter(([k]) => Number(k.slice(1)) % 4 === 3).map(([, v]) => v)
    expect(rare.filter((v) => v === 'train')).toHaveLength(5)
    for (const v of ['val', 'test']) expect([2, 3]).toContain(rare.filter((x) => x === v).length)
  })

  it('--unassigned keeps the splits already made', async () => {
    const c = Catalog.open(project)
    c.update({ target: { filter: { pathContains: 's000' } }, split: 'unassigned' })
    c.close()
    const kept = [...splits(project)].filter(([k]) => !k.startsWith('s000'))
    const r = await lockstep('split', '--project', project, '--seed', '9', '--unassigned')
    expect(r.stdout).toMatch(/^Split 10 samples/)
    const after = splits(project)
    for (const [k, v] of kept) expect(after.get(k)).toBe(v)
    expect([...after.values()].includes('unassigned')).toBe(false)
  })

  it('refuses bad ratios and a folder that is not a project', async () => {
    const bad = await lockstep('split', '--project', project, '--ratios', '0.7,0.3')
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('expected --ratios as three numbers >= 0 (train,val,test) but received "0.7,0.3"') })
    const none = await lockstep('split', '--project', join(tmp.dir, 'nowhere'))
    expect(none).toMatchObject({ code: 1, stderr: expect.stringContaining(`Project folder not found: ${join(tmp.dir, 'nowhere')}`) })
  })
})
