// Browser mode's security and wiring, with real HTTP and WebSocket requests against startServer.
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, readFileSync } from 'node:fs'
import { spawn, spawnSync } from 'node:child_process'
import { networkInterfaces, tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect } from 'node:net'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../../src/main/server'
import type { MediaDeps } from '../../src/main/media'
import { LabelsHeaders } from '../../src/shared/media'
import { call, fakeCatalog, http, openSocket, sampleRef } from './helpers'

const TOKEN = 'test-token-0123456789abcdefghijklmnopqrstuvw'
let dir: string
let server: RunningServer
let cookie: string
let imageBytes: Buffer

const labels = { width: 3, height: 2, depth: 16 as const, data: new Uint16Array([0, 1, 2, 300, 65535, 7]) }
const deps: MediaDeps = {
  readLabels: async () => labels,
  thumbnail: async (_catalog, id, overlay) => Buffer.from(`thumb ${id} ${overlay}`),
  previewTile: (token, index) =>
    token === 'tok1' && index === 0 ? { image: Buffer.from('tile-png'), labels: { ...labels, depth: 8, data: new Uint8Array(6).fill(4) } } : undefined,
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lockstep-serve-'))
  const renderer = join(dir, 'renderer')
  mkdirSync(join(renderer, 'assets'), { recursive: true })
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>Lockstep</title><script type="module" src="/assets/app.js"></script>')
  writeFileSync(join(renderer, 'assets', 'app.js'), 'console.log("app")')
  // Secrets outside every served folder.
  writeFileSync(join(dir, 'secret.txt'), 'TOP-SECRET')
  mkdirSync(join(dir, 'outside'))
  imageBytes = await sharp({ create: { width: 8, height: 6, channels: 3, background: { r: 200, g: 10, b: 10 } } })
    .png()
    .toBuffer()
  writeFileSync(join(dir, 'outside', 'stolen.png'), imageBytes)
  symlinkSync(join(dir, 'secret.txt'), join(renderer, 'assets', 'leak.txt'))
  // A dataset: one good pair, an image symlinked outside, and a folder symlinked outside.
  const ds = join(dir, 'project', 'data')
  mkdirSync(join(ds, 'images'), { recursive: true })
  mkdirSync(join(ds, 'masks'), { recursive: true })
  writeFileSync(join(ds, 'images', 'a.png'), imageBytes)
  writeFileSync(join(ds, 'masks', 'a.png'), imageBytes)
  symlinkSync(join(dir, 'outside', 'stolen.png'), join(ds, 'images', 'evil.png'))
  symlinkSync(join(dir, 'outside'), join(ds, 'images', 'linked'))
  writeFileSync(join(ds, 'images', 'inner.png'), imageBytes)
  symlinkSync(join(ds, 'images', 'inner.png'), join(ds, 'images', 'alias.png')) // a symlink that stays inside is fine
  const catalog = fakeCatalog(
    join(dir, 'project'),
    [
      sampleRef(1, 'images/a', join(ds, 'images', 'a.png'), join(ds, 'masks', 'a.png')),
      sampleRef(2, 'images/evil', join(ds, 'images', 'evil.png'), join(ds, 'masks', 'a.png')),
      sampleRef(3, 'images/linked/stolen', join(ds, 'images', 'linked', 'stolen.png'), null),
      sampleRef(4, 'images/alias', join(ds, 'images', 'alias.png'), null),
      sampleRef(5, 'images/missing', join(ds, 'images', 'missing.png'), null),
    ],
    [join(ds, 'images'), join(ds, 'masks')],
  )
  server = await startServer({ rendererDir: renderer, token: TOKEN, mediaDeps: deps, setup: (ctx) => ctx.session.attach(catalog) })
  cookie = `lockstep-${server.port}=${TOKEN}`
})

afterAll(async () => {
  await server?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('token', () => {
  it('prints a loopback URL with a random token, different per launch', async () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${TOKEN}`)
    const other = await startServer({ rendererDir: join(dir, 'renderer') })
    try {
      expect(other.token).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(other.token).not.toBe(TOKEN)
      expect(other.port).not.toBe(server.port)
    } finally {
      await other.close()
    }
  })

  it('trades the URL token for an HttpOnly SameSite=Strict cookie and redirects it away', async () => {
    const r = await http(server.port, `/?token=${TOKEN}`)
    expect(r.status).toBe(303)
    expect(r.headers.location).toBe('/')
    const setCookie = String(r.headers['set-cookie'])
    expect(setCookie).toContain(`lockstep-${server.port}=${TOKEN}`)
    expect(setCookie).toMatch(/HttpOnly/)
    expect(setCookie).toMatch(/SameSite=Strict/)
    const page = await http(server.port, '/', { cookie })
    expect(page.status).toBe(200)
    expect(page.body.toString()).toContain('<title>Lockstep</title>')
  })

  it('refuses a wrong or missing token with 403 and does not set a cookie', async () => {
    const wrong = await http(server.port, '/?token=nope')
    expect(wrong.status).toBe(403)
    expect(wrong.headers['set-cookie']).toBeUndefined()
    expect((await http(server.port, '/')).status).toBe(403)
    expect((await http(server.port, '/', { cookie: `lockstep-${server.port}=${TOKEN.slice(0, -1)}x` })).status).toBe(403)
    // The right token under another port's cookie name does not count.
    expect((await http(server.port, '/', { cookie: `lockstep-1=${TOKEN}` })).status).toBe(403)
    expect((await http(server.port, '/media/sample/1/image')).status).toBe(403)
    expect((await http(server.port, '/assets/app.js', { authorization: 'Bearer wrong' })).status).toBe(403)
    expect((await http(server.port, '/assets/app.js', { authorization: `Bearer ${TOKEN}` })).status).toBe(200)
  })

  it('serves the HTML with a strict Content-Security-Policy and hardening headers', async () => {
    const page = await http(server.port, '/', { cookie })
    const csp = String(page.headers['content-security-policy'])
    expect(csp).toContain("default-src 'none'")
    expect(csp).toContain("script-src 'self'")
    expect(csp).not.toMatch(/script-src[^;]*unsafe/)
    expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${server.port}`)
    expect(csp).toContain("frame-ancestors 'none'")
    expect(page.headers['x-content-type-options']).toBe('nosniff')
    expect(page.headers['cache-control']).toBe('no-store')
  })

  it('allows only GET and HEAD', async () => {
    expect((await http(server.port, '/', { cookie }, 'POST')).status).toBe(405)
    const head = await http(server.port, '/', { cookie }, 'HEAD')
    expect(head.status).toBe(200)
    expect(head.body.length).toBe(0)
  })
})

describe('Host and Origin (DNS rebinding, cross-site)', () => {
  it('refuses a Host that is not 127.0.0.1:PORT or localhost:PORT, even with the token', async () => {
    for (const host of [
      'evil.example:' + server.port,
      `127.0.0.1:${server.port + 1}`,
      '127.0.0.1',
      `localhost.evil.example:${server.port}`,
      `[::1]:${server.port}`,
    ]) {
      const r = await http(server.port, '/', { cookie, host })
      expect(r.status, host).toBe(403)
      expect(r.body.toString()).not.toContain('Lockstep</title>')
    }
    expect((await http(server.port, `/?token=${TOKEN}`, { host: `rebind.example:${server.port}` })).status).toBe(403)
    expect((await http(server.port, '/', { cookie, host: `localhost:${server.port}` })).status).toBe(200)
  })

  it('refuses a foreign Origin or a cross-site fetch, accepts its own origin', async () => {
    expect((await http(server.port, '/media/sample/1/image', { cookie, origin: 'http://evil.example' })).status).toBe(403)
    expect((await http(server.port, '/media/sample/1/image', { cookie, origin: `http://localhost:${server.port}` })).status).toBe(403)
    expect((await http(server.port, '/media/sample/1/image', { cookie, origin: 'null' })).status).toBe(403)
    expect((await http(server.port, '/media/sample/1/image', { cookie, 'sec-fetch-site': 'cross-site' })).status).toBe(403)
    expect((await http(server.port, '/media/sample/1/image', { cookie, 'sec-fetch-site': 'same-site' })).status).toBe(403)
    expect((await http(server.port, '/media/sample/1/image', { cookie, 'sec-fetch-site': 'same-origin' })).status).toBe(200)
    expect((await http(server.port, '/', { cookie, 'sec-fetch-site': 'none' })).status).toBe(200)
    expect((await http(server.port, '/media/sample/1/image', { cookie, origin: `http://127.0.0.1:${server.port}` })).status).toBe(200)
  })

  it('listens on 127.0.0.1 only', async () => {
    const external = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal)
    const target = external?.address ?? '127.0.0.2' // 127.0.0.2 is loopback but not the bound address
    const error = await new Promise<string>((resolve) => {
      const s = connect({ host: target, port: server.port })
      s.once('connect', () => {
        s.destroy()
        resolve('connected')
      })
      s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'))
    })
    expect(error).toBe('ECONNREFUSED')
  })
})

describe('WebSocket /api', () => {
  const wsUrl = () => `ws://127.0.0.1:${server.port}/api`

  it('refuses the upgrade without the token, with a wrong Host or a foreign Origin', async () => {
    expect((await openSocket(wsUrl())).refused).toBe(403)
    expect((await openSocket(wsUrl() + '?token=wrong')).refused).toBe(403)
    expect((await openSocket(wsUrl(), { cookie, host: `evil.example:${server.port}` })).refused).toBe(403)
    expect((await openSocket(wsUrl(), { cookie, origin: 'http://evil.example' })).refused).toBe(403)
    expect((await openSocket(`ws://127.0.0.1:${server.port}/other`, { cookie })).refused).toBe(404)
  })

  it('round-trips a valid call, returns INVALID_INPUT for a bad payload, and broadcasts events', async () => {
    const { ws } = await openSocket(wsUrl(), { cookie, origin: `http://127.0.0.1:${server.port}` })
    expect(ws).toBeDefined()
    try {
      const list = await call(ws!, 1, { type: 'call', id: 1, channel: 'job.list', input: {} })
      expect(list).toEqual({ type: 'reply', id: 1, ok: true, result: [] })

      const bad = await call(ws!, 2, { type: 'call', id: 2, channel: 'job.cancel', input: { id: 5 } })
      expect(bad.ok).toBe(false)
      if (!bad.ok) {
        expect(bad.error.code).toBe('INVALID_INPUT')
        expect(bad.error.message).toContain('job.cancel')
        expect(bad.error.message).toContain('id')
      }
      const unknown = await call(ws!, 3, { type: 'call', id: 3, channel: 'fs.readFile', input: {} })
      expect(!unknown.ok && unknown.error.code).toBe('NOT_FOUND')
      const proto = await call(ws!, 4, { type: 'call', id: 4, channel: '__proto__', input: {} })
      expect(!proto.ok && proto.error.code).toBe('NOT_FOUND')

      const garbage = await call(ws!, -1, '{not json')
      expect(!garbage.ok && garbage.error.code).toBe('INVALID_INPUT')
      const shapeless = await call(ws!, 7, { id: 7, channel: 'job.list' })
      expect(!shapeless.ok && shapeless.error.code).toBe('INVALID_INPUT')

      const events: unknown[] = []
      const gotEnd = new Promise<void>((resolve) => {
        ws!.on('message', (d: Buffer) => {
          const m = JSON.parse(d.toString())
          if (m.type === 'event') {
            events.push(m)
            if (m.name === 'job.progress' && m.payload.status === 'done') resolve()
          }
        })
      })
      const job = server.ctx.jobs.start('stats', 'broadcast test', async (j) => {
        j.progress(1, 2, 'half')
        return 7
      })
      await job.result
      await gotEnd
      expect(events.length).toBeGreaterThanOrEqual(2)
      expect(events[0]).toMatchObject({ type: 'event', name: 'job.progress', payload: { id: job.id, status: 'running', label: 'broadcast test' } })
      const done = await call(ws!, 8, { type: 'call', id: 8, channel: 'job.list', input: {} })
      expect(done.ok && (done.result as { id: string; status: string }[]).find((j) => j.id === job.id)?.status).toBe('done')
    } finally {
      ws!.close()
    }
  })

  it('accepts the token as ?token= for scripts', async () => {
    const { ws } = await openSocket(`${wsUrl()}?token=${TOKEN}`)
    expect(ws).toBeDefined()
    const r = await call(ws!, 1, { type: 'call', id: 1, channel: 'job.list', input: {} })
    expect(r.ok).toBe(true)
    ws!.close()
  })
})

describe('files: renderer and media confinement', () => {
  const get = (path: string) => http(server.port, path, { cookie })

  it('never serves a file outside the renderer folder, literal, encoded or via symlink', async () => {
    expect((await get('/assets/app.js')).status).toBe(200)
    for (const path of [
      '/../secret.txt',
      '/assets/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/assets/%2e%2e/%2e%2e/secret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
      '/%252e%252e/secret.txt',
      '/assets/..%5c..%5csecret.txt',
      '/assets/%00/../secret.txt',
      '/assets/leak.txt',
      '//etc/passwd',
    ]) {
      const r = await get(path)
      expect(r.status, path).toBe(404)
      expect(r.body.toString(), path).not.toContain('TOP-SECRET')
    }
  })

  it('serves a cataloged image byte for byte, and its labels with the size headers', async () => {
    const img = await get('/media/sample/1/image')
    expect(img.status).toBe(200)
    expect(img.headers['content-type']).toBe('image/png')
    expect(img.body.equals(imageBytes)).toBe(true)
    const lab = await get('/media/sample/1/labels')
    expect(lab.status).toBe(200)
    expect(lab.headers[LabelsHeaders.width]).toBe('3')
    expect(lab.headers[LabelsHeaders.height]).toBe('2')
    expect(lab.headers[LabelsHeaders.depth]).toBe('16')
    expect([...new Uint16Array(lab.body.buffer.slice(lab.body.byteOffset, lab.body.byteOffset + lab.body.length))]).toEqual([0, 1, 2, 300, 65535, 7])
    expect(lab.body.readUInt16LE(6)).toBe(300)
    expect((await get('/media/sample/1/thumb-overlay')).body.toString()).toBe('thumb 1 true')
    const tile = await get('/media/preview/tok1/0/image')
    expect(tile.status).toBe(200)
    expect(tile.body.toString()).toBe('tile-png')
    expect((await get('/media/preview/tok1/0/labels')).headers[LabelsHeaders.depth]).toBe('8')
    expect((await get('/media/preview/tok1/1/image')).status).toBe(404)
  })

  it('refuses cataloged paths whose symlinks lead outside the dataset (403), allows ones inside', async () => {
    for (const path of ['/media/sample/2/image', '/media/sample/3/image', '/media/sample/2/thumb', '/media/sample/3/thumb-overlay']) {
      const r = await get(path)
      expect(r.status, path).toBe(403)
      expect(r.body.equals(imageBytes), path).toBe(false)
      expect(r.body.toString(), path).toContain('outside its dataset folder')
    }
    const alias = await get('/media/sample/4/image')
    expect(alias.status).toBe(200)
    expect(alias.body.equals(imageBytes)).toBe(true)
  })

  it('404s media paths that parseMediaPath rejects and samples that do not exist', async () => {
    for (const path of [
      '/media/sample/1/../../../secret.txt',
      '/media/sample/1%2f..%2f..%2fsecret.txt',
      '/media/sample/%2e%2e/image',
      '/media/sample/-1/image',
      '/media/sample/1/image.png',
      '/media/file' + join(dir, 'secret.txt'),
      '/media/preview/../1/image',
    ]) {
      const r = await get(path)
      expect(r.status, path).toBe(404)
      expect(r.body.toString(), path).not.toContain('TOP-SECRET')
    }
    const missing = await get('/media/sample/99/image')
    expect(missing.status).toBe(404)
    expect(missing.body.toString()).toContain('Sample 99 is not in the catalog')
    const gone = await get('/media/sample/5/image')
    expect(gone.status).toBe(404)
    expect(gone.body.toString()).toContain('missing.png')
  })

  it('answers 409 with a clear message when no project is open', async () => {
    const bare = await startServer({ rendererDir: join(dir, 'renderer'), token: TOKEN, mediaDeps: deps })
    try {
      const r = await http(bare.port, '/media/sample/1/image', { cookie: `lockstep-${bare.port}=${TOKEN}` })
      expect(r.status).toBe(409)
      expect(r.body.toString()).toContain('No project is open')
    } finally {
      await bare.close()
    }
  })
})

describe('lockstep serve (the built CLI)', () => {
  const root = join(import.meta.dirname, '../..')

  it('prints exactly one machine-readable line and serves the built renderer behind the token', async () => {
    expect(existsSync(join(root, 'out/main/cli.js')), 'run `npm run build` first').toBe(true)
    // never a real browser from a test (serve opens one where a display exists); the lines after
    // the first are prose for a person (open the address...), the first is the machine-readable one
    const child = spawn(process.execPath, [join(root, 'bin/lockstep.js'), 'serve', '--port', '0'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LOCKSTEP_NO_BROWSER: '1' },
    })
    try {
      let out = ''
      const line = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString()
          if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n') + 1))
        })
        child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)))
      })
      const m = /^Lockstep is serving at http:\/\/127\.0\.0\.1:(\d+)\/\?token=([A-Za-z0-9_-]{43})\n$/.exec(line)
      expect(m, line).not.toBeNull()
      const port = Number(m![1])
      const login = await http(port, `/?token=${m![2]}`)
      expect(login.status).toBe(303)
      const page = await http(port, '/', { cookie: `lockstep-${port}=${m![2]}` })
      expect(page.status).toBe(200)
      expect(page.headers['content-security-policy']).toContain("script-src 'self'")
      expect(page.body.toString()).toBe(readFileSync(join(root, 'out/renderer/index.html'), 'utf8'))
      expect((await http(port, '/')).status).toBe(403)
    } finally {
      child.kill('SIGTERM')
    }
    const code = await new Promise((r) => child.once('exit', r))
    expect(code).toBe(0)
  })

  it('npm start falls back to browser mode in one line where the Electron binary is missing', async () => {
    const child = spawn(process.execPath, [join(root, 'scripts/start.mjs'), '--no-build', '--port', '0'], {
      cwd: root,
      env: { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: join(dir, 'no-electron-here'), DISPLAY: '', WAYLAND_DISPLAY: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString()
          if (/serving at .*\n.*browser.*\n/.test(out)) resolve()
        })
        child.once('exit', (code) => reject(new Error(`start exited ${code}: ${out}`)))
      })
    } finally {
      child.kill('SIGTERM')
    }
    const lines = out.trim().split('\n')
    expect(lines).toHaveLength(3)
    expect(lines[0]).toMatch(/^lockstep: no desktop app here \(.+\); starting browser mode instead\.$/)
    expect(lines[1]).toMatch(/^Lockstep is serving at http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43}$/)
    // no display here: it says plainly to open the address (serve never opens a browser without one)
    expect(lines[2]).toMatch(
      /^Not opening a browser \((no display here|CI is set|LOCKSTEP_NO_BROWSER is set)\): open the address above in a browser on this machine/,
    )
    expect(await new Promise((r) => child.once('exit', r))).toBe(0)
  })

  it('rejects a bad --port as a usage error', () => {
    const r = spawnSync(process.execPath, [join(root, 'bin/lockstep.js'), 'serve', '--port', '70000'], { encoding: 'utf8' })
    expect(r.status).toBe(2)
    expect(r.stderr).toContain('expected a port in 0..65535 for --port but received 70000')
  })
})
