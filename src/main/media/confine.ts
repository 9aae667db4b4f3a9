// Media files are only ever the files the catalog recorded, and a recorded path may not lead
// outside its dataset through a symlink: the real path of the file must lie inside the real path
// of the dataset's root.
import { realpath } from 'node:fs/promises'
import { dirname, extname, isAbsolute, resolve, sep } from 'node:path'
import { LockstepError } from '../../shared/errors'
import type { CatalogHandle, SampleRef } from '../catalog/types'

/** A catalog may state its dataset roots; otherwise they are derived from the sample itself. */
export type MediaCatalog = CatalogHandle & { datasetRoots?: () => string[] }

/**
 * The lexical root a sample's files must stay inside: the image path minus its key (the key is the
 * image path relative to the dataset root, without extension), widened to the deepest folder that
 * also holds the mask (images/ and masks/ are usually siblings under the root).
 */
export function lexicalRoot(sample: SampleRef): string {
  const image = resolve(sample.imagePath)
  const withExt = sample.key + extname(image)
  let root = image.endsWith(sep + withExt.split('/').join(sep)) ? image.slice(0, image.length - withExt.length - 1) : dirname(image)
  if (root === '') root = sep
  if (sample.maskPath) root = commonDir(root, dirname(resolve(sample.maskPath)))
  return root
}

function commonDir(a: string, b: string): string {
  const pa = a.split(sep)
  const pb = b.split(sep)
  const out: string[] = []
  for (let i = 0; i < Math.min(pa.length, pb.length) && pa[i] === pb[i]; i++) out.push(pa[i])
  return out.join(sep) || sep
}

function inside(file: string, root: string): boolean {
  return file === root || file.startsWith(root.endsWith(sep) ? root : root + sep)
}

/**
 * Returns the real path of `file` (one of the sample's recorded paths) if it lies inside an allowed
 * root; throws NOT_FOUND when it is missing and FORBIDDEN when a symlink leads outside.
 */
export async function confinedPath(catalog: MediaCatalog, sample: SampleRef, file: string): Promise<string> {
  if (!isAbsolute(file)) throw new LockstepError('FORBIDDEN', `Sample ${sample.id}: recorded path ${file} is not absolute`)
  let real: string
  try {
    real = await realpath(file)
  } catch {
    throw new LockstepError('NOT_FOUND', `Sample ${sample.id}: ${file} does not exist`)
  }
  const roots = catalog.datasetRoots?.() ?? [lexicalRoot(sample)]
  for (const root of roots) {
    let realRoot: string
    try {
      realRoot = await realpath(root)
    } catch {
      continue
    }
    if (inside(real, realRoot)) return real
  }
  throw new LockstepError('FORBIDDEN', `Sample ${sample.id}: ${file} resolves to ${real}, outside its dataset folder`)
}
