// The desktop app end to end with Playwright's _electron: open the app on a project, import a
// generated dataset, preview a recipe (tiles served by lockstep-media://), export, and check the
// files on disk; plus the shell's guarantees seen from inside the real renderer.
//
// It needs the Electron binary (and the Electron-ABI better-sqlite3 from
// scripts/build-electron-sqlite.mjs). Where the binary is missing the test is SKIPPED with the
// reason: it is checked before launching, because launching a missing binary makes
// playwright-core 1.65 throw uncaught errors that would crash the run.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { ElectronApplication, Page } from 'playwright-core'
import { writePair } from '../fixtures/pairs'
import { channelNames, eventNames, type ResultOf } from '../../src/shared/contract'
import { electronBinary } from '../../scripts/electron-binary.mjs'
import { defaultOp, RECIPE_SCHEMA } from '../../src/shared/recipe'
import type { PageDocument, PageWindow } from '../support/page'

declare const window: PageWindow
declare const document: PageDocument

const root = resolve(import.meta.dirname, '../..')
const SHOTS = join(root, 'test-output/screenshots')
const binary = electronBinary()
const recipe = {
  schema: RECIPE_SCHEMA,
  output: { width: 48, height: 32 },
  mask: { ignoreIndex: 255 },
  ops: [{ ...defaultOp('random_crop'), width: 48, height: 32 }, defaultOp('hflip', 0.5)],
}
const sqlite = join(root, '.electron-sqlite/better_sqlite3.node')
const skipReason =
  binary.path === null
    ? `Electron e2e SKIPPED: ${binary.reason}`
    : !existsSync(sqlite)
      ? `Electron e2e SKIPPED: ${sqlite} is missing (node scripts/build-electron-sqlite.mjs could not build it here)`
      : null
if (skipReason) console.log(skipReason)

let app: ElectronApplication | null = null
let dir = ''
afterAll(async () => {
  await app?.close().catch(() => {})
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('the desktop app (Playwright _electron)', () => {
  it('opens, imports, previews a recipe and exports', async (ctx) => {
    if (skipReason) return ctx.skip(skipReason)
    expect(existsSync(join(root, 'out/main/index.js')), 'run `npm run build` first').toBe(true)
    const { _electron } = await import('playwright-core')
    const { Catalog } = await import('../../src/main/catalog')

    dir = mkdtempSync(join(tmpdir(), 'lockstep-electron-'))
    const data = join(dir, 'sample')
    for (let i = 0; i < 6; i++) await writePair(data, `pair_${i}`, { width: 96, height: 64, seed: i + 1 })
    const project = join(dir, 'project')
    Catalog.open(project, { create: true, name: 'Electron e2e' }).close()

    app = await _electron.launch({
      executablePath: binary.path as string,
      args: [root, '--project', project],
      cwd: root,
      env: { ...process.env, LOCKSTEP_USER_DATA: join(dir, 'userdata') },
      timeout: 60_000,
    })
    const page: Page = await app.firstWindow()
    page.on('pageerror', (err) => console.error('page error:', err.message))
    await page.waitForSelector('html[data-ready="true"]', { timeout: 30_000 })
    expect(page.url()).toBe('lockstep://app/index.html')
    // the window opened on the project named on the command line
    expect(await page.evaluate(() => window.lockstep.api['project.info']({}))).toMatchObject({ ok: true, result: { dir: project, name: 'Electron e2e' } })

    // The shell's promises, from inside the real renderer.
    const inside = await page.evaluate(() => ({
      require: typeof (window as { require?: unknown }).require,
      process: typeof (window as { process?: unknown }).process,
      keys: Object.keys(window.lockstep),
      api: Object.keys(window.lockstep.api),
      events: Object.keys(window.lockstep.events),
      popup: window.open('https://example.com/') === null,
    }))
    expect(inside).toEqual({
      require: 'undefined',
      process: 'undefined',
      keys: ['api', 'events', 'mediaBase'],
      api: [...inside.api],
      events: [...inside.events],
      popup: true,
    })
    expect([...inside.api].sort()).toEqual([...channelNames].sort())
    expect([...inside.events].sort()).toEqual([...eventNames].sort())
    expect(app.windows()).toHaveLength(1)

    // Import through the contract, waiting for the job's end event.
    const imported = await page.evaluate(async (images) => {
      const api = window.lockstep.api
      const done = new Promise<{ status: string }>((res) => {
        const off = window.lockstep.events['job.progress']((j: { status: string; kind: string }) => {
          if (j.kind === 'import' && j.status !== 'running') {
            off()
            res(j)
          }
        })
      })
      const start = await api['import.start']({ images: images + '/images', masks: images + '/masks' })
      if (!start.ok) return { start }
      const job = await done
      const page = await api['samples.query']({ limit: 100 })
      return { start, job, page }
    }, data)
    expect(imported.start).toMatchObject({ ok: true })
    expect((imported as { job: { status: string } }).job.status).toBe('done')
    const samples = ((imported as { page: { ok: true; result: { rows: { id: number }[] } } }).page.result.rows ?? []).map((s) => s.id)
    expect(samples.length).toBe(6)

    // Preview a recipe; its tiles come through lockstep-media://.
    const preview = await page.evaluate(
      async ({ ids, recipe }) => {
        const r = await window.lockstep.api['preview.render']({ sampleIds: ids.slice(0, 2), recipe, seed: 7, count: 2 })
        if (!r.ok) return { r }
        const result = r.result as ResultOf<'preview.render'>
        const tile = result.tiles[0]
        const img = await fetch(`${window.lockstep.mediaBase}/media/preview/${result.token}/${tile.index}/image`)
        const labels = await fetch(`${window.lockstep.mediaBase}/media/preview/${result.token}/${tile.index}/labels`)
        const outside = await fetch(`${window.lockstep.mediaBase}/media/sample/1/..%2f..%2f..%2fetc%2fpasswd`)
        return {
          r: { ok: true, tiles: result.tiles.length },
          img: img.status,
          type: img.headers.get('content-type'),
          labelsWidth: labels.headers.get('x-lockstep-width'),
          outside: outside.status,
        }
      },
      { ids: samples, recipe },
    )
    expect(preview).toEqual({ r: { ok: true, tiles: 4 }, img: 200, type: 'image/png', labelsWidth: '48', outside: 404 })

    // Export, and find the files on disk.
    const out = join(dir, 'export')
    const exported = await page.evaluate(
      async ({ outDir, recipe }) => {
        const done = new Promise<{ status: string }>((res) => {
          const off = window.lockstep.events['job.progress']((j: { status: string; kind: string }) => {
            if (j.kind === 'export' && j.status !== 'running') {
              off()
              res(j)
            }
          })
        })
        const start = await window.lockstep.api['export.start']({
          recipe: { json: recipe },
          seed: 3,
          batchSize: 2,
          formats: ['folders'],
          imageFormat: 'png',
          out: outDir,
        })
        if (!start.ok) return { start }
        return { start, job: await done }
      },
      { outDir: out, recipe },
    )
    expect(exported).toMatchObject({ start: { ok: true }, job: { status: 'done' } })
    expect(existsSync(join(out, 'manifest.jsonl'))).toBe(true)
    expect(readdirSync(join(out, 'images')).length).toBe(6)
    expect(readdirSync(join(out, 'masks')).length).toBe(6)

    mkdirSync(SHOTS, { recursive: true })
    await page.evaluate(() => document.querySelector('nav [data-view="catalog"]')?.click())
    await page.screenshot({ path: join(SHOTS, 'electron-catalog.png') })
  }, 180_000)
})
