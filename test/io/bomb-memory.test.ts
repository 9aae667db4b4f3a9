// Issue 13 item 4: a mask of about a megabyte whose image data inflates to 1 GiB (its header says
// 96x80; one 8-bit, one 16-bit) is refused by name, and peak memory stays bounded: the import and
// the export of such masks, and two concurrent /labels requests for them in browser mode, each
// stay under 500 MB of resident memory (measured in the child process that does the work).
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { serve } from '../e2e/serve'
import { http } from '../doors/helpers'
import { CLI, ROOT, tmp } from '../export/helpers'
import { jpegScene, labelPng, zlibBomb } from '../fixtures/corrupt'
import { drawScene } from '../fixtures/pairs'

const built = existsSync(join(ROOT, 'out', 'main', 'cli.js'))
const W = 96
const H = 80
const GiB = 1 << 30
const LIMIT_MB = 500

let dir: string
let images: string
let masks: string
let wrapper: string

beforeAll(async () => {
  dir = tmp('lockstep-bomb-')
  images = join(dir, 'images')
  masks = join(dir, 'masks')
  mkdirSync(images)
  mkdirSync(masks)
  for (const [i, key] of ['good', 'bomb8', 'bomb16'].entries()) {
    writeFileSync(join(images, `${key}.jpg`), await jpegScene(W, H, i + 1))
    const mask = key === 'good' ? labelPng(W, H, drawScene(W, H, i + 1).labels) : zlibBomb(W, H, key === 'bomb8' ? 8 : 16, GiB)
    writeFileSync(join(masks, `${key}.png`), mask)
  }
  expect(readFileSync(join(masks, 'bomb16.png')).length).toBeLessThan(1.2e6)
  // runs the CLI and reports its peak resident memory (the whole process, worker threads included)
  wrapper = join(dir, 'peak.mjs')
  writeFileSync(
    wrapper,
    `process.on('exit', () => process.stderr.write('\\nMAXRSS_KB ' + process.resourceUsage().maxRSS + '\\n'))\nawait import(${JSON.stringify(CLI)})\n`,
  )
}, 60_000)

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string; peakMb: number }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [wrapper, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('close', (code) => {
      const m = /MAXRSS_KB (\d+)/.exec(stderr)
      resolve({ code, stdout, stderr, peakMb: m ? Number(m[1]) / 1024 : Infinity })
    })
  })
}

describe.skipIf(!built)('a 1 GiB zlib bomb behind a 96x80 header (CLI and browser mode, built out/)', () => {
  it('import: both masks are CORRUPT rows naming the file, under 500 MB', async () => {
    const project = join(dir, 'project')
    const r = await cli(['import', images, '--masks', masks, '--project', project, '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout).errors.CORRUPT).toBe(2)
    console.log(`bomb import: peak RSS ${r.peakMb.toFixed(0)} MB`)
    expect(r.peakMb, 'peak RSS of the import (MB)').toBeLessThan(LIMIT_MB)
    const ls = await cli(['ls', '--project', project, '--error', 'any'])
    for (const key of ['bomb8', 'bomb16']) {
      const bytes = key === 'bomb8' ? (W + 1) * H : (2 * W + 1) * H
      expect(ls.stdout).toContain(`Mask ${key}.png is corrupt: the image data inflates past the ${bytes} bytes its ${W}x${H} header allows`)
    }
  }, 120_000)

  it('export: both pairs fail by name, the sound one is written, under 500 MB, with and without the addon', async () => {
    for (const native of ['1', '0']) {
      const out = join(dir, `out-${native}`)
      const r = await cli(
        ['export', '--images', images, '--masks', masks, '--recipe', join(ROOT, 'scripts', 'bench', 'export-recipe.json'), '--seed', '1', '--out', out],
        { LOCKSTEP_NATIVE: native },
      )
      console.log(`bomb export, LOCKSTEP_NATIVE=${native}: peak RSS ${r.peakMb.toFixed(0)} MB`)
      expect(r.code, r.stderr).toBe(1)
      expect(r.stderr).toMatch(/failed: Mask .*bomb8\.png: corrupt PNG \(the image data inflates past the 7760 bytes its 96x80 header allows\)/)
      expect(r.stderr).toMatch(/failed: Mask .*bomb16\.png: corrupt PNG \(the image data inflates past the 15440 bytes its 96x80 header allows\)/)
      expect(existsSync(join(out, 'masks', 'good.png'))).toBe(true)
      expect(r.peakMb, `peak RSS of the export, LOCKSTEP_NATIVE=${native} (MB)`).toBeLessThan(LIMIT_MB)
    }
  }, 120_000)

  it('browser mode: two concurrent /labels requests answer 422 naming the file, the server stays under 500 MB', async () => {
    const project = join(dir, 'served')
    await cli(['import', images, '--masks', masks, '--project', project])
    const s = await serve(['--project', project])
    try {
      const token = new URL(s.url).searchParams.get('token')!
      const port = Number(new URL(s.url).port)
      const cookie = `lockstep-${port}=${token}`
      // the three samples' labels at once: two bombs (and the sound mask) decoded side by side
      const all = await Promise.all([1, 2, 3].map((id) => http(port, `/media/sample/${id}/labels`, { cookie })))
      expect(all.map((r) => r.status).sort()).toEqual([200, 422, 422])
      const refused = all.filter((r) => r.status === 422).map((r) => r.body.toString())
      expect(refused.join('\n')).toMatch(/bomb8\.png: corrupt PNG \(the image data inflates past the 7760 bytes/)
      expect(refused.join('\n')).toMatch(/bomb16\.png: corrupt PNG \(the image data inflates past the 15440 bytes/)
      const status = readFileSync(`/proc/${s.child.pid}/status`, 'utf8')
      const peakMb = Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024
      console.log(`bomb /labels x2: peak RSS of lockstep serve ${peakMb.toFixed(0)} MB`)
      expect(peakMb, 'peak RSS of lockstep serve (MB)').toBeLessThan(LIMIT_MB)
    } finally {
      await s.stop()
    }
  }, 120_000)
})
