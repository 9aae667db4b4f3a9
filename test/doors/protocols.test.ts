// The desktop app's protocols as plain fetch handlers: lockstep://app (the built renderer) and
// lockstep-media://app (media through the same resolver and confinement as browser mode).
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { appProtocolHandler, electronCsp, mediaProtocolHandler } from '../../src/main/ipc/protocols'
import { createContext } from '../../src/main/services'
import type { MediaDeps } from '../../src/main/media'
import { fakeCatalog, sampleRef } from './helpers'
import { labelPng } from '../fixtures/corrupt'

const IMAGE = labelPng(3, 2, [0, 1, 2, 3, 4, 5])

let dir: string
const deps: MediaDeps = {
  readLabels: async () => ({ width: 2, height: 1, depth: 8, data: new Uint8Array([3, 4]) }),
  thumbnail: async () => Buffer.from('jpeg'),
  previewTile: () => undefined,
}
const ctx = createContext({ emit: () => {} })

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lockstep-proto-'))
  mkdirSync(join(dir, 'renderer'))
  writeFileSync(join(dir, 'renderer', 'index.html'), '<!doctype html><title>app</title>')
  writeFileSync(join(dir, 'secret.txt'), 'TOP-SECRET')
  const ds = join(dir, 'ds')
  mkdirSync(join(ds, 'images'), { recursive: true })
  mkdirSync(join(ds, 'masks'))
  // media routes serve only files the whole-file checks pass: a real (tiny) PNG
  writeFileSync(join(ds, 'images', 'a.png'), IMAGE)
  writeFileSync(join(ds, 'masks', 'a.png'), 'png')
  symlinkSync(join(dir, 'secret.txt'), join(ds, 'images', 'b.gif'))
  symlinkSync(join(dir, 'secret.txt'), join(ds, 'masks', 'c.png'))
  ctx.session.attach(
    fakeCatalog(
      join(dir, 'project'),
      [
        sampleRef(1, 'a', join(ds, 'images', 'a.png'), join(ds, 'masks', 'a.png')),
        sampleRef(2, 'b', join(ds, 'images', 'b.gif'), null),
        sampleRef(3, 'a', join(ds, 'images', 'a.png'), join(ds, 'masks', 'c.png')),
      ],
      [ds],
    ),
  )
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('lockstep-media://', () => {
  const media = () => mediaProtocolHandler(ctx, deps)

  it('serves cataloged files with CORS for the app origin and the labels headers', async () => {
    const r = await media()(new Request('lockstep-media://app/media/sample/1/image'))
    expect(r.status).toBe(200)
    expect(r.headers.get('content-type')).toBe('image/png')
    expect(Buffer.from(await r.arrayBuffer()).equals(IMAGE)).toBe(true)
    expect(r.headers.get('access-control-allow-origin')).toBe('lockstep://app')
    const l = await media()(new Request('lockstep-media://app/media/sample/1/labels'))
    expect(l.headers.get('x-lockstep-width')).toBe('2')
    expect([...new Uint8Array(await l.arrayBuffer())]).toEqual([3, 4])
  })

  it('refuses paths outside the catalog: traversal, encoded traversal, symlinks out, other hosts', async () => {
    for (const url of [
      'lockstep-media://app/media/sample/1/../../../secret.txt',
      'lockstep-media://app/media/sample/1%2F..%2F..%2Fsecret.txt',
      'lockstep-media://app/media/%2e%2e/%2e%2e/secret.txt',
      'lockstep-media://app/secret.txt',
      `lockstep-media://app${join(dir, 'secret.txt')}`,
      'lockstep-media://other/media/sample/1/image',
    ]) {
      const r = await media()(new Request(url))
      expect(r.status, url).toBe(404)
      expect(await r.text(), url).not.toContain('TOP-SECRET')
    }
    for (const url of ['lockstep-media://app/media/sample/2/image', 'lockstep-media://app/media/sample/3/labels']) {
      const r = await media()(new Request(url))
      expect(r.status, url).toBe(403)
      expect(await r.text(), url).not.toContain('TOP-SECRET')
    }
    expect((await media()(new Request('lockstep-media://app/media/sample/1/image', { method: 'POST', body: 'x' }))).status).toBe(405)
  })
})

describe('lockstep://app', () => {
  it('serves the built renderer with the CSP, and nothing outside it', async () => {
    const app = appProtocolHandler(join(dir, 'renderer'))
    const r = await app(new Request('lockstep://app/index.html'))
    expect(r.status).toBe(200)
    expect(r.headers.get('content-security-policy')).toBe(electronCsp)
    expect(electronCsp).toContain("script-src 'self'")
    expect(electronCsp).not.toMatch(/script-src[^;]*(unsafe|http)/)
    expect(electronCsp).toContain("img-src 'self' data: blob: lockstep-media:")
    for (const url of ['lockstep://app/../secret.txt', 'lockstep://app/%2e%2e/secret.txt', 'lockstep://app/..%2fsecret.txt', 'lockstep://evil/index.html']) {
      const x = await app(new Request(url))
      expect(x.status, url).toBe(404)
      expect(await x.text()).not.toContain('TOP-SECRET')
    }
  })
})
