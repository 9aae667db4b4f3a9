// The one media resolver behind both doors: browser mode's `/media/...` HTTP routes and the
// Electron `lockstep-media://` protocol call `resolveMedia(path, ctx)` and send what it returns.
// One rule for every route: a file is served (as itself, as labels, as a thumbnail) only once the
// whole-file checks (io/verify) found it sound; a bad file is a 4xx whose message names the sample
// and says what is wrong with the file, in the checks' words (never libvips' text, never a 500).
import { extname } from 'node:path'
import { LabelsHeaders, parseMediaPath } from '../../shared/media'
import { toErrorPayload, type ErrorCode } from '../../shared/errors'
import { decodeError } from '../io/decode-errors'
import { loadSharp } from '../io/sharp'
import { readSound } from '../io/verify'
import type { ServiceContext } from '../services/context'
import { confinedPath, type MediaCatalog } from './confine'
import { defaultMediaDeps, type Labels, type MediaDeps } from './deps'

export type { MediaDeps, Labels } from './deps'
export { confinedPath, lexicalRoot } from './confine'

export interface MediaResponse {
  status: number
  contentType: string
  body: Buffer
  headers: Record<string, string>
  /** raw data that compresses well (label maps: long runs); the HTTP server gzips it for clients that accept it */
  compressible?: boolean
}

const BROWSER_IMAGE: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
}

const STATUS: Partial<Record<ErrorCode, number>> = {
  NOT_FOUND: 404,
  MISSING_MASK: 404,
  MISSING_IMAGE: 404,
  FORBIDDEN: 403,
  NO_PROJECT: 409,
  CORRUPT: 422,
  UNSUPPORTED_FORMAT: 415,
  TOO_LARGE: 413,
  INVALID_INPUT: 400,
  UNREADABLE: 500,
}

function text(status: number, message: string): MediaResponse {
  return { status, contentType: 'text/plain; charset=utf-8', body: Buffer.from(message + '\n'), headers: { 'cache-control': 'no-store' } }
}

export function labelsResponse(labels: Labels, cache: string): MediaResponse {
  const data = labels.data
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  if (labels.depth === 16 && new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) body.swap16() // wire is little-endian
  return {
    status: 200,
    contentType: 'application/octet-stream',
    body,
    headers: {
      [LabelsHeaders.width]: String(labels.width),
      [LabelsHeaders.height]: String(labels.height),
      [LabelsHeaders.depth]: String(labels.depth),
      'cache-control': cache,
    },
    compressible: true,
  }
}

/** A browser-displayable, EXIF-oriented image of a sound file: the file itself when it already is one, else PNG. */
async function imageBody(file: string): Promise<{ body: Buffer; contentType: string }> {
  const ext = extname(file).toLowerCase()
  const direct = BROWSER_IMAGE[ext]
  const bytes = await readSound(file, 'image')
  try {
    const sharp = await loadSharp()
    if (direct) {
      const orientation = ext === '.jpg' || ext === '.jpeg' || ext === '.webp' ? (await sharp(bytes).metadata()).orientation : undefined
      if (!orientation || orientation === 1) return { body: bytes, contentType: direct }
    }
    return {
      body: await sharp(bytes, { limitInputPixels: 1 << 28 })
        .rotate()
        .png({ compressionLevel: 1 })
        .toBuffer(),
      contentType: 'image/png',
    }
  } catch (err) {
    throw decodeError(err, file, 'image')
  }
}

/** A sample's error message names the sample (its id and key) as well as the file. */
function forSample(message: string, id: number, key: string): string {
  return message.startsWith(`Sample ${id} `) ? message : `Sample ${id} (${key}): ${message}`
}

/**
 * Resolves a media path (src/shared/media.ts) to a response. Anything `parseMediaPath` does not
 * accept is 404; sample files are only the catalog's recorded paths, confined to their dataset
 * folder (symlinks leading outside are 403). Errors are plain text without a stack.
 */
export async function resolveMedia(path: string, ctx: ServiceContext, deps: MediaDeps = defaultMediaDeps): Promise<MediaResponse> {
  const route = parseMediaPath(path)
  if (!route) return text(404, `No such media: ${path.slice(0, 200)}`)
  try {
    if (route.kind === 'preview') {
      const tile = deps.previewTile(route.token, route.index)
      if (!tile) return text(404, `Preview tile ${route.token}/${route.index} is gone (render the preview again)`)
      if (route.what === 'labels') {
        if (!tile.labels) return text(404, `Preview tile ${route.token}/${route.index} has no mask`)
        return labelsResponse(tile.labels, 'private, max-age=3600, immutable')
      }
      return { status: 200, contentType: 'image/jpeg', body: tile.image, headers: { 'cache-control': 'private, max-age=3600, immutable' } }
    }
    const catalog = ctx.session.requireCatalog() as MediaCatalog
    const sample = catalog.getSample(route.id)
    if (!sample) return text(404, `Sample ${route.id} is not in the catalog`)
    try {
      return await sampleMedia(route.what, catalog, sample, deps)
    } catch (err) {
      const e = toErrorPayload(err)
      return text(STATUS[e.code] ?? 500, forSample(e.message, sample.id, sample.key))
    }
  } catch (err) {
    const e = toErrorPayload(err)
    return text(STATUS[e.code] ?? 500, e.message)
  }
}

type SampleRoute = 'image' | 'labels' | 'thumb' | 'thumb-overlay'
type Sample = NonNullable<ReturnType<MediaCatalog['getSample']>>

async function sampleMedia(what: SampleRoute, catalog: MediaCatalog, sample: Sample, deps: MediaDeps): Promise<MediaResponse> {
  switch (what) {
    case 'image': {
      const file = await confinedPath(catalog, sample, sample.imagePath)
      const { body, contentType } = await imageBody(file)
      return { status: 200, contentType, body, headers: { 'cache-control': 'no-cache' } }
    }
    case 'labels': {
      if (!sample.maskPath) return text(404, `Sample ${sample.id} (${sample.imagePath}) has no mask`)
      const file = await confinedPath(catalog, sample, sample.maskPath)
      return labelsResponse(await deps.readLabels(file), 'no-cache')
    }
    case 'thumb':
    case 'thumb-overlay': {
      await confinedPath(catalog, sample, sample.imagePath)
      if (what === 'thumb-overlay' && sample.maskPath) await confinedPath(catalog, sample, sample.maskPath)
      const body = await deps.thumbnail(catalog, sample.id, what === 'thumb-overlay')
      return { status: 200, contentType: 'image/jpeg', body, headers: { 'cache-control': 'no-cache' } }
    }
  }
}
