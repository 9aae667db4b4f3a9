// Recorded bytes: a few small exports (several recipes, every format, jpeg and png, two epochs,
// steps per epoch, 16-bit and palette masks, a shard) compared file by file with the sha256
// digests in golden-digests.json. A restructuring of the export must leave every byte as it was.
//
// The sources live in a fresh temporary folder, whose absolute path is recorded in the manifest,
// export.json and each tar's KEY.json: before hashing, that path is replaced by "<src>" (text
// files as text, tar members member by member), so the digests do not depend on where the test
// runs. Anything else that changes a byte changes a digest.
//
// To record new digests after a deliberate change of the output (say why in the commit):
//   LOCKSTEP_GOLDEN=update npx vitest run test/export/golden.test.ts
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { parseRecipe } from '../../src/shared/recipe'
import { runExport, type ExportRunOptions } from '../../src/main/export/job'
import { folderInputs } from '../../src/main/export/sources'
import type { SourcePair } from '../../src/main/export/types'
import { tarMember, TAR_END } from '../../src/main/export/writers/tar'
import { writePair } from '../fixtures/pairs'
import { makePairs, RECIPE, snapshot, tmp } from './helpers'

const DIGESTS = join(import.meta.dirname, 'golden-digests.json')
const UPDATE = process.env.LOCKSTEP_GOLDEN === 'update'

const GENERAL = {
  schema: 'lockstep.recipe/1',
  output: { width: 40, height: 32 },
  mask: { ignoreIndex: 255 },
  ops: [
    { type: 'affine', p: 1, degrees: [-30, 30], scale: [0.8, 1.2], shiftX: [-0.1, 0.1], shiftY: [-0.1, 0.1] },
    { type: 'random_crop', p: 1, width: 48, height: 40 },
    { type: 'hflip', p: 0.5 },
    { type: 'vflip', p: 0.5 },
    { type: 'brightness', p: 1, limit: [-0.2, 0.2] },
    { type: 'contrast', p: 1, limit: [-0.2, 0.2] },
    { type: 'hue', p: 1, degrees: [-20, 20] },
    { type: 'gaussian_noise', p: 0.5, std: [3, 10] },
    { type: 'salt_pepper', p: 0.3, amount: [0.01, 0.03] },
    { type: 'gaussian_blur', p: 0.3, sigma: [0.5, 1] },
  ],
}

const CLASSES = {
  schema: 'lockstep.recipe/1',
  output: { width: 32, height: 32 },
  mask: { ignoreIndex: 255 },
  ops: [
    { type: 'crop_non_empty_mask', p: 1, width: 40, height: 40 },
    { type: 'rot90', p: 1, turns: [0, 1, 2, 3] },
    { type: 'scale', p: 1, factor: [0.9, 1.1], keepSize: true },
    { type: 'hsv_power', p: 1, saturation: [0.7, 1.4], value: [0.8, 1.25] },
    { type: 'gamma', p: 1, gamma: [0.8, 1.25] },
  ],
}

interface Case {
  name: string
  data: 'png' | 'jpg' | 'masks'
  options: Partial<ExportRunOptions>
}

/** Every case runs on the calling thread (the worker count never shows in the bytes; cli tests check that). */
export const CASES: Case[] = [
  {
    name: 'fast-png-all-formats',
    data: 'png',
    options: {
      recipe: parseRecipe(RECIPE),
      imageFormat: 'png',
      epochs: 2,
      batchSize: 4,
      formats: ['folders', 'npy', 'webdataset'],
      formatOptions: { webdataset: { samples: 8 } },
    },
  },
  {
    name: 'fast-jpeg-shard-1-of-3',
    data: 'png',
    options: {
      recipe: parseRecipe(RECIPE),
      imageFormat: 'jpeg',
      quality: 85,
      epochs: 2,
      batchSize: 3,
      formats: ['webdataset', 'npy'],
      formatOptions: { webdataset: { samples: 3 } },
      shard: { index: 1, count: 3 },
    },
  },
  {
    name: 'general-jpeg-sources',
    data: 'jpg',
    options: {
      recipe: parseRecipe(GENERAL),
      imageFormat: 'jpeg',
      quality: 90,
      epochs: 2,
      batchSize: 4,
      formats: ['folders', 'npy', 'webdataset'],
      formatOptions: { webdataset: { samples: 8 } },
    },
  },
  {
    name: 'general-steps-per-epoch',
    data: 'png',
    options: {
      recipe: parseRecipe(GENERAL),
      imageFormat: 'png',
      epochs: 2,
      batchSize: 4,
      stepsPerEpoch: 4,
      formats: ['folders', 'npy', 'webdataset'],
      formatOptions: { webdataset: { samples: 8 } },
    },
  },
  {
    name: 'classes-16bit-palette-masks',
    data: 'masks',
    options: {
      recipe: parseRecipe(CLASSES),
      imageFormat: 'png',
      epochs: 2,
      batchSize: 2,
      dropLast: true,
      formats: ['folders', 'npy', 'webdataset'],
      formatOptions: { webdataset: { samples: 4 } },
    },
  },
]

const dirs: Record<Case['data'], { images: string; masks: string; root: string }> = {} as never

beforeAll(async () => {
  const png = tmp('lockstep-golden-')
  dirs.png = { ...(await makePairs(png, 10)), root: png }
  const jpg = tmp('lockstep-golden-')
  dirs.jpg = { ...(await makePairs(jpg, 9, 80, 60, 'jpg')), root: jpg }
  const masks = tmp('lockstep-golden-')
  const variants = ['grey8', 'grey16', 'palette', 'grey8', 'palette'] as const
  for (let i = 0; i < variants.length; i++)
    await writePair(masks, `m${i}`, { width: 64, height: 48, seed: i + 1, mask: variants[i], image: i % 2 ? 'jpeg' : 'png' })
  dirs.masks = { images: join(masks, 'images'), masks: join(masks, 'masks'), root: masks }
})

/** Replaces every occurrence of `from` in `b` by `to` (byte strings). */
function replaceAll(b: Buffer, from: string, to: string): Buffer {
  const text = b.toString('latin1')
  return text.includes(from) ? Buffer.from(text.split(from).join(to), 'latin1') : b
}

/** A tar rebuilt member by member with the source folder's path replaced in each member's data. */
function normaliseTar(b: Buffer, root: string): Buffer {
  const parts: Uint8Array[] = []
  let pos = 0
  while (pos + 512 <= b.byteLength && b[pos] !== 0) {
    const name = b
      .subarray(pos, pos + 100)
      .toString('utf8')
      .replace(/\0.*$/s, '')
    const size = parseInt(
      b
        .subarray(pos + 124, pos + 136)
        .toString('latin1')
        .replace(/\0.*$/s, ''),
      8,
    )
    const data = b.subarray(pos + 512, pos + 512 + size)
    parts.push(...tarMember(name, replaceAll(Buffer.from(data), root, '<src>')))
    pos += 512 + Math.ceil(size / 512) * 512
  }
  // the rest must be the end blocks: anything else would be a change the rebuild hides
  expect(b.subarray(pos).equals(TAR_END), 'tar ends with its two zero blocks').toBe(true)
  parts.push(TAR_END)
  return Buffer.concat(parts)
}

/** export.json with its source list hash checked against the sources, then set to "<list>" (it hashes absolute paths). */
function normaliseDescriptor(b: Buffer, root: string, sources: SourcePair[]): Buffer {
  const desc = JSON.parse(b.toString('utf8'))
  const list = createHash('sha256')
  for (const s of [...sources].sort((x, y) => (x.key < y.key ? -1 : 1)))
    list.update(`${s.key}\u0000${s.imagePath}\u0000${s.maskPath}\u0000${s.imageHash ?? ''}\u0000${s.maskHash ?? ''}\n`)
  expect(desc.sources.listSha256, 'export.json lists the sources exported').toBe(list.digest('hex'))
  desc.sources.listSha256 = '<list>'
  return replaceAll(Buffer.from(JSON.stringify(desc, null, 2) + '\n'), root, '<src>')
}

/**
 * The manifest with each line's hash of its webdataset JSON member set to "<json>": that member
 * names the sources by absolute path (its bytes are in the tar's digest, normalised; merge.test
 * checks the hash against the member).
 */
function normaliseManifest(b: Buffer): Buffer {
  const lines = b
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const line = JSON.parse(l)
      if (line.files?.webdataset?.jsonSha256) line.files.webdataset.jsonSha256 = '<json>'
      return JSON.stringify(line)
    })
  return Buffer.from(lines.map((l) => l + '\n').join(''))
}

export function digestsOf(out: string, root: string, sources: SourcePair[]): Record<string, string> {
  const files = snapshot(out)
  const digests: Record<string, string> = {}
  for (const rel of [...files.keys()].sort()) {
    let bytes = files.get(rel)!
    if (rel.endsWith('.tar')) bytes = normaliseTar(bytes, root)
    else if (rel === 'export.json') bytes = normaliseDescriptor(bytes, root, sources)
    else if (rel === 'manifest.jsonl') bytes = replaceAll(normaliseManifest(bytes), root, '<src>')
    else if (rel.endsWith('.json') || rel.endsWith('.jsonl')) bytes = replaceAll(bytes, root, '<src>')
    digests[rel] = createHash('sha256').update(bytes).digest('hex')
  }
  return digests
}

describe('recorded export bytes', () => {
  const recorded: Record<string, Record<string, string>> = UPDATE ? {} : JSON.parse(readFileSync(DIGESTS, 'utf8'))
  const fresh: Record<string, Record<string, string>> = {}

  for (const c of CASES) {
    it(`${c.name}: every file as recorded`, async () => {
      const d = dirs[c.data]
      const out = tmp()
      const sources = folderInputs(d.images, d.masks).sources
      await runExport({
        sources,
        seed: 11,
        epochs: 1,
        batchSize: 4,
        dropLast: false,
        quality: 90,
        out,
        workers: 0,
        ...c.options,
      } as ExportRunOptions)
      const digests = digestsOf(out, d.root, sources)
      fresh[c.name] = digests
      if (UPDATE) return
      expect(Object.keys(digests).length).toBeGreaterThan(3)
      expect(digests).toEqual(recorded[c.name])
    })
  }

  it.runIf(UPDATE)('writes golden-digests.json', () => {
    writeFileSync(DIGESTS, JSON.stringify(fresh, null, 1) + '\n')
  })
})
