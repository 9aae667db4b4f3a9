// The native kernels (native/decoders) built with AddressSanitizer and UndefinedBehaviorSanitizer
// and run, without Node, by native/decoders/test/sanitize.c on generated, corrupted and cut-short
// inputs: any out-of-bounds access, leak or undefined behaviour fails this test with the
// sanitizer's report. Needs gcc and the libjpeg-turbo and zlib headers (as the addon does); where
// they are missing it says so and skips, and CI (LOCKSTEP_REQUIRE_NATIVE=1) fails instead.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { buildSanitized, canBuildNative as canBuild, runSanitized } from './sanitized-build'

const dir = mkdtempSync(join(tmpdir(), 'lockstep-sanitize-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
if (!canBuild) console.log('native sanitizer test skipped: needs gcc and the libjpeg-turbo and zlib headers')

it.skipIf(!canBuild && process.env.LOCKSTEP_REQUIRE_NATIVE !== '1')(
  'native kernels run clean under ASan and UBSan on generated, corrupted and cut-short inputs',
  () => {
    const exe = join(dir, 'sanitize')
    const cc = buildSanitized(exe, ['test/sanitize.c', 'jpeg.c', 'png_labels.c', 'files.c'])
    expect(cc.status, cc.stderr).toBe(0)
    const run = runSanitized(exe, [dir])
    expect(run.stderr, 'sanitizer report').toBe('')
    expect(run.status).toBe(0)
    expect(run.stdout).toMatch(/^ok \d{4,}\n$/)
  },
  60_000,
)
