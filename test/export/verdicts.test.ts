// Issue 13 item 1, the cost side: a project export writes back the whole-file verdicts it had to
// compute (files with no sound verdict recorded for their bytes: a project imported before the
// checks existed, a file changed since its import), so the next export of the project reads just a
// crop's window of them instead of checking them whole again. Checks are counted through the seam
// every render check goes through (io/verify's verifyBytes), with renders on this thread.
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { Catalog } from '../../src/main/catalog/catalog'
import { runImport } from '../../src/main/catalog/importer'
import { parseExportOptions, prepareExport } from '../../src/main/export/start'
import * as verify from '../../src/main/io/verify'
import { jpegScene, labelPng, shortScan } from '../fixtures/corrupt'
import { drawScene } from '../fixtures/pairs'
import { tempDir } from '../catalog/fixtures'
import { CLI, ROOT, run } from './helpers'

vi.mock('../../src/main/io/verify', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/main/io/verify')>()
  return { ...real, verifyBytes: vi.fn(real.verifyBytes) }
})

const W = 96
const H = 80
const KEYS = ['a', 'b', 'c']
const RECIPE = { schema: 'lockstep.recipe/1', output: { width: 32, height: 24 }, ops: [{ type: 'random_crop', width: 32, height: 24 }] }
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex')
const sha1 = (b: Buffer) => createHash('sha1').update(b).digest('hex')

type Row = { sha256: string; sha1: string; ok: number; code: string | null; problem: string | null; checker: number; checked_at: number }

describe('project exports write back the verdicts they compute', () => {
  const t = tempDir('verdicts')
  let catalog: Catalog
  let images: string
  let masks: string
  const rows = () => catalog.db.prepare('SELECT sha256, sha1, ok, code, problem, checker, checked_at FROM file_checks ORDER BY sha256').all() as Row[]
  const files = () => KEYS.flatMap((k) => [join(images, `${k}.jpg`), join(masks, `${k}.png`)])

  /** One project export (folders, renders on this thread): its outcome, and the files whose bytes the render checked. */
  async function exportOnce(name: string) {
    verify.forgetVerdicts() // (what a new process starts with)
    const spy = vi.mocked(verify.verifyBytes)
    spy.mockClear()
    const options = parseExportOptions({ recipe: { json: RECIPE }, out: join(t.dir, name), seed: 3, formats: ['folders'], workers: 0 })
    const outcome = await prepareExport(options, { catalog }).run({})
    const byHash = new Map(files().map((f) => [sha256(readFileSync(f)), f.slice(t.dir.length + 1)]))
    const checked = spy.mock.calls.map(([bytes]) => byHash.get(sha256(bytes)) ?? '(unknown bytes)').sort()
    return { outcome, checked }
  }

  beforeAll(async () => {
    images = join(t.dir, 'images')
    masks = join(t.dir, 'masks')
    mkdirSync(images)
    mkdirSync(masks)
    for (const [i, key] of KEYS.entries()) {
      writeFileSync(join(images, `${key}.jpg`), await jpegScene(W, H, 20 + i))
      writeFileSync(join(masks, `${key}.png`), labelPng(W, H, drawScene(W, H, 20 + i).labels))
    }
    writeFileSync(join(t.dir, 'recipe.json'), JSON.stringify(RECIPE))
    catalog = Catalog.open(join(t.dir, 'project'), { create: true })
    await runImport(catalog, { images, masks })
  })
  afterAll(() => {
    catalog?.close()
    t.cleanup()
  })

  it('a project imported before the checks existed: the first export checks every file and records it, the second checks none', async () => {
    expect(rows()).toHaveLength(6) // the import's verdicts...
    catalog.db.exec('DELETE FROM file_checks') // ...which an older project does not have

    const first = await exportOnce('out-1')
    expect(first.outcome.summary.written).toBe(3)
    expect(first.checked).toEqual(['images/a.jpg', 'images/b.jpg', 'images/c.jpg', 'masks/a.png', 'masks/b.png', 'masks/c.png'])
    const recorded = rows()
    expect(recorded).toHaveLength(6)
    for (const f of files()) {
      const bytes = readFileSync(f)
      // keyed as the import keys them: the sha256 of the bytes, and the sha1 the catalog keeps
      expect(
        recorded.find((r) => r.sha256 === sha256(bytes)),
        f,
      ).toMatchObject({ sha1: sha1(bytes), ok: 1, code: null, problem: null, checker: verify.CHECKER_VERSION })
    }

    const second = await exportOnce('out-2')
    expect(second.outcome.summary.written).toBe(3)
    expect(second.checked).toEqual([])
    expect(rows()).toEqual(recorded) // nothing checked, nothing written again
    // and the same outputs, byte for byte
    for (const sub of ['images', 'masks']) {
      const names = readdirSync(join(t.dir, 'out-1', sub)).sort()
      expect(readdirSync(join(t.dir, 'out-2', sub)).sort()).toEqual(names)
      for (const n of names) expect(readFileSync(join(t.dir, 'out-2', sub, n)).equals(readFileSync(join(t.dir, 'out-1', sub, n))), n).toBe(true)
    }
  })

  it('a file changed since (new bytes, new hash) is checked again, and its new verdict recorded: here corrupt, so its pair fails', async () => {
    const file = join(images, 'b.jpg')
    const changed = shortScan(await jpegScene(W, H, 99), 0.9) // the frame needs more rows than the scan holds
    writeFileSync(file, changed)
    const third = await exportOnce('out-3')
    expect(third.checked).toEqual(['images/b.jpg'])
    expect(third.outcome.summary.written).toBe(2)
    expect(third.outcome.problems).toEqual([
      expect.stringMatching(
        /^Image .*b\.jpg: corrupt JPEG \(scan 1 ends early: its data stops at byte \d+ \(EOI\) after \d+ of 30 MCUs the 96x80 frame needs\)$/,
      ),
    ])
    const row = rows().find((r) => r.sha256 === sha256(changed))
    expect(row).toMatchObject({ sha1: sha1(changed), ok: 0, code: 'CORRUPT', problem: expect.stringMatching(/^scan 1 ends early/) })

    // a corrupt verdict lets nothing skip: the next export checks that file again (and only it)
    const fourth = await exportOnce('out-4')
    expect(fourth.checked).toEqual(['images/b.jpg'])
    expect(fourth.outcome.summary.written).toBe(2)
  })

  it.skipIf(!existsSync(join(ROOT, 'out', 'main', 'cli.js')))(
    'through worker threads too (the CLI, --workers 2): the verdicts come back from the workers and are recorded',
    async () => {
      catalog.db.exec('DELETE FROM file_checks')
      const project = join(t.dir, 'project')
      await run('node', [
        CLI,
        'export',
        '--project',
        project,
        '--recipe',
        join(t.dir, 'recipe.json'),
        '--seed',
        '5',
        '--workers',
        '2',
        '--format',
        'folders',
        '--out',
        join(t.dir, 'out-cli'),
      ]).catch(
        (e: { code: number }) => expect(e.code).toBe(1), // (b.jpg is corrupt since the test above)
      )
      const recorded = rows()
      expect(recorded.map((r) => r.sha256).sort()).toEqual(
        files()
          .map((f) => sha256(readFileSync(f)))
          .sort(),
      )
      expect(recorded.filter((r) => !r.ok).map((r) => r.code)).toEqual(['CORRUPT'])
    },
    60_000,
  )
})
