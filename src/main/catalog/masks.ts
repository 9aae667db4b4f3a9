// Saving an edited label map and restoring a kept version (the mask.* channels), over the one
// replace path of mask-store.ts. A save writes the mask in the file's OWN encoding: 8-bit grey
// stays 8-bit, 16-bit stays 16-bit, a palette PNG keeps its PLTE (+tRNS) and gets indices, a
// grey-valued RGB mask stays RGB with R=G=B. A sample with no mask file gets an 8-bit grey PNG
// (16-bit when the class table or the label map needs indices above 255).
import { inflate } from 'node:zlib'
import { promisify } from 'node:util'
import { LockstepError } from '../../shared/errors'
import type { MaskSaveResult } from '../../shared/contract/labels'
import { readLabels, type Labels } from '../io'
import { describeEncoding, encodeMaskPngAsync, isPng, maskEncodingOf, maxIndexOf, type MaskEncoding } from '../io/png'
import type { Catalog } from './catalog'
import { labelCounts, readVersion, replaceMask, type CurrentMask, type MaskContent } from './mask-store'

const inflateAsync = promisify(inflate) as (buf: Buffer, options: object) => Promise<Buffer>

export interface MaskSaveParams {
  sampleId: number
  width: number
  height: number
  depth: 8 | 16
  /** base64 of the zlib stream of the raw label map (little-endian for depth 16) */
  data: string
  baseHash: string | null
  force?: boolean
  note?: string
}

/** The label map of a save: base64 -> inflate (bounded by width*height*depth/8) -> indices. */
export async function decodeLabelPayload(p: Pick<MaskSaveParams, 'width' | 'height' | 'depth' | 'data'>): Promise<Labels> {
  const expected = p.width * p.height * (p.depth / 8)
  let raw: Buffer
  try {
    // one output chunk: zlib's default 16 KB chunks cost a thread-pool round trip each (~5x slower here)
    raw = await inflateAsync(Buffer.from(p.data, 'base64'), { maxOutputLength: expected, chunkSize: Math.max(64 * 1024, Math.min(expected, 64 * 1024 * 1024)) })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      throw new LockstepError('INVALID_INPUT', `The label map inflates to more than ${p.width}x${p.height}x${p.depth / 8} = ${expected} bytes`)
    }
    throw new LockstepError('INVALID_INPUT', `The label map is not a zlib (deflate) stream: ${(err as Error).message}`)
  }
  if (raw.length !== expected) {
    throw new LockstepError('INVALID_INPUT', `The label map inflates to ${raw.length} bytes, but ${p.width}x${p.height} at ${p.depth} bits needs ${expected}`)
  }
  if (p.depth === 8) return { width: p.width, height: p.height, depth: 8, data: new Uint8Array(raw.buffer, raw.byteOffset, raw.length) }
  const aligned = raw.byteOffset % 2 === 0 ? raw : Buffer.from(raw)
  const data = new Uint16Array(aligned.buffer, aligned.byteOffset, expected / 2)
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) for (let i = 0; i < data.length; i++) data[i] = aligned.readUInt16LE(2 * i)
  return { width: p.width, height: p.height, depth: 16, data }
}

function hexRgb(c: string): [number, number, number] {
  const n = parseInt(c.slice(1), 16)
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255]
}

/** The encoding the mask keeps: the current file's, or the default for a new one. */
export function encodingFor(catalog: Catalog, cur: CurrentMask, maxValue: number): MaskEncoding {
  if (!/\.png$/i.test(cur.rel)) {
    throw new LockstepError(
      'UNSUPPORTED_FORMAT',
      `Mask ${cur.abs} is not a PNG file: Lockstep writes masks as PNG only (convert the dataset's masks to PNG, or import them again with a .png mask pattern)`,
      { file: cur.abs },
    )
  }
  if (cur.bytes && isPng(cur.bytes)) {
    const e = maskEncodingOf(cur.bytes)
    if (e.ok) return e.encoding
    // a broken current file is replaced by the default encoding (its bytes are kept as a version)
  }
  const maxClass = (catalog.db.prepare('SELECT MAX(idx) FROM classes').pluck().get() as number | null) ?? 0
  return { colorType: 0, bitDepth: Math.max(maxValue, maxClass) > 255 ? 16 : 8 }
}

/**
 * The bytes of `labels` in the mask's own encoding. A value the encoding cannot hold (index 300
 * into an 8-bit or palette PNG) is an INVALID_INPUT naming the file, the value and the range.
 */
export async function encodeMask(catalog: Catalog, cur: CurrentMask, labels: Labels, counts: Map<number, number>): Promise<Buffer> {
  let maxValue = 0
  for (const k of counts.keys()) if (k > maxValue) maxValue = k
  const enc = encodingFor(catalog, cur, maxValue)
  if (maxValue > maxIndexOf(enc)) {
    throw new LockstepError(
      'INVALID_INPUT',
      `Class index ${maxValue} does not fit mask ${cur.abs}: it is a ${describeEncoding(enc)} PNG, which holds indices 0-${maxIndexOf(enc)}; nothing was written (remap the class to a smaller index, or convert the mask to 16-bit grey)`,
      { file: cur.abs, value: maxValue, max: maxIndexOf(enc) },
    )
  }
  const colours = new Map(catalog.classes().map((c) => [c.index, hexRgb(c.color)]))
  return encodeMaskPngAsync(labels.width, labels.height, labels.data, enc, (i) => colours.get(i) ?? [0, 0, 0], maxValue)
}

/** What a label map of this size is checked against: the image's size (or a lone mask's own). */
export function expectedSize(cur: CurrentMask): { width: number; height: number } {
  const r = cur.record
  if (r.width > 0 && r.height > 0) return { width: r.width, height: r.height }
  throw new LockstepError(
    'INVALID_INPUT',
    `The image of sample ${r.id} (${r.key}) could not be read${r.error_message ? ` (${r.error_message})` : ''}, so the size of its mask is unknown; fix the image and re-scan first`,
  )
}

function checkBase(cur: CurrentMask, p: MaskSaveParams): void {
  if (p.force || p.baseHash === cur.hash) return
  const why =
    cur.hash === null
      ? `was removed since the editor opened it`
      : p.baseHash === null
        ? `was created since the editor opened the sample`
        : `changed since the editor opened it (${p.baseHash.slice(0, 12)}… then, ${cur.hash.slice(0, 12)}… now)`
  throw new LockstepError(
    'INVALID_INPUT',
    `Conflict: mask ${cur.abs} ${why}; reload it, or save with force to replace it (the current content is kept as a version)`,
    {
      conflict: true,
      currentHash: cur.hash,
    },
  )
}

/** mask.save: the edited label map becomes the sample's mask, the replaced content a version. */
export async function saveMask(catalog: Catalog, p: MaskSaveParams): Promise<MaskSaveResult> {
  const labels = await decodeLabelPayload(p)
  return await saveLabels(catalog, p.sampleId, labels, { baseHash: p.baseHash, force: p.force, note: p.note })
}

/** Writes a label map as a sample's mask (save's core, also used by the CLI and benchmarks). */
export async function saveLabels(
  catalog: Catalog,
  sampleId: number,
  labels: Labels,
  o: { baseHash: string | null; force?: boolean; note?: string },
): Promise<MaskSaveResult> {
  const counts = labelCounts(labels)
  const result = await replaceMask(
    catalog,
    sampleId,
    async (cur): Promise<MaskContent> => {
      checkBase(cur, { ...o, sampleId, width: labels.width, height: labels.height, depth: labels.depth, data: '' })
      const want = expectedSize(cur)
      if (labels.width !== want.width || labels.height !== want.height) {
        throw new LockstepError(
          'SIZE_MISMATCH',
          `The label map is ${labels.width}x${labels.height} but the image of sample ${sampleId} (${cur.record.key}) is ${want.width}x${want.height}; nothing was written`,
        )
      }
      return { bytes: await encodeMask(catalog, cur, labels, counts), labels, counts }
    },
    { reason: 'save', note: o.note },
  )
  return result!
}

/** mask.restore: a kept version becomes the mask again, byte for byte; what it replaces is kept too. */
export async function restoreMask(catalog: Catalog, sampleId: number, versionId: number): Promise<MaskSaveResult> {
  const v = await readVersion(catalog, versionId)
  if (v.row.sample_id !== sampleId) throw new LockstepError('NOT_FOUND', `Mask version ${versionId} is not a version of sample ${sampleId}`)
  const labels = await readLabels(v.abs, undefined, v.bytes)
  const result = await replaceMask(catalog, sampleId, async () => ({ bytes: v.bytes, labels }), {
    reason: 'restore',
    note: `restored version ${versionId}`,
    targetRel: v.row.mask_path,
  })
  return result!
}
