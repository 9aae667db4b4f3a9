// Browser mode's token, cookie, CSP and cross-origin refusals as a real Chromium sees them:
// the real built renderer opened from the printed URL, and a hostile page on another local port
// (same site, so the cookie flows to it) that tries to read media and open the API socket.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { writeFileSync, mkdirSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BrowserContext } from 'playwright-core'
import { startServer, type RunningServer } from '../../src/main/server'
import { launch } from '../e2e/browser'
import { fakeCatalog, sampleRef } from './helpers'
import type { PageDocument, PageImage } from '../support/page'

declare const document: PageDocument
declare const location: { host: string }
declare const Image: new () => PageImage

const root = join(import.meta.dirname, '../..')
let dir: string
let server: RunningServer
let evil: Server
let evilPort: number
let context: BrowserContext
let close: () => Promise<void>

beforeAll(async () => {
  // a missing build says so; any other error reading it (seen once in a CI run: the file existed
  // before and after) is reported in its own words instead of as "run npm run build first"
  const index = join(root, 'out/renderer/index.html')
  try {
    statSync(index)
  } catch (err) {
    throw new Error(
      (err as NodeJS.ErrnoException).code === 'ENOENT' ? `${index} is missing: run \`npm run build\` first` : `reading ${index}: ${String(err)}`,
      {
        cause: err,
      },
    )
  }
  dir = mkdtempSync(join(tmpdir(), 'lockstep-chromium-sec-'))
  mkdirSync(join(dir, 'ds', 'images'), { recursive: true })
  writeFileSync(
    join(dir, 'ds', 'images', 'a.png'),
    await sharp({ create: { width: 8, height: 8, channels: 3, background: '#c00' } })
      .png()
      .toBuffer(),
  )
  server = await startServer({
    rendererDir: join(root, 'out/renderer'),
    setup: (ctx) => ctx.session.attach(fakeCatalog(dir, [sampleRef(1, 'a', join(dir, 'ds', 'images', 'a.png'), null)], [join(dir, 'ds')])),
  })
  evil = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' })
    res.end('<!doctype html><title>evil</title>')
  })
  await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r))
  evilPort = (evil.address() as AddressInfo).port
  ;({ context, close } = await launch())
}, 60_000)

afterAll(async () => {
  await close?.()
  await server?.close()
  evil?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('browser mode in Chromium', () => {
  it('trades the token for an HttpOnly cookie, drops it from the URL, and runs the renderer under its CSP', async () => {
    const page = await context.newPage()
    const violations: string[] = []
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text())
    })
    await page.goto(server.url)
    expect(page.url()).toBe(`http://127.0.0.1:${server.port}/`)
    expect(await page.evaluate(() => document.cookie)).toBe('') // HttpOnly: script cannot read it
    const cookies = await context.cookies(`http://127.0.0.1:${server.port}/`)
    expect(cookies).toEqual([expect.objectContaining({ name: `lockstep-${server.port}`, httpOnly: true, sameSite: 'Strict' })])
    // the page's own origin can use the API over the WebSocket and load media
    const own = await page.evaluate(async () => {
      const ws = new WebSocket(`ws://${location.host}/api`)
      const reply = await new Promise<string>((resolve) => {
        ws.onopen = () => ws.send(JSON.stringify({ type: 'call', id: 1, channel: 'job.list', input: {} }))
        ws.onmessage = (e) => {
          const m = JSON.parse(e.data)
          if (m.type === 'reply') resolve(JSON.stringify(m))
        }
        ws.onerror = () => resolve('error')
      })
      ws.close()
      const img = await fetch('/media/sample/1/image')
      return { reply, img: img.status }
    })
    expect(JSON.parse(own.reply)).toEqual({ type: 'reply', id: 1, ok: true, result: [] })
    expect(own.img).toBe(200)
    await page.waitForTimeout(300)
    expect(violations).toEqual([])
    await page.close()
  })

  it('refuses a page on another local port: no image, no socket, no readable fetch', async () => {
    const page = await context.newPage()
    await page.goto(server.url) // the victim has the cookie in this browser
    await page.goto(`http://127.0.0.1:${evilPort}/`)
    const target = `127.0.0.1:${server.port}`
    const attempt = await page.evaluate(async (t) => {
      const img = await new Promise<string>((resolve) => {
        const i = new Image()
        i.onload = () => resolve('loaded')
        i.onerror = () => resolve('refused')
        i.src = `http://${t}/media/sample/1/image`
      })
      const ws = await new Promise<string>((resolve) => {
        const s = new WebSocket(`ws://${t}/api`)
        s.onopen = () => resolve('open')
        s.onerror = () => resolve('refused')
      })
      let cors: string
      try {
        const r = await fetch(`http://${t}/media/sample/1/image`, { credentials: 'include' })
        cors = `read ${r.status}`
      } catch {
        cors = 'refused'
      }
      return { img, ws, cors }
    }, target)
    expect(attempt).toEqual({ img: 'refused', ws: 'refused', cors: 'refused' })
    await page.close()
  })
})
