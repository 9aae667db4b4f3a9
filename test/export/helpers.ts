// Generated pairs for export tests: each image is painted from a class map (one colour per class
// plus a gradient), the mask is that class map, so alignment is checkable. Small and deterministic.
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { promisify } from 'node:util'
import sharp from 'sharp'
import { parseNpy } from '../../src/main/export/writers/npy'
import { tarMembers } from '../../src/main/export/writers/tar'

export const ROOT = join(import.meta.dirname, '..', '..')
export const CLI = join(ROOT, 'bin', 'lockstep.js')
export const run = promisify(execFile)

/** `lockstep export` of a dataset (images/ and masks/) with a recipe into `out`, then `flags`: the CLI's argv. */
export function exportArgv(data: { images: string; masks: string }, recipe: string, out: string, ...flags: string[]): string[] {
  return [CLI, 'export', '--images', data.images, '--masks', data.masks, '--recipe', recipe, '--out', out, ...flags]
}

export function tmp(prefix = 'lockstep-export-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

const COLOURS = [
  [30, 30, 30],
  [220, 40, 40],
  [40, 200, 60],
  [50, 70, 230],
  [240, 220, 40],
]

/** n pairs of width x height under DIR/images/NAME.jpg|png and DIR/masks/NAME.png. */
export async function makePairs(dir: string, n: number, width = 80, height = 60, imageExt: 'jpg' | 'png' = 'png'): Promise<{ images: string; masks: string }> {
  const images = join(dir, 'images')
  const masks = join(dir, 'masks')
  mkdirSync(images, { recursive: true })
  mkdirSync(masks, { recursive: true })
  for (let i = 0; i < n; i++) {
    const labels = Buffer.alloc(width * height)
    const rgb = Buffer.alloc(width * height * 3)
    const cx = (i * 17) % width
    const cy = (i * 11) % height
    const r = 8 + (i % 5) * 3
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let c = ((x >> 4) + (y >> 4) + i) % 2 === 0 ? 0 : 1
        if ((x - cx) ** 2 + (y - cy) ** 2 < r * r) c = 2 + (i % 3)
        labels[y * width + x] = c
        const col = COLOURS[c]
        rgb[(y * width + x) * 3] = Math.min(255, col[0] + (x % 7))
        rgb[(y * width + x) * 3 + 1] = Math.min(255, col[1] + (y % 5))
        rgb[(y * width + x) * 3 + 2] = col[2]
      }
    }
    const name = `p${String(i).padStart(3, '0')}`
    const img = sharp(rgb, { raw: { width, height, channels: 3 } })
    await (imageExt === 'jpg' ? img.jpeg({ quality: 92 }) : img.png()).toFile(join(images, `${name}.${imageExt}`))
    await sharp(labels, { raw: { width, height, channels: 1 } })
      .toColourspace('b-w')
      .png()
      .toFile(join(masks, `${name}.png`))
  }
  return { images, masks }
}

export const RECIPE = {
  schema: 'lockstep.recipe/1',
  output: { width: 32, height: 24 },
  mask: { ignoreIndex: 255 },
  ops: [
    { type: 'random_crop', p: 1, width: 32, height: 24 },
    { type: 'hflip', p: 0.5 },
    { type: 'brightness', p: 1, limit: [-0.2, 0.2] },
  ],
}

/** Every file under dir (relative path -> bytes), excluding the given names. */
export function snapshot(dir: string, exclude: (rel: string) => boolean = () => false): Map<string, Buffer> {
  const out = new Map<string, Buffer>()
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e)
      if (statSync(p).isDirectory()) walk(p)
      else {
        const rel = relative(dir, p)
        if (!exclude(rel)) out.set(rel, readFileSync(p))
      }
    }
  }
  walk(dir)
  return out
}

export function expectSameFiles(a: Map<string, Buffer>, b: Map<string, Buffer>): string[] {
  const problems: string[] = []
  for (const k of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(k)
    const y = b.get(k)
    if (!x) problems.push(`only in second: ${k}`)
    else if (!y) problems.push(`only in first: ${k}`)
    else if (!x.equals(y)) problems.push(`differs: ${k}`)
  }
  return problems
}

/** Every file under a final name is whole, or a valid early-closed batch or shard whose content is the whole one's start. */
export function checkWholeFiles(out: string, whole: Map<string, Buffer>): string[] {
  const problems: string[] = []
  for (const [rel, bytes] of snapshot(out)) {
    if (rel.endsWith('.partial')) {
      problems.push(`temporary file left: ${rel}`)
      continue
    }
    const full = whole.get(rel)
    if (!full) problems.push(`not in the uninterrupted export: ${rel}`)
    else if (rel === 'manifest.jsonl') {
      if (!full.subarray(0, bytes.byteLength).equals(bytes) || (bytes.byteLength && bytes[bytes.byteLength - 1] !== 0x0a))
        problems.push('manifest.jsonl is not a prefix of whole lines')
    } else if (bytes.equals(full)) continue
    else if (rel.endsWith('.npy')) {
      // a batch closed early: a valid npy file holding the first rows (its labels may be 8-bit
      // where the whole batch, with a 16-bit mask further on, is 16-bit: compare the values)
      try {
        const a = parseNpy(bytes, rel)
        const b = parseNpy(full, rel)
        const values = (buf: Buffer, h: { descr: string; offset: number }, n: number) =>
          h.descr === '<u2' ? Array.from({ length: n }, (_, i) => buf.readUInt16LE(h.offset + 2 * i)) : [...buf.subarray(h.offset, h.offset + n)]
        const n = (bytes.byteLength - a.offset) / (a.descr === '<u2' ? 2 : 1)
        const same = a.shape[0] < b.shape[0] && a.shape.slice(1).join() === b.shape.slice(1).join() && values(bytes, a, n).join() === values(full, b, n).join()
        if (!same) problems.push(`npy differs: ${rel}`)
      } catch (err) {
        problems.push(`broken npy under its final name: ${rel} (${(err as Error).message})`)
      }
    } else if (rel.endsWith('.tar')) {
      try {
        const a = [...tarMembers(bytes, rel)]
        const b = [...tarMembers(full, rel)]
        const end = a.length ? a[a.length - 1].end : 0
        if (
          !(a.length < b.length) ||
          !bytes.subarray(0, end).equals(full.subarray(0, end)) ||
          bytes.byteLength !== end + 1024 ||
          bytes.subarray(end).some((x) => x !== 0)
        )
          problems.push(`tar differs: ${rel}`)
      } catch (err) {
        problems.push(`broken tar under its final name: ${rel} (${(err as Error).message})`)
      }
    } else problems.push(`differs from the uninterrupted export: ${rel} (${bytes.byteLength} of ${full.byteLength} bytes)`)
  }
  return problems
}
