// Preview follows the recipe, the seed, the output size and the selection however the user moves
// between views (issue 14, item 1), and explains pairs it cannot render (item 9).
import { afterAll, describe, expect, it } from 'vitest'
import { openStudio, type Studio } from './studio'

import { changed, settled } from './preview-tiles'

declare const document: any

const token = (url: string) => new URL(url).pathname.split('/')[3]

async function setOutput(s: Studio, width: number, height: number): Promise<void> {
  await s.go('recipes')
  for (const [id, v] of [
    ['output-width', width],
    ['output-height', height],
  ] as const) {
    await s.page.fill(`[data-testid="${id}"]`, String(v))
    await s.page.press(`[data-testid="${id}"]`, 'Tab')
  }
}

describe('Preview after switching views', () => {
  let s: Studio
  afterAll(async () => s?.close())

  it('re-renders for a new seed, Reseed and a new output size after three other views were visited', async () => {
    s = await openStudio({ pairs: 6 })
    const { page } = s
    await setOutput(s, 256, 128)
    await s.go('preview')
    const first = await settled(page, 8, [256, 128])
    expect(first.sizes.every(([w, h]) => w === 256 && h === 128)).toBe(true)

    // away through three other views (more than the view cache keeps), then back
    for (const v of ['catalog', 'export', 'stats', 'recipes'] as const) await s.go(v)
    await s.go('preview')
    await page.fill('[data-testid="preview-seed"]', '4242')
    await page.press('[data-testid="preview-seed"]', 'Tab')
    const reseeded = await changed(page, first)
    expect(token(reseeded.urls[0])).not.toBe(token(first.urls[0]))
    expect(reseeded.sizes.every(([w, h]) => w === 256 && h === 128)).toBe(true)

    await page.click('[data-testid="preview-reseed"]')
    const rolled = await changed(page, reseeded)
    expect(token(rolled.urls[0])).not.toBe(token(reseeded.urls[0]))

    // the output size, changed in Recipes after another round of views, is what the tiles have
    for (const v of ['catalog', 'export', 'stats'] as const) await s.go(v)
    await setOutput(s, 200, 160)
    await s.go('preview')
    const resized = await changed(page, rolled)
    expect(resized.sizes.every(([w, h]) => w === 200 && h === 160)).toBe(true)
    expect(resized.header).toContain('200×160')
    await s.shot('preview-after-view-switches')
  })
})

describe('Preview opened first on an empty project', () => {
  let s: Studio
  afterAll(async () => s?.close())

  it('renders once a dataset is imported and a sample selected', async () => {
    s = await openStudio({ pairs: 4, project: 'empty' })
    const { page } = s
    await s.go('preview')
    await page.waitForSelector('text=No sample to preview')
    await s.go('catalog')
    await page.click('[data-testid="import-open"]')
    await page.fill('[data-testid="import-images"]', `${s.data}/images`)
    await page.fill('[data-testid="import-masks"]', `${s.data}/masks`)
    await page.click('[data-testid="import-submit"]')
    await page.waitForFunction(() => document.querySelector('[data-testid="match-count"]')?.textContent?.trim() === '4', undefined, { timeout: 60_000 })
    await page.locator('[data-testid="tile"]').nth(2).click()
    // the way a user looks around before coming back
    await s.go('recipes')
    await s.go('inspector')
    await s.go('preview')
    const tiles = await settled(page)
    expect(await page.locator('[data-testid="preview-tile"] figcaption').first().innerText()).toContain('street_002')
    expect(tiles.urls).toHaveLength(8)
    // another sample selected in the catalog: the preview follows it
    await s.go('catalog')
    await page.locator('[data-testid="tile"]').nth(3).click()
    await s.go('preview')
    await changed(page, tiles)
    expect(await page.locator('[data-testid="preview-tile"] figcaption').first().innerText()).toContain('street_003')
  })
})

describe('Preview of broken pairs, and no console noise for them', () => {
  let s: Studio
  afterAll(async () => s?.close())

  it('explains a pair without an image, warns for one without a mask, and requests nothing that can only fail', async () => {
    s = await openStudio({ pairs: 3, broken: true })
    const { page } = s
    // the grid: placeholders for pairs whose image cannot be shown, masks on and off
    await page.waitForSelector('[data-testid="tile"]')
    await page.waitForFunction(
      () => [...document.querySelectorAll('[data-testid="tile"] img')].filter((i: any) => i.complete && i.naturalWidth > 0).length >= 4,
    )
    expect(await page.locator('[data-testid="tile-placeholder"]').count()).toBe(2) // maskonly, corrupt
    await page.click('[data-testid="overlay-toggle"]')
    await page.waitForFunction(() =>
      [...document.querySelectorAll('[data-testid="tile"] img')].every((i: any) => (i.src.includes('thumb-overlay') ? i.complete && i.naturalWidth > 0 : true)),
    )
    await s.shot('catalog-broken-pairs')

    const tile = (key: string) => page.locator('[data-testid="tile"]', { hasText: key })
    await tile('street_maskonly').click()
    await s.go('preview')
    await page.waitForSelector('text=No preview')
    const hint = await page.locator('.base-empty .hint').innerText()
    expect(hint).toMatch(/^street_maskonly has no image to preview/)
    expect(hint).not.toMatch(/Unsupported input|of type string/)

    await s.go('catalog')
    await tile('street_nomask').click()
    await s.go('preview')
    await settled(page)
    expect(await page.locator('[data-testid="preview-maskless"]').innerText()).toMatch(/^street_nomask has no usable mask: the tiles show the image alone/)
    await s.shot('preview-maskless')

    // the Inspector's details of a file that never decoded say so, not "Size ×" and "—-bit"
    await s.go('catalog')
    await tile('street_corrupt').dblclick()
    await page.waitForFunction(() => document.querySelector('[data-testid="inspector-key"]')?.textContent === 'street_corrupt')
    expect(await page.locator('[data-testid="inspector-size"]').innerText()).toBe('unknown (not decoded)')
    expect(await page.locator('[data-testid="inspector-channels"]').innerText()).toBe('unknown (not decoded)')
    expect(s.consoleErrors).toEqual([])
  })
})
