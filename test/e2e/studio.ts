// A studio under test: a generated dataset, a project (empty or imported), `lockstep serve` on it,
// and a Chromium page on the served URL. Views are switched through the nav, as a person would.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { writePair } from '../fixtures/pairs'
import { Catalog } from '../../src/main/catalog'
import { runImport } from '../../src/main/catalog/importer'
import { serve, type Served } from './serve'
import { launch } from './browser'

export const SHOTS = resolve(import.meta.dirname, '../../test-output/screenshots')
export const VIEWS = ['catalog', 'inspector', 'recipes', 'preview', 'export', 'stats'] as const
export type View = (typeof VIEWS)[number]
export const SIZES = { large: { width: 1440, height: 900 }, small: { width: 1024, height: 640 } } as const

export interface StudioOptions {
  /** pairs in data/ (PNG and JPEG images, grey and palette masks); default 6 */
  pairs?: number
  /** 'imported': the pairs are cataloged before the page opens; 'empty': a project with no sample; 'none': serve with no --project */
  project?: 'imported' | 'empty' | 'none'
  /** a random 70/15/15 split (seed 0) after the import */
  split?: boolean
  viewport?: { width: number; height: number }
  /** extra arguments for `lockstep serve` (after --project) */
  serveArgs?: string[]
  /** extra environment for `lockstep serve` */
  env?: NodeJS.ProcessEnv
  /** the pairs go in this sub-folder of images/ and masks/ (keys like shapes/street_000) */
  subfolder?: string
  /** an image without a mask (street_nomask), a mask without an image (street_maskonly) and a corrupt image (street_corrupt) */
  broken?: boolean
}

export interface Studio {
  root: string
  data: string
  projectDir: string
  server: Served
  context: BrowserContext
  page: Page
  /** console messages and failed requests seen by the page */
  consoleErrors: string[]
  shot(name: string): Promise<string>
  go(view: View): Promise<void>
  text(selector: string): Promise<string>
  close(): Promise<void>
}

export async function writeDataset(data: string, pairs: number, size = { width: 320, height: 240 }, subfolder = ''): Promise<void> {
  if (subfolder) for (const d of ['images', 'masks']) mkdirSync(join(data, d, subfolder), { recursive: true })
  for (let i = 0; i < pairs; i++) {
    const name = `${subfolder ? `${subfolder}/` : ''}street_${String(i).padStart(3, '0')}`
    await writePair(data, name, { ...size, seed: i + 1, mask: i % 5 === 4 ? 'palette' : 'grey8', image: i % 2 ? 'jpeg' : 'png' })
  }
}

export async function openStudio(o: StudioOptions = {}): Promise<Studio> {
  mkdirSync(SHOTS, { recursive: true })
  const root = mkdtempSync(join(tmpdir(), 'lockstep-studio-'))
  const data = join(root, 'data')
  const projectDir = join(root, 'project')
  await writeDataset(data, o.pairs ?? 6, undefined, o.subfolder)
  if (o.broken) {
    const lone = await writePair(join(root, 'tmp'), 'street_nomask', { width: 320, height: 240, seed: 77 })
    copyFileSync(lone.image, join(data, 'images', 'street_nomask.png'))
    const orphan = await writePair(join(root, 'tmp'), 'street_maskonly', { width: 320, height: 240, seed: 78 })
    copyFileSync(orphan.mask, join(data, 'masks', 'street_maskonly.png'))
    await writePair(data, 'street_corrupt', { width: 320, height: 240, seed: 79 })
    const bytes = readFileSync(join(data, 'images', 'street_corrupt.png'))
    writeFileSync(join(data, 'images', 'street_corrupt.png'), bytes.subarray(0, Math.floor(bytes.length / 2)))
  }
  if (o.project !== 'none') {
    const catalog = Catalog.open(projectDir, { create: true, name: 'Streets (e2e)' })
    try {
      if ((o.project ?? 'imported') === 'imported') {
        await runImport(catalog, { images: join(data, 'images'), masks: join(data, 'masks') })
        if (o.split) catalog.randomSplit({ seed: 0, ratios: { train: 0.7, val: 0.15, test: 0.15 } })
      }
    } finally {
      catalog.close()
    }
  }
  const env = { LOCKSTEP_USER_DATA: join(root, 'userdata'), LOCKSTEP_NO_BROWSER: '1', ...o.env }
  const server = await serve([...(o.project === 'none' ? [] : ['--project', projectDir]), '--port', '0', ...(o.serveArgs ?? [])], env)
  const b = await launch(o.viewport ?? SIZES.large)
  const page = await b.context.newPage()
  const consoleErrors: string[] = []
  page.on('pageerror', (err) => consoleErrors.push(`page error: ${err.message}`))
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(`console: ${m.text()}`)
  })
  await page.goto(server.url)
  await page.waitForSelector('html[data-ready="true"]', { timeout: 30_000 })
  const studio: Studio = {
    root,
    data,
    projectDir,
    server,
    context: b.context,
    page,
    consoleErrors,
    async shot(name) {
      const path = join(SHOTS, `${name}.png`)
      await page.screenshot({ path })
      return path
    },
    async go(view) {
      await page.click(`nav [data-view="${view}"]`)
      await page.waitForSelector(`main[data-view="${view}"]`)
    },
    text: (sel) => page.locator(sel).first().innerText(),
    async close() {
      await b.close()
      await server.stop()
      writeFileSync(join(SHOTS, '..', `serve-${root.split(/[\\/]/).pop()}.log`), server.output())
      rmSync(root, { recursive: true, force: true })
    },
  }
  return studio
}
