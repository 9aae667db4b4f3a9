// The format registry and the one options schema: every registered format reads back exactly what
// its writer wrote; the CLI's help, flags and the contract's `export.formats` come from the
// registry; `lockstep export` and `export.start` accept and refuse the same options with the same
// limits; the --workers auto rule the help states is the rule the code applies.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { parseRecipe } from '../../src/shared/recipe'
import { EXPORT_LIMITS } from '../../src/shared/contract/export'
import { exportCommand, exportOptionsFromArgs } from '../../src/main/cli/commands/export'
import { FORMATS, formatInfo, formatPlugin } from '../../src/main/export/formats'
import { autoWorkers, runExport } from '../../src/main/export/job'
import { folderInputs } from '../../src/main/export/sources'
import { parseExportOptions, prepareExport } from '../../src/main/export/start'
import { npyRow } from '../../src/main/export/writers/npy'
import { tarMembers } from '../../src/main/export/writers/tar'
import { makePairs, RECIPE, tmp } from './helpers'

let data: { images: string; masks: string }
beforeAll(async () => {
  data = await makePairs(tmp(), 7)
})

describe('the format registry', () => {
  it("reads back, for every manifest line, exactly the bytes each format's writer wrote", async () => {
    const out = tmp()
    await runExport({
      sources: folderInputs(data.images, data.masks).sources,
      recipe: parseRecipe(RECIPE),
      seed: 3,
      epochs: 2,
      batchSize: 3,
      dropLast: false,
      imageFormat: 'png',
      quality: 90,
      formats: FORMATS.map((f) => f.name),
      formatOptions: { webdataset: { samples: 6 } },
      out,
      workers: 0,
    })
    const lines = readFileSync(join(out, 'manifest.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(lines).toHaveLength(14)
    for (const line of lines) {
      const folders = await formatPlugin('folders').read(out, line)
      expect(Buffer.from(folders.image!).equals(readFileSync(join(out, line.files.folders.image)))).toBe(true)
      expect(Buffer.from(folders.mask!).equals(readFileSync(join(out, line.files.folders.mask)))).toBe(true)
      // the webdataset members are the folders files, byte for byte, and the JSON names the sample
      const wds = await formatPlugin('webdataset').read(out, line)
      expect(Buffer.from(wds.image!).equals(Buffer.from(folders.image!))).toBe(true)
      expect(Buffer.from(wds.mask!).equals(Buffer.from(folders.mask!))).toBe(true)
      expect(JSON.parse(Buffer.from(wds.json!).toString())).toMatchObject({ epoch: line.epoch, batch: line.batch, index: line.index, sampleId: line.sampleId })
      // the npy rows: the row the line names, 32x24x3 and 32x24
      const npy = await formatPlugin('npy').read(out, line)
      expect(npy.x!.byteLength).toBe(32 * 24 * 3)
      expect(Buffer.from(npy.x!).equals(Buffer.from(npyRow(readFileSync(join(out, line.files.npy.x)), 'x', line.files.npy.row)))).toBe(true)
      expect(npy.y!.byteLength).toBe(32 * 24)
    }
    // a tar member that is missing is named
    const tar = lines[0].files.webdataset.tar
    expect([...tarMembers(readFileSync(join(out, tar)), tar)].length).toBe(6 * 3)
    await expect(formatPlugin('webdataset').read(out, { ...lines[0], files: { webdataset: { tar, key: 'e9999_b000000_i0000' } } })).rejects.toThrow(
      /lacks the members of e9999_b000000_i0000/,
    )
  })

  it('gives the CLI its help and flags and the contract its format list, from one place', () => {
    for (const f of FORMATS) {
      expect(exportCommand.help).toContain(f.layout)
      for (const o of f.options) expect(exportCommand.help).toContain(o.flag)
    }
    expect(exportCommand.help).toContain(`--format LIST            ${FORMATS.map((f) => f.name).join(',')}`)
    expect(formatInfo().map((f) => [f.name, f.help])).toEqual(FORMATS.map((f) => [f.name, f.help]))
    expect(() => formatPlugin('csv')).toThrow('Unknown export format "csv": expected one of folders, npy, webdataset')
  })
})

describe('one options schema for the CLI and the contract', () => {
  const base = { recipe: { json: RECIPE }, out: '/tmp/x' }
  const cli = (...extra: string[]) => {
    const v: Record<string, unknown> = { recipe: undefined, 'recipe-version': '1', out: '/tmp/x' }
    for (let i = 0; i < extra.length; i += 2) v[extra[i].slice(2)] = extra[i + 1]
    return exportOptionsFromArgs(v)
  }

  it('turns the command line into the contract options the studio sends', () => {
    const fromCli = cli(
      '--seed',
      '4',
      '--epochs',
      '3',
      '--batch-size',
      '8',
      '--format',
      'npy,webdataset',
      '--wds-samples',
      '64',
      '--workers',
      '2',
      '--memory',
      '512',
      '--image-format',
      'png',
    )
    const fromContract = parseExportOptions({
      recipe: { versionId: 1 },
      out: '/tmp/x',
      seed: 4,
      epochs: 3,
      batchSize: 8,
      formats: ['npy', 'webdataset'],
      formatOptions: { webdataset: { samples: 64 } },
      workers: 2,
      memoryMb: 512,
      imageFormat: 'png',
    })
    expect(fromCli).toEqual(fromContract)
  })

  it('refuses the same values with the same limits, naming the flag or the field', () => {
    const cases: [string[], Record<string, unknown>, RegExp][] = [
      [['--workers', '1000'], { workers: 1000 }, new RegExp(`must be ≤ ${EXPORT_LIMITS.workers} but received 1000 \\(render threads`)],
      [['--memory', '100000'], { memoryMb: 100000 }, /must be ≤ 65536 but received 100000 \(MiB\)/],
      [['--memory', '8'], { memoryMb: 8 }, /must be ≥ 16 but received 8/],
      [['--quality', '101'], { quality: 101 }, /must be ≤ 100 but received 101/],
      [['--epochs', '0'], { epochs: 0 }, /must be ≥ 1 but received 0/],
    ]
    for (const [flags, field, message] of cases) {
      expect(() => cli(...flags)).toThrow(message)
      expect(() => cli(...flags)).toThrow(new RegExp(`lockstep export: ${flags[0]} must`))
      expect(() => parseExportOptions({ ...base, ...field })).toThrow(message)
      expect(() => parseExportOptions({ ...base, ...field })).toThrow(new RegExp(`${Object.keys(field)[0]}: must`))
    }
    expect(() => cli('--workers', 'many')).toThrow('--workers must be an integer ≥ 0 but received "many"')
    expect(() => cli('--seed', '')).toThrow('--seed must be an integer ≥ 0 but received ""')
  })

  it('checks what a schema cannot: the formats, their options, the output size, the memory of this machine', () => {
    const source = { images: data.images, masks: data.masks }
    const prep = (o: Record<string, unknown>, recipe: unknown = RECIPE) =>
      prepareExport(parseExportOptions({ ...base, recipe: { json: recipe }, ...o }), source)
    expect(() => prep({ formats: ['folders', 'csv'] })).toThrow('Unknown export format "csv"')
    expect(() => prep({ formats: ['webdataset'], formatOptions: { webdataset: { samples: 0 } } })).toThrow(
      'Expected webdataset: samples (--wds-samples) to be an integer in 1..10000000 but received 0',
    )
    expect(() => prep({ formats: ['webdataset'], formatOptions: { webdataset: { tars: 3 } } })).toThrow(
      'The webdataset format has no option "tars": expected samples, megabytes',
    )
    const huge = { ...RECIPE, output: { width: 16384, height: 16384 }, ops: [] }
    expect(() => prep({}, huge)).toThrow(/output is 16384x16384 \(268 Mpx\); an export output may have at most 67 Mpx/)
    expect(() => prep({ memoryMb: 65536 })).toThrow(/more than this machine can give an export/)
    expect(() => prep({ out: 'relative' })).toThrow(/absolute path/)
    expect(prep({}).estimate()).toMatchObject({ samples: 7, outputs: 7, batches: 1 })
  })
})

describe('--workers auto', () => {
  it('is the rule its help states: inline when every op declares its render light and each source yields one output, whatever the formats (npy included)', () => {
    expect(exportCommand.help).toMatch(
      /auto \(default\): 0 when every op declares its render light .* each source yields one output .* whatever the formats; else 2/s,
    )
    const light = parseRecipe(RECIPE)
    expect(autoWorkers(light, false)).toBe(0)
    expect(autoWorkers(light, true)).toBe(2)
    const general = parseRecipe({ ...RECIPE, ops: [...RECIPE.ops, { type: 'rotate', p: 1 }] })
    expect(autoWorkers(general, false)).toBe(2)
  })
})
