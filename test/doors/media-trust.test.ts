// Issue 13 item 9 (and items 1, 4 for browser mode): one rule for every media route and for
// previews. A corrupt file is never served as if fine: /image, /labels, /thumb, /thumb-overlay and
// preview.render answer a 4xx (never a 500, never libvips' text) whose message names the sample
// and the file and says what is wrong, in the whole-file checks' words.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../../src/main/server'
import { openDefaultProject } from '../../src/main/services/project'
import { dispatch } from '../../src/main/services'
import { badAdler, jpegScene, labelPng, shortScan, zlibBomb } from '../fixtures/corrupt'
import { drawScene } from '../fixtures/pairs'
import { http } from './helpers'

let dir: string
let server: RunningServer
let cookie: string
const W = 64
const H = 48

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lockstep-media-trust-'))
  const sample = join(dir, 'sample')
  mkdirSync(join(sample, 'images'), { recursive: true })
  mkdirSync(join(sample, 'masks'), { recursive: true })
  const put = async (key: string, seed: number, f: { image?: (b: Buffer) => Buffer; mask?: Buffer }) => {
    const s = drawScene(W, H, seed)
    const jpeg = await jpegScene(W, H, seed)
    writeFileSync(join(sample, 'images', `${key}.jpg`), f.image ? f.image(jpeg) : jpeg)
    writeFileSync(join(sample, 'masks', `${key}.png`), f.mask ?? labelPng(W, H, s.labels))
  }
  await put('good', 1, {})
  await put('short', 2, { image: (j) => shortScan(j, 0.9) })
  await put('adler', 3, { mask: badAdler(labelPng(W, H, drawScene(W, H, 3).labels)) })
  await put('bomb', 4, { mask: zlibBomb(W, H, 8, 64 << 20) })
  mkdirSync(join(dir, 'renderer'))
  server = await startServer({
    rendererDir: join(dir, 'renderer'),
    setup: async (ctx) => {
      expect(await openDefaultProject(ctx, join(dir, 'userdata'), sample)).toBe(true)
    },
  })
  cookie = `lockstep-${server.port}=${server.token}`
}, 60_000)

afterAll(async () => {
  await server?.close()
  rmSync(dir, { recursive: true, force: true })
})

async function idOf(key: string): Promise<number> {
  const r = await dispatch('samples.query', { limit: 100 }, server.ctx)
  if (!r.ok) throw new Error(r.error.message)
  const row = (r.result as { rows: { id: number; key: string }[] }).rows.find((s) => s.key === key || s.key.endsWith(key))
  if (!row) throw new Error(`no sample ${key}`)
  return row.id
}

describe('browser mode media routes on corrupt files', () => {
  it('serves the sound pair', async () => {
    const id = await idOf('good')
    for (const what of ['image', 'labels', 'thumb', 'thumb-overlay'])
      expect((await http(server.port, `/media/sample/${id}/${what}`, { cookie })).status, what).toBe(200)
  })

  it('a short-scan JPEG: 422 naming the sample and the file, on /image, /thumb and /thumb-overlay alike', async () => {
    const id = await idOf('short')
    for (const what of ['image', 'thumb', 'thumb-overlay']) {
      const r = await http(server.port, `/media/sample/${id}/${what}`, { cookie })
      expect(r.status, what).toBe(422)
      expect(r.body.toString(), what).toMatch(new RegExp(`^Sample ${id} \\(short\\): .*short\\.jpg.*scan 1 ends early: its data stops at byte \\d+ \\(EOI\\)`))
    }
  })

  it('a mask with a bad Adler-32 and a zlib bomb: 422 on /labels and /thumb-overlay, in the checks words', async () => {
    const adler = await idOf('adler')
    for (const what of ['labels', 'thumb-overlay']) {
      const r = await http(server.port, `/media/sample/${adler}/${what}`, { cookie })
      expect(r.status, what).toBe(422)
      expect(r.body.toString(), what).toMatch(/adler\.png: corrupt PNG \(the image data is corrupt \(zlib: incorrect data check\)\)/)
    }
    const bomb = await idOf('bomb')
    const r = await http(server.port, `/media/sample/${bomb}/labels`, { cookie })
    expect(r.status).toBe(422)
    expect(r.body.toString()).toMatch(
      new RegExp(`bomb\\.png: corrupt PNG \\(the image data inflates past the ${(W + 1) * H} bytes its ${W}x${H} header allows\\)`),
    )
  })

  it('previews: corrupt pairs come back as errors naming the file, never as tiles', async () => {
    const ids = await Promise.all(['good', 'short', 'adler', 'bomb'].map(idOf))
    const recipe = { schema: 'lockstep.recipe/1', output: { width: 32, height: 24 }, ops: [{ type: 'random_crop', width: 32, height: 24 }] }
    const r = await dispatch('preview.render', { sampleIds: ids, recipe, seed: 1, count: 2 }, server.ctx)
    if (!r.ok) throw new Error(r.error.message)
    const res = r.result as { tiles: { sampleId: number }[]; errors: { sampleId: number; message: string }[] }
    expect(new Set(res.tiles.map((t) => t.sampleId))).toEqual(new Set([ids[0]]))
    expect(res.errors.map((e) => e.sampleId).sort()).toEqual(ids.slice(1).sort())
    expect(res.errors.find((e) => e.sampleId === ids[1])!.message).toMatch(/short\.jpg: corrupt JPEG \(scan 1 ends early/)
    expect(res.errors.find((e) => e.sampleId === ids[2])!.message).toMatch(/adler\.png: corrupt PNG .*incorrect data check/)
    expect(res.errors.find((e) => e.sampleId === ids[3])!.message).toMatch(/bomb\.png: corrupt PNG .*inflates past/)
  })
})
