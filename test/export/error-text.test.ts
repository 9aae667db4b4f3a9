// Issue 13 item 7: the same input gives the same error message every time, on any worker count,
// with or without the native decoders. libvips keeps one error buffer for all its threads, so its
// text could name another file's problem ("bad Huffman code" for a file that is only cut short)
// or none ("Unknown error"): the reasons here come from Lockstep's own whole-file checks. Over 64
// corrupt JPEGs (cut short, short scans with EOI, bit flips, bad markers) and a few masks, two
// runs each with 1, 2 and 4 workers and without the addon give identical failure lines.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { Rng } from '../../src/main/augment/rng'
import { checkJpeg } from '../../src/main/io/check-jpeg'
import { badAdler, corruptTail, cutJpeg, jpegScene, labelPng, shortScan } from '../fixtures/corrupt'
import { drawScene } from '../fixtures/pairs'
import { CLI, ROOT, run, tmp } from './helpers'

const built = existsSync(join(ROOT, 'out', 'main', 'cli.js'))
const W = 160
const H = 120
let dir: string
let images: string
let masks: string
let count = 0

beforeAll(async () => {
  dir = tmp('lockstep-error-text-')
  images = join(dir, 'images')
  masks = join(dir, 'masks')
  mkdirSync(images)
  mkdirSync(masks)
  const rng = Rng.fromParts('error-text', 1)
  const kinds = ['cut', 'short', 'flip', 'marker']
  for (let i = 0; count < 64; i++) {
    const jpeg = await jpegScene(W, H, 100 + i, { progressive: i % 5 === 4 })
    const kind = kinds[i % kinds.length]
    let bad: Buffer
    if (kind === 'cut') bad = cutJpeg(jpeg, rng.uniform(0.3, 0.98))
    else if (kind === 'short') bad = shortScan(jpeg, rng.uniform(0.3, 0.98))
    else if (kind === 'flip') {
      bad = Buffer.from(jpeg)
      for (let k = 0; k < 3; k++) bad[rng.int(700, bad.length - 3)] ^= 1 << rng.int(0, 7)
    } else {
      bad = Buffer.from(jpeg)
      bad[rng.int(700, bad.length - 3)] = 0xff
      bad[rng.int(700, bad.length - 3)] = 0xd9
    }
    if (checkJpeg(bad, 2e8).ok !== false) continue // only files that are corrupt
    const key = `${kind}${String(count++).padStart(2, '0')}`
    writeFileSync(join(images, `${key}.jpg`), bad)
    writeFileSync(join(masks, `${key}.png`), labelPng(W, H, drawScene(W, H, i).labels))
  }
  // and a few corrupt masks beside sound images
  for (let i = 0; i < 6; i++) {
    const key = `mask${i}`
    writeFileSync(join(images, `${key}.jpg`), await jpegScene(W, H, 500 + i))
    const png = labelPng(W, H, drawScene(W, H, 500 + i).labels)
    writeFileSync(join(masks, `${key}.png`), i % 2 ? badAdler(png) : corruptTail(png))
  }
  writeFileSync(
    join(dir, 'recipe.json'),
    JSON.stringify({
      schema: 'lockstep.recipe/1',
      output: { width: 64, height: 48 },
      ops: [
        { type: 'random_crop', width: 64, height: 48 },
        { type: 'hflip', p: 0.5 },
      ],
    }),
  )
}, 120_000)

async function failureLines(workers: number, native: boolean, n: number): Promise<string[]> {
  const out = join(dir, `out-${workers}-${native}-${n}`)
  const args = [
    CLI,
    'export',
    '--images',
    images,
    '--masks',
    masks,
    '--recipe',
    join(dir, 'recipe.json'),
    '--seed',
    '7',
    '--workers',
    String(workers),
    '--out',
    out,
  ]
  const r = await run('node', args, { env: { ...process.env, LOCKSTEP_NATIVE: native ? '1' : '0' }, maxBuffer: 16 << 20 }).then(
    () => '',
    (e: { stderr: string }) => e.stderr,
  )
  return r
    .split('\n')
    .filter((l) => l.startsWith('lockstep export: failed: '))
    .sort()
}

describe.skipIf(!built)('failure reasons are reproducible (CLI, built out/)', () => {
  it('64 corrupt JPEGs and 6 corrupt masks: identical lines on every run, worker count and mode', async () => {
    const reference = await failureLines(1, true, 1)
    expect(reference).toHaveLength(count + 6)
    for (const line of reference) {
      expect(line).toMatch(/^lockstep export: failed: (Image .*\/(cut|short|flip|marker)\d\d\.jpg: corrupt JPEG \(|Mask .*\/mask\d\.png: corrupt PNG \()/)
      expect(line).not.toMatch(/Unknown error|VipsJpeg|vips|libjpeg/i)
    }
    for (const [workers, native, n] of [
      [1, true, 2],
      [2, true, 1],
      [4, true, 1],
      [4, true, 2],
      [2, false, 1],
      [2, false, 2],
    ] as const) {
      expect(await failureLines(workers, native, n), `workers ${workers}, native ${native}, run ${n}`).toEqual(reference)
    }
  }, 600_000)
})
