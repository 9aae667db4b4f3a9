// Creating and opening projects in the studio (issue 14, item 3): `serve --project NEW_DIR`
// offers to create it, New project… / Open project… validate the folder at the field, and the
// recent projects list survives a restart.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BrowserContext, Page } from 'playwright-core'
import { Catalog } from '../../src/main/catalog'
import { launch } from './browser'
import { serve, type Served } from './serve'
import { SHOTS } from './studio'

declare const document: any

let root: string
let userData: string
let server: Served | null = null
let browser: { context: BrowserContext; close: () => Promise<void> } | null = null
let page: Page

async function start(args: string[]): Promise<void> {
  await server?.stop()
  server = await serve([...args, '--port', '0'], { LOCKSTEP_USER_DATA: userData })
  await page.goto(server.url)
  await page.waitForSelector('html[data-ready="true"]')
}
/** After opening or creating a project the studio reloads on it. */
async function landedOn(name: string): Promise<void> {
  await page.waitForFunction((n) => document.querySelector('[data-testid="project-name"]')?.textContent === n, name, { timeout: 30_000 })
  await page.waitForSelector('main[data-view="catalog"]')
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true })
  root = mkdtempSync(join(tmpdir(), 'lockstep-projects-'))
  userData = join(root, 'userdata')
  browser = await launch()
  page = await browser.context.newPage()
}, 60_000)
afterAll(async () => {
  await browser?.close()
  await server?.stop()
  rmSync(root, { recursive: true, force: true })
})

describe('projects in the studio', () => {
  it('serve on a missing folder starts with no project and offers to create it there', async () => {
    const dir = join(root, 'streets')
    await start(['--project', dir])
    expect(server!.output()).toContain(`${dir} does not exist yet: the studio offers to create a project there (or run: lockstep init "${dir}")`)
    expect(server!.output()).toMatch(/Not opening a browser \(LOCKSTEP_NO_BROWSER is set\): open the address above/)
    await page.waitForSelector('[data-testid="welcome-offer"]')
    expect(await page.locator('[data-testid="welcome-offer"] .dir').innerText()).toBe(dir)
    await page.screenshot({ path: join(SHOTS, 'welcome-offer.png') })
    await page.fill('[data-testid="welcome-name"]', 'Streets')
    await page.click('[data-testid="welcome-create"]')
    await landedOn('Streets')
    expect(existsSync(join(dir, 'lockstep.db'))).toBe(true)
    await page.waitForSelector('text=This project has no samples yet')
  })

  it('New project… checks the folder at the field and keeps what was typed', async () => {
    await page.click('[data-testid="project-menu"]')
    await page.click('[data-testid="project-new"]')
    const dirField = page.locator('[data-testid="project-dir"]')
    await dirField.fill('relative/path')
    await expect.poll(() => page.locator('[data-testid="project-dir-error"]').innerText()).toMatch(/absolute path/)
    expect(await dirField.getAttribute('aria-invalid')).toBe('true')
    expect(await page.locator('[data-testid="project-submit"]').isDisabled()).toBe(true)
    // an existing project: say so, offer to open it instead
    await dirField.fill(join(root, 'streets'))
    await expect.poll(() => page.locator('[data-testid="project-dir-error"]').innerText()).toMatch(/Already a Lockstep project \(“Streets”\)/)
    expect(await page.locator('[data-testid="project-switch"]').innerText()).toBe('Open it instead')
    await page.screenshot({ path: join(SHOTS, 'project-new-dialog-error.png') })
    // a file
    writeFileSync(join(root, 'a-file'), 'x')
    await dirField.fill(join(root, 'a-file'))
    await expect.poll(() => page.locator('[data-testid="project-dir-error"]').innerText()).toMatch(/is a file, not a folder/)
    // a folder with files: allowed, with a note
    const dataDir = join(root, 'fields')
    mkdirSync(dataDir)
    writeFileSync(join(dataDir, 'readme.txt'), 'mine')
    await dirField.fill(dataDir)
    await expect.poll(() => page.locator('[data-testid="project-dir-hint"]').innerText()).toMatch(/holds 1 item; they stay where they are/)
    await page.fill('[data-testid="project-name-input"]', 'Fields')
    await page.screenshot({ path: join(SHOTS, 'project-new-dialog.png') })
    // Escape closes without creating anything
    await page.keyboard.press('Escape')
    expect(await page.locator('[data-testid="project-dialog"]').count()).toBe(0)
    expect(existsSync(join(dataDir, 'lockstep.db'))).toBe(false)
    // again, for real
    await page.click('[data-testid="project-menu"]')
    await page.click('[data-testid="project-new"]')
    await page.fill('[data-testid="project-dir"]', dataDir)
    await page.fill('[data-testid="project-name-input"]', 'Fields')
    await expect.poll(() => page.locator('[data-testid="project-submit"]').isDisabled()).toBe(false)
    await page.click('[data-testid="project-submit"]')
    await landedOn('Fields')
    expect(existsSync(join(dataDir, 'readme.txt'))).toBe(true)
  })

  it('Open project… refuses a folder that is not a project and opens one that is', async () => {
    const other = join(root, 'other')
    Catalog.open(other, { create: true, name: 'Other' }).close()
    await page.click('[data-testid="project-menu"]')
    await page.click('[data-testid="project-open"]')
    await page.fill('[data-testid="project-dir"]', join(root, 'nowhere'))
    await expect.poll(() => page.locator('[data-testid="project-dir-error"]').innerText()).toMatch(/No such folder/)
    await page.fill('[data-testid="project-dir"]', other)
    await expect.poll(() => page.locator('[data-testid="project-dir-hint"]').innerText()).toBe('Project “Other”')
    await page.press('[data-testid="project-dir"]', 'Enter')
    await landedOn('Other')
  })

  it('lists recent projects, newest first, across a restart, and reopens one', async () => {
    await start(['--project', join(root, 'other')])
    await landedOn('Other')
    await page.click('[data-testid="project-menu"]')
    await page.waitForSelector('[data-testid="recent-project"]')
    const names = await page.locator('[data-testid="recent-project"] .name').allInnerTexts()
    expect(names.map((n) => n.replace(/ · open$/, ''))).toEqual(['Other', 'Fields', 'Streets'])
    await page.screenshot({ path: join(SHOTS, 'project-menu.png') })
    await page.locator('[data-testid="recent-project"]', { hasText: 'Streets' }).click()
    await landedOn('Streets')
    // a project whose folder went away is marked, and can be taken off the list
    rmSync(join(root, 'fields'), { recursive: true })
    await page.click('[data-testid="project-menu"]')
    const gone = page.locator('li.gone')
    await expect.poll(() => gone.count()).toBe(1)
    await gone.locator('[data-testid="recent-forget"]').click()
    await expect.poll(() => page.locator('[data-testid="recent-project"]').count()).toBe(2)
  })
})
