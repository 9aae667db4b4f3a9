// Small things seen on screen (issue 14): at the smallest tile size a caption keeps the file name
// and gives up the folder first ("sh…/street_001", not "shapes/stre…"); counts read "1 output".
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openStudio, type Studio } from './studio'

declare const document: any

let s: Studio
beforeAll(async () => {
  s = await openStudio({ pairs: 4, subfolder: 'shapes_and_streets' })
}, 120_000)
afterAll(async () => s?.close())

describe('captions and counts', () => {
  it('keeps the file name whole at the smallest tile size; the folder is what gets cut', async () => {
    const { page } = s
    await page.waitForSelector('[data-testid="tile"] img')
    await page.locator('.zoom input[type="range"]').fill('90')
    await page.waitForFunction(() => document.querySelector('[data-testid="tile"]').getBoundingClientRect().width < 100)
    const captions = await page.evaluate(() =>
      [...document.querySelectorAll('[data-testid="tile"] .caption')].map((c: any) => {
        const name = c.querySelector('.name')
        const folder = c.querySelector('.folder')
        return { text: c.textContent, nameCut: name.scrollWidth > name.clientWidth, folderCut: folder.scrollWidth > folder.clientWidth }
      }),
    )
    expect(captions.map((c) => c.text)).toEqual([0, 1, 2, 3].map((i) => `shapes_and_streets/street_00${i}`))
    expect(captions.every((c) => !c.nameCut && c.folderCut)).toBe(true)
    await s.shot('catalog-smallest-tiles')
  })

  it('says 1 output, 1 batch, 1 source pair', async () => {
    const { page } = s
    await page.locator('[data-testid="tile"]').first().click()
    await page.selectOption('[data-testid="bulk-split"]', 'test')
    await s.go('export')
    await page.uncheck('.chips label:has-text("train") input')
    await page.check('.chips label:has-text("test") input')
    await page.waitForFunction(() => /source pair\b/.test(document.querySelector('[data-testid="export-estimate"]')?.textContent ?? ''))
    const text = await s.text('[data-testid="export-estimate"]')
    expect(text).toMatch(/\b1\s+output\b/)
    expect(text).toMatch(/\b1\s+batch\b/)
    expect(text).not.toMatch(/\b1\s+outputs\b/)
  })
})
