// Preview tiles render on worker threads (the BUILT out/main/preview-worker.js, through
// out/main/lib.js) to the same bytes as the engine renders them inline, read the decoded pair in
// place (SharedArrayBuffers), and a request superseded before its tiles start skips them.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadPair, parseRecipe, plan, renderLoaded, type LoadedPair, type Plan } from '../../src/main/augment'
import { writePair } from '../fixtures/pairs'

const ROOT = join(import.meta.dirname, '..', '..')
const LIB = join(ROOT, 'out/main/lib.js')
const built = existsSync(LIB) && existsSync(join(ROOT, 'out/main/preview-worker.js'))

type Lib = typeof import('../../src/main/lib')
let lib: Lib
let dir: string
let pair: LoadedPair
let plans: Plan[]

beforeAll(async () => {
  if (!built) throw new Error('out/main/lib.js or preview-worker.js is missing: run `npm run build` before these tests')
  lib = (await import(LIB)) as Lib
  dir = mkdtempSync(join(tmpdir(), 'lockstep-preview-workers-'))
  const w = await writePair(dir, 'p', { width: 150, height: 110, seed: 4, image: 'png', mask: 'grey8' })
  pair = await loadPair({ image: w.image, mask: w.mask })
  const recipe = parseRecipe(
    JSON.parse(
      JSON.stringify({
        schema: 'lockstep.recipe/1',
        output: { width: 64, height: 64 },
        ops: [
          { type: 'affine', p: 1, degrees: [-30, 30], scale: [0.8, 1.2] },
          { type: 'random_crop', p: 1, width: 64, height: 64 },
          { type: 'hflip', p: 0.5 },
          { type: 'brightness', p: 1 },
          { type: 'hsv_shift', p: 1, hue: [-10, 10], saturation: [0, 0], value: [0, 0] },
          { type: 'gaussian_noise', p: 0.5 },
          { type: 'salt_pepper', p: 0.3 },
        ],
      }),
    ),
  )
  plans = Array.from({ length: 8 }, (_, k) => plan(recipe, pair, { seed: 3, epoch: k, sampleId: 'p' }))
})
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('preview tiles on worker threads', () => {
  it('the same JPEG and labels as an inline render, from a pair shared with the workers', async () => {
    const shared = lib.engine.sharedPair(pair)
    expect(shared.image.data.buffer).toBeInstanceOf(SharedArrayBuffer)
    expect(shared.labels!.data.buffer).toBeInstanceOf(SharedArrayBuffer)
    const tiles = await lib.engine.renderTiles(shared, plans)
    expect(tiles.map((t) => t.status)).toEqual(plans.map(() => 'fulfilled'))
    for (let k = 0; k < plans.length; k++) {
      const t = (tiles[k] as PromiseFulfilledResult<{ image: Buffer; labels: { data: Uint8Array } | null }>).value
      const inline = await renderLoaded(plans[k], pair, { image: { format: 'jpeg', quality: 92 }, mask: false, labels: true })
      expect(Buffer.compare(t.image, inline.image!), `tile ${k} image`).toBe(0)
      expect(Buffer.from(t.labels!.data).equals(Buffer.from(inline.labels!.data as Uint8Array)), `tile ${k} labels`).toBe(true)
    }
  })

  it('a request aborted before its tiles start renders none of them (CANCELLED), and a bad plan fails alone', async () => {
    const shared = lib.engine.sharedPair(pair)
    const c = new AbortController()
    c.abort()
    const none = await lib.engine.renderTiles(shared, plans, c.signal)
    expect(none.map((t) => t.status === 'rejected' && (t.reason as { code: string }).code)).toEqual(plans.map(() => 'CANCELLED'))
    // superseded while running: the tiles already started finish, the rest are skipped
    const d = new AbortController()
    const many = Array.from({ length: 24 }, (_, i) => plans[i % 8])
    const running = lib.engine.renderTiles(shared, many, d.signal)
    d.abort()
    const r = await running
    const cancelled = r.filter((t) => t.status === 'rejected').length
    expect(cancelled).toBeGreaterThan(12)
    expect(r.every((t) => t.status === 'fulfilled' || (t.reason as { code: string }).code === 'CANCELLED')).toBe(true)
    const bad = { ...plans[0], source: { width: 151, height: 110 } }
    const mixed = await lib.engine.renderTiles(shared, [bad, plans[1]])
    expect(mixed[0].status).toBe('rejected')
    expect((mixed[0] as PromiseRejectedResult).reason.message).toMatch(/151x110/)
    expect(mixed[1].status).toBe('fulfilled')
  })
  it('a process that rendered tiles exits on its own once they are done (an idle pool holds nothing)', () => {
    // the pool keeps the process alive while tiles are in flight (the tile arrives), not after
    const script = `
      const lib = await import(${JSON.stringify(LIB)})
      const W = 96, H = 64
      const pair = lib.engine.sharedPair({ paths: { image: 'a.png', mask: 'a-m.png' }, width: W, height: H, image: { width: W, height: H, data: Buffer.alloc(W * H * 3, 90) }, labels: { width: W, height: H, depth: 8, data: new Uint8Array(W * H) } })
      const recipe = lib.engine.parseRecipe({ schema: 'lockstep.recipe/1', output: { width: 32, height: 32 }, ops: [{ type: 'affine', p: 1 }, { type: 'random_crop', p: 1, width: 32, height: 32 }] })
      const plans = [0, 1, 2].map((k) => lib.engine.plan(recipe, pair, { seed: 1, epoch: k, sampleId: 's' }))
      const tiles = await lib.engine.renderTiles(pair, plans)
      console.log(tiles.map((t) => t.status + ':' + (t.value?.image.subarray(0, 2).toString('hex') ?? t.reason)).join(' '))
    `
    const file = join(dir, 'tiles-then-exit.mjs')
    writeFileSync(file, script)
    const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 60_000 })
    expect(r.error, 'the process did not exit by itself within 60 s').toBeUndefined()
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout.trim()).toBe('fulfilled:ffd8 fulfilled:ffd8 fulfilled:ffd8')
  })
})
