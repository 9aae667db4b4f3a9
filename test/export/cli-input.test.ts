// Issue 13 item 10, through the built CLI: raw control bytes from a corrupt PNG chunk type never
// reach the terminal (escaped), `ls` keeps one line per sample whatever a key holds (newline, tab,
// a right-to-left override), a symlink loop is named as one (ELOOP, not "corrupt or truncated"),
// negative numbers are values that fail their option's own check ("must be ≥ 0", not "argument is
// ambiguous"), and `--seed ""` is refused instead of read as 0.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { crc32 } from 'node:zlib'
import { beforeAll, describe, expect, it } from 'vitest'
import { jpegScene, labelPng } from '../fixtures/corrupt'
import { drawScene } from '../fixtures/pairs'
import { CLI, ROOT, run, tmp } from './helpers'

const built = existsSync(join(ROOT, 'out', 'main', 'cli.js'))
const W = 48
const H = 32
let dir: string
let images: string
let masks: string
let recipe: string

/** A mask whose second chunk's type is ESC [ 2 J (clear the screen), its CRC right. */
function escapeChunk(png: Buffer): Buffer {
  const data = Buffer.from('hello')
  const c = Buffer.alloc(12 + data.length)
  c.writeUInt32BE(data.length, 0)
  c.write('\x1b[2J', 4, 'latin1')
  data.copy(c, 8)
  c.writeUInt32BE(crc32(c.subarray(4, 8 + data.length)) >>> 0, 8 + data.length)
  return Buffer.concat([png.subarray(0, 33), c, png.subarray(33)])
}

beforeAll(async () => {
  dir = tmp('lockstep-cli-input-')
  images = join(dir, 'images')
  masks = join(dir, 'masks')
  mkdirSync(images)
  mkdirSync(masks)
  const keys = ['plain', 'new\nline', 'tab\there', 'rtl\u202Egpj.exe', 'esc']
  for (const [i, key] of keys.entries()) {
    writeFileSync(join(images, `${key}.jpg`), await jpegScene(W, H, i + 1))
    const mask = labelPng(W, H, drawScene(W, H, i + 1).labels)
    writeFileSync(join(masks, `${key}.png`), key === 'esc' ? escapeChunk(mask) : mask)
  }
  symlinkSync('loop.jpg', join(images, 'loop.jpg')) // a link to itself
  writeFileSync(join(masks, 'loop.png'), labelPng(W, H, drawScene(W, H, 9).labels))
  recipe = join(dir, 'recipe.json')
  writeFileSync(
    recipe,
    JSON.stringify({ schema: 'lockstep.recipe/1', output: { width: 16, height: 16 }, ops: [{ type: 'random_crop', width: 16, height: 16 }] }),
  )
})

const lockstep = (args: string[]) =>
  run('node', [CLI, ...args]).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  )

describe.skipIf(!built)('CLI input the issue found mishandled (built out/)', () => {
  it('export --images: the chunk type is escaped, the symlink loop is ELOOP, every other pair is written', async () => {
    const r = await lockstep(['export', '--images', images, '--masks', masks, '--recipe', recipe, '--out', join(dir, 'out')])
    expect(r.code).toBe(1)
    expect(r.stderr).not.toContain('\x1b')
    expect(r.stderr).toMatch(/failed: Mask .*esc\.png: corrupt PNG \(the PNG has a chunk of invalid type "\\x1b\[2J" at byte 33\)/)
    expect(r.stderr).toMatch(/failed: Image .*loop\.jpg: cannot be read: it is a symlink loop \(ELOOP\)/)
    expect(r.stderr).not.toMatch(/loop\.jpg.*corrupt or truncated/)
    expect(r.stderr.match(/failed: /g)).toHaveLength(2)
  })

  it('ls prints one line per sample, keys with a newline, a tab or a right-to-left override escaped', async () => {
    const project = join(dir, 'project')
    await lockstep(['import', images, '--masks', masks, '--project', project])
    const r = await lockstep(['ls', '--project', project])
    expect(r.code, r.stderr).toBe(0)
    const lines = r.stdout.trimEnd().split('\n')
    expect(lines).toHaveLength(6)
    for (const line of lines) expect(line.split('\t')).toHaveLength(7)
    expect(r.stdout).not.toMatch(/\u202E/)
    expect(lines.map((l) => l.split('\t')[1]).sort()).toEqual(['esc', 'loop', 'new\\x0aline', 'plain', 'rtl\\u202egpj.exe', 'tab\\x09here'])
    // (the message's own escape is escaped again: in ls's lines a backslash is always written \\)
    expect(lines.find((l) => l.includes('\tesc\t'))).toMatch(/CORRUPT: Mask esc\.png is corrupt: the PNG has a chunk of invalid type "\\\\x1b\[2J"/)
    expect(lines.find((l) => l.includes('\tloop\t'))).toMatch(/UNREADABLE: Image loop\.jpg cannot be read \(ELOOP\): it is a symlink loop/)
  })

  it('negative numbers are values refused by their option ("must be ≥ N"), and an empty --seed is refused', async () => {
    const base = ['export', '--images', images, '--masks', masks, '--recipe', recipe, '--out', join(dir, 'neg')]
    for (const [flag, value, want] of [
      ['--seed', '-1', /--seed must be ≥ 0 but received -1/],
      ['--workers', '-3', /--workers must be ≥ 0 but received -3/],
      ['--epochs', '-2', /--epochs must be ≥ 1 but received -2/],
      ['--seed', '', /--seed must be an integer ≥ 0 but received ""/],
      ['--seed', ' ', /--seed must be an integer ≥ 0 but received " "/],
      ['--seed', '1.5', /--seed must be an integer ≥ 0 but received "1.5"/],
    ] as const) {
      const r = await lockstep([...base, flag, value])
      expect(r.code, `${flag} ${JSON.stringify(value)}: ${r.stderr}`).toBe(2)
      expect(r.stderr).toMatch(want)
      expect(r.stderr).not.toMatch(/ambiguous/)
    }
    const r = await lockstep(['preview', '--images', images, '--masks', masks, '--recipe', recipe, '--seed', '-7', '--out', join(dir, 'p')])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--seed must be ≥ 0 but received -7/)
  })
})
