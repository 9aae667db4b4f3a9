// The export formats: one registry line each. A format's name, help, options, size estimate,
// writer and reader live in its own module (./writers/<name>.ts); the CLI's help and flags, the
// contract's `export.formats` channel (the Export view's checkboxes and help), estimates, replay
// and merge all read them from here.
import { LockstepError } from '../../shared/errors'
import type { ImageFormat } from '../../shared/contract/vocabulary'
import type { ExportFormatPlugin, FormatOption } from './types'
import { foldersFormat } from './writers/folders'
import { npyFormat } from './writers/npy'
import { webdatasetFormat } from './writers/webdataset'

export const FORMATS: readonly ExportFormatPlugin[] = [foldersFormat, npyFormat, webdatasetFormat]

export function formatNames(): string[] {
  return FORMATS.map((f) => f.name)
}

export function formatPlugin(name: string): ExportFormatPlugin {
  const f = FORMATS.find((x) => x.name === name)
  if (!f) throw new LockstepError('INVALID_INPUT', `Unknown export format ${JSON.stringify(name)}: expected one of ${formatNames().join(', ')}`)
  return f
}

/** The formats asked for, each once, in the order given; an unknown name is an error naming the known ones. */
export function checkFormats(names: readonly string[]): ExportFormatPlugin[] {
  if (names.length === 0) throw new LockstepError('INVALID_INPUT', `No export format given: expected one or more of ${formatNames().join(', ')}`)
  return [...new Set(names)].map(formatPlugin)
}

/** Whether any of the formats wants encoded files and/or raw pixels. */
export function needsOf(names: readonly string[]): { encoded: boolean; raw: boolean } {
  const plugins = checkFormats(names)
  return { encoded: plugins.some((p) => p.needs.encoded), raw: plugins.some((p) => p.needs.raw) }
}

export function bytesPerOutput(size: { width: number; height: number }, names: readonly string[], imageFormat: ImageFormat): number {
  let n = 0
  for (const f of FORMATS) if (names.includes(f.name)) n += f.bytesPerOutput(size, imageFormat)
  return Math.ceil(n)
}

/** Batches per chunk (the unit shards are cut in): what the formats need whole, else 1. */
export function chunkBatchesFor(
  names: readonly string[],
  o: { batchSize: number; imageFormat: ImageFormat; size: { width: number; height: number }; options: Record<string, Record<string, number>> },
): number {
  let chunk = 1
  for (const f of checkFormats(names)) if (f.chunkBatches) chunk = Math.max(chunk, f.chunkBatches({ ...o, options: optionsOf(f, o.options[f.name]) }))
  return chunk
}

function describe(f: ExportFormatPlugin, o: FormatOption): string {
  return `${f.name}: ${o.key} (${o.flag})`
}

/** One format's options with defaults filled in; a value outside its bounds is an error naming it. */
export function optionsOf(f: ExportFormatPlugin, given: Record<string, number> | undefined): Record<string, number> {
  const out: Record<string, number> = {}
  for (const o of f.options) {
    const v = given?.[o.key] ?? o.default
    if (!Number.isInteger(v) || v < o.min || v > o.max) {
      throw new LockstepError('INVALID_INPUT', `Expected ${describe(f, o)} to be an integer in ${o.min}..${o.max} but received ${JSON.stringify(v)}`)
    }
    out[o.key] = v
  }
  for (const k of Object.keys(given ?? {})) {
    if (!f.options.some((o) => o.key === k)) {
      throw new LockstepError(
        'INVALID_INPUT',
        `The ${f.name} format has no option ${JSON.stringify(k)}${f.options.length ? `: expected ${f.options.map((o) => o.key).join(', ')}` : ''}`,
      )
    }
  }
  return out
}

/**
 * Checks formatOptions against the registry (known formats, their own options, in bounds) and
 * returns the options of the export's formats, defaults filled in. Options of a format the export
 * does not write are checked, then unused (a script may pass the same flags to every export).
 */
export function checkFormatOptions(names: readonly string[], given: Record<string, Record<string, number>> = {}): Record<string, Record<string, number>> {
  for (const [name, opts] of Object.entries(given)) optionsOf(formatPlugin(name), opts)
  return Object.fromEntries(checkFormats(names).map((p) => [p.name, optionsOf(p, given[p.name])]))
}

/** What the Export view and `export.formats` show: names, help and options. */
export function formatInfo(): { name: string; help: string; layout: string; options: FormatOption[] }[] {
  return FORMATS.map((f) => ({ name: f.name, help: f.help, layout: f.layout, options: f.options.map((o) => ({ ...o })) }))
}
