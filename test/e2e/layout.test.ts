// Every view works at 1024×640 as well as 1440×900 (issue 14, item 5): no toolbar overflows its
// box, and the controls a user needs are on screen and not covered. Screenshots of every view at
// both sizes go to test-output/screenshots/layout-*.png.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { openStudio, SIZES, type Studio, type View } from './studio'

declare const document: any
declare const window: any
declare const getComputedStyle: any

/** Controls that must be reachable in each view (selectors inside main). */
const MUST_SEE: Record<View, string[]> = {
  catalog: [
    '[data-testid="import-open"]',
    '[data-testid="overlay-toggle"]',
    '[data-testid="bulk-tag-input"]',
    '[data-testid="bulk-tag-add"]',
    '[data-testid="bulk-split"]',
    '[data-testid="bulk-status"]',
    '[data-testid="bulk-random-split"]',
    '[data-testid="tile"]',
  ],
  inspector: [],
  recipes: [
    '[data-testid="recipe-picker"]',
    '[data-testid="recipe-name"]',
    '[data-testid="undo"]',
    '[data-testid="recipe-file-menu"]',
    '[data-testid="recipe-save-new"]',
    '[data-testid="recipe-save"]',
    '[data-testid="output-width"]',
    '[data-op="hflip"]',
  ],
  preview: [
    '[data-testid="preview-seed"]',
    '[data-testid="preview-reseed"]',
    '[data-testid="preview-count"]',
    '[data-testid="preview-masks"]',
    '[data-testid="preview-tile"]',
  ],
  export: ['[data-testid="export-recipe"]', '[data-testid="export-seed"]', '[data-testid="export-out"]', '[data-testid="export-start"]'],
  stats: ['[data-testid="stats-split"]', '[data-testid="stats-run"]'],
}

/** Toolbars whose content is wider than their box (hidden or scrolled controls). */
async function overflowing(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll('main .toolbar, main .bulk-bar, main .settings, header.topbar')]
      .filter((el: any) => el.scrollWidth > el.clientWidth + 1)
      .map((el: any) => `${el.className}: ${el.scrollWidth} > ${el.clientWidth}`),
  )
}

/** Selectors whose element is missing, off screen, or covered by something else at its centre. */
async function unreachable(page: Page, selectors: string[]): Promise<string[]> {
  return page.evaluate((sels) => {
    const bad: string[] = []
    for (const sel of sels) {
      const el = document.querySelector(`main ${sel}`)
      if (!el) {
        bad.push(`${sel}: missing`)
        continue
      }
      const r = el.getBoundingClientRect()
      const x = r.left + Math.min(r.width / 2, 8)
      const y = r.top + r.height / 2
      if (r.width === 0 || r.height === 0 || r.left < 0 || r.top < 0 || r.right > window.innerWidth + 0.5 || r.bottom > window.innerHeight + 0.5) {
        bad.push(`${sel}: off screen (${Math.round(r.left)},${Math.round(r.top)} ${Math.round(r.width)}×${Math.round(r.height)})`)
        continue
      }
      const top = document.elementFromPoint(x, y)
      if (top !== el && !el.contains(top) && !top?.contains(el)) bad.push(`${sel}: covered by ${top?.tagName}.${top?.className}`)
    }
    return bad
  }, selectors)
}

let s: Studio
beforeAll(async () => {
  s = await openStudio({ pairs: 12, split: true, broken: true })
}, 120_000)
afterAll(async () => s?.close())

async function show(view: View): Promise<void> {
  const { page } = s
  await s.go(view)
  if (view === 'catalog') {
    await page.waitForSelector('[data-testid="tile"] img')
    if ((await page.locator('[data-testid="bulk-bar"]').count()) === 0) await page.locator('[data-testid="tile"]').first().click()
    await page.waitForSelector('[data-testid="bulk-bar"]')
  }
  if (view === 'preview')
    await page.waitForSelector('[data-testid="preview-stage"][data-pending="false"] [data-testid="preview-tile"] img', { timeout: 30_000 })
  if (view === 'stats') {
    if ((await page.locator('[data-testid="class-table"]').count()) === 0) await page.click('[data-testid="stats-run"]')
    await page.waitForSelector('[data-testid="class-table"]', { timeout: 60_000 })
  }
  if (view === 'inspector') await page.waitForSelector('[data-testid="inspector-key"]')
  await page.waitForTimeout(250) // charts and images settle
}

describe.each(Object.entries(SIZES))('at %s', (size, viewport) => {
  it.each(['catalog', 'inspector', 'recipes', 'preview', 'export', 'stats'] as const)(`%s fits ${viewport.width}×${viewport.height}`, async (view) => {
    const { page } = s
    await page.setViewportSize(viewport)
    await show(view)
    await s.shot(`layout-${view}-${viewport.width}x${viewport.height}`)
    expect({ size, view, overflow: await overflowing(page), unreachable: await unreachable(page, MUST_SEE[view]) }).toEqual({
      size,
      view,
      overflow: [],
      unreachable: [],
    })
  })
})

describe('the light theme', () => {
  it('follows the system setting, live, and the user can choose either theme', async () => {
    const { page } = s
    await page.setViewportSize(SIZES.large)
    await page.emulateMedia({ colorScheme: 'light' })
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'light')
    const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor)
    expect(await bg()).toBe('rgb(245, 246, 248)')
    for (const view of ['catalog', 'inspector', 'recipes', 'preview', 'export', 'stats'] as const) {
      await show(view)
      await s.shot(`layout-${view}-light-1440x900`)
    }
    await page.emulateMedia({ colorScheme: 'dark' })
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark')
    expect(await bg()).toBe('rgb(17, 19, 23)')
    // a choice wins over the system, and is remembered across a reload
    await page.selectOption('[data-testid="theme-select"]', 'light')
    await page.reload()
    await page.waitForSelector('html[data-ready="true"]')
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('light')
    await page.selectOption('[data-testid="theme-select"]', 'system')
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark')
  })
})

describe('the README screenshot', () => {
  // docs/screenshots/studio.png is a copy of test-output/screenshots/readme-studio.png
  it('shows the catalog with splits, a tag, a selection and the masks overlaid', async () => {
    const { page } = s
    await page.setViewportSize(SIZES.large)
    await page.evaluate(() => (document.documentElement.dataset.theme = 'dark'))
    await page.selectOption('[data-testid="theme-select"]', 'dark')
    await s.go('catalog')
    await page.click('[data-testid="filter-reset"]').catch(() => {})
    const tiles = page.locator('[data-testid="tile"]')
    await tiles.nth(1).click()
    await tiles.nth(3).click({ modifiers: ['Shift'] })
    await page.fill('[data-testid="bulk-tag-input"]', 'dusk')
    await page.click('[data-testid="bulk-tag-add"]')
    await page.waitForSelector('[data-testid="filter-tag-dusk"]')
    if (!(await page.locator('[data-testid="overlay-toggle"]').getAttribute('class'))?.includes('active')) await page.click('[data-testid="overlay-toggle"]')
    await page.waitForFunction(() => {
      const imgs = [...document.querySelectorAll('[data-testid="tile"] img')] as any[]
      return imgs.every((i) => i.complete && i.naturalWidth > 0) && imgs.filter((i) => i.src.includes('thumb-overlay')).length >= 10
    })
    await page.waitForTimeout(300)
    await s.shot('readme-studio')
    await page.selectOption('[data-testid="theme-select"]', 'system')
  })
})
