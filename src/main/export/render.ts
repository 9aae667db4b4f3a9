// Renders the outputs of one source pair for an export: used inside each worker thread and,
// with --workers 0 (tests, tiny exports), on the calling thread. A task carries every output of
// one source inside the current window; with two or more it decodes the pair once (loadPair +
// renderLoaded), with one it takes the crop-first fast path (renderFromFiles). The engine
// guarantees both give the same bytes, so the choice never shows in the output.
import { webcrypto } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { ImageFormat } from '../../shared/contract/export'
import { toErrorPayload, type ErrorPayload } from '../../shared/errors'
import type { Recipe } from '../../shared/recipe'
import { decodeError } from '../io/decode-errors'
import { mapLimit } from '../map-limit'
import { needsLabels, plan } from '../augment/plan'
import { loadPair, readPairHeaders, renderFromFiles, renderLoaded, type RenderedPair } from '../augment/render'
import type { RawPixels, SourcePair } from './types'

export interface RenderSetup {
  recipe: Recipe
  seed: number
  /** Encoded image + mask wanted (folders, webdataset). */
  encoded: { format: ImageFormat; quality: number } | null
  /** Raw pixels wanted (npy). */
  raw: boolean
}

export interface RenderTask {
  id: number
  source: SourcePair
  /** The outputs to render: their ordinals and epochs (the plan key is (seed, epoch, source.key)). */
  outputs: { ordinal: number; epoch: number }[]
  /** Hash the source files (sha256) for the manifest. */
  hash: boolean
}

export interface RenderedItem {
  ordinal: number
  plan: unknown
  image?: Uint8Array
  mask?: Uint8Array
  raw?: RawPixels
}

export type RenderResult =
  | { id: number; ok: true; hashes?: { image: string; mask: string }; items: RenderedItem[]; /** bytes of the decoded pair a multi-output task held */ decodedBytes?: number }
  | { id: number; ok: false; error: ErrorPayload }

/** Outputs of one decoded source rendered at once. */
const OUTPUTS_IN_FLIGHT = 3

/** sha256, hex, computed on the thread pool (WebCrypto) while the pair renders. */
async function sha256Of(bytes: Uint8Array): Promise<string> {
  return Buffer.from(await webcrypto.subtle.digest('SHA-256', bytes)).toString('hex')
}

async function readSource(path: string, role: 'image' | 'mask'): Promise<Buffer> {
  try {
    return await readFile(path)
  } catch (err) {
    throw decodeError(err, path, role)
  }
}

export async function renderTask(setup: RenderSetup, task: RenderTask): Promise<RenderResult> {
  try {
    const { source } = task
    const paths = { image: source.imagePath, mask: source.maskPath }
    const out = {
      ...(setup.encoded ? { image: { format: setup.encoded.format, quality: setup.encoded.quality } } : {}),
      ...(setup.raw ? { raw: true as const } : {}),
    }
    // Each file is read once: its bytes are hashed for the manifest, parsed for the headers the
    // plan needs, and decoded, with no second open of the file by the decoder.
    const [image, mask] = await Promise.all([readSource(paths.image, 'image'), readSource(paths.mask, 'mask')])
    const bytes = { image, mask }
    const hashing = task.hash ? Promise.all([sha256Of(image), sha256Of(mask)]) : null
    const items: RenderedItem[] = []
    let decodedBytes: number | undefined
    if (task.outputs.length > 1 || needsLabels(setup.recipe)) {
      // Decode once, render every output of this source in the window.
      const loaded = await loadPair(paths, bytes)
      decodedBytes = loaded.image.data.byteLength + (loaded.labels?.data.byteLength ?? 0)
      const size = { width: loaded.width, height: loaded.height }
      const ctx = loaded.labels ? { labels: loaded.labels } : {}
      // the outputs of one decoded source render side by side (each is its own libvips pipeline)
      items.push(
        ...(await mapLimit(task.outputs, OUTPUTS_IN_FLIGHT, async (o) => {
          const p = plan(setup.recipe, size, { seed: setup.seed, epoch: o.epoch, sampleId: source.key }, ctx)
          return toItem(o.ordinal, await renderLoaded(p, loaded, out))
        })),
      )
    } else {
      // One output: the crop-first fast path (libvips decodes only up to the window's last row).
      const headers = await readPairHeaders(paths, bytes)
      for (const o of task.outputs) {
        const p = plan(setup.recipe, headers.size, { seed: setup.seed, epoch: o.epoch, sampleId: source.key })
        items.push(toItem(o.ordinal, await renderFromFiles(p, paths, out, { headers, bytes })))
      }
    }
    const hashes = hashing ? await hashing.then(([i, m]) => ({ image: i, mask: m })) : undefined
    return { id: task.id, ok: true, hashes, items, decodedBytes }
  } catch (err) {
    return { id: task.id, ok: false, error: toErrorPayload(err) }
  }
}

function toItem(ordinal: number, r: RenderedPair): RenderedItem {
  const raw = r.raw
  return {
    ordinal,
    plan: r.plan,
    image: r.image,
    mask: r.mask,
    raw: raw && raw.labels ? { width: raw.width, height: raw.height, rgb: raw.image, labels: raw.labels, depth: raw.depth } : undefined,
  }
}
