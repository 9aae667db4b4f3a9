#!/usr/bin/env node
// npm run bench:ui — the studio in Chromium against `lockstep serve` (run `npm run build` first).
//
//   1. time to interactive: navigation start -> project loaded and the first grid page painted
//   2. grid scroll over 100,000 samples: per-frame time while scrolling at a steady speed, with
//      Chromium's frame-rate limit off so a frame's time is its cost, not the 60 Hz vsync wait
//   3. preview: 8 tiles at 512x512 from a 1200x900 PNG pair with the general recipe of issue 12
//      (random crop, flips, one affine, brightness/contrast, HSV hue shift, Gaussian noise, salt and
//      pepper, added from the palette), from the last recipe edit to every tile decoded on screen
//      (an isolated edit renders at once; the editor debounces only bursts of edits)
//
// The 100k catalog is made quickly: 1,000 real small pairs imported with the catalog library
// (out/main/lib.js), then their rows cloned under new keys in one SQL statement (all clones point
// at the same files, so thumbnails are real). Nothing here is a result: every figure is measured.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { ROOT, fmt, launchChromium, median, serve } from './studio.mjs'
import { writeManyPairs } from './catalog-data.mjs'

// the preview's debounce, as the renderer defines it (for bursts of edits; each edit here is isolated)
const DEBOUNCE = Number(/DEBOUNCE_MS = (\d+)/.exec(readFileSync(join(ROOT, 'src/renderer/src/stores/preview.ts'), 'utf8'))?.[1])
const TOTAL = Number(process.env.BENCH_UI_SAMPLES ?? 100_000)
const BASE = 1000

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]
}

async function makeProject(root) {
  const lib = await import(join(ROOT, 'out/main/lib.js'))
  const { Catalog, runImport } = lib.catalog
  const t0 = performance.now()
  const small = await writeManyPairs(join(root, 'small'), BASE)
  // one 1200x900 PNG pair for the preview (the fixture scene style: shapes whose mask is the class map)
  const big = join(root, 'big')
  mkdirSync(join(big, 'images'), { recursive: true })
  mkdirSync(join(big, 'masks'), { recursive: true })
  const W = 1200,
    H = 900
  const rgb = Buffer.alloc(W * H * 3)
  const labels = Buffer.alloc(W * H)
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const k = (x - 300) ** 2 + (y - 300) ** 2 < 150 ** 2 ? 1 : x > 600 && x < 900 && y > 200 && y < 600 ? 2 : y > 650 ? 3 : 0
      labels[y * W + x] = k
      const c = [
        [70, 70, 70],
        [220, 40, 40],
        [40, 200, 60],
        [50, 80, 230],
      ][k]
      const n = ((x * 7 + y * 13) % 23) - 11
      rgb[(y * W + x) * 3] = Math.max(0, Math.min(255, c[0] + n))
      rgb[(y * W + x) * 3 + 1] = Math.max(0, Math.min(255, c[1] + n))
      rgb[(y * W + x) * 3 + 2] = Math.max(0, Math.min(255, c[2] + n))
    }
  }
  await sharp(rgb, { raw: { width: W, height: H, channels: 3 } })
    .png()
    .toFile(join(big, 'images', 'big_preview_source.png'))
  await sharp(labels, { raw: { width: W, height: H, channels: 1 } })
    .toColourspace('b-w')
    .png()
    .toFile(join(big, 'masks', 'big_preview_source.png'))

  const project = join(root, 'project')
  const cat = Catalog.open(project, { create: true, name: `bench ${TOTAL.toLocaleString('en-US')} samples` })
  await runImport(cat, { images: small.images, masks: small.masks })
  await runImport(cat, { images: join(big, 'images'), masks: join(big, 'masks') })
  const copies = Math.ceil((TOTAL - BASE - 1) / BASE)
  if (copies > 0) {
    const cols = cat.db
      .prepare('PRAGMA table_info(samples)')
      .all()
      .map((c) => c.name)
      .filter((c) => c !== 'id')
    const sel = cols.map((c) => (c === 'key' ? `s.key || '~' || printf('%03d', n.i)` : `s.${c}`)).join(', ')
    cat.db.exec(`
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${copies})
      INSERT INTO samples (${cols.join(', ')})
      SELECT ${sel} FROM samples s, n WHERE s.key NOT LIKE 'big%'
    `)
  }
  const n = cat.db.prepare('SELECT COUNT(*) FROM samples').pluck().get()
  cat.close()
  return { project, count: n, seconds: (performance.now() - t0) / 1000 }
}

async function main() {
  const root = mkdtempSync(join(tmpdir(), 'lockstep-bench-ui-'))
  let server, context
  try {
    const made = await makeProject(root)
    console.log(`catalog: ${made.count.toLocaleString('en-US')} samples made in ${made.seconds.toFixed(1)} s (1,000 imported, the rest cloned rows)`)
    server = await serve(made.project, join(root, 'userdata'))
    const profile = join(root, 'chromium')
    // frame-rate limit and vsync off: a scroll frame's time is its cost, not the 60 Hz wait
    context = await launchChromium(profile, ['--disable-frame-rate-limit', '--disable-gpu-vsync'])
    const page = await context.newPage()

    // ---------------------------------------------------------------- 1. time to interactive
    const interactive = () =>
      page.waitForFunction(() => document.documentElement.dataset.ready === 'true' && document.querySelectorAll('[data-testid="tile"]').length > 0, undefined, {
        timeout: 30_000,
      })
    await page.goto(server.url) // trades the token for the cookie, redirects to /
    await interactive()
    const cold = await page.evaluate(() => performance.now())
    const warm = []
    const dcl = []
    for (let i = 0; i < 5; i++) {
      await page.reload()
      await interactive()
      warm.push(await page.evaluate(() => performance.now()))
      dcl.push(await page.evaluate(() => performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd))
    }
    console.log(
      `time to interactive: first load ${fmt(cold)} ms (incl. the token redirect); reloads median ${fmt(median(warm))} ms, max ${fmt(Math.max(...warm))} ms; of which scripts loaded (DOMContentLoaded) median ${fmt(median(dcl))} ms  (target < 1500)`,
    )

    // ---------------------------------------------------------------- 2. grid scroll
    const total = await page.evaluate(() => document.querySelector('[data-testid="match-count"]')?.textContent?.trim())
    const scroll = await page.evaluate(
      ({ durationMs, pxPerFrame }) =>
        new Promise((done) => {
          const el = document.querySelector('[data-testid="catalog-grid"]')
          const deltas = []
          let last = performance.now()
          const start = last
          let y = 0
          const step = (t) => {
            deltas.push(t - last)
            last = t
            y += pxPerFrame
            el.scrollTop = y
            if (t - start < durationMs && y < el.scrollHeight) requestAnimationFrame(step)
            else {
              const tiles = [...document.querySelectorAll('[data-testid="tile"]')]
              done({ deltas: deltas.slice(1), scrolled: el.scrollTop, height: el.scrollHeight, tilesInDom: tiles.length })
            }
          }
          requestAnimationFrame(step)
        }),
      { durationMs: 6000, pxPerFrame: 120 },
    )
    const loaded = await page.evaluate(() => document.querySelectorAll('[data-testid="tile"]').length)
    console.log(
      `grid scroll over ${total} samples: ${scroll.deltas.length} frames, median ${fmt(median(scroll.deltas))} ms, p95 ${fmt(pct(scroll.deltas, 95))} ms, max ${fmt(Math.max(...scroll.deltas))} ms; ` +
        `scrolled ${Math.round(scroll.scrolled).toLocaleString('en-US')} of ${scroll.height.toLocaleString('en-US')} px, ${loaded} tiles in the DOM  (target median < 16)`,
    )
    // jump to the end: keyset pages load in sequence; how long until the last tiles are real
    const jump = await page.evaluate(
      () =>
        new Promise((done) => {
          const el = document.querySelector('[data-testid="catalog-grid"]')
          const t0 = performance.now()
          el.scrollTop = el.scrollHeight
          const last = Number(document.querySelector('[data-testid="match-count"]').textContent.replace(/\D/g, '')) - 1
          const check = () => {
            if (document.querySelector(`[data-testid="tile"][data-index="${last}"] img`)) done(performance.now() - t0)
            else if (performance.now() - t0 > 60_000) done(NaN)
            else requestAnimationFrame(check)
          }
          check()
        }),
    )
    console.log(`jump to the end of the grid: last rows on screen after ${fmt(jump)} ms (one page, asked for at its offset)`)

    // let the thumbnails the scroll asked for drain before timing the preview
    await page.waitForLoadState('networkidle').catch(() => {})
    // ---------------------------------------------------------------- 3. preview
    await page.evaluate(() => (location.hash = '#/catalog'))
    await page.fill('[data-testid="filter-path"]', 'big_preview')
    await page.waitForFunction(() => document.querySelector('[data-testid="match-count"]')?.textContent?.trim() === '1')
    await page.locator('[data-testid="tile"]').first().click()
    await page.click('nav [data-view="preview"]')
    const settled = (w) =>
      page.waitForFunction(
        (width) => {
          const s = document.querySelector('[data-testid="preview-stage"]')
          const imgs = [...document.querySelectorAll('[data-testid="preview-tile"] img')]
          return s?.getAttribute('data-pending') === 'false' && imgs.length === 8 && imgs.every((i) => i.complete && i.naturalWidth === width)
        },
        w,
        { timeout: 120_000 },
      )
    await settled(512).catch(async (err) => {
      await page.screenshot({ path: join(ROOT, 'test-output', 'bench-ui-preview-failure.png') })
      throw err
    }) // first render (default recipe: 512x512 crop + flip)
    // the general recipe: the palette's ops (default parameters and p) after the crop and flip
    await page.click('nav [data-view="recipes"]')
    for (const op of ['vflip', 'affine', 'brightness', 'contrast', 'hsv_shift', 'gaussian_noise', 'salt_pepper'])
      await page.click(`[data-testid="op-palette"] [data-op="${op}"]`)
    await page.click('nav [data-view="preview"]')
    await settled(512)
    // select the flip op and edit its probability: each edit is "the last edit"
    await page.locator('[data-testid="step"]').nth(1).click()
    const times = []
    const engine = []
    for (let i = 0; i < Number(process.env.BENCH_UI_PREVIEW_RUNS ?? 7); i++) {
      const p = (0.3 + i * 0.05).toFixed(2)
      const ms = await page.evaluate(
        (value) =>
          new Promise((done) => {
            const input = document.querySelector('[data-param="p"] input[type="number"]')
            const stage = document.querySelector('[data-testid="preview-stage"]')
            const before = stage.getAttribute('data-generation')
            const t0 = performance.now()
            input.value = value
            input.dispatchEvent(new Event('change', { bubbles: true }))
            const check = () => {
              const imgs = [...document.querySelectorAll('[data-testid="preview-tile"] img')]
              const ok =
                stage.getAttribute('data-generation') !== before &&
                stage.getAttribute('data-pending') === 'false' &&
                imgs.length === 8 &&
                imgs.every((im) => im.complete && im.naturalWidth === 512)
              if (ok) done(performance.now() - t0)
              else if (performance.now() - t0 > 120_000) done(NaN)
              else requestAnimationFrame(check)
            }
            requestAnimationFrame(check)
          }),
        p,
      )
      times.push(ms)
      engine.push(
        Number(
          await page.evaluate(
            () => new Promise((r) => requestAnimationFrame(() => r(document.querySelector('[data-testid="preview-timing"]')?.getAttribute('data-engine-ms')))),
          ),
        ),
      )
    }
    console.log(
      `preview 8 tiles 512x512 from 1200x900 PNG, general recipe: edit -> all tiles decoded median ${fmt(median(times))} ms, min ${fmt(Math.min(...times))}, max ${fmt(Math.max(...times))} (isolated edits: the ${DEBOUNCE} ms debounce is for bursts only; target < 400) [${times.map((t) => Math.round(t)).join(', ')}]; engine's own time median ${fmt(median(engine))} ms`,
    )
  } finally {
    await context?.close().catch(() => {})
    server?.child.kill('SIGTERM')
    rmSync(root, { recursive: true, force: true })
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
