// Labeling in the Inspector, end to end: Chromium against `lockstep serve` on a generated
// project, driven with the mouse and keyboard. Each tool paints a known scene; the saved PNG must
// hold exactly the pixels computed here from the definitions (labeling-scene.ts), in the file's
// own encoding (8-bit grey, 16-bit grey, palette). Screenshots of every tool go to
// test-output/screenshots/labeling-*.png.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { decode as decodePng } from 'fast-png'
import { Catalog, runImport } from '../../src/main/catalog'
import { serve, type Served } from './serve'
import { launch } from './browser'
import { DISC, GREY16, H, SQUARE, W, inPolygon, region, stroke, writeScenePair, type P, type Scene } from './labeling-scene'

declare const document: any

const SHOTS = resolve(import.meta.dirname, '../../test-output/screenshots')
let root: string
let data: string
let project: string
let server: Served | null = null
let closeBrowser: (() => Promise<void>) | null = null
let page: Page
let scene: Scene

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `labeling-${name}.png`) })
const text = (sel: string) => page.locator(sel).first().innerText()
const maskFile = (stem: string) => join(data, 'masks', `${stem}.png`)

function readMask(stem: string) {
  const png = decodePng(readFileSync(maskFile(stem)))
  return { depth: png.depth, channels: png.channels, palette: png.palette ?? null, data: png.data as Uint8Array | Uint16Array }
}

/** Waits until the Inspector shows `stem` with its label map ready to edit. */
async function editing(stem: string): Promise<void> {
  await page.waitForFunction((s) => document.querySelector('[data-testid="inspector-key"]')?.textContent === s, stem)
  await page.waitForFunction(
    ([w, h]) => {
      const c = document.querySelector('[data-testid="inspector-overlay"]')
      return !!c && c.width === w && c.height === h && !document.querySelector('[data-testid="tool-brush"]')?.disabled
    },
    [W, H],
  )
}

async function openSample(stem: string): Promise<void> {
  await page.click('nav [data-view="catalog"]')
  await page.locator('[data-testid="tile"]', { hasText: stem }).dblclick()
  await page.waitForSelector('main[data-view="inspector"]')
  await editing(stem)
}

async function viewport() {
  return page.locator('[data-testid="inspector-viewer"]').evaluate((el: any) => {
    const r = el.getBoundingClientRect()
    return { left: r.left, top: r.top, scale: Number(el.dataset.scale), tx: Number(el.dataset.tx), ty: Number(el.dataset.ty) }
  })
}
/** The screen point at the centre of image pixel p. */
async function screen(p: P) {
  const v = await viewport()
  return { x: v.left + v.tx + (p.x + 0.5) * v.scale, y: v.top + v.ty + (p.y + 0.5) * v.scale }
}
async function click(p: P, modifiers: ('Shift' | 'Alt')[] = []): Promise<void> {
  const s = await screen(p)
  for (const m of modifiers) await page.keyboard.down(m)
  await page.mouse.click(s.x, s.y)
  for (const m of modifiers) await page.keyboard.up(m)
}
async function drag(pts: P[]): Promise<void> {
  const first = await screen(pts[0])
  await page.mouse.move(first.x, first.y)
  await page.mouse.down()
  for (const p of pts.slice(1)) {
    const s = await screen(p)
    await page.mouse.move(s.x, s.y)
  }
  await page.mouse.up()
}
/** The class the readout names under pixel p. */
async function classAt(p: P): Promise<number> {
  const s = await screen(p)
  await page.mouse.move(s.x, s.y)
  const t = await text('[data-testid="cursor-readout"]')
  const m = /\((\d+)\)\s*$/.exec(t)
  if (!m) throw new Error(`no class in the readout: ${t}`)
  return Number(m[1])
}
async function pick(index: number): Promise<void> {
  await page.click(`[data-testid="class-pick-${index}"]`)
  await page.waitForFunction((i) => document.querySelector(`[data-class="${i}"]`)?.classList.contains('current'), index)
}
async function setBrush(size: number): Promise<void> {
  await page.fill('[data-testid="brush-size"]', String(size))
  await page.press('[data-testid="brush-size"]', 'Enter')
  await page.locator('[data-testid="inspector-viewer"]').hover({ position: { x: 5, y: 5 } })
}
async function undoCount(): Promise<number> {
  return Number(await text('[data-testid="undo-count"]'))
}
async function save(): Promise<void> {
  await page.keyboard.press('Control+s')
  await page.waitForFunction(() => document.querySelector('[data-testid="label-save"]')?.textContent?.includes('Saved'), undefined, { timeout: 20_000 })
}
function diff(got: ArrayLike<number>, want: ArrayLike<number>, skip?: (i: number) => boolean): string[] {
  const out: string[] = []
  for (let i = 0; i < want.length && out.length < 10; i++)
    if (!skip?.(i) && got[i] !== want[i]) out.push(`(${i % W},${Math.floor(i / W)}) ${got[i]} != ${want[i]}`)
  return out
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true })
  root = mkdtempSync(join(tmpdir(), 'lockstep-e2e-label-'))
  data = join(root, 'data')
  scene = await writeScenePair(data, 'a_grey8', 'grey8')
  await writeScenePair(data, 'b_grey16', 'grey16')
  await writeScenePair(data, 'c_palette', 'palette')
  await writeScenePair(data, 'd_nomask', null)
  await writeScenePair(data, 'e_labelme', null)
  // labelme's JSON (in its own folder: JSON files among the images would be imported as samples),
  // a rectangle of a class the project does not know yet, and a broken file
  mkdirSync(join(data, 'labelme'))
  writeFileSync(
    join(data, 'labelme', 'e_labelme.json'),
    JSON.stringify({
      version: '5.4.1',
      flags: {},
      imagePath: '../images/e_labelme.png',
      imageWidth: W,
      imageHeight: H,
      imageData: null,
      shapes: [
        {
          label: 'car',
          points: [
            [200, 20],
            [260, 80],
          ],
          shape_type: 'rectangle',
          group_id: null,
          flags: {},
        },
      ],
    }),
  )
  writeFileSync(join(data, 'labelme', 'broken.json'), '{"shapes": [')
  project = join(root, 'project')
  const cat = Catalog.open(project, { create: true, name: 'Labeling (e2e)' })
  await runImport(cat, { images: join(data, 'images'), masks: join(data, 'masks') })
  cat.close()
  server = await serve(['--project', project, '--port', '0'], { LOCKSTEP_USER_DATA: join(root, 'userdata') })
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
  if (server) writeFileSync(join(SHOTS, '..', 'serve-labeling.log'), server.output())
  if (root) rmSync(root, { recursive: true, force: true })
})

describe('the Inspector keeps the keyboard and the edits (Chromium, lockstep serve)', () => {
  it('review keys work after the overlay slider was touched (focus stays with the Inspector)', async () => {
    await openSample('b_grey16')
    await page.click('[data-testid="overlay-opacity"]')
    await page.keyboard.press('ArrowRight')
    await page.waitForFunction(() => document.querySelector('[data-testid="inspector-key"]')?.textContent === 'c_palette')
    await page.keyboard.press('ArrowLeft')
    await page.waitForFunction(() => document.querySelector('[data-testid="inspector-key"]')?.textContent === 'b_grey16')
    await page.click('[data-testid="overlay-opacity"]')
    await page.keyboard.press('a')
    await page.waitForFunction(() => document.querySelector('[data-testid="inspector-key"]')?.textContent === 'c_palette')
    await page.keyboard.press('ArrowLeft')
    await editing('b_grey16')
    expect(await text('[data-testid="inspector-status"]')).toBe('accepted')
  })

  it('? lists every shortcut of every view that registered some', async () => {
    await page.keyboard.press('?')
    await page.waitForSelector('[data-testid="shortcuts-overlay"]')
    const scopes = await page.locator('[data-testid="shortcuts-overlay"] [data-scope]').evaluateAll((els) => els.map((e: any) => e.dataset.scope))
    expect(scopes[0]).toBe('Inspector')
    expect(scopes).toContain('Studio')
    const sheet = await text('[data-testid="shortcuts-overlay"]')
    for (const label of [
      'Brush',
      'Eraser',
      'Polygon',
      'Fill region',
      'Magic wand',
      'Box assist',
      'Undo',
      'Redo',
      'Save the mask',
      'Smaller brush',
      'Larger brush',
      'Accept and next',
    ])
      expect(sheet).toContain(label)
    await shot('shortcuts')
    await page.keyboard.press('Escape')
    await page.waitForFunction(() => !document.querySelector('[data-testid="shortcuts-overlay"]'))
  })

  it('fits its toolbars at 1024x640 (rows wrap, nothing out of reach)', async () => {
    await page.setViewportSize({ width: 1024, height: 640 })
    await page.keyboard.press('b')
    await page.waitForTimeout(300)
    await shot('inspector-1024x640')
    for (const id of ['tool-view', 'tool-box', 'brush-size', 'only-background', 'undo', 'redo', 'label-save', 'label-shortcuts-open', 'review-accept']) {
      const box = (await page.locator(`[data-testid="${id}"]`).boundingBox())!
      expect(box.x + box.width, id).toBeLessThanOrEqual(1024)
      expect(box.y + box.height, id).toBeLessThanOrEqual(640)
    }
    await page.setViewportSize({ width: 1440, height: 900 })
    await page.keyboard.press('v')
  })

  it('keeps unsaved edits across a page reload (IndexedDB draft), until discarded', { timeout: 60_000 }, async () => {
    await page.keyboard.press('b')
    await setBrush(7)
    await pick(GREY16[2])
    await drag([
      { x: 150, y: 200 },
      { x: 200, y: 210 },
    ])
    expect(await classAt({ x: 175, y: 205 })).toBe(GREY16[2])
    await page.waitForTimeout(1200) // the draft is written half a second after the last edit
    await page.reload()
    await page.waitForSelector('html[data-ready="true"]')
    await editing('b_grey16')
    await page.waitForSelector('[data-testid="draft-restored"]')
    expect(await classAt({ x: 175, y: 205 })).toBe(GREY16[2])
    expect(await text('[data-testid="unsaved"]')).toMatch(/unsaved/)
    await page.click('[data-testid="draft-discard"]')
    await page.waitForFunction(() => !document.querySelector('[data-testid="unsaved"]'))
    expect(await classAt({ x: 175, y: 205 })).toBe(0)
  })

  it('asks before leaving a sample with unsaved edits (setting: ask), and never drops them silently', { timeout: 60_000 }, async () => {
    await page.selectOption('[data-testid="leave-policy"]', 'ask')
    await page.keyboard.press('b')
    await pick(GREY16[2])
    await drag([
      { x: 150, y: 200 },
      { x: 160, y: 200 },
    ])
    await page.keyboard.press('ArrowRight')
    await page.waitForSelector('[data-testid="leave-dialog"]')
    await shot('leave-dialog')
    // the dialog holds the keyboard: the Inspector's keys do nothing, Tab stays in the dialog,
    // Escape stays on the sample
    await page.keyboard.press('ArrowRight')
    for (let i = 0; i < 4; i++) await page.keyboard.press('Tab')
    expect(await page.evaluate(() => !!document.activeElement?.closest('[data-testid="leave-dialog"]'))).toBe(true)
    await page.keyboard.press('Escape')
    await page.waitForSelector('[data-testid="leave-dialog"]', { state: 'detached' })
    expect(await text('[data-testid="inspector-key"]')).toBe('b_grey16')
    await page.keyboard.press('ArrowRight')
    await page.click('[data-testid="leave-cancel"]')
    expect(await text('[data-testid="inspector-key"]')).toBe('b_grey16')
    expect(await classAt({ x: 155, y: 200 })).toBe(GREY16[2])
    await page.keyboard.press('ArrowRight')
    await page.click('[data-testid="leave-discard"]')
    await page.waitForFunction(() => document.querySelector('[data-testid="inspector-key"]')?.textContent === 'c_palette')
    await page.keyboard.press('ArrowLeft')
    await editing('b_grey16')
    expect(await classAt({ x: 155, y: 200 })).toBe(0)
    // Enter saves and goes on
    await drag([
      { x: 150, y: 200 },
      { x: 160, y: 200 },
    ])
    await page.keyboard.press('ArrowRight')
    await page.waitForSelector('[data-testid="leave-dialog"]')
    await page.keyboard.press('Enter')
    await page.waitForFunction(() => document.querySelector('[data-testid="inspector-key"]')?.textContent === 'c_palette')
    expect(readMask('b_grey16').data[200 * W + 155]).toBe(GREY16[2])
    await page.selectOption('[data-testid="leave-policy"]', 'save')
  })
})

describe('labeling in the Inspector (Chromium, lockstep serve)', () => {
  // the label map we expect for a_grey8, kept in step with every action
  let want: Uint8Array

  it('paints a brush stroke, a polygon, a fill and a wand region with the mouse, exactly', { timeout: 120_000 }, async () => {
    want = scene.labels.slice()
    await openSample('a_grey8')
    // brush: class 3 (not in the mask yet), 9 px, a stroke with a bend
    await page.keyboard.press('b')
    await setBrush(9)
    await pick(1)
    const strokePts = [
      { x: 30, y: 100 },
      { x: 70, y: 104 },
      { x: 110, y: 140 },
      { x: 111, y: 141 },
      { x: 150, y: 110 },
    ]
    await drag(strokePts)
    stroke(want, strokePts, 9, 1)
    const cur = await screen({ x: 150, y: 110 })
    await page.mouse.move(cur.x, cur.y)
    await page.waitForSelector('[data-testid="brush-cursor"]')
    await shot('brush')
    expect(await undoCount()).toBe(1)

    // polygon: class 2, four clicks, closed on the first vertex
    await page.keyboard.press('p')
    await pick(2)
    const poly = [
      { x: 150, y: 20 },
      { x: 190, y: 25 },
      { x: 200, y: 100 },
      { x: 140, y: 95 },
    ]
    for (const p of poly) await click(p)
    await shot('polygon')
    await click(poly[0])
    for (let i = 0; i < want.length; i++) if (inPolygon(i % W, Math.floor(i / W), poly)) want[i] = 2
    expect(await undoCount()).toBe(2)

    // fill: the class-4 bar becomes class 1 (its 4-connected region as it is now)
    await page.keyboard.press('g')
    await pick(1)
    const seed = { x: 290, y: 127 }
    const bar = region(seed.x, seed.y, (j) => want[j] === want[seed.y * W + seed.x])
    await click(seed)
    for (const i of bar) want[i] = 1
    expect(await classAt(seed)).toBe(1)
    await shot('fill')

    // wand: the yellow square (unlabeled) becomes class 4
    await page.keyboard.press('w')
    await pick(4)
    await click({ x: SQUARE.x + 10, y: SQUARE.y + 10 })
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="undo-count"]')?.textContent) >= 3)
    await shot('wand')
    // the wand grows on the IMAGE's colours: exactly the square, whatever the mask held there
    for (let y = SQUARE.y; y < SQUARE.y + SQUARE.size; y++) for (let x = SQUARE.x; x < SQUARE.x + SQUARE.size; x++) want[y * W + x] = 4
    expect(await classAt({ x: SQUARE.x + 25, y: SQUARE.y + 25 })).toBe(4)
    await page.keyboard.press('v') // ends the wand's selection as one step
    expect(await undoCount()).toBe(4)
  })

  it('undoes and redoes (Ctrl+Z / Ctrl+Shift+Z), with the count shown', async () => {
    const seed = { x: 290, y: 127 }
    await page.keyboard.press('Control+z') // wand
    await page.keyboard.press('Control+z') // fill
    expect(await undoCount()).toBe(2)
    expect(Number(await text('[data-testid="redo-count"]'))).toBe(2)
    expect(await classAt(seed)).toBe(4)
    expect(await classAt({ x: SQUARE.x + 25, y: SQUARE.y + 25 })).toBe(0)
    await page.keyboard.press('Control+Shift+z')
    await page.keyboard.press('Control+Shift+Z')
    expect(await undoCount()).toBe(4)
    expect(await classAt(seed)).toBe(1)
    expect(await classAt({ x: SQUARE.x + 25, y: SQUARE.y + 25 })).toBe(4)
  })

  let boxed: { x0: number; y0: number; x1: number; y1: number }
  it('proposes a mask from a box (GrabCut in a worker), accepted with Enter', { timeout: 120_000 }, async () => {
    await page.keyboard.press('x')
    await pick(2)
    boxed = { x0: DISC.cx - DISC.r - 6, y0: DISC.cy - DISC.r - 6, x1: DISC.cx + DISC.r + 6, y1: Math.min(H - 1, DISC.cy + DISC.r + 6) }
    await drag([
      { x: boxed.x0, y: boxed.y0 },
      { x: (boxed.x0 + boxed.x1) >> 1, y: (boxed.y0 + boxed.y1) >> 1 },
      { x: boxed.x1, y: boxed.y1 },
    ])
    await page.waitForSelector('[data-testid="assist-bar"]', { timeout: 90_000 })
    await shot('box-assist')
    await page.keyboard.press('Enter')
    await page.waitForFunction(() => !document.querySelector('[data-testid="assist-bar"]'))
    expect(await undoCount()).toBe(5)
    expect(await classAt({ x: DISC.cx, y: DISC.cy })).not.toBe(0)
  })

  it('saves (Ctrl+S) an 8-bit grey PNG holding exactly the expected pixels', { timeout: 60_000 }, async () => {
    const painted = await classAt({ x: DISC.cx, y: DISC.cy })
    await save()
    const m = readMask('a_grey8')
    expect({ depth: m.depth, channels: m.channels, palette: m.palette }).toEqual({ depth: 8, channels: 1, palette: null })
    const inBox = (i: number) => {
      const x = i % W
      const y = Math.floor(i / W)
      return x >= boxed.x0 && x <= boxed.x1 && y >= boxed.y0 && y <= boxed.y1
    }
    expect(diff(m.data, want, inBox)).toEqual([])
    // inside the box: the disc, as GrabCut found it (IoU), everything else as before
    let inter = 0
    let union = 0
    for (let i = 0; i < want.length; i++) {
      if (!inBox(i)) continue
      const x = i % W
      const y = Math.floor(i / W)
      const disc = (x - DISC.cx) ** 2 + (y - DISC.cy) ** 2 <= DISC.r ** 2
      const got = m.data[i] === painted
      if (disc && got) inter++
      if (disc || got) union++
      if (!got) expect(m.data[i]).toBe(want[i])
    }
    expect(inter / union).toBeGreaterThan(0.9)
    for (let i = 0; i < want.length; i++) if (inBox(i)) want[i] = m.data[i]
    await shot('saved')
  })

  it('lists the previous content as a version and restores it', { timeout: 60_000 }, async () => {
    await page.waitForSelector('[data-testid="mask-version"]')
    expect(await page.locator('[data-testid="mask-version"]').count()).toBe(1)
    const restore = page.locator('[data-testid="mask-version"] button').first()
    await restore.click()
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="mask-version"]').length === 2, undefined, { timeout: 20_000 })
    expect(diff(readMask('a_grey8').data, scene.labels)).toEqual([])
    expect(await classAt({ x: 290, y: 127 })).toBe(4)
    await shot('versions')
  })

  it('keeps the 16-bit encoding: a stroke and a polygon on a grey16 mask', { timeout: 60_000 }, async () => {
    await openSample('b_grey16')
    const before = readMask('b_grey16')
    expect(before.depth).toBe(16)
    const expected = Uint16Array.from(before.data as Uint16Array)
    await page.keyboard.press('b')
    await setBrush(5)
    await pick(GREY16[1])
    const pts = [
      { x: 10, y: 200 },
      { x: 300, y: 215 },
    ]
    await drag(pts)
    stroke(expected, pts, 5, GREY16[1])
    await page.keyboard.press('p')
    await pick(GREY16[2])
    const poly = [
      { x: 250, y: 140 },
      { x: 310, y: 140 },
      { x: 280, y: 230 },
    ]
    for (const p of poly) await click(p)
    await page.keyboard.press('Enter')
    for (let i = 0; i < expected.length; i++) if (inPolygon(i % W, Math.floor(i / W), poly)) expected[i] = GREY16[2]
    await save()
    const m = readMask('b_grey16')
    expect({ depth: m.depth, channels: m.channels, palette: m.palette }).toEqual({ depth: 16, channels: 1, palette: null })
    expect(diff(m.data, expected)).toEqual([])
  })

  it('keeps a palette mask a palette mask (indices, its own colours)', { timeout: 60_000 }, async () => {
    await openSample('c_palette')
    const before = readMask('c_palette')
    const expected = Uint8Array.from(before.data)
    await page.keyboard.press('b')
    await setBrush(15)
    await pick(2)
    const pts = [
      { x: 160, y: 200 },
      { x: 200, y: 160 },
    ]
    await drag(pts)
    stroke(expected, pts, 15, 2)
    await save()
    const m = readMask('c_palette')
    expect(m.palette).toEqual(before.palette)
    expect({ depth: m.depth, channels: m.channels }).toEqual({ depth: 8, channels: 1 })
    expect(diff(m.data, expected)).toEqual([])
  })

  it('imports labelme annotations from the Catalog, naming the new class and the broken file', { timeout: 90_000 }, async () => {
    await page.click('nav [data-view="catalog"]')
    await page.click('[data-testid="annotations-open"]')
    await page.check('[data-testid="annotations-format-labelme"]')
    await page.fill('[data-testid="annotations-path"]', join(data, 'labelme'))
    await page.click('[data-testid="annotations-submit"]')
    await page.waitForSelector('[data-testid="annotations-summary"]', { timeout: 60_000 })
    await shot('annotations')
    const summary = await text('[data-testid="annotations-summary"]')
    expect(summary).toMatch(/2 files read, 1 masks written/)
    expect(summary).toMatch(/New classes: car \(\d+\)/)
    expect(summary).toMatch(/broken\.json/)
    expect(existsSync(maskFile('e_labelme'))).toBe(true)
    const car = Number(/car \((\d+)\)/.exec(summary)![1])
    const m = readMask('e_labelme')
    expect(m.data[50 * W + 230]).toBe(car)
    expect(m.data[150 * W + 100]).toBe(0)
    await page.click('[data-testid="annotations-dialog"] button:has-text("Close")')
  })

  it('labels an image that had no mask, and it stops being a problem', { timeout: 60_000 }, async () => {
    await openSample('d_nomask')
    expect(await text('[data-testid="inspector-error"]')).toMatch(/No mask/i)
    expect(existsSync(maskFile('d_nomask'))).toBe(false)
    await page.keyboard.press('p')
    await pick(2)
    const poly = [
      { x: 10, y: 10 },
      { x: 100, y: 10 },
      { x: 100, y: 60 },
      { x: 10, y: 60 },
    ]
    for (const p of poly) await click(p)
    await page.keyboard.press('Enter')
    await shot('new-mask')
    await save()
    await page.waitForFunction(() => !document.querySelector('[data-testid="inspector-error"]'))
    const m = readMask('d_nomask')
    // the class table holds 301, 1000 and 65000 (from b_grey16): a new mask is made deep enough for them
    expect({ depth: m.depth, channels: m.channels }).toEqual({ depth: 16, channels: 1 })
    const expected = new Uint16Array(W * H)
    for (let i = 0; i < expected.length; i++) if (inPolygon(i % W, Math.floor(i / W), poly)) expected[i] = 2
    expect(diff(m.data, expected)).toEqual([])
    // the catalog has no problem left
    await page.click('nav [data-view="catalog"]')
    await page.selectOption('[data-testid="filter-error"]', 'any')
    await page.waitForFunction(() => document.querySelector('[data-testid="match-count"]')?.textContent?.trim() === '0')
    await page.selectOption('[data-testid="filter-error"]', 'all')
  })

  it('renames and recolours a class in the class table', async () => {
    await openSample('a_grey8')
    await page.dblclick('[data-testid="class-pick-1"]')
    await page.fill('[data-testid="class-rename-1"]', 'road')
    await page.press('[data-testid="class-rename-1"]', 'Enter')
    await page.waitForFunction(() => document.querySelector('[data-testid="class-pick-1"]')?.textContent?.trim() === 'road')
    await page.locator('[data-testid="class-color-1"]').fill('#00ffcc')
    await page.waitForFunction(() => document.querySelector('[data-class="1"] .sw')?.getAttribute('style')?.includes('0, 255, 204'))
    // the overlay draws class 1 in the new colour
    const rgba = await page.evaluate(() => {
      const c = document.querySelector('[data-testid="inspector-overlay"]')
      return [...c.getContext('2d').getImageData(50, 50, 1, 1).data]
    })
    expect(rgba).toEqual([0, 255, 204, 255])
    await page.reload()
    await page.waitForSelector('html[data-ready="true"]')
    await page.waitForFunction(() => document.querySelector('[data-testid="class-pick-1"]')?.textContent?.trim() === 'road')
  })

  it('remaps a class across the dataset as a job, versioning every changed mask', { timeout: 90_000 }, async () => {
    const before = { a: readMask('a_grey8').data, c: readMask('c_palette').data }
    await page.click('[data-testid="class-remap-open"]')
    await page.selectOption('[data-testid="remap-from-0"]', '1')
    await page.selectOption('[data-testid="remap-to-0"]', '4')
    await page.click('[data-testid="remap-start"]')
    await page.waitForSelector('[data-testid="remap-summary"]', { timeout: 60_000 })
    await shot('remap')
    for (const [stem, old] of [
      ['a_grey8', before.a],
      ['c_palette', before.c],
    ] as const) {
      const now = readMask(stem).data
      const expected = Uint8Array.from(old, (v) => (v === 1 ? 4 : v))
      expect(diff(now, expected)).toEqual([])
    }
    // undone from the dialog: every mask it changed holds its old classes again
    await page.click('[data-testid="remap-undo"]')
    await page.waitForFunction(() => /masks restored in/.test(document.querySelector('[data-testid="remap-summary"]')?.textContent ?? ''), null, {
      timeout: 60_000,
    })
    await shot('remap-undone')
    expect(diff(readMask('a_grey8').data, before.a)).toEqual([])
    expect(diff(readMask('c_palette').data, before.c)).toEqual([])
    expect(await page.locator('[data-testid="remap-undo"]').count()).toBe(0)
    await page.keyboard.press('Escape')
    await page.waitForSelector('[data-testid="remap-dialog"]', { state: 'detached' })
  })
})
