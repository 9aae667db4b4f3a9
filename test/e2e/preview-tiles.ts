// Waiting for the preview's tiles, shared by the e2e tests: the settled state (no render pending,
// n tiles whose pixels loaded, of the expected size), and what the stage showed when it never
// came (so a timeout says whether a render hung, failed, or gave other tiles).
import type { Page } from 'playwright-core'

declare const document: any

export interface Tiles {
  generation: string
  urls: string[]
  sizes: [number, number][]
  header: string
}

const TIMEOUT = 30_000

/** What the preview stage shows now, for a failure message. */
async function stageState(page: Page): Promise<string> {
  const state = await page
    .evaluate(() => {
      const s = document.querySelector('[data-testid="preview-stage"]')
      const imgs = [...document.querySelectorAll('[data-testid="preview-tile"] img')] as any[]
      return {
        view: document.querySelector('main')?.getAttribute('data-view'),
        pending: s?.getAttribute('data-pending'),
        generation: s?.getAttribute('data-generation'),
        tiles: imgs.map((i) => ({ src: i.src, complete: i.complete, size: [i.naturalWidth, i.naturalHeight] })),
        stage: (s?.textContent ?? '').replace(/\s+/g, ' ').trim().slice(0, 400),
        toasts: [...document.querySelectorAll('[data-testid="toast"]')].map((t: any) => t.textContent?.trim()),
      }
    })
    .catch((err: Error) => ({ unreadable: err.message }))
  return JSON.stringify(state, null, 1)
}

/** Runs a page.waitForFunction (with TIMEOUT); its timeout names what the stage showed instead. */
async function explained(page: Page, what: string, wait: () => Promise<unknown>): Promise<void> {
  try {
    await wait()
  } catch (err) {
    throw new Error(`the preview did not reach ${what} in ${TIMEOUT / 1000} s; the stage showed: ${await stageState(page)}`, { cause: err })
  }
}

/**
 * Waits until the preview has settled on `n` tiles whose pixels loaded (of `size` when given: a
 * render of the recipe before its last edit reached the preview is not the settled state), and
 * reads them.
 */
export async function settled(page: Page, n = 8, size?: [number, number]): Promise<Tiles> {
  await explained(page, `${n} loaded tiles${size ? ` of ${size[0]}x${size[1]}` : ''}`, () =>
    page.waitForFunction(
      ([count, wh]) => {
        const s = document.querySelector('[data-testid="preview-stage"]')
        const imgs = [...document.querySelectorAll('[data-testid="preview-tile"] img')]
        const loaded = (i: any) => i.complete && i.naturalWidth > 0 && (!wh || (i.naturalWidth === wh[0] && i.naturalHeight === wh[1]))
        return s?.getAttribute('data-pending') === 'false' && imgs.length === count && imgs.every(loaded)
      },
      [n, size ?? null] as const,
      { timeout: TIMEOUT },
    ),
  )
  return page.evaluate(() => {
    const imgs = [...document.querySelectorAll('[data-testid="preview-tile"] img')] as any[]
    return {
      generation: document.querySelector('[data-testid="preview-stage"]').getAttribute('data-generation'),
      urls: imgs.map((i) => i.src as string),
      sizes: imgs.map((i) => [i.naturalWidth, i.naturalHeight] as [number, number]),
      header: document.querySelector('[data-testid="preview-size"]')?.textContent ?? '',
    }
  })
}

/** Waits until the tiles differ from `before` (a new render), then for them to settle. */
export async function changed(page: Page, before: Tiles, n = 8, size?: [number, number]): Promise<Tiles> {
  await explained(page, 'tiles other than the ones before', () =>
    page.waitForFunction(
      (old) => {
        const imgs = [...document.querySelectorAll('[data-testid="preview-tile"] img')] as any[]
        return imgs.length > 0 && imgs[0].src !== old
      },
      before.urls[0],
      { timeout: TIMEOUT },
    ),
  )
  return settled(page, n, size)
}
