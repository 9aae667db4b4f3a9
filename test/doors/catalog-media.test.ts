// Browser mode over the REAL catalog: the sample project opened when none is given, media served
// from what the catalog imported, and a symlink planted in the dataset refused.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { writePair } from '../fixtures/pairs'
import { startServer, type RunningServer } from '../../src/main/server'
import { openDefaultProject } from '../../src/main/services/project'
import { dispatch } from '../../src/main/services'
import { http } from './helpers'

let dir: string
let server: RunningServer
let cookie: string

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lockstep-doors-catalog-'))
  const sample = join(dir, 'sample')
  await writePair(sample, 'a', { width: 64, height: 48, seed: 1 })
  await writePair(sample, 'b', { width: 64, height: 48, seed: 2, mask: 'grey16' })
  // a pair whose image is a symlink to a file outside the dataset
  await writePair(join(dir, 'outside'), 'evil', { width: 64, height: 48, seed: 3 })
  symlinkSync(join(dir, 'outside', 'images', 'evil.png'), join(sample, 'images', 'evil.png'))
  await writePair(join(dir, 'tmp'), 'evil', { width: 64, height: 48, seed: 3 })
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
  if (!row) throw new Error(`no sample ${key} in ${JSON.stringify(r.result)}`)
  return row.id
}

describe('lockstep serve on the sample project', () => {
  it('opens the sample project in the user data folder when no project is given', () => {
    expect(server.ctx.session.projectDir).toBe(join(dir, 'userdata', 'sample-project'))
  })

  it('serves an imported image byte for byte, its 16-bit labels, and a JPEG thumbnail', async () => {
    const a = await idOf('a')
    const img = await http(server.port, `/media/sample/${a}/image`, { cookie })
    expect(img.status).toBe(200)
    expect(img.body.equals(readFileSync(join(dir, 'sample', 'images', 'a.png')))).toBe(true)
    const b = await idOf('b')
    const labels = await http(server.port, `/media/sample/${b}/labels`, { cookie })
    expect(labels.status).toBe(200)
    expect(labels.headers['x-lockstep-depth']).toBe('16')
    expect(labels.body.length).toBe(64 * 48 * 2)
    expect(labels.headers['content-encoding']).toBeUndefined()
    // a browser (accepts gzip) gets the same bytes gzipped
    const zipped = await http(server.port, `/media/sample/${b}/labels`, { cookie, 'accept-encoding': 'gzip, deflate, br' })
    expect(zipped.headers['content-encoding']).toBe('gzip')
    expect(zipped.headers.vary).toBe('accept-encoding')
    expect(zipped.headers['x-lockstep-depth']).toBe('16')
    expect(gunzipSync(zipped.body).equals(labels.body)).toBe(true)
    const refused = await http(server.port, `/media/sample/${b}/labels`, { cookie, 'accept-encoding': 'gzip;q=0, identity' })
    expect(refused.headers['content-encoding']).toBeUndefined()
    expect(refused.body.equals(labels.body)).toBe(true)
    // images are served as they are (already compressed)
    const imgZip = await http(server.port, `/media/sample/${a}/image`, { cookie, 'accept-encoding': 'gzip' })
    expect(imgZip.headers['content-encoding']).toBeUndefined()
    const thumb = await http(server.port, `/media/sample/${a}/thumb-overlay`, { cookie })
    expect(thumb.status).toBe(200)
    expect((await sharp(thumb.body).metadata()).format).toBe('jpeg')
  })

  it('refuses a cataloged symlink that leads outside the dataset folders', async () => {
    // the importer follows the link and catalogs it (its recorded path is inside the dataset)
    const evil = await idOf('evil')
    const r = await http(server.port, `/media/sample/${evil}/image`, { cookie })
    expect(r.status).toBe(403)
    expect(r.body.equals(readFileSync(join(dir, 'outside', 'images', 'evil.png')))).toBe(false)
    const t = await http(server.port, `/media/sample/${evil}/thumb`, { cookie })
    expect(t.status).toBe(403)
  })

  it('starts with no project and one line on stderr when the sample is missing', async () => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => {})
    try {
      const s = await startServer({
        rendererDir: join(dir, 'renderer'),
        setup: async (ctx) => void (await openDefaultProject(ctx, join(dir, 'userdata2'), join(dir, 'no-sample'))),
      })
      expect(s.ctx.session.projectDir).toBeNull()
      await s.close()
      expect(err).toHaveBeenCalledTimes(1)
      expect(String(err.mock.calls[0][0])).toMatch(/^lockstep: the sample project could not be opened \(.*no-sample.*\); starting with no project open$/)
    } finally {
      err.mockRestore()
    }
  })
})
