// `webdataset`: .tar shards of whole batches, webdataset/NNNNNN.tar, each sample as three members
// KEY.<ext> (image), KEY.mask.png (labels) and KEY.json (plan and source), KEY = eEEEE_bBBBBBB_iIIII
// (no dots: WebDataset splits a member name at its first dot). A shard holds `chunkBatches`
// consecutive batches of the whole export (about --wds-samples samples or --wds-bytes bytes), so
// its name and bytes are the same in a sharded and an unsharded export.
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { LockstepError } from '../../../shared/errors'
import { AtomicFile, NO_CACHE } from '../files'
import type { Slot } from '../order'
import { encodedBytes, pad, type ExportFormatPlugin, type RenderedOutput, type ResumeFrom, type Writer, type WriterContext } from '../types'
import { TAR_END, tarMember, tarMembers, tarPrefixLength } from './tar'

export function wdsKey(epoch: number, batch: number, index: number): string {
  return `e${pad(epoch, 4)}_b${pad(batch, 6)}_i${pad(index, 4)}`
}

export function tarName(chunk: number): string {
  return `webdataset/${pad(chunk, 6)}.tar`
}

export class WebDatasetWriter implements Writer {
  readonly format = 'webdataset' as const
  readonly needs = { encoded: true, raw: false }
  private file: AtomicFile | null = null
  private chunk = -1
  private done = 0
  private pendingEnd = 0
  constructor(private readonly ctx: WriterContext) {}

  get committed(): number {
    return this.done
  }

  /** A start inside a tar's batches reopens that tar and keeps its first samples (the journal says how many). */
  async begin(from: ResumeFrom): Promise<void> {
    this.done = this.pendingEnd = from.start
    const { order } = this.ctx
    if (from.start >= order.end) return
    const s = order.slot(from.start)
    const chunk = Math.floor((s.epoch * order.shape.batches + s.batch) / order.chunkBatches)
    const chunkStart = Math.max(order.first, order.batchStart(chunk * order.chunkBatches))
    const samples = from.written(chunkStart)
    if (samples === 0) return
    const path = join(this.ctx.outDir, tarName(chunk))
    this.file = await AtomicFile.continuing(path, path, await tarPrefixLength(path, samples * 3, tarName(chunk)))
    this.chunk = chunk
  }

  async write(o: RenderedOutput): Promise<Record<string, unknown>> {
    if (!o.image || !o.mask) throw new LockstepError('INTERNAL', `webdataset writer: output ${o.slot.ordinal} has no encoded image/mask`)
    const { order } = this.ctx
    const { slot } = o
    const g = slot.epoch * order.shape.batches + slot.batch
    const chunk = Math.floor(g / order.chunkBatches)
    if (chunk !== this.chunk) {
      if (this.file) await this.close()
      this.chunk = chunk
      this.file = await AtomicFile.open(join(this.ctx.outDir, tarName(chunk)))
    }
    const key = wdsKey(slot.epoch, slot.batch, slot.index)
    const json = Buffer.from(
      JSON.stringify({
        epoch: slot.epoch,
        batch: slot.batch,
        index: slot.index,
        sampleId: o.source.key,
        source: { image: o.source.imagePath, mask: o.source.maskPath, imageSha256: o.hashes.image, maskSha256: o.hashes.mask },
        plan: o.plan,
      }),
    )
    await this.file!.write(...tarMember(`${key}.${this.ctx.imageExt}`, o.image), ...tarMember(`${key}.mask.png`, o.mask), ...tarMember(`${key}.json`, json))
    this.pendingEnd = slot.ordinal + 1
    const lastOfBatch = slot.index === order.batchSize(slot.batch) - 1
    const lastOfChunk = lastOfBatch && ((g + 1) % order.chunkBatches === 0 || g + 1 === order.totalBatches)
    if (lastOfChunk) await this.close()
    // the member only this format holds: its hash in the files record (merge checks it)
    return { tar: tarName(chunk), key, jsonSha256: createHash('sha256').update(json).digest('hex') }
  }

  async skip(slot: Slot): Promise<void> {
    const { order } = this.ctx
    const g = slot.epoch * order.shape.batches + slot.batch
    this.pendingEnd = slot.ordinal + 1
    const lastOfChunk = slot.index === order.batchSize(slot.batch) - 1 && ((g + 1) % order.chunkBatches === 0 || g + 1 === order.totalBatches)
    if (lastOfChunk) {
      if (this.file) await this.close()
      else this.done = this.pendingEnd
    }
  }

  private async close(): Promise<void> {
    const f = this.file!
    this.file = null
    await f.write(TAR_END)
    await f.commit()
    this.done = this.pendingEnd
  }

  async end(): Promise<void> {
    // A shard always ends on a chunk boundary, so nothing is left open after a complete run.
    if (this.file) await this.close()
  }

  /** Closes the tar in progress early (a valid, shorter shard), so every sample handed over is on disk; discards it if even that fails. */
  async abort(): Promise<void> {
    if (!this.file) {
      // everything handed over since the last tar closed failed: nothing to write, nothing lost
      this.done = this.pendingEnd
      return
    }
    try {
      await this.close()
    } catch {
      const f = this.file
      this.file = null
      await f?.discard()
    }
  }
}

/** Batches per webdataset tar: about `samples` samples, at most about `bytes` bytes. */
export function tarChunkBatches(batchSize: number, samples: number, bytes: number, bytesPerSample: number): number {
  const bySamples = Math.max(1, Math.round(samples / batchSize))
  const byBytes = Math.max(1, Math.floor(bytes / Math.max(1, bytesPerSample * batchSize)))
  return Math.min(bySamples, byBytes)
}

export const webdatasetFormat: ExportFormatPlugin = {
  name: 'webdataset',
  help: 'WebDataset .tar shards of whole batches (KEY.<ext>, KEY.mask.png, KEY.json per sample)',
  layout: 'webdataset/NNNNNN.tar with KEY.<ext>, KEY.mask.png, KEY.json (KEY = eEEEE_bBBBBBB_iIIII)',
  needs: { encoded: true, raw: false },
  options: [
    { key: 'samples', flag: '--wds-samples', help: 'about N samples per tar (whole batches)', min: 1, max: 10_000_000, default: 1000 },
    { key: 'megabytes', flag: '--wds-mb', help: 'at most about N MiB per tar', min: 1, max: 1_048_576, default: 1024 },
  ],
  bytesPerOutput: (size, imageFormat) => {
    const px = size.width * size.height
    return encodedBytes(px, imageFormat) + px * 0.1 + 1536 + 1024
  },
  chunkBatches: (o) =>
    tarChunkBatches(o.batchSize, o.options.samples, o.options.megabytes * 2 ** 20, Math.ceil(webdatasetFormat.bytesPerOutput(o.size, o.imageFormat))),
  create: (ctx) => new WebDatasetWriter(ctx),
  read: async (outDir, record, cache) => {
    const f = record.files?.webdataset as { tar?: string; key?: string } | undefined
    if (!f?.tar || !f.key)
      throw new LockstepError('INVALID_INPUT', `The manifest line of ${record.sampleId} (epoch ${record.epoch}) names no webdataset member`)
    const tar = await (cache ?? NO_CACHE).get(join(outDir, f.tar))
    const got: Record<string, Uint8Array> = {}
    for (const m of tarMembers(tar, f.tar)) if (m.name.startsWith(`${f.key}.`)) got[m.name.slice(f.key.length + 1)] = m.data
    const image = Object.entries(got).find(([ext]) => ext !== 'mask.png' && ext !== 'json')?.[1]
    if (!image || !got['mask.png'] || !got.json)
      throw new LockstepError('CORRUPT', `${f.tar} lacks the members of ${f.key} (found ${Object.keys(got).join(', ') || 'none'})`)
    return { image, mask: got['mask.png'], json: got.json }
  },
}
