// The import dialog (issue 14, item 6): every problem at its field, the fields kept, Escape
// closes, and the default mask patterns work with an empty masks field (masks beside images).
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openStudio, type Studio } from './studio'

declare const document: any
declare const window: any

let s: Studio
beforeAll(async () => {
  s = await openStudio({ pairs: 5, project: 'empty' })
}, 120_000)
afterAll(async () => s?.close())

const field = (id: string) => s.page.locator(`[data-testid="${id}"]`)
async function openDialog(): Promise<void> {
  await s.page.click('[data-testid="import-open"]')
  await s.page.waitForSelector('[data-testid="import-dialog"]')
}

describe('the import dialog', () => {
  it('shows each problem at its field, keeps what was typed, and closes with Escape', async () => {
    const { page } = s
    await openDialog()
    await page.click('[data-testid="import-submit"]')
    expect(await field('import-images-error').innerText()).toBe('Give the folder of images')
    await field('import-images').fill('data/images')
    await field('import-masks').fill(join(s.data, 'masks'))
    await page.click('[data-testid="import-submit"]')
    expect(await field('import-images-error').innerText()).toMatch(/absolute path/)
    expect(await field('import-images').getAttribute('aria-invalid')).toBe('true')
    // a folder that does not exist: the import says so, at the field, and nothing is cleared
    const missing = join(s.root, 'no-such-images')
    await field('import-images').fill(missing)
    await page.click('[data-testid="import-submit"]')
    await expect.poll(() => field('import-images-error').innerText()).toBe(`The images folder ${missing} does not exist`)
    expect(await field('import-masks').inputValue()).toBe(join(s.data, 'masks'))
    await s.shot('import-dialog-error')
    // a masks path that is a file
    await field('import-images').fill(join(s.data, 'images'))
    await field('import-masks').fill(join(s.data, 'masks', 'street_000.png'))
    await page.click('[data-testid="import-submit"]')
    await expect.poll(() => field('import-masks-error').innerText()).toMatch(/The masks path .*street_000\.png is not a folder/)
    expect(await field('import-images-error').count()).toBe(0)
    // a pattern without {stem}
    await field('import-masks').fill('')
    await field('import-patterns').fill('mask.png')
    await page.click('[data-testid="import-submit"]')
    expect(await field('import-patterns-error').innerText()).toMatch(/must contain \{stem\} once/)
    // Escape closes, and nothing was imported
    await page.keyboard.press('Escape')
    expect(await page.locator('[data-testid="import-dialog"]').count()).toBe(0)
    expect(await s.text('[data-testid="match-count"]')).toBe('0')
  })

  it('refuses {stem}.png for masks beside the images, at the patterns field', async () => {
    await openDialog()
    await field('import-images').fill(join(s.data, 'images'))
    await field('import-patterns').fill('{stem}.png')
    await s.page.click('[data-testid="import-submit"]')
    await expect.poll(() => field('import-patterns-error').innerText()).toMatch(/cannot tell masks from images in one folder/)
    await s.page.click('text=Cancel')
  })

  it('imports masks beside the images with the default patterns and an empty masks field, never claiming no sample matches', async () => {
    const { page } = s
    // one folder: x.png / x.jpg beside x_mask.png
    const both = join(s.root, 'together')
    mkdirSync(both)
    for (const f of readdirSync(join(s.data, 'images'))) copyFileSync(join(s.data, 'images', f), join(both, f))
    for (const f of readdirSync(join(s.data, 'masks'))) copyFileSync(join(s.data, 'masks', f), join(both, f.replace(/\.png$/, '_mask.png')))
    await openDialog()
    expect(await field('import-patterns').getAttribute('placeholder')).toBe('{stem}_mask.png, {stem}_label.png')
    await field('import-masks').fill('x')
    expect(await field('import-patterns').getAttribute('placeholder')).toBe('{stem}.png, {stem}_mask.png, {stem}_label.png')
    await field('import-masks').fill('')
    await field('import-images').fill(both)
    // watch the grid for the whole import: "No sample matches" must never show while it runs
    await page.evaluate(() => {
      window.__sawNoMatch = false
      new window.MutationObserver(() => {
        if (document.body.textContent.includes('No sample matches these filters')) window.__sawNoMatch = true
      }).observe(document.body, { subtree: true, childList: true, characterData: true })
    })
    await page.click('[data-testid="import-submit"]')
    await page.waitForFunction(() => document.querySelector('[data-testid="match-count"]')?.textContent?.trim() === '5', undefined, { timeout: 60_000 })
    expect(await page.locator('[data-testid="error-badge"]').count()).toBe(0)
    expect(await page.evaluate(() => window.__sawNoMatch)).toBe(false)
    expect(s.consoleErrors).toEqual([])
  })
})

describe('the other catalog dialogs', () => {
  it('annotations: a relative path is refused with the reason, the form stays as typed, Escape closes', async () => {
    const { page } = s
    await page.click('[data-testid="annotations-open"]')
    await page.waitForSelector('[data-testid="annotations-dialog"]')
    await page.check('[data-testid="annotations-format-voc"]')
    await field('annotations-path').fill('voc/masks')
    await field('annotations-labelmap').fill('/data/labelmap.txt')
    await page.click('[data-testid="annotations-submit"]')
    expect(await s.text('[data-testid="annotations-dialog"] [role="alert"]')).toBe('Folder of colour PNG masks: give an absolute path')
    expect(await field('annotations-path').inputValue()).toBe('voc/masks')
    await s.shot('annotations-dialog-error')
    await page.keyboard.press('Escape')
    expect(await page.locator('[data-testid="annotations-dialog"]').count()).toBe(0)
  })

  it('split: an empty share blocks the split and says why', async () => {
    const { page } = s
    await page.click('[data-testid="split-open"]')
    await page.waitForSelector('[data-testid="split-dialog"]')
    await field('split-val').fill('')
    expect(await s.text('[data-testid="split-dialog"] [role="alert"]')).toBe('Each share is a number ≥ 0')
    expect(await field('split-submit').isDisabled()).toBe(true)
    await s.shot('split-dialog-error')
    await page.keyboard.press('Escape')
    expect(await page.locator('[data-testid="split-dialog"]').count()).toBe(0)
  })
})
