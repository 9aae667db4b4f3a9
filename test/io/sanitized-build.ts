// Builds a test program of the native kernels (native/decoders) with AddressSanitizer and
// UndefinedBehaviorSanitizer, and runs it: the sanitizer test and the fuzzer share these steps.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'

export const NATIVE_SRC = join(import.meta.dirname, '..', '..', 'native', 'decoders')

/** gcc and the libjpeg-turbo and zlib headers are there (as the addon's build needs). */
export const canBuildNative = spawnSync('gcc', ['--version']).status === 0 && existsSync('/usr/include/jpeglib.h') && existsSync('/usr/include/zlib.h')

/** Compiles `sources` (relative to native/decoders) into `exe`, warnings as errors; gcc's result. */
export function buildSanitized(exe: string, sources: string[], flags: string[] = []): SpawnSyncReturns<string> {
  return spawnSync(
    'gcc',
    [
      '-std=c11',
      '-D_DEFAULT_SOURCE',
      ...flags,
      '-g',
      '-O1',
      '-fsanitize=address,undefined',
      '-fno-sanitize-recover=all',
      '-Wall',
      '-Wextra',
      '-Werror',
      '-o',
      exe,
      ...sources.map((f) => join(NATIVE_SRC, f)),
      '-ljpeg',
      '-lz',
      '-lm',
    ],
    { encoding: 'utf8' },
  )
}

/** Runs a sanitized program: leaks detected, UB reported with a stack trace. */
export function runSanitized(exe: string, args: string[], options: { cwd?: string; timeout?: number } = {}): SpawnSyncReturns<string> {
  return spawnSync(exe, args, { encoding: 'utf8', ...options, env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1', UBSAN_OPTIONS: 'print_stacktrace=1' } })
}
