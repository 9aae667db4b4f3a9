// Pairs image files with mask files by stem. `pairFiles` is pure (lists of relative paths in,
// pairs out); `listFiles` and `scanPairs` walk real folders for the importer and for export's
// `--images/--masks` mode.
//
// Layouts:
//   two folders:  images/a/x.jpg  <->  masks/a/x.png        (pattern '{stem}.png')
//                 images/x.jpg    <->  masks/x_mask.png     (pattern '{stem}_mask.png')
//   one folder:   data/x.jpg      <->  data/x_mask.png      (images and masks told apart by the pattern)
// The stem keeps the sub-folder: images/a/x.jpg has stem 'a/x', which is also the sample key.
import { readdirSync, type Dirent } from 'node:fs'
import { join, posix, relative, resolve, sep } from 'node:path'
import { DEFAULT_MASK_PATTERNS, DEFAULT_SINGLE_FOLDER_PATTERNS } from '../../shared/contract/vocabulary'
import { LockstepError } from '../../shared/errors'

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff'] as const
export const MASK_EXTENSIONS = ['.png', '.tif', '.tiff'] as const
// the defaults are in the contract, so the studio's import form shows the ones the import uses
export { DEFAULT_MASK_PATTERNS, DEFAULT_SINGLE_FOLDER_PATTERNS }

export interface PairOptions {
  /** Mask file name patterns, each with exactly one '{stem}', tried in order. */
  patterns?: string[]
}

export interface Pair {
  /** relative path without extension, '/'-separated: the sample key */
  stem: string
  /** relative to the images folder */
  image: string
  /** relative to the masks folder (the same folder in the one-folder layout) */
  mask: string
}

export interface PairingResult {
  pairs: Pair[]
  /** images with no mask: { stem, image } */
  unpairedImages: { stem: string; image: string }[]
  /** masks with no image: { stem, mask } */
  unpairedMasks: { stem: string; mask: string }[]
  /** files that are neither a supported image nor a mask matching a pattern (e.g. .bmp, .gif) */
  unsupported: string[]
  /** a stem seen more than once (x.jpg and x.png): every file after the first, with the one kept */
  duplicates: { stem: string; file: string; kept: string }[]
}

interface CompiledPattern {
  pattern: string
  prefix: string
  suffix: string
  suffixLower: string
}

function compile(patterns: string[]): CompiledPattern[] {
  return patterns.map((pattern) => {
    const at = pattern.indexOf('{stem}')
    if (at < 0 || pattern.indexOf('{stem}', at + 1) >= 0) {
      throw new LockstepError('INVALID_INPUT', `Mask pattern ${JSON.stringify(pattern)} must contain exactly one {stem}`)
    }
    if (pattern.includes('/') || pattern.includes('\\')) {
      throw new LockstepError('INVALID_INPUT', `Mask pattern ${JSON.stringify(pattern)} must be a file name, without a folder`)
    }
    const prefix = pattern.slice(0, at)
    const suffix = pattern.slice(at + 6)
    if (!/\.[A-Za-z0-9]+$/.test(suffix)) {
      throw new LockstepError('INVALID_INPUT', `Mask pattern ${JSON.stringify(pattern)} must end with a file extension such as .png`)
    }
    return { pattern, prefix, suffix, suffixLower: suffix.toLowerCase() }
  })
}

function extOf(name: string): string {
  const base = posix.basename(name)
  const dot = base.lastIndexOf('.')
  return dot > 0 ? base.slice(dot).toLowerCase() : ''
}

function stripExt(rel: string): string {
  const base = posix.basename(rel)
  const dot = base.lastIndexOf('.')
  return dot > 0 ? rel.slice(0, rel.length - (base.length - dot)) : rel
}

/** The stem a mask file name encodes under a pattern, or undefined when it does not match. */
function maskStem(rel: string, p: CompiledPattern): string | undefined {
  const slash = rel.lastIndexOf('/')
  const dir = slash >= 0 ? rel.slice(0, slash + 1) : ''
  const base = rel.slice(slash + 1)
  if (base.length <= p.prefix.length + p.suffix.length) return undefined
  if (!base.startsWith(p.prefix)) return undefined
  if (!base.toLowerCase().endsWith(p.suffixLower)) return undefined
  return dir + base.slice(p.prefix.length, base.length - p.suffix.length)
}

/** The path with its extension lower-cased (map key for case-insensitive extension matching). */
function lowerExt(rel: string): string {
  const ext = extOf(rel)
  return ext ? rel.slice(0, rel.length - ext.length) + ext : rel
}

const isImage = (rel: string) => (IMAGE_EXTENSIONS as readonly string[]).includes(extOf(rel))
const byStem = <T extends { stem: string }>(a: T, b: T) => (a.stem < b.stem ? -1 : a.stem > b.stem ? 1 : 0)

/**
 * Pairs files by stem. `images` and `masks` are '/'-separated paths relative to their folders;
 * pass `masks = null` for the one-folder layout (then `images` lists that folder). Deterministic:
 * output is sorted by stem whatever the input order.
 */
export function pairFiles(images: readonly string[], masks: readonly string[] | null, options: PairOptions = {}): PairingResult {
  const single = masks === null
  const patterns = compile(options.patterns ?? (single ? DEFAULT_SINGLE_FOLDER_PATTERNS : DEFAULT_MASK_PATTERNS))
  if (single) {
    const identity = patterns.find((p) => p.prefix === '' && IMAGE_EXTENSIONS.some((e) => e === p.suffixLower))
    if (identity) {
      throw new LockstepError(
        'INVALID_INPUT',
        `Mask pattern ${JSON.stringify(identity.pattern)} cannot tell masks from images in one folder; use a pattern such as '{stem}_mask.png' or give a separate masks folder`,
      )
    }
  }
  const unsupported: string[] = []
  const duplicates: PairingResult['duplicates'] = []

  // Split the listing into mask files and image files.
  const maskFiles: string[] = []
  const imageCandidates: string[] = []
  const matchesAny = (f: string) => patterns.some((p) => maskStem(f, p) !== undefined)
  if (single) {
    for (const f of [...images].sort()) {
      if (matchesAny(f)) maskFiles.push(f)
      else if (isImage(f)) imageCandidates.push(f)
      else unsupported.push(f)
    }
  } else {
    for (const f of [...masks].sort()) {
      if (matchesAny(f)) maskFiles.push(f)
      else unsupported.push(f)
    }
    for (const f of [...images].sort()) {
      if (isImage(f)) imageCandidates.push(f)
      else unsupported.push(f)
    }
  }

  // Images: stem -> file (x.jpg and x.png in one folder: the first in sorted order wins, the other is reported).
  const imageByStem = new Map<string, string>()
  for (const f of imageCandidates) {
    const stem = stripExt(f)
    const prev = imageByStem.get(stem)
    if (prev === undefined) imageByStem.set(stem, f)
    else duplicates.push({ stem, file: f, kept: prev })
  }

  // Each image looks for its mask under each pattern in order (extension compared case-insensitively).
  const maskByLower = new Map<string, string>()
  for (const f of maskFiles) {
    const k = lowerExt(f)
    if (!maskByLower.has(k)) maskByLower.set(k, f)
  }
  const used = new Set<string>()
  const pairs: Pair[] = []
  const unpairedImages: PairingResult['unpairedImages'] = []
  const maskFor = new Map<string, string>()
  for (const [stem, image] of imageByStem) {
    const slash = stem.lastIndexOf('/')
    const dir = slash >= 0 ? stem.slice(0, slash + 1) : ''
    const base = stem.slice(slash + 1)
    let found: string | undefined
    for (const p of patterns) {
      const m = maskByLower.get(lowerExt(dir + p.prefix + base + p.suffix))
      if (m !== undefined && !used.has(m)) {
        found = m
        break
      }
    }
    if (found !== undefined) {
      used.add(found)
      maskFor.set(stem, found)
      pairs.push({ stem, image, mask: found })
    } else unpairedImages.push({ stem, image })
  }

  // Masks left over: a second mask for a paired image is a duplicate; otherwise a mask without image.
  const unpairedMasks: PairingResult['unpairedMasks'] = []
  for (const f of maskFiles) {
    if (used.has(f)) continue
    const stems = patterns.map((p) => maskStem(f, p)).filter((x): x is string => x !== undefined)
    const pairedStem = stems.find((st) => maskFor.has(st))
    if (pairedStem !== undefined) duplicates.push({ stem: pairedStem, file: f, kept: maskFor.get(pairedStem)! })
    else unpairedMasks.push({ stem: stems[0], mask: f })
  }

  pairs.sort(byStem)
  unpairedImages.sort(byStem)
  unpairedMasks.sort(byStem)
  unsupported.sort()
  return { pairs, unpairedImages, unpairedMasks, unsupported, duplicates }
}

/**
 * Every file under `root`, recursively, as sorted '/'-separated relative paths. Hidden entries
 * (a leading '.') are skipped. Symbolic links are listed as files (a dangling one then fails to
 * read and is recorded as UNREADABLE by the importer), never followed into folders.
 */
export function listFiles(root: string, exclude: string[] = []): string[] {
  const out: string[] = []
  const skip = new Set(exclude.map((d) => resolve(d)))
  const walk = (dir: string, rel: string) => {
    let entries: Dirent[]
    try {
      entries = readdirSync(dir, { withFileTypes: true })
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (rel === '') {
        if (code === 'ENOENT') throw new LockstepError('NOT_FOUND', `Folder not found: ${root}`)
        if (code === 'ENOTDIR') throw new LockstepError('INVALID_INPUT', `Not a folder: ${root}`)
        throw new LockstepError('UNREADABLE', `Cannot read folder ${root}: ${(err as Error).message}`)
      }
      throw new LockstepError('UNREADABLE', `Cannot read folder ${dir}: ${(err as Error).message}`)
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue
      const r = rel ? `${rel}/${e.name}` : e.name
      if (e.isDirectory()) {
        const abs = join(dir, e.name)
        if (!skip.has(resolve(abs))) walk(abs, r)
      } else if (e.isFile() || e.isSymbolicLink()) out.push(r)
    }
  }
  walk(root, '')
  return out.sort()
}

/** Lists and pairs real folders (masksDir null/undefined = one-folder layout). */
export function scanPairs(imagesDir: string, masksDir: string | null | undefined, options: PairOptions = {}): PairingResult {
  const single = !masksDir || resolve(masksDir) === resolve(imagesDir)
  if (single) return pairFiles(listFiles(imagesDir), null, options)
  // A masks folder inside the images folder (data/ and data/masks/) is not listed as images.
  const rel = relative(resolve(imagesDir), resolve(masksDir))
  const inside = rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep)
  return pairFiles(listFiles(imagesDir, inside ? [masksDir] : []), listFiles(masksDir), options)
}
