// The labeling commands of the BUILT CLI (npm run build first): annotations import, classes
// remap (and --undo), classes export, mask versions, mask restore; usage errors exit 2.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { decode as decodePng } from 'fast-png'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { imagePng, tempDir } from './fixtures'
import { fixturePng, put } from './labels-helpers'

const ROOT = resolve(import.meta.dirname, '../..')
const CLI = join(ROOT, 'bin/lockstep.js')
const W = 8
const H = 6

function cli(args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 })
}

describe('labeling from the command line', () => {
  const t = tempDir('labelscli')
  const project = join(t.dir, 'proj')
  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'out/main/cli.js'))) throw new Error('out/main/cli.js is missing: run `npm run build` before these tests')
    for (const k of ['a', 'b']) put(join(t.dir, 'images', `${k}.png`), await imagePng(W, H, k.length))
    put(
      join(t.dir, 'masks', 'a.png'),
      fixturePng(W, H, (x) => (x < 4 ? 0 : 3)),
    )
    expect(cli(['import', join(t.dir, 'images'), '--masks', join(t.dir, 'masks'), '--project', project]).status).toBe(0)
  })
  afterAll(() => t.cleanup())

  it('annotations import, classes remap and --undo, mask versions and restore, classes export', () => {
    writeFileSync(
      join(t.dir, 'images', 'b.json'),
      JSON.stringify({
        imagePath: 'b.png',
        imageWidth: W,
        imageHeight: H,
        shapes: [
          {
            label: 'cat',
            points: [
              [0, 0],
              [4, 6],
            ],
            shape_type: 'rectangle',
          },
        ],
      }),
    )
    const imp = cli(['annotations', 'import', 'labelme', join(t.dir, 'images'), '--project', project, '--json'])
    expect(imp.status, imp.stderr).toBe(0)
    const s = JSON.parse(imp.stdout)
    expect(s).toMatchObject({ format: 'labelme', files: 1, written: 1, problems: [], addedClasses: [{ index: 1, name: 'cat' }] })
    expect(Array.from(decodePng(readFileSync(join(t.dir, 'masks', 'b.png'))).data)).toEqual(Array.from({ length: W * H }, (_, i) => (i % W < 4 ? 1 : 0)))

    const before = readFileSync(join(t.dir, 'masks', 'a.png'))
    const remap = cli(['classes', 'remap', '--map', '3:1', '--project', project, '--json'])
    expect(remap.status, remap.stderr).toBe(0)
    const r = JSON.parse(remap.stdout)
    expect(r).toMatchObject({ scanned: 2, changed: 1, failed: [] })
    expect(Array.from(decodePng(readFileSync(join(t.dir, 'masks', 'a.png'))).data)).toEqual(Array.from({ length: W * H }, (_, i) => (i % W < 4 ? 0 : 1)))

    const versions = cli(['mask', 'versions', '--sample', 'a', '--project', project, '--json'])
    expect(versions.status).toBe(0)
    const list = JSON.parse(versions.stdout)
    expect(list).toHaveLength(1)
    expect(list[0]).toMatchObject({ reason: 'remap', bytes: before.length, note: 'remap 3->1' })

    const undo = cli(['classes', 'remap', '--undo', r.jobId, '--project', project])
    expect(undo.status, undo.stderr).toBe(0)
    expect(undo.stdout).toContain(`Restored 1 mask(s) changed by job ${r.jobId}`)
    expect(readFileSync(join(t.dir, 'masks', 'a.png')).equals(before)).toBe(true)

    // restore the remapped content again by hand
    const again = JSON.parse(cli(['mask', 'versions', '--sample', 'a', '--project', project, '--json']).stdout)
    expect(again.map((v: { reason: string }) => v.reason)).toEqual(['restore', 'remap'])
    const rest = cli(['mask', 'restore', '--sample', 'a', '--version', String(again[0].id), '--project', project])
    expect(rest.status, rest.stderr).toBe(0)
    expect(rest.stdout).toMatch(/^Restored version \d+ of a to .*a\.png \(the content it replaced is version \d+\)/)
    expect(Array.from(decodePng(readFileSync(join(t.dir, 'masks', 'a.png'))).data)).toContain(1)

    const csv = cli(['classes', 'export', '--format', 'csv', '--project', project])
    expect(csv.stdout.split('\n')[0]).toBe('index,name,color,ignore')
    expect(csv.stdout).toContain('\n1,cat,')
  })

  it('usage errors exit 2 and say what was expected', () => {
    const bad = cli(['classes', 'remap', '--map', '3-1', '--project', project])
    expect(bad.status).toBe(2)
    expect(bad.stderr).toContain('expected --map FROM:TO with indices 0..65535 but received "3-1"')
    const fmt = cli(['annotations', 'import', 'yolo', t.dir, '--project', project])
    expect(fmt.status).toBe(2)
    expect(fmt.stderr).toContain('expected FORMAT (labelme, coco, voc) and PATH')
    const missing = cli(['mask', 'versions', '--sample', 'nope', '--project', project])
    expect(missing.status).toBe(1)
    expect(missing.stderr).toContain('no sample with id or key "nope"')
  })
})
