// Renders the outputs of one source pair for an export: used inside each worker thread and,
// with --workers 0 (tests, tiny exports), on the calling thread. A task carries every output of
// one source inside the current window; with two or more it decodes the pair once (loadPair +
// renderLoaded), with one it takes the crop-first fast path (renderFromFiles). The engine
// guarantees both give the same bytes, so the choice never shows in the output.
//
// Trust before speed: the crop-first path reads only a crop's window of each file, so beside the
// render both files are checked whole (io/verify: every scan of a JPEG, every byte of a PNG's zlib
// stream), unless the project's checks already found bytes with the same sha256 sound. A pair whose
// check fails fails with the check's words, whatever the render did, before any of its outputs is
// handed to a writer: which pairs fail, and why, depends neither on the addon nor on where a crop fell.
// The verdicts a render computes for a project's files come back with its result (`checks`, with
// the sha1 the catalog keys files by), so the export records them and the next one skips them.
import { webcrypto } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { ImageFormat } from '../../shared/contract/export'
import { toErrorPayload, type ErrorPayload } from '../../shared/errors'
import type { Recipe } from '../../shared/recipe'
import type { FileCheck } from '../catalog/file-checks'
import { decodeError } from '../io/decode-errors'
import { verdictError, verifyBytes, type Verdict } from '../io/verify'
import { mapLimit } from '../map-limit'
import { needsLabels, plan } from '../augment/plan'
import { loadPair, readPairHeaders, renderFromFiles, renderLoaded, type RenderedPair } from '../augment/render'
import { normalizeRgb, type Normalization } from './normalize'
import type { RawPixels, SourcePair } from './types'

export interface RenderSetup {
  recipe: Recipe
  seed: number
  /** Encoded image + mask wanted (folders, webdataset). */
  encoded: { format: ImageFormat; quality: number } | null
  /** Raw pixels wanted (npy). */
  raw: boolean
  /** Raw pixels as float32, normalised so (npy x, stream batches). */
  normalize?: Normalization | null
  /** sha256 of every output's bytes, for the manifest (merge checks the files against them). */
  hashOutputs?: boolean
}

export interface RenderTask {
  id: number
  source: SourcePair
  /** The outputs to render: their ordinals, epochs and draws (the plan key is (seed, epoch, source.key, draw)). */
  outputs: { ordinal: number; epoch: number; draw?: number }[]
  /** Hash the source files (sha256) for the manifest. */
  hash: boolean
}

export interface RenderedItem {
  ordinal: number
  plan: unknown
  image?: Uint8Array
  mask?: Uint8Array
  raw?: RawPixels
  /** sha256 (hex) of the encoded image and mask and of the raw rows (x as stored; y in the mask's own depth, uint16 little-endian for 16 bits). */
  sha256?: OutputHashes
}

export interface OutputHashes {
  image?: string
  mask?: string
  x?: string
  y?: string
}

export type RenderResult = (
  | {
      id: number
      ok: true
      hashes?: { image: string; mask: string }
      items: RenderedItem[]
      /** bytes of the decoded pair a multi-output task held */ decodedBytes?: number
    }
  | { id: number; ok: false; error: ErrorPayload }
) & {
  /** The whole-file verdicts this task computed for files of a project (sources with a catalog hash), sound or not: for file_checks. */
  checks?: FileCheck[]
}

/** Outputs of one decoded source rendered at once. */
const OUTPUTS_IN_FLIGHT = 3

/** A digest, hex, computed on the thread pool (WebCrypto) while the pair renders. */
async function digestOf(bytes: Uint8Array, algorithm: 'SHA-256' | 'SHA-1' = 'SHA-256'): Promise<string> {
  return Buffer.from(await webcrypto.subtle.digest(algorithm, bytes)).toString('hex')
}

/**
 * The whole-file verdict on a source file's bytes, or null when the project's checks already
 * found bytes with this sha256 sound. `catalogHash`: the file's hash in the catalog (a project's
 * source): the verdict then comes back with the sha1 of these bytes, to be recorded.
 */
async function checkSource(
  bytes: Buffer,
  sha256: string,
  sound: string | undefined,
  catalogHash: string | null | undefined,
): Promise<{ verdict: Verdict; check?: FileCheck } | null> {
  if (sha256 === sound) return null
  const [verdict, sha1] = await Promise.all([verifyBytes(bytes, sha256), catalogHash ? digestOf(bytes, 'SHA-1') : null])
  return { verdict, ...(sha1 ? { check: { sha256, sha1, verdict } } : {}) }
}

async function readSource(path: string, role: 'image' | 'mask'): Promise<Buffer> {
  try {
    return await readFile(path)
  } catch (err) {
    throw decodeError(err, path, role)
  }
}

export async function renderTask(setup: RenderSetup, task: RenderTask): Promise<RenderResult> {
  let checks: FileCheck[] = []
  try {
    const { source } = task
    const paths = { image: source.imagePath, mask: source.maskPath }
    // Each file is read once: its bytes are hashed (for the manifest and the checks), checked,
    // parsed for the headers the plan needs, and decoded, with no second open of the file.
    const [image, mask] = await Promise.all([readSource(paths.image, 'image'), readSource(paths.mask, 'mask')])
    const bytes = { image, mask }
    const hashing = Promise.all([digestOf(image), digestOf(mask)])
    const checking = hashing.then(([i, m]) =>
      Promise.all([checkSource(image, i, source.imageSound, source.imageHash), checkSource(mask, m, source.maskSound, source.maskHash)]),
    )
    const rendering = renderPair(setup, task, paths, bytes).then(
      (r) => ({ r }),
      (err: unknown) => ({ err }),
    )
    const [[imageCheck, maskCheck], rendered] = await Promise.all([checking, rendering])
    checks = [imageCheck?.check, maskCheck?.check].filter((c) => c !== undefined)
    unsound(imageCheck?.verdict, paths.image, 'image')
    unsound(maskCheck?.verdict, paths.mask, 'mask')
    if ('err' in rendered) throw rendered.err
    if (setup.hashOutputs) await Promise.all(rendered.r.items.map(async (it) => (it.sha256 = await outputHashes(it))))
    const hashes = task.hash ? await hashing.then(([i, m]) => ({ image: i, mask: m })) : undefined
    return { id: task.id, ok: true, hashes, ...rendered.r, ...withChecks(checks) }
  } catch (err) {
    return { id: task.id, ok: false, error: toErrorPayload(err), ...withChecks(checks) }
  }
}

const withChecks = (checks: FileCheck[]) => (checks.length ? { checks } : {})

function unsound(v: Verdict | undefined, file: string, role: 'image' | 'mask'): void {
  if (v && !v.ok) throw verdictError(v, file, role)
}

async function renderPair(
  setup: RenderSetup,
  task: RenderTask,
  paths: { image: string; mask: string },
  bytes: { image: Buffer; mask: Buffer },
): Promise<{ items: RenderedItem[]; decodedBytes?: number }> {
  const { source } = task
  const out = {
    ...(setup.encoded ? { image: { format: setup.encoded.format, quality: setup.encoded.quality } } : {}),
    ...(setup.raw ? { raw: true as const } : {}),
  }
  const items: RenderedItem[] = []
  if (task.outputs.length > 1 || needsLabels(setup.recipe)) {
    // Decode once, render every output of this source in the window.
    const loaded = await loadPair(paths, bytes)
    const decodedBytes = loaded.image.data.byteLength + (loaded.labels?.data.byteLength ?? 0)
    const size = { width: loaded.width, height: loaded.height }
    const ctx = loaded.labels ? { labels: loaded.labels } : {}
    // the outputs of one decoded source render side by side (each is its own libvips pipeline)
    items.push(
      ...(await mapLimit(task.outputs, OUTPUTS_IN_FLIGHT, async (o) => {
        const p = plan(setup.recipe, size, { seed: setup.seed, epoch: o.epoch, sampleId: source.key, draw: o.draw }, ctx)
        return toItem(o.ordinal, await renderLoaded(p, loaded, out), setup.normalize)
      })),
    )
    return { items, decodedBytes }
  }
  // One output: the crop-first fast path (libvips decodes only up to the window's last row).
  const headers = await readPairHeaders(paths, bytes)
  for (const o of task.outputs) {
    const p = plan(setup.recipe, headers.size, { seed: setup.seed, epoch: o.epoch, sampleId: source.key, draw: o.draw })
    items.push(toItem(o.ordinal, await renderFromFiles(p, paths, out, { headers, bytes }), setup.normalize))
  }
  return { items }
}

/** The bytes of a label row as the manifest hashes them: 8-bit values as bytes, 16-bit as little-endian pairs. */
export function labelBytes(labels: Uint8Array | Uint16Array, px: number): Uint8Array {
  const v = labels.subarray(0, px)
  return v instanceof Uint16Array ? new Uint8Array(Uint16Array.from(v).buffer) : v
}

async function outputHashes(it: RenderedItem): Promise<OutputHashes> {
  const h: OutputHashes = {}
  const raw = it.raw
  const [image, mask, x, y] = await Promise.all([
    it.image && digestOf(it.image),
    it.mask && digestOf(it.mask),
    raw && digestOf(raw.rgb.subarray(0, raw.width * raw.height * 3 * (raw.rgbType === 'float32' ? 4 : 1))),
    raw && digestOf(labelBytes(raw.labels, raw.width * raw.height)),
  ])
  if (image) h.image = image
  if (mask) h.mask = mask
  if (x) h.x = x
  if (y) h.y = y
  return h
}

function toItem(ordinal: number, r: RenderedPair, normalize?: Normalization | null): RenderedItem {
  const raw = r.raw
  const rgb = raw && normalize ? new Uint8Array(normalizeRgb(raw.image, normalize).buffer) : raw?.image
  return {
    ordinal,
    plan: r.plan,
    image: r.image,
    mask: r.mask,
    raw:
      raw && raw.labels
        ? { width: raw.width, height: raw.height, rgb: rgb!, rgbType: normalize ? 'float32' : 'uint8', labels: raw.labels, depth: raw.depth }
        : undefined,
  }
}
