// A real full disk: a small tmpfs (mounted here when the test may mount; skipped, saying why,
// where it may not), filled with a ballast file so that only a fraction of what an export needs is
// free. For every format and several fill levels the export stops with DISK_FULL naming a file;
// then every file under a final name is whole (equal to the uninterrupted export's file, or, for
// a batch or shard closed early, a valid shorter file whose rows or members are the uninterrupted
// one's first ones), no temporary file is left, the manifest is a prefix of the whole one; and
// after freeing the space, the re-run finishes with exactly the uninterrupted export's bytes.
import { execFileSync } from 'node:child_process'
import { mkdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseRecipe } from '../../src/shared/recipe'
import { runExport, type ExportRunOptions } from '../../src/main/export/job'
import { folderInputs } from '../../src/main/export/sources'
import { checkWholeFiles, expectSameFiles, makePairs, RECIPE, snapshot, tmp } from './helpers'

const mountPoint = tmp('lockstep-enospc-')
let mounted = false
let why = ''
try {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', mountPoint], { stdio: 'pipe' })
  mounted = true
} catch (err) {
  why = `cannot mount a tmpfs here (${String((err as { stderr?: Buffer }).stderr ?? (err as Error).message).trim()}): the full-disk tests need root or CAP_SYS_ADMIN`
  console.log(`test/export/enospc.test.ts skipped: ${why}`)
}

let data: { images: string; masks: string }
const recipe = parseRecipe({
  ...RECIPE,
  output: { width: 64, height: 48 },
  ops: [
    { type: 'random_crop', p: 1, width: 64, height: 48 },
    { type: 'hflip', p: 0.5 },
    { type: 'gamma', p: 1 },
  ],
})

function options(out: string, formats: string[]): ExportRunOptions {
  return {
    sources: folderInputs(data.images, data.masks).sources,
    recipe,
    seed: 9,
    epochs: 3,
    batchSize: 4,
    dropLast: false,
    imageFormat: 'png',
    quality: 90,
    formats,
    formatOptions: { webdataset: { samples: 8 } },
    out,
    workers: 0,
  }
}

/** Bytes free on the tmpfs. */
function free(): number {
  const s = statfsSync(mountPoint)
  return s.bavail * s.bsize
}

beforeAll(async () => {
  data = await makePairs(tmp(), 8, 96, 72)
})

afterAll(() => {
  if (mounted) execFileSync('umount', [mountPoint])
})

const FORMATS: [string, string[], Record<string, string>][] = [
  ['folders (native file batches)', ['folders'], {}],
  ['folders (fs.promises fallback)', ['folders'], { LOCKSTEP_NATIVE_FILES: '0' }],
  ['npy', ['npy'], {}],
  ['webdataset', ['webdataset'], {}],
  ['every format at once', ['folders', 'npy', 'webdataset'], {}],
]
const LEVELS = [0.1, 0.45, 0.8]

describe.skipIf(!mounted)('a full disk (tmpfs)', () => {
  for (const [name, formats, env] of FORMATS) {
    it(`${name}: at ${LEVELS.map((l) => `${l * 100}%`).join(', ')} of the space it needs, stops naming the file, leaves no partial file, resumes to identical bytes`, async () => {
      const saved = { ...process.env }
      Object.assign(process.env, env)
      try {
        // the uninterrupted export, on the tmpfs, to know what it takes there
        const wholeDir = join(mountPoint, 'whole')
        const before = free()
        await runExport(options(wholeDir, formats))
        const needs = before - free()
        const whole = snapshot(wholeDir)
        rmSync(wholeDir, { recursive: true })
        for (const level of LEVELS) {
          const out = join(mountPoint, `out-${level}`)
          mkdirSync(out)
          const ballast = join(mountPoint, 'ballast')
          writeFileSync(ballast, Buffer.alloc(Math.max(0, free() - Math.floor(needs * level))))
          const err = await runExport(options(out, formats)).then(
            () => null,
            (e: { code?: string; message?: string }) => e,
          )
          expect(err, `${name} at ${level}: the export must stop on the full disk`).not.toBeNull()
          expect(err).toMatchObject({ code: 'DISK_FULL', message: expect.stringMatching(new RegExp(`^No space left on device writing ${out}/`)) })
          expect(checkWholeFiles(out, whole), `${name} at ${level}`).toEqual([])
          rmSync(ballast)
          const done = await runExport(options(out, formats))
          expect(done.failedOutputs).toBe(0)
          expect(expectSameFiles(whole, snapshot(out)), `${name} at ${level}: resumed export`).toEqual([])
          rmSync(out, { recursive: true })
        }
      } finally {
        process.env = saved
        execFileSync('sh', ['-c', `rm -rf ${mountPoint}/*`])
      }
    })
  }
})

it.runIf(!mounted)('full-disk tests skipped', () => {
  console.log(`skipped: ${why}`)
})
