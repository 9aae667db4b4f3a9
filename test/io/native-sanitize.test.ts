// The native kernels (native/decoders) built with AddressSanitizer and UndefinedBehaviorSanitizer
// and run, without Node, by native/decoders/test/sanitize.c on generated, corrupted and cut-short
// inputs: any out-of-bounds access, leak or undefined behaviour fails this test with the
// sanitizer's report. Needs gcc and the libjpeg-turbo and zlib headers (as the addon does); where
// they are missing it says so and skips, and CI (LOCKSTEP_REQUIRE_NATIVE=1) fails instead.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'

const src = join(import.meta.dirname, '..', '..', 'native', 'decoders')
const dir = mkdtempSync(join(tmpdir(), 'lockstep-sanitize-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const canBuild = spawnSync('gcc', ['--version']).status === 0 && existsSync('/usr/include/jpeglib.h') && existsSync('/usr/include/zlib.h')
if (!canBuild) console.log('native sanitizer test skipped: needs gcc and the libjpeg-turbo and zlib headers')

it.skipIf(!canBuild && process.env.LOCKSTEP_REQUIRE_NATIVE !== '1')(
  'native kernels run clean under ASan and UBSan on generated, corrupted and cut-short inputs',
  () => {
    const exe = join(dir, 'sanitize')
    const sources = ['test/sanitize.c', 'jpeg.c', 'png_labels.c', 'files.c'].map((f) => join(src, f))
    const cc = spawnSync(
      'gcc',
      [
        '-std=c11',
        '-D_DEFAULT_SOURCE',
        '-g',
        '-O1',
        '-fsanitize=address,undefined',
        '-fno-sanitize-recover=all',
        '-Wall',
        '-Wextra',
        '-Werror',
        '-o',
        exe,
        ...sources,
        '-ljpeg',
        '-lz',
      ],
      { encoding: 'utf8' },
    )
    expect(cc.status, cc.stderr).toBe(0)
    const run = spawnSync(exe, [dir], { encoding: 'utf8', env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1', UBSAN_OPTIONS: 'print_stacktrace=1' } })
    expect(run.stderr, 'sanitizer report').toBe('')
    expect(run.status).toBe(0)
    expect(run.stdout).toMatch(/^ok \d{4,}\n$/)
  },
  60_000,
)
