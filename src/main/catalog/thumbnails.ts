// Thumbnails: JPEG, longest side 256, optionally with the mask overlaid in class colours. Made on
// demand and cached under the project by content: the file name holds the image hash (and, for an
// overlay, the mask hash and a hash of the class colours), so an edit to any of them is a new name.
import { createHash } from 'node:crypto'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import { LockstepError } from '../../shared/errors'
import { readLabels } from '../io'
import { readSound } from '../io/verify'
import type { ClassInfo } from '../../shared/contract/catalog'
import type { CatalogHandle } from './types'

/** What a thumbnail reads of a catalog: its folder, a sample, the class colours. */
export type ThumbSource = Pick<CatalogHandle, 'projectDir' | 'getSample'> & { classes(): ClassInfo[] }

export const THUMB_SIDE = 256
/** Opacity of the class colour over the image. */
export const OVERLAY_ALPHA = 0.45

function hexToRgb(c: string): [number, number, number] {
  const n = parseInt(c.slice(1), 16)
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255]
}

export function thumbCacheDir(catalog: Pick<CatalogHandle, 'projectDir'>): string {
  return join(catalog.projectDir, 'cache', 'thumbs')
}

/**
 * The thumbnail of sample `id`. Class 0 and classes marked `ignore` are left uncoloured in the
 * overlay, so the background stays visible.
 */
export async function thumbnail(catalog: ThumbSource, id: number, overlay: boolean): Promise<Buffer> {
  const ref = catalog.getSample(id)
  if (!ref) throw new LockstepError('NOT_FOUND', `Sample ${id} is not in the catalog`)
  if (!ref.imagePath || !ref.imageHash)
    throw new LockstepError('NOT_FOUND', `Sample ${id} (${ref.key}) has no readable image${ref.error ? `: ${ref.error.message}` : ''}`)
  const useMask = overlay && !!ref.maskPath && !!ref.maskHash && ref.error?.kind !== 'SIZE_MISMATCH'
  const classes = catalog.classes()
  const palette = createHash('sha1')
    .update(JSON.stringify(classes.map((c) => [c.index, c.color, c.ignore])))
    .digest('hex')
    .slice(0, 12)
  const name = useMask ? `${ref.imageHash}-${ref.maskHash}-${palette}.jpg` : `${ref.imageHash}.jpg`
  const dir = thumbCacheDir(catalog)
  const file = join(dir, name)
  try {
    return await readFile(file)
  } catch {
    // not cached yet
  }
  // only a file the whole-file checks found sound (else their words, naming the file)
  const bytes = await readSound(ref.imagePath, 'image')
  const base = sharp(bytes, { limitInputPixels: 200_000_000, failOn: 'error' })
    .rotate()
    .removeAlpha()
    .toColourspace('srgb')
    .resize(THUMB_SIDE, THUMB_SIDE, { fit: 'inside', withoutEnlargement: true })
  let jpeg: Buffer
  try {
    if (!useMask) jpeg = await base.jpeg({ quality: 80 }).toBuffer()
    else {
      const { data, info } = await base.raw().toBuffer({ resolveWithObject: true })
      const labels = await readLabels(ref.maskPath!)
      const colours = new Map<number, [number, number, number]>()
      for (const c of classes) if (c.index !== 0 && !c.ignore) colours.set(c.index, hexToRgb(c.color))
      const out = Buffer.from(data)
      const w = info.width
      const h = info.height
      for (let y = 0; y < h; y++) {
        const sy = Math.min(labels.height - 1, Math.floor(((y + 0.5) * labels.height) / h))
        for (let x = 0; x < w; x++) {
          const sx = Math.min(labels.width - 1, Math.floor(((x + 0.5) * labels.width) / w))
          const c = colours.get(labels.data[sy * labels.width + sx])
          if (!c) continue
          const i = (y * w + x) * 3
          for (let k = 0; k < 3; k++) out[i + k] = Math.round(out[i + k] * (1 - OVERLAY_ALPHA) + c[k] * OVERLAY_ALPHA)
        }
      }
      jpeg = await sharp(out, { raw: { width: w, height: h, channels: 3 } })
        .jpeg({ quality: 80 })
        .toBuffer()
    }
  } catch (err) {
    if (err instanceof LockstepError) throw err
    // (libvips' text is left out: its error buffer is shared between threads)
    throw new LockstepError('CORRUPT', `Cannot make a thumbnail of sample ${id} (${ref.key}): the decoder rejects ${ref.imagePath}`)
  }
  await mkdir(dir, { recursive: true })
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
  await writeFile(tmp, jpeg)
  await rename(tmp, file)
  return jpeg
}
