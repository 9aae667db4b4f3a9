// `lockstep merge`: checks the folders of an export run as shards (`--shard i/n`, one process or
// machine each) and assembles them into the single-machine export. Checked: every folder holds the
// same export (export.json equal but for the shard), each shard index once (no overlap), every
// index present (no gap), each shard complete (its manifest holds exactly its ordinals), and every
// output's bytes in every format against the sha256 its manifest line records. Then the shards'
// files are linked (or copied) into one folder with one manifest and export.json: byte for byte
// the export one process would have written.
import { createHash } from 'node:crypto'
import { promises as fsp } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { LockstepError } from '../../shared/errors'
import { ensureDir, FileCache, ioError, readError, writeAtomic } from './files'
import { formatPlugin } from './formats'
import { readJournal, stableJson } from './journal'
import { ExportOrder } from './order'
import type { OutputRecord, ReadBack } from './types'

interface Descriptor {
  options: {
    epochs: number
    batchSize: number
    stepsPerEpoch: number | null
    dropLast: boolean
    formats: string[]
    shard: { index: number; count: number } | null
  }
  seed: number
  order: { samples: number; batchesPerTar: number | null; shardOrdinals: [number, number] | null; totalOutputs: number }
  [k: string]: unknown
}

interface Shard {
  dir: string
  desc: Descriptor
  index: number
  count: number
  lines: string[]
  range: [number, number]
}

export interface MergeReport {
  shards: number
  outputs: number
  /** Lines whose files were checked against recorded sha256 (old manifests have none). */
  hashed: number
  problems: string[]
  /** Files linked or copied into the merged folder. */
  files: number
  out: string | null
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

/** export.json less what differs between the shards of one export. */
function identity(desc: Descriptor): string {
  return stableJson({ ...desc, options: { ...desc.options, shard: null }, order: { ...desc.order, shardOrdinals: null } })
}

async function readShard(dir: string, problems: string[]): Promise<Shard | null> {
  const path = join(dir, 'export.json')
  let desc: Descriptor
  try {
    desc = JSON.parse(await fsp.readFile(path, 'utf8')) as Descriptor
  } catch (err) {
    problems.push(
      `${dir}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no export.json: not an export folder' : `export.json is unreadable (${(err as Error).message})`}`,
    )
    return null
  }
  const journal = await readJournal(join(dir, 'manifest.jsonl'))
  const shard = desc.options?.shard ?? { index: 0, count: 1 }
  return { dir, desc, index: shard.index, count: shard.count, lines: journal?.lines ?? [], range: rangeOf(desc, shard) }
}

/** The ordinals [first, end) of shard i/n of the export export.json describes. */
function rangeOf(desc: Descriptor, shard: { index: number; count: number }): [number, number] {
  const order = new ExportOrder({
    samples: desc.order.samples,
    seed: desc.seed,
    epochs: desc.options.epochs,
    batchSize: desc.options.batchSize,
    stepsPerEpoch: desc.options.stepsPerEpoch ?? undefined,
    dropLast: desc.options.dropLast,
    shard,
    chunkBatches: desc.order.batchesPerTar ?? 1,
  })
  return [order.first, order.end]
}

/** Every output's bytes in every format against its line's sha256 (and the format's own members against its files record). */
async function checkFiles(s: Shard, problems: string[]): Promise<number> {
  const cache = new FileCache()
  const formats = s.desc.options.formats
  let hashed = 0
  for (let k = 0; k < s.lines.length; k++) {
    const line = JSON.parse(s.lines[k]) as OutputRecord & { error?: unknown; sha256?: Record<string, string> }
    if (line.error) continue
    const where = `${s.dir}/manifest.jsonl line ${k + 1} (${line.sampleId}, epoch ${line.epoch})`
    if (line.sha256) hashed++
    for (const name of formats) {
      let got: ReadBack
      try {
        got = await formatPlugin(name).read(s.dir, line, cache)
      } catch (err) {
        problems.push(`${where}: ${name}: ${(err as Error).message}`)
        continue
      }
      const own = line.files?.[name] as { jsonSha256?: string } | undefined
      const want = { ...(line.sha256 ?? {}), ...(own?.jsonSha256 ? { json: own.jsonSha256 } : {}) } as Record<string, string | undefined>
      for (const part of ['image', 'mask', 'x', 'y', 'json'] as const) {
        const bytes = got[part]
        const expected = want[part]
        if (!bytes || !expected) continue
        if (sha256(bytes) === expected) continue
        // a row of a batch widened to uint16 by another 16-bit mask: its 8-bit labels, narrowed back
        if (part === 'y' && bytes.byteLength % 2 === 0 && sha256(narrow(bytes)) === expected) continue
        problems.push(`${where}: ${name} ${part} (${describeFiles(name, line)}) differs from the sha256 its line records`)
      }
    }
  }
  return hashed
}

function narrow(le16: Uint8Array): Uint8Array {
  const out = new Uint8Array(le16.byteLength / 2)
  for (let i = 0; i < out.length; i++) {
    if (le16[2 * i + 1] !== 0) return new Uint8Array(0)
    out[i] = le16[2 * i]
  }
  return out
}

function describeFiles(name: string, line: OutputRecord): string {
  const f = (line.files?.[name] ?? {}) as Record<string, unknown>
  return Object.entries(f)
    .filter(([k, v]) => typeof v === 'string' && !k.endsWith('Sha256'))
    .map(([, v]) => v)
    .concat(typeof f.row === 'number' ? [`row ${f.row}`] : [])
    .join(', ')
}

/** Every file under dir but the record (export.json, manifest.jsonl), relative. */
async function dataFiles(dir: string): Promise<string[]> {
  const out: string[] = []
  const walk = async (d: string): Promise<void> => {
    for (const e of await fsp.readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name)
      if (e.isDirectory()) await walk(p)
      else if (d !== dir || (e.name !== 'export.json' && e.name !== 'manifest.jsonl')) out.push(relative(dir, p))
    }
  }
  await walk(dir)
  return out
}

async function place(from: string, to: string, copy: boolean): Promise<void> {
  await ensureDir(resolve(to, '..'))
  try {
    if (!copy) {
      try {
        await fsp.link(from, to)
        return
      } catch (err) {
        if (!['EXDEV', 'EPERM', 'EMLINK', 'ENOTSUP'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err
      }
    }
    await fsp.copyFile(from, to)
  } catch (err) {
    throw ioError(err, to)
  }
}

/**
 * Checks `dirs` (the shard folders of one export, in any order) and, when all is well and `out`
 * is given, assembles them into `out` (new or empty): files hard-linked (copied across devices or
 * with `copy`), one manifest, one export.json. Problems are returned, each naming what is wrong.
 */
export async function mergeShards(dirs: string[], out: string | null, o: { copy?: boolean } = {}): Promise<MergeReport> {
  const problems: string[] = []
  const shards = (await Promise.all(dirs.map((d) => readShard(resolve(d), problems)))).filter((s): s is Shard => s !== null)
  const report: MergeReport = { shards: shards.length, outputs: 0, hashed: 0, problems, files: 0, out: null }
  if (!shards.length) return report
  const first = shards[0]
  for (const s of shards.slice(1)) {
    if (identity(s.desc) !== identity(first.desc))
      problems.push(`${s.dir} holds another export than ${first.dir} (their export.json differ besides the shard: recipe, seed, options or sources)`)
    if (s.count !== first.count) problems.push(`${s.dir} is shard ${s.index}/${s.count} but ${first.dir} is shard ${first.index}/${first.count}: not one split`)
  }
  if (problems.length) return report
  const n = first.count
  const byIndex = new Map<number, Shard>()
  for (const s of shards) {
    const other = byIndex.get(s.index)
    if (other) problems.push(`shard ${s.index}/${n} is in both ${other.dir} and ${s.dir} (overlap: outputs ${s.range[0]}..${s.range[1] - 1} twice)`)
    else byIndex.set(s.index, s)
  }
  const total = first.desc.order.totalOutputs
  for (let i = 0; i < n; i++) {
    if (byIndex.has(i)) continue
    const [a, b] = rangeOf(first.desc, { index: i, count: n })
    problems.push(`shard ${i}/${n} is missing (gap: outputs ${a}..${b - 1} are in no folder given)`)
  }
  const ordered = [...byIndex.values()].sort((a, b) => a.index - b.index)
  for (const s of ordered) {
    const [a, b] = s.range
    if (s.lines.length !== b - a)
      problems.push(
        `${s.dir} (shard ${s.index}/${n}) is incomplete: ${s.lines.length} of its ${b - a} outputs are journaled; run its export again to finish it`,
      )
    s.lines.forEach((l, k) => {
      const ordinal = (JSON.parse(l) as { ordinal?: number }).ordinal
      if (ordinal !== a + k) problems.push(`${s.dir}/manifest.jsonl line ${k + 1} has ordinal ${ordinal}, expected ${a + k}`)
    })
    report.hashed += await checkFiles(s, problems)
    report.outputs += s.lines.length
  }
  if (!problems.length && report.outputs !== total) problems.push(`the shards hold ${report.outputs} outputs, the export has ${total}`)
  if (problems.length || !out) return report
  report.out = await assemble(ordered, resolve(out), first.desc, total, !!o.copy, report)
  return report
}

const exists = (p: string) =>
  fsp.stat(p).then(
    () => true,
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return false
      throw readError(err, p)
    },
  )

async function assemble(shards: Shard[], out: string, desc: Descriptor, total: number, copy: boolean, report: MergeReport): Promise<string> {
  await ensureDir(out)
  // `out` may hold other things (the shard folders themselves, as deploy/merge.sh lays them out),
  // but nothing the export writes: every name is checked before a file is placed
  const files = (await Promise.all(shards.map(async (s) => (await dataFiles(s.dir)).map((rel) => ({ from: join(s.dir, rel), rel }))))).flat()
  for (const rel of ['export.json', 'manifest.jsonl', ...files.map((f) => f.rel)]) {
    if (await exists(join(out, rel)))
      throw new LockstepError('INVALID_INPUT', `${join(out, rel)} exists: merge into a folder that holds no export (nothing was placed)`)
  }
  for (const f of files) {
    await place(f.from, join(out, f.rel), copy)
    report.files++
  }
  // the single-machine export's record: no shard, every ordinal
  const whole = { ...desc, options: { ...desc.options, shard: null }, order: { ...desc.order, shardOrdinals: [0, total] } }
  await writeAtomic(join(out, 'manifest.jsonl'), Buffer.from(shards.flatMap((s) => s.lines.map((l) => l + '\n')).join('')))
  await writeAtomic(join(out, 'export.json'), Buffer.from(JSON.stringify(whole, null, 2) + '\n'))
  return out
}
