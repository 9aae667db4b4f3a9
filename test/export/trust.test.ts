// Issue 13 items 1 and 2: a pair whose image or mask is corrupt anywhere (beyond any crop window:
// a zlib stream's Adler-32, its last bytes, a JPEG cut short, a short scan with its end-of-image
// marker present, a bad Huffman code near the end) is never exported, with or without the native
// decoders (which read only a crop's window), wherever the random crop falls: the same pairs fail
// with the same words in every run, and every other pair is written.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { decodeJpegRegion, decodePngLabels8, loadAddon } from '../../src/main/io/native'
import { idatOf, walkPng } from '../../src/main/io/png'
import { badAdler, badHuffmanLate, corruptTail, cutJpeg, jpegScene, labelPng, shortScan } from '../fixtures/corrupt'
import { drawScene } from '../fixtures/pairs'
import { CLI, ROOT, run, tmp } from './helpers'

const { addon } = loadAddon()
const built = existsSync(join(ROOT, 'out', 'main', 'cli.js'))
const W = 96
const H = 80
const RECIPE = {
  schema: 'lockstep.recipe/1',
  output: { width: 32, height: 24 },
  mask: { ignoreIndex: 255 },
  ops: [
    { type: 'random_crop', width: 32, height: 24 },
    { type: 'hflip', p: 0.5 },
  ],
}

/** key -> what its failure must say (undefined: a sound pair) */
const EXPECTED: Record<string, RegExp | undefined> = {
  good0: undefined,
  good1: undefined,
  good2: undefined,
  adler: /Mask .*adler\.png: corrupt PNG \(the image data is corrupt \(zlib: incorrect data check\)\)/,
  tail: /Mask .*tail\.png: corrupt PNG \(the image data/,
  adler16: /Mask .*adler16\.png: corrupt PNG \(the image data is corrupt \(zlib: incorrect data check\)\)/,
  short: /Image .*short\.jpg: corrupt JPEG \(scan 1 ends early: its data stops at byte \d+ \(EOI\) after \d+ of 30 MCUs the 96x80 frame needs\)/,
  cut: /Image .*cut\.jpg: corrupt JPEG \(truncated: scan 1's data ends at byte \d+ \(the end of the file\) after \d+ of 30 MCUs\)/,
  huffman: /Image .*huffman\.jpg: corrupt JPEG \(bad Huffman code in scan 1 \(MCU \d+ of 30\)\)/,
}

let dir: string
let images: string
let masks: string
let recipe: string

beforeAll(async () => {
  dir = tmp('lockstep-trust-')
  images = join(dir, 'images')
  masks = join(dir, 'masks')
  mkdirSync(images)
  mkdirSync(masks)
  for (const [i, key] of Object.keys(EXPECTED).entries()) {
    const scene = drawScene(W, H, 10 + i)
    let jpeg = await jpegScene(W, H, 10 + i)
    let mask = labelPng(W, H, scene.labels)
    if (key === 'adler') mask = badAdler(mask)
    if (key === 'tail') mask = corruptTail(mask)
    if (key === 'adler16')
      mask = badAdler(
        labelPng(
          W,
          H,
          Array.from(scene.labels, (v) => v * 1000),
          { depth: 16 },
        ),
      )
    if (key === 'short') jpeg = shortScan(jpeg, 0.93)
    if (key === 'cut') jpeg = cutJpeg(jpeg, 0.93)
    if (key === 'huffman') jpeg = badHuffmanLate(jpeg)
    writeFileSync(join(images, `${key}.jpg`), jpeg)
    writeFileSync(join(masks, `${key}.png`), mask)
  }
  recipe = join(dir, 'recipe.json')
  writeFileSync(recipe, JSON.stringify(RECIPE))
})

/** The failure lines of a CLI run (sorted), after checking it exited 1 having written every sound pair. */
async function failures(args: string[], native: boolean, out: string): Promise<string[]> {
  const r = await run('node', [CLI, ...args, '--out', out], { env: { ...process.env, LOCKSTEP_NATIVE: native ? '1' : '0' } }).then(
    () => ({ code: 0, stderr: '' }),
    (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
  )
  expect(r.code, r.stderr).toBe(1)
  const written = new Set(readdirSync(join(out, 'masks')).map((f) => f.replace(/_\d+\.png$|\.png$/, '')))
  for (const [key, want] of Object.entries(EXPECTED))
    expect(
      [...written].some((f) => f.startsWith(key)),
      key,
    ).toBe(!want)
  return r.stderr
    .split('\n')
    .filter((l) => l.startsWith('lockstep export: failed: '))
    .map((l) => l.replace(dir, '<dir>'))
    .sort()
}

describe.skipIf(!built)('corrupt beyond the crop window (CLI, built out/)', () => {
  it('the native region decoders alone would take these files: the trap is real', async () => {
    if (!addon) return // without the addon there is no partial read to fool
    const top = { left: 0, top: 0, width: 32, height: 24 }
    const png = (await import('node:fs')).readFileSync(join(masks, 'adler.png'))
    const w = walkPng(png)
    if (!w.ok) throw new Error(w.problem)
    expect(await decodePngLabels8(idatOf(png, w.info), W, H, top)).not.toBeNull()
    const jpg = (await import('node:fs')).readFileSync(join(images, 'short.jpg'))
    expect(await decodeJpegRegion(jpg, top)).not.toBeNull()
  })

  it('folder exports: the same pairs fail, with the same words, in both modes and for every seed', async () => {
    const runs: string[][] = []
    for (const seed of [1, 2, 3]) {
      for (const native of [true, false]) {
        const out = join(dir, `out-${seed}-${native}`)
        runs.push(
          await failures(
            [
              'export',
              '--images',
              images,
              '--masks',
              masks,
              '--recipe',
              recipe,
              '--seed',
              String(seed),
              '--workers',
              String(seed % 2 ? 0 : 2),
              '--format',
              'folders',
            ],
            native,
            out,
          ),
        )
      }
    }
    for (const r of runs) expect(r).toEqual(runs[0])
    const lines = runs[0]
    const bad = Object.entries(EXPECTED).filter(([, want]) => want)
    expect(lines).toHaveLength(bad.length)
    for (const [key, want] of bad)
      expect(
        lines.some((l) => want!.test(l)),
        `${key}: ${lines.join('\n')}`,
      ).toBe(true)
  }, 240_000)

  it('project exports: the import names each corrupt file, the export skips those pairs, in both modes', async () => {
    const project = join(dir, 'project')
    await run('node', [CLI, 'import', images, '--masks', masks, '--project', project]).catch((e: { code: number }) => expect(e.code).toBe(1))
    const runs: string[][] = []
    for (const native of [true, false])
      runs.push(await failures(['export', '--project', project, '--recipe', recipe, '--seed', '4', '--format', 'folders'], native, join(dir, `proj-${native}`)))
    expect(runs[1]).toEqual(runs[0])
    expect(runs[0]).toHaveLength(Object.values(EXPECTED).filter(Boolean).length)
    expect(runs[0].join('\n')).toMatch(/short\.jpg.*ends early/)
    expect(runs[0].join('\n')).toMatch(/adler\.png.*incorrect data check/)
  }, 120_000)
})
