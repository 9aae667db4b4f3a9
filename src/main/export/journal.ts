// The export folder's record: export.json (what determines the bytes) and manifest.jsonl, the
// journal (one line per output, in output order, written only once every writer has that output
// durably on disk). Opening a folder either starts a fresh export or resumes the same one after
// its last complete line; a folder holding another export is refused.
import { createHash } from 'node:crypto'
import { promises as fsp } from 'node:fs'
import { join } from 'node:path'
import { LockstepError } from '../../shared/errors'
import type { Recipe } from '../../shared/recipe'
import { ENCODERS_VERSION } from '../io/image'
import { ensureDir, forgetMadeDirs, ioError, readError, removePartials, writeAtomic } from './files'
import type { Normalization } from './normalize'
import type { ExportOrder } from './order'
import type { SourcePair } from './types'

export const LOCKSTEP_VERSION = process.env.LOCKSTEP_VERSION ?? '0.1.0'
export const EXPORT_SCHEMA = 'lockstep.export/1'

/** What export.json records: the options that shape the bytes. */
export interface DescriptorInputs {
  recipe: Recipe
  recipeVersionId?: number | null
  seed: number
  epochs: number
  batchSize: number
  stepsPerEpoch?: number
  dropLast: boolean
  imageFormat: string
  quality: number
  formats: string[]
  shard?: { index: number; count: number }
  classes?: unknown
  stats?: { mean: number[]; std: number[] } | null
  sourceInfo?: Record<string, unknown>
  normalize?: Normalization | null
}

export function stableJson(x: unknown): string {
  return JSON.stringify(x, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, (v as Record<string, unknown>)[k]]),
        )
      : v,
  )
}

/** The export.json document: everything that determines the bytes, nothing that does not (no time, no worker count). */
export function exportDescriptor(o: DescriptorInputs, sources: SourcePair[], order: ExportOrder): Record<string, unknown> {
  const list = createHash('sha256')
  for (const s of sources) list.update(`${s.key}\u0000${s.imagePath}\u0000${s.maskPath}\u0000${s.imageHash ?? ''}\u0000${s.maskHash ?? ''}\n`)
  return {
    schema: EXPORT_SCHEMA,
    lockstep: LOCKSTEP_VERSION,
    encoders: ENCODERS_VERSION,
    recipe: o.recipe,
    recipeVersionId: o.recipeVersionId ?? null,
    seed: o.seed,
    options: {
      epochs: o.epochs,
      batchSize: o.batchSize,
      stepsPerEpoch: o.stepsPerEpoch ?? null,
      dropLast: o.dropLast,
      imageFormat: o.imageFormat,
      quality: o.quality,
      formats: [...o.formats].sort(),
      shard: o.shard ?? null,
    },
    order: {
      samples: sources.length,
      outputsPerEpoch: order.shape.length,
      batchesPerEpoch: order.shape.batches,
      totalOutputs: order.shape.length * o.epochs,
      batchesPerTar: o.formats.includes('webdataset') ? order.chunkBatches : null,
      shardOrdinals: [order.first, order.end],
    },
    classes: o.classes ?? null,
    featurewise: o.stats ?? null,
    // only when set: export.json of exports without it stays as it was (a resume compares it)
    ...(o.normalize ? { normalize: o.normalize } : {}),
    sources: { count: sources.length, listSha256: list.digest('hex'), ...(o.sourceInfo ?? {}) },
  }
}

/** Reads the journal: complete lines only (a torn last line is cut off). */
export async function readJournal(path: string): Promise<{ lines: string[]; validBytes: number } | null> {
  let text: string
  try {
    text = await fsp.readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw readError(err, path)
  }
  const lines: string[] = []
  let pos = 0
  for (;;) {
    const nl = text.indexOf('\n', pos)
    if (nl < 0) break
    const line = text.slice(pos, nl)
    try {
      JSON.parse(line)
    } catch {
      break
    }
    lines.push(line)
    pos = nl + 1
  }
  return { lines, validBytes: Buffer.byteLength(text.slice(0, pos)) }
}

async function readDescriptor(path: string): Promise<string | null> {
  try {
    return await fsp.readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw readError(err, path)
  }
}

function sameDescriptor(a: string, b: string): boolean {
  try {
    return stableJson(JSON.parse(a)) === stableJson(JSON.parse(b))
  } catch {
    return false
  }
}

/** A line waiting for its outputs to be durable; its files records may still be completed by a writer. */
type Pending = Record<string, unknown>

export class Journal {
  private readonly pending: Pending[] = []
  private constructor(
    readonly path: string,
    private readonly handle: fsp.FileHandle,
    private pos: number,
    /** The complete lines an earlier run left (a resume starts after them). */
    readonly previous: string[],
    /** The ordinal after the last journaled output. */
    private journaled: number,
    private readonly end: number,
  ) {
    this.first = journaled
  }
  private readonly first: number

  /** Outputs an earlier run journaled. */
  get resumed(): number {
    return this.previous.length
  }

  /** The first ordinal this run writes. */
  get start(): number {
    return this.first
  }

  /**
   * Opens `out` for the export described by `descriptor`: a fresh folder gets export.json and an
   * empty journal; the same export's folder resumes after its last complete line (leftover
   * temporary files are deleted); any other export's folder is refused.
   */
  static async open(out: string, descriptor: Record<string, unknown>, order: ExportOrder): Promise<Journal> {
    forgetMadeDirs()
    await ensureDir(out)
    const descriptorText = JSON.stringify(descriptor, null, 2) + '\n'
    const descPath = join(out, 'export.json')
    const path = join(out, 'manifest.jsonl')
    const previous = await readDescriptor(descPath)
    let journal = await readJournal(path)
    if (previous !== null) {
      if (!sameDescriptor(previous, descriptorText)) {
        throw new LockstepError(
          'INVALID_INPUT',
          `${out} already holds a different export (its export.json differs: another recipe, seed, options or source set); choose an empty folder or the same options to resume`,
        )
      }
    } else if (journal && journal.lines.length > 0) {
      throw new LockstepError('INVALID_INPUT', `${path} exists without export.json: ${out} is not a folder this export can resume; choose an empty folder`)
    } else {
      await writeAtomic(descPath, Buffer.from(descriptorText))
      journal = null
    }
    await removePartials(out)
    const lines = journal?.lines ?? []
    if (lines.length > order.length)
      throw new LockstepError('INVALID_INPUT', `${path} has ${lines.length} lines but this export has only ${order.length} outputs`)
    let handle: fsp.FileHandle
    try {
      handle = await fsp.open(path, journal ? 'r+' : 'w')
      if (journal) await handle.truncate(journal.validBytes)
    } catch (err) {
      throw ioError(err, path)
    }
    return new Journal(path, handle, journal?.validBytes ?? 0, lines, order.first + lines.length, order.end)
  }

  /** Outputs written (lines without an error) among the earlier run's lines of ordinals [from, start). */
  writtenSince(from: number): number {
    let n = 0
    for (let i = Math.max(0, from - (this.first - this.previous.length)); i < this.previous.length; i++) {
      if (!(JSON.parse(this.previous[i]) as { error?: unknown }).error) n++
    }
    return n
  }

  /** Lines in the manifest: the earlier run's and this run's. */
  get count(): number {
    return this.journaled - (this.first - this.previous.length)
  }

  /** Queues the line of the next output (in output order). */
  add(line: Pending): void {
    this.pending.push(line)
  }

  /**
   * Writes the queued lines of outputs before `upTo` (every writer has them on disk). Unless
   * forced, waits until 16 lines are ready or the export's end is reached (fewer, larger writes).
   */
  async flush(upTo: number, force: boolean): Promise<void> {
    const n = Math.min(upTo - this.journaled, this.pending.length)
    if (n <= 0) return
    if (!force && n < 16 && upTo < this.end) return
    const text = Buffer.from(
      this.pending
        .splice(0, n)
        .map((l) => JSON.stringify(l) + '\n')
        .join(''),
    )
    try {
      for (let off = 0; off < text.byteLength;) {
        const { bytesWritten } = await this.handle.write(text, off, text.byteLength - off, this.pos + off)
        if (bytesWritten <= 0) throw Object.assign(new Error('the write made no progress'), { code: 'EIO' })
        off += bytesWritten
      }
    } catch (err) {
      // a line cut short by a full disk is taken back: the journal holds whole lines only
      await this.handle.truncate(this.pos).catch(() => {})
      throw ioError(err, this.path)
    }
    this.pos += text.byteLength
    this.journaled += n
  }

  async sync(): Promise<void> {
    try {
      await this.handle.sync()
    } catch (err) {
      throw ioError(err, this.path)
    }
  }

  async close(): Promise<void> {
    await this.handle.close().catch(() => {})
  }
}
