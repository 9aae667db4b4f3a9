// The keyboard (issue 14, "missing"): the ? sheet lists the current view's shortcuts first, arrow
// keys move in the Catalog grid (Shift extends, Enter opens), and Ctrl+Z / Ctrl+Shift+Z undo and
// redo bulk edits (split, tags) and reviews made in the Inspector.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openStudio, type Studio } from './studio'

declare const document: any

let s: Studio
beforeAll(async () => {
  s = await openStudio({ pairs: 12, split: true })
  await s.page.waitForSelector('[data-testid="tile"] img')
}, 120_000)
afterAll(async () => s?.close())

const selectedKeys = () => s.page.locator('[data-testid="tile"].selected .caption').allInnerTexts()
const focusedKey = () => s.page.locator('[data-testid="tile"].cursor .caption').innerText()
const splitOf = (key: string) => s.page.locator('[data-testid="tile"]', { hasText: key }).locator('.split').innerText()
const statusOf = (key: string) =>
  s.page
    .locator('[data-testid="tile"]', { hasText: key })
    .locator('.status')
    .getAttribute('title')
    .catch(() => 'unreviewed')
/** The grid shows every sample of the project and loads nothing (a reload empties it first). */
async function gridSettled(n = 12): Promise<void> {
  await s.page.waitForFunction(
    (n) =>
      document.querySelectorAll('[data-testid="tile"]').length === n &&
      document.querySelector('[data-testid="match-count"]')?.textContent === String(n) &&
      !document.querySelector('[data-testid="match-count"]')?.parentElement?.querySelector('.base-spinner'),
    n,
  )
}

async function focusGrid(): Promise<void> {
  await s.page.locator('[data-testid="match-count"]').click() // the keys go to the view, not a field
}

describe('the keyboard', () => {
  it('? lists every shortcut, the current view first, and Escape closes it', async () => {
    const { page } = s
    await focusGrid()
    await page.keyboard.press('?')
    await page.waitForSelector('[data-testid="shortcuts-overlay"]')
    const scopes = await page.locator('[data-testid="shortcuts-overlay"] [data-scope]').evaluateAll((els: any[]) => els.map((e) => e.dataset.scope))
    expect(scopes[0]).toBe('Catalog')
    expect(scopes).toContain('Studio')
    const text = await page.locator('[data-testid="shortcuts-overlay"]').innerText()
    expect(text).toMatch(/Move between tiles/)
    expect(text).toMatch(/Undo the last split, status, tag or review edit/)
    await s.shot('shortcuts-overlay')
    await page.keyboard.press('Escape')
    expect(await page.locator('[data-testid="shortcuts-overlay"]').count()).toBe(0)
    await s.go('recipes')
    await page.locator('[data-testid="step"]').first().click()
    await page.keyboard.press('?')
    const first = await page.locator('[data-testid="shortcuts-overlay"] [data-scope]').first().getAttribute('data-scope')
    expect(first).toBe('Recipes')
    expect(await page.locator('[data-testid="shortcuts-overlay"]').innerText()).toMatch(/Ctrl\s*S\s*Save a new version/)
    await page.keyboard.press('Escape')
    await s.go('catalog')
  })

  it('arrow keys move between tiles, Shift extends the selection, Enter opens the tile', async () => {
    const { page } = s
    await focusGrid()
    await page.keyboard.press('ArrowRight')
    expect(await focusedKey()).toBe('street_000')
    await page.keyboard.press('ArrowRight')
    expect(await selectedKeys()).toEqual(['street_001'])
    const cols = await page.evaluate(() => {
      const tops = [...document.querySelectorAll('[data-testid="tile"]')].map((t: any) => t.getBoundingClientRect().top)
      return tops.filter((t) => t === tops[0]).length
    })
    await page.keyboard.press('ArrowDown')
    const below = `street_${String(1 + cols).padStart(3, '0')}`
    expect(await focusedKey()).toBe(below)
    await page.keyboard.press('Shift+ArrowLeft')
    await page.keyboard.press('Shift+ArrowLeft')
    expect(await selectedKeys()).toEqual([`street_${String(cols - 1).padStart(3, '0')}`, `street_${String(cols).padStart(3, '0')}`, below])
    await page.keyboard.press('Enter')
    await page.waitForSelector('main[data-view="inspector"]')
    await page.waitForFunction((k) => document.querySelector('[data-testid="inspector-key"]')?.textContent === k, `street_${String(cols - 1).padStart(3, '0')}`)
    await s.go('catalog')
  })

  it('Ctrl+Z undoes a bulk split and a bulk tag, Ctrl+Shift+Z redoes them', async () => {
    const { page } = s
    const tiles = page.locator('[data-testid="tile"]')
    await tiles.nth(0).click()
    await tiles.nth(2).click({ modifiers: ['Shift'] })
    const before = await Promise.all(['street_000', 'street_001', 'street_002'].map(splitOf))
    await page.selectOption('[data-testid="bulk-split"]', 'test')
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="tile"] .split')].slice(0, 3).every((e: any) => e.textContent === 'test'))
    await page.fill('[data-testid="bulk-tag-input"]', 'dusk')
    await page.click('[data-testid="bulk-tag-add"]')
    await page.waitForSelector('[data-testid="filter-tag-dusk"]')
    await focusGrid()
    await page.keyboard.press('Control+z') // the tag goes
    await page.waitForFunction(() => !document.querySelector('[data-testid="tile"] .tags'))
    await page.keyboard.press('Control+z') // the split comes back
    await expect.poll(() => Promise.all(['street_000', 'street_001', 'street_002'].map(splitOf))).toEqual(before)
    expect(await page.locator('[data-testid="catalog-undo"]').isDisabled()).toBe(true)
    await page.keyboard.press('Control+Shift+z')
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="tile"] .split')].slice(0, 3).every((e: any) => e.textContent === 'test'))
    expect(await page.locator('[data-testid="catalog-undo"]').getAttribute('title')).toBe('Undo: Set split to test on 3 samples (Ctrl+Z)')
  })

  it('Ctrl+Z in the Catalog undoes a review made in the Inspector', async () => {
    const { page } = s
    await page.locator('[data-testid="tile"]', { hasText: 'street_005' }).dblclick()
    await page.waitForFunction(() => document.querySelector('[data-testid="inspector-key"]')?.textContent === 'street_005')
    await page.locator('[data-testid="inspector-viewer"]').click()
    await page.keyboard.press('a')
    await page.waitForFunction(() => document.querySelector('[data-testid="inspector-key"]')?.textContent === 'street_006')
    await s.go('catalog')
    await expect.poll(() => statusOf('street_005')).toBe('accepted')
    await focusGrid()
    await page.keyboard.press('Control+z')
    // the tile is there (not a grid mid-reload) and has no status badge
    await expect
      .poll(async () => {
        const tile = page.locator('[data-testid="tile"]', { hasText: 'street_005' })
        return (await tile.count()) === 1 ? tile.locator('.status').count() : 'no tile'
      })
      .toBe(0)
    expect(s.consoleErrors).toEqual([])
  })
})

describe('the random split dialog', () => {
  it('splits every healthy sample by seed and ratios, the same seed gives the same split, and Ctrl+Z undoes it', async () => {
    const { page } = s
    const splits = () => page.locator('[data-testid="tile"] .split').evaluateAll((els: any[]) => els.map((e) => e.textContent as string))
    await gridSettled() // `before` is the grid's state, not an empty grid mid-reload
    const before = await splits()
    async function split(seed: string): Promise<void> {
      await page.click('[data-testid="split-open"]')
      await page.waitForSelector('[data-testid="split-dialog"]')
      await page.fill('[data-testid="split-train"]', '50')
      await page.fill('[data-testid="split-val"]', '25')
      await page.fill('[data-testid="split-test"]', '25')
      await page.fill('[data-testid="split-seed"]', seed)
      await page.check('[data-testid="split-stratify"]')
      expect(await page.locator('[data-testid="split-submit"]').innerText()).toBe('Split 12 samples')
      await page.click('[data-testid="split-submit"]')
      await page.waitForSelector('[data-testid="split-dialog"]', { state: 'detached' })
      await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="toast"]')].some((t: any) => /Split done/.test(t.textContent)))
      await gridSettled()
    }
    await split('7')
    await s.shot('catalog-after-split')
    const first = await splits()
    expect(first.filter((x) => x === 'train')).toHaveLength(6)
    expect(first.filter((x) => x === 'val')).toHaveLength(3)
    expect(first.filter((x) => x === 'test')).toHaveLength(3)
    await focusGrid()
    await page.keyboard.press('Control+z')
    await page.waitForFunction(() =>
      [...document.querySelectorAll('[data-testid="toast"]')].some((t: any) => /^Undone.*Random split of 12 samples$/.test(t.textContent)),
    )
    await expect.poll(splits).toEqual(before)
    await split('7')
    expect(await splits()).toEqual(first)
    // a share left empty is caught in the dialog, before anything is sent
    await page.click('[data-testid="split-open"]')
    await page.fill('[data-testid="split-train"]', '')
    expect(await page.locator('[data-testid="split-submit"]').isDisabled()).toBe(true)
    await page.keyboard.press('Escape')
  })
})
