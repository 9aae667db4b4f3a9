// Generated pairs for export tests: each image is painted from a class map (one colour per class
// plus a gradient), the mask is that class map, so alignment is checkable. Small and deterministic.
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { promisify } from 'node:util'
import sharp from 'sharp'

export const ROOT = join(import.meta.dirname, '..', '..')
export const CLI = join(ROOT, 'bin', 'lockstep.js')
export const run = promisify(execFile)

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
        const col = COLOURS[c]!
        rgb[(y * width + x) * 3] = Math.min(255, col[0]! + (x % 7))
        rgb[(y * width + x) * 3 + 1] = Math.min(255, col[1]! + (y % 5))
        rgb[(y * width + x) * 3 + 2] = col[2]!
      }
    }
    const name = `p${String(i).padStart(3, '0')}`
    const img = sharp(rgb, { raw: { width, height, channels: 3 } })
    await (imageExt === 'jpg' ? img.jpeg({ quality: 92 }) : img.png()).toFile(join(images, `${name}.${imageExt}`))
    await sharp(labels, { raw: { width, height, channels: 1 } }).toColourspace('b-w').png().toFile(join(masks, `${name}.png`))
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
