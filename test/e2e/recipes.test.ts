// Recipes in the studio (issue 14, items 2 and 7): palette defaults, problems in the list's
// numbering, save as a new version vs as a new recipe, Ctrl+S, unsaved edits surviving a reload,
// and a partial Albumentations import reviewed in one list.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { defaultOp } from '../../src/shared/recipe'
import { openStudio, type Studio } from './studio'

declare const document: any
declare const getComputedStyle: any

let s: Studio
beforeAll(async () => {
  s = await openStudio({ pairs: 3 })
  await s.go('recipes')
}, 120_000)
afterAll(async () => s?.close())

const steps = () => s.page.locator('[data-testid="step"] .name').allInnerTexts()
const toast = (re: RegExp) =>
  s.page.waitForFunction(
    (src) => [...document.querySelectorAll('[data-testid="toast"]')].some((t: any) => new RegExp(src).test(t.textContent ?? '')),
    re.source,
  )

describe('recipes', () => {
  it('adds ops from the palette with the catalogue default p (not a forced 1)', async () => {
    const { page } = s
    await page.click('[data-op="vflip"]')
    const p = await page.locator('[data-param="p"] input[type="number"]').inputValue()
    expect(Number(p)).toBe(defaultOp('vflip').p)
  })

  it('names problems by step number as the list shows them, and outlines a bad output width', async () => {
    const { page } = s
    await page.click('[data-op="rotate"]')
    const min = page.locator('[data-param="degrees"] input[data-end="min"]')
    await min.fill('-500')
    await min.press('Tab')
    const problems = await page.locator('[data-testid="problems"]').innerText()
    expect(problems).toContain('Step 4 · Rotate · Degrees: expected values within [-180, 180]')
    expect(problems).not.toMatch(/ops\[/)
    await page.fill('[data-testid="output-width"]', '0')
    await page.press('[data-testid="output-width"]', 'Tab')
    expect(await page.locator('[data-testid="output-width"]').getAttribute('aria-invalid')).toBe('true')
    expect(await page.locator('[data-testid="output-width"]').evaluate((el: any) => getComputedStyle(el).borderColor)).toBe('rgb(229, 83, 75)')
    expect(await page.locator('[data-testid="error-output.width"]').innerText()).toMatch(/^Output width: expected an integer width/)
    await s.shot('recipes-problems')
    // put both right again
    await page.fill('[data-testid="output-width"]', '256')
    await page.press('[data-testid="output-width"]', 'Tab')
    await min.fill('-20')
    await min.press('Tab')
    expect(await page.locator('[data-testid="problems"]').count()).toBe(0)
  })

  it('Ctrl+S saves a version; a renamed recipe is saved as a new recipe, leaving the first as it was', async () => {
    const { page } = s
    await page.fill('[data-testid="recipe-name"]', 'roads')
    await page.locator('[data-testid="step"]').first().click()
    await page.keyboard.press('Control+s')
    await toast(/Saved roads v1/)
    await page.fill('[data-testid="recipe-name"]', 'roads-night')
    await page.waitForSelector('[data-testid="recipe-renaming"]')
    await page.click('[data-op="brightness"]')
    await page.click('[data-testid="recipe-save-new"]')
    await toast(/Saved roads-night v1/)
    const options = await page.locator('[data-testid="recipe-picker"] option').allInnerTexts()
    expect(options).toEqual(expect.arrayContaining(['roads (v1)', 'roads-night (v1)']))
    // the first is untouched: 4 steps, no brightness
    await page.selectOption('[data-testid="recipe-picker"]', { label: 'roads (v1)' })
    await page.waitForFunction(() => document.querySelector('[data-testid="recipe-name"]')?.value === 'roads')
    expect(await steps()).toHaveLength(4)
    // "save as new recipe" on an unrenamed recipe makes a copy, not a second "roads"
    await page.click('[data-testid="recipe-save-new"]')
    await toast(/Saved roads \(copy\) v1/)
  })

  it('keeps unsaved edits across a reload and can discard them', async () => {
    const { page } = s
    await page.click('[data-op="gamma"]')
    const before = await steps()
    expect(before.at(-1)).toMatch(/^Gamma/)
    await page.waitForTimeout(400) // the draft is written a moment after the edit
    await page.reload()
    await page.waitForSelector('html[data-ready="true"]')
    await page.waitForSelector('main[data-view="recipes"]')
    await page.waitForSelector('[data-testid="recipe-restored"]')
    expect(await steps()).toEqual(before)
    expect(await page.locator('[data-testid="recipe-name"]').inputValue()).toBe('roads (copy)')
    expect(await page.locator('[data-testid="recipe-dirty"]').count()).toBe(1)
    await s.shot('recipes-restored')
    await page.click('[data-testid="recipe-discard"]')
    await page.waitForFunction(() => !document.querySelector('[data-testid="recipe-dirty"]'))
    expect(await steps()).toEqual(before.slice(0, -1))
  })

  it('imports the parts of an Albumentations pipeline that map, after showing what was left out or changed, once', async () => {
    const { page } = s
    const file = join(s.root, 'albumentations-with-normalize.json')
    const T = (name: string, args: object = {}) => ({ __class_fullname__: name, always_apply: false, p: 0.5, ...args })
    writeFileSync(
      file,
      JSON.stringify({
        __version__: '1.3.1',
        transform: {
          __class_fullname__: 'Compose',
          p: 1,
          transforms: [
            T('HorizontalFlip'),
            T('GaussNoise', { var_limit: [10, 50] }),
            T('Normalize', { p: 1, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], max_pixel_value: 255 }),
          ],
        },
      }),
    )
    const before = await steps()
    await page.setInputFiles('[data-testid="recipe-import"]', file)
    await page.waitForSelector('[data-testid="import-review"]')
    const items = await page.locator('[data-testid="import-review-items"] li').allInnerTexts()
    expect(items.filter((t) => t.includes('Normalize'))).toHaveLength(1)
    expect(items.some((t) => /left out/i.test(t) && t.includes('Normalize'))).toBe(true)
    expect(items.some((t) => /changed/i.test(t) && t.includes('GaussNoise'))).toBe(true)
    await s.shot('recipes-import-review')
    await page.click('[data-testid="import-review-cancel"]')
    expect(await steps()).toEqual(before)
    await page.setInputFiles('[data-testid="recipe-import"]', file)
    await page.click('[data-testid="import-review-accept"]')
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="step"]').length === 2)
    expect((await steps()).map((t) => t.split('\n')[0])).toEqual(['Horizontal flip', 'Gaussian noise'])
    // the noise range (sqrt of the variance) reads as the editor's step, not 3.16227766017…
    const summary = await page.locator('[data-testid="step"]').nth(1).innerText()
    expect(summary).toMatch(/3\.16…7\.07/)
    expect(await page.locator('[data-testid="toast"]', { hasText: 'Import failed' }).count()).toBe(0)
  })
})
