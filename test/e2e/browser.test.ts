// End to end in a real Chromium against the real services: `lockstep serve` (the built CLI) on a
// generated project, driven like a person would: import, filter, bulk-tag, review by keyboard in
// the inspector, edit a recipe and watch the preview change, export with progress and find the
// files on disk. Screenshots of every view go to test-output/screenshots/.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { writePair } from '../fixtures/pairs'
import { Catalog } from '../../src/main/catalog'
import { serve, type Served } from './serve'
import { launch } from './browser'
import { settled as settledTiles } from './preview-tiles'
import type { PageDocument } from '../support/page'

// The callbacks passed to page.waitForFunction/evaluate run in the page; the node program has no DOM types.
declare const document: PageDocument

const SHOTS = resolve(import.meta.dirname, '../../test-output/screenshots')
const PAIRS = 18
let root: string
let server: Served | null = null
let closeBrowser: (() => Promise<void>) | null = null
let page: Page

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`) })
}
async function go(view: string): Promise<void> {
  await page.click(`nav [data-view="${view}"]`)
  await page.waitForSelector(`main[data-view="${view}"]`)
}
const text = (sel: string) => page.locator(sel).first().innerText()

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true })
  root = mkdtempSync(join(tmpdir(), 'lockstep-e2e-'))
  const data = join(root, 'data')
  for (let i = 0; i < PAIRS; i++) {
    await writePair(data, `street_${String(i).padStart(3, '0')}`, {
      width: 320,
      height: 240,
      seed: i + 1,
      mask: i % 5 === 4 ? 'palette' : 'grey8',
      image: i % 2 ? 'jpeg' : 'png',
    })
  }
  // a broken pair: an image whose mask is missing
  const lone = await writePair(join(root, 'tmp'), 'street_999', { width: 320, height: 240, seed: 99 })
  const { copyFileSync } = await import('node:fs')
  copyFileSync(lone.image, join(data, 'images', 'street_999.png'))
  Catalog.open(join(root, 'project'), { create: true, name: 'Streets (e2e)' }).close()

  server = await serve(['--project', join(root, 'project'), '--port', '0'], { LOCKSTEP_USER_DATA: join(root, 'userdata') })
  const b = await launch()
  closeBrowser = b.close
  page = await b.context.newPage()
  page.on('pageerror', (err) => console.error('page error:', err.message))
  await page.goto(server.url)
  await page.waitForSelector('html[data-ready="true"]', { timeout: 20_000 })
}, 120_000)

afterAll(async () => {
  await closeBrowser?.()
  await server?.stop()
  if (server) writeFileSync(join(SHOTS, '..', 'serve.log'), server.output())
  if (root) rmSync(root, { recursive: true, force: true })
})

describe('the studio in Chromium against lockstep serve', () => {
  it('lands on the catalog with the token traded for a cookie (no token left in the address bar)', async () => {
    expect(page.url()).not.toContain('token=')
    expect(await text('[data-testid="project-name"]')).toBe('Streets (e2e)')
  })

  it('imports a folder pair through the UI, with the job indicator, and shows the broken pair with its problem', async () => {
    await page.click('[data-testid="import-open"]')
    await page.fill('[data-testid="import-images"]', join(root, 'data', 'images'))
    await page.fill('[data-testid="import-masks"]', join(root, 'data', 'masks'))
    await page.click('[data-testid="import-submit"]')
    await page.waitForFunction((n) => document.querySelector('[data-testid="match-count"]')?.textContent?.trim() === String(n), PAIRS + 1, { timeout: 60_000 })
    await page.waitForSelector('[data-testid="tile"] img')
    expect(await text('[data-testid="job-indicator"]')).toMatch(/done/i)
    const badge = page.locator('[data-testid="error-badge"]')
    await expect.poll(() => badge.count()).toBe(1)
    expect(await badge.innerText()).toBe('No mask')
    expect(await badge.getAttribute('title')).toMatch(/street_999/)
    // thumbnails really loaded (decoded pixels, not broken images)
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="tile"] img')].filter((i) => i.complete && i.naturalWidth > 0).length >= 10)
    await page.click('[data-testid="overlay-toggle"]')
    await page.waitForFunction(() =>
      [...document.querySelectorAll('[data-testid="tile"] img')].some((i) => i.src.includes('thumb-overlay') && i.complete && i.naturalWidth > 0),
    )
    await shot('catalog')
  })

  it('filters by problem and by path text', async () => {
    await page.selectOption('[data-testid="filter-error"]', 'any')
    await page.waitForFunction(() => document.querySelector('[data-testid="match-count"]')?.textContent?.trim() === '1')
    expect(await page.locator('[data-testid="tile"]').count()).toBe(1)
    await page.selectOption('[data-testid="filter-error"]', 'none')
    await page.fill('[data-testid="filter-path"]', 'street_00')
    await page.waitForFunction(() => document.querySelector('[data-testid="match-count"]')?.textContent?.trim() === '10')
    const keys = await page.locator('[data-testid="tile"] .caption').allInnerTexts()
    expect(keys).toHaveLength(10)
    expect(keys.every((k) => k.includes('street_00'))).toBe(true)
  })

  it('bulk-tags a shift-click range and filters by the new tag', async () => {
    const tiles = page.locator('[data-testid="tile"]')
    await tiles.nth(1).click()
    await tiles.nth(4).click({ modifiers: ['Shift'] })
    expect(await text('[data-testid="selected-count"]')).toBe('4')
    await page.fill('[data-testid="bulk-tag-input"]', 'night')
    await page.click('[data-testid="bulk-tag-add"]')
    await page.waitForSelector('[data-testid="filter-tag-night"]')
    await page.click('[data-testid="filter-reset"]')
    await page.waitForFunction((n) => document.querySelector('[data-testid="match-count"]')?.textContent?.trim() === String(n), PAIRS + 1)
    await page.click('[data-testid="filter-tag-night"]')
    await page.waitForFunction(() => document.querySelector('[data-testid="match-count"]')?.textContent?.trim() === '4')
    const keys = await page.locator('[data-testid="tile"] .caption').allInnerTexts()
    expect(keys).toEqual(['street_001', 'street_002', 'street_003', 'street_004'])
    // select all matching, then set their split in one go
    await page.locator('[data-testid="tile"]').first().click()
    await page.click('[data-testid="select-all-matching"]')
    await page.selectOption('[data-testid="bulk-split"]', 'val')
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="tile"] .split')].filter((s) => s.textContent === 'val').length === 4)
    await shot('catalog-filtered')
    await page.click('[data-testid="filter-reset"]')
    await page.waitForFunction((n) => document.querySelector('[data-testid="match-count"]')?.textContent?.trim() === String(n), PAIRS + 1)
  })

  it('opens the inspector and reviews by keyboard', async () => {
    await page.locator('[data-testid="tile"]').first().dblclick()
    await page.waitForSelector('main[data-view="inspector"]')
    await page.waitForFunction(() => document.querySelector('[data-testid="inspector-key"]')?.textContent === 'street_000')
    // the mask overlay is drawn from raw class indices on a canvas at the image's size
    await page.waitForFunction(() => {
      const c = document.querySelector('[data-testid="inspector-overlay"]')
      return !!c && c.width === 320 && c.height === 240
    })
    const legend = await page.locator('[data-testid="legend"] .legend-row').count()
    expect(legend).toBeGreaterThanOrEqual(2)
    // hover over the image: the class under the cursor is named
    const box = (await page.locator('[data-testid="inspector-viewer"]').boundingBox())!
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2)
    expect(await text('[data-testid="cursor-readout"]')).toMatch(/x \d+ · y \d+/)
    await shot('inspector')
    await page.keyboard.press('a')
    await page.waitForFunction(() => document.querySelector('[data-testid="inspector-key"]')?.textContent === 'street_001')
    await page.keyboard.press('r')
    await page.waitForFunction(() => document.querySelector('[data-testid="inspector-key"]')?.textContent === 'street_002')
    await page.keyboard.press('f')
    await page.waitForFunction(() => document.querySelector('[data-testid="inspector-key"]')?.textContent === 'street_003')
    await page.keyboard.press('ArrowLeft')
    await page.waitForFunction(() => document.querySelector('[data-testid="inspector-key"]')?.textContent === 'street_002')
    expect(await text('[data-testid="inspector-status"]')).toBe('needs-fix')
    await page.keyboard.press('ArrowLeft')
    await page.waitForFunction(() => document.querySelector('[data-testid="inspector-key"]')?.textContent === 'street_001')
    expect(await text('[data-testid="inspector-status"]')).toBe('rejected')
    // the review is in the catalog: filter by status
    await go('catalog')
    await page.click('[data-testid="filter-status-accepted"]')
    await page.waitForFunction(() => document.querySelector('[data-testid="match-count"]')?.textContent?.trim() === '1')
    expect(await page.locator('[data-testid="tile"] .caption').allInnerTexts()).toEqual(['street_000'])
    await page.click('[data-testid="filter-reset"]')
  })

  it('edits a recipe and the preview changes, never showing tiles of the old recipe', async () => {
    await go('recipes')
    await page.fill('[data-testid="output-width"]', '160')
    await page.press('[data-testid="output-width"]', 'Tab')
    await page.fill('[data-testid="output-height"]', '120')
    await page.press('[data-testid="output-height"]', 'Tab')
    // the default random crop is 512x512 on a 320x240 source (padded); make it 160x120
    await page.locator('[data-testid="step"]').first().click()
    for (const [k, v] of [
      ['width', '160'],
      ['height', '120'],
    ]) {
      const input = page.locator(`[data-param="${k}"] input[type="number"]`)
      await input.fill(v)
      await input.press('Tab')
    }
    await page.click('[data-op="rotate"]')
    // the palette adds it with Albumentations' p 0.5; every tile should show a rotation
    const p = page.locator('[data-param="p"] input[type="number"]')
    await p.fill('1')
    await p.press('Tab')
    await page.fill('[data-testid="recipe-name"]', 'streets-aug')
    await shot('recipes')
    await page.click('[data-testid="recipe-save"]')
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="toast"]')].some((t) => /Saved streets-aug v1/.test(t.textContent ?? '')))

    await go('preview')
    const settled = async () => (await settledTiles(page, 8, [160, 120])).urls
    const first = await settled()
    await page.locator('[data-testid="preview-tile"]').first().hover()
    await page.waitForSelector('[data-testid="preview-plan"]')
    expect(await text('[data-testid="preview-plan"]')).toMatch(/rotate|angle|degrees/i)
    await shot('preview')

    // edit the recipe in the preview's side panel: the old tiles go away at once
    await page.locator('[data-testid="step"]').nth(2).click()
    const min = page.locator('[data-param="degrees"] input[data-end="min"]')
    await min.fill('-90')
    await min.press('Tab')
    // the change event of the Tab press reaches the preview store in the same tick (the recipe
    // store takes it synchronously, the preview's watcher runs before the next task): the old
    // tiles are down and a render is pending by the time the key press has been handled
    expect(
      await page.evaluate(() => ({
        pending: document.querySelector('[data-testid="preview-stage"]')?.getAttribute('data-pending'),
        tiles: document.querySelectorAll('[data-testid="preview-tile"]').length,
      })),
    ).toEqual({ pending: 'true', tiles: 0 })
    const second = await settled()
    expect(second).not.toEqual(first)
    expect(new Set(second.map((u) => new URL(u).pathname.split('/')[3])).size).toBe(1)
    expect(second[0].split('/')[5]).not.toBe(first[0].split('/')[5])

    // reseeding renders new tiles too
    await page.fill('[data-testid="preview-seed"]', '12345')
    await page.press('[data-testid="preview-seed"]', 'Tab')
    const third = await settled()
    expect(third).not.toEqual(second)
  })

  it('exports with progress and writes the files on disk', { timeout: 120_000 }, async () => {
    const out = join(root, 'export-1')
    await go('export')
    await page.selectOption('[data-testid="export-recipe"]', { label: 'streets-aug v1' })
    await page.uncheck('.chips label:has-text("train") input')
    await page.fill('[data-testid="export-epochs"]', '2')
    await page.fill('[data-testid="export-out"]', out)
    await page.waitForFunction(() => /outputs/.test(document.querySelector('[data-testid="export-estimate"]')?.textContent ?? ''))
    await page.click('[data-testid="export-start"]')
    await page.waitForSelector('[data-testid="export-progress"]')
    await page.waitForSelector('[data-testid="export-progress"]:not([data-status="running"])', { timeout: 90_000 })
    await shot('export')
    const status = await page.getAttribute('[data-testid="export-progress"]', 'data-status')
    expect({ status, text: status === 'done' ? '' : await text('[data-testid="export-progress"]') }).toEqual({ status: 'done', text: '' })
    expect(await text('[data-testid="export-progress"]')).toMatch(/outputs\/s/)
    await page.waitForSelector('[data-testid="export-history"] tbody tr')
    expect(await text('[data-testid="export-history"] tbody tr')).toMatch(/done/)
    await shot('export')
    // 18 healthy pairs x 2 epochs
    const images = readdirSync(join(out, 'images'), { recursive: true }).filter((f) => String(f).endsWith('.png'))
    const masks = readdirSync(join(out, 'masks'), { recursive: true }).filter((f) => String(f).endsWith('.png'))
    expect(images).toHaveLength(PAIRS * 2)
    expect(masks).toHaveLength(PAIRS * 2)
    expect(existsSync(join(out, 'export.json'))).toBe(true)
    const manifest = readFileSync(join(out, 'manifest.jsonl'), 'utf8').trim().split('\n')
    expect(manifest).toHaveLength(PAIRS * 2)
  })

  it('cancelling a WebDataset export keeps its progress, the history names the recipe version, starting it again resumes', { timeout: 180_000 }, async () => {
    const out = join(root, 'export-wds')
    // the preview's edits saved as version 2: the editor holds that version, unchanged
    await go('recipes')
    await page.click('[data-testid="recipe-save"]')
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="toast"]')].some((t) => /Saved streets-aug v2/.test(t.textContent ?? '')))
    await go('export')
    await page.selectOption('[data-testid="export-recipe"]', 'editor')
    await page.uncheck('[data-testid="export-format-folders"]')
    await page.check('[data-testid="export-format-webdataset"]')
    await page.fill('[data-testid="export-epochs"]', '40')
    await page.fill('[data-testid="export-out"]', out)
    await page.waitForFunction(() => /720/.test(document.querySelector('[data-testid="export-estimate"]')?.textContent ?? ''))
    await page.click('[data-testid="export-start"]')
    await page.waitForFunction(
      () => {
        const p = document.querySelector('[data-testid="export-progress"]')
        return p?.getAttribute('data-status') === 'running' && Number((p.querySelector('.mono')?.textContent ?? '0').split('/')[0].replace(/\D/g, '')) > 0
      },
      undefined,
      { timeout: 90_000 },
    )
    await page.click('[data-testid="export-cancel"]')
    await page.waitForSelector('[data-testid="export-progress"][data-status="cancelled"]', { timeout: 60_000 })
    await shot('export-cancelled')
    // every output rendered before the cancel is journaled, in a valid tar closed short
    const lines = readFileSync(join(out, 'manifest.jsonl'), 'utf8').trim().split('\n')
    expect(lines.length).toBeGreaterThan(0)
    expect(lines.length).toBeLessThan(720)
    expect(readdirSync(join(out, 'webdataset')).filter((f) => f.endsWith('.tar')).length).toBeGreaterThan(0)
    const desc = JSON.parse(readFileSync(join(out, 'export.json'), 'utf8'))
    expect(desc.recipeVersionId).toEqual(expect.any(Number))
    expect(desc.featurewise.mean).toHaveLength(3)
    await page.waitForFunction(() => /cancelled/.test(document.querySelector('[data-testid="export-history"] tbody tr')?.textContent ?? ''))
    const row = await text('[data-testid="export-history"] tbody tr')
    expect(row).toContain(`version #${desc.recipeVersionId}`)
    expect(row).toContain(String(lines.length))
    // the same folder again: the export resumes after the journaled outputs and finishes
    await page.fill('[data-testid="export-out"]', out)
    await page.click('[data-testid="export-start"]')
    await page.waitForSelector('[data-testid="export-progress"][data-status="done"]', { timeout: 120_000 })
    const all = readFileSync(join(out, 'manifest.jsonl'), 'utf8').trim().split('\n')
    expect(all).toHaveLength(720)
    expect(all.slice(0, lines.length)).toEqual(lines)
    await shot('export')
  })

  it('computes statistics and draws them', async () => {
    await go('stats')
    await page.click('[data-testid="stats-run"]')
    await page.waitForSelector('[data-testid="class-table"]', { timeout: 60_000 })
    const rows = await page.locator('[data-testid="class-table"] tr').count()
    expect(rows).toBeGreaterThanOrEqual(3)
    expect(await text('[data-testid="mean-std"]')).toMatch(/mean/)
    await page.waitForTimeout(200)
    await shot('stats')
  })
})
