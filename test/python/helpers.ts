// Shared by the Python tests: run /usr/bin/python3 scripts with the package in python/ on the
// path (no pip install needed), make exports with the built CLI, and generate shape datasets.
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import sharp from 'sharp'
import { CLASS_COLOURS, drawScene } from '../fixtures/pairs'
import { CLI, ROOT } from '../export/helpers'

export { CLI, ROOT }
export const PY = '/usr/bin/python3'
export const HERE = join(ROOT, 'test', 'python')
const exec = promisify(execFile)

export const pyEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  ...process.env,
  PYTHONPATH: join(ROOT, 'python'),
  PYTHONDONTWRITEBYTECODE: '1',
  PYTHONHASHSEED: '0',
  OMP_NUM_THREADS: '1',
  ...extra,
})

/** Runs test/python/SCRIPT with args; returns the JSON object its last stdout line holds. */
export async function py(script: string, args: string[], env: Record<string, string> = {}, timeout = 120_000): Promise<any> {
  let out: { stdout: string; stderr: string }
  try {
    out = await exec(PY, [join(HERE, script), ...args], { env: pyEnv(env), timeout, maxBuffer: 64 * 2 ** 20 })
  } catch (err: any) {
    throw new Error(`${script} ${args.join(' ')} failed (${err.code ?? err.signal}):\n${err.stdout ?? ''}\n${err.stderr ?? ''}`, { cause: err })
  }
  const last = out.stdout.trim().split('\n').pop() ?? ''
  try {
    return JSON.parse(last)
  } catch {
    throw new Error(`${script} printed no JSON result:\n${out.stdout}\n${out.stderr}`)
  }
}

/** `lockstep export` through the built CLI; resolves with its stdout/stderr even when it exits 1. */
export async function lockstepExport(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  if (!existsSync(join(ROOT, 'out', 'main', 'cli.js'))) throw new Error('the Python tests run the built CLI: run `npm run build` first')
  try {
    const r = await exec('node', [CLI, 'export', ...args], { maxBuffer: 64 * 2 ** 20 })
    return { code: 0, ...r }
  } catch (err: any) {
    if (typeof err.code !== 'number') throw err
    return { code: err.code, stdout: err.stdout, stderr: err.stderr }
  }
}

export function writeJson(path: string, value: unknown): string {
  writeFileSync(path, JSON.stringify(value))
  return path
}

/**
 * n pairs of size x size (images/NAME.png, masks/NAME.png) for training: the fixtures' shapes
 * (classes 1..4 on background 0), each class painted in its colour with per-pixel noise and a
 * class texture (stripes, checks, dots), so a small convolutional net can learn the classes from
 * the pixels, and only if each mask lines up with its image.
 */
export async function shapesDataset(dir: string, n: number, size: number, seed: number): Promise<{ images: string; masks: string }> {
  const images = join(dir, 'images')
  const masks = join(dir, 'masks')
  mkdirSync(images, { recursive: true })
  mkdirSync(masks, { recursive: true })
  for (let i = 0; i < n; i++) {
    const scene = drawScene(size, size, seed + i)
    const rgb = new Uint8Array(size * size * 3)
    let noise = (seed + i) * 2654435761
    for (let p = 0; p < size * size; p++) {
      const k = scene.labels[p]
      const x = p % size
      const y = Math.floor(p / size)
      const texture =
        k === 1
          ? ((x >> 1) % 2) * 30
          : k === 2
            ? (((x >> 2) + (y >> 2)) % 2) * 30
            : k === 3
              ? x % 3 === 0 && y % 3 === 0
                ? 40
                : 0
              : k === 4
                ? ((y >> 1) % 2) * 30
                : 0
      for (let c = 0; c < 3; c++) {
        noise = (Math.imul(noise, 1103515245) + 12345) >>> 0
        const v = CLASS_COLOURS[k][c] - 15 + ((noise >>> 16) % 31) - texture
        rgb[p * 3 + c] = Math.max(0, Math.min(255, v))
      }
    }
    const name = `s${String(i).padStart(3, '0')}`
    await sharp(rgb, { raw: { width: size, height: size, channels: 3 } })
      .png()
      .toFile(join(images, `${name}.png`))
    await sharp(scene.labels, { raw: { width: size, height: size, channels: 1 } })
      .toColourspace('b-w')
      .png()
      .toFile(join(masks, `${name}.png`))
  }
  return { images, masks }
}
