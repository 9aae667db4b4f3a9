// Fixtures and independent references for the labeling e2e test. The scene is made so that each
// tool's result is known without the app: labeled shapes in the mask, plus two objects the mask
// forgot (a flat yellow square for the wand, a green disc on a busy background for box assist).
// The references below are written from the definitions (distance to a segment, point in polygon,
// 4-connected region), not from the app's rasterisers.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { encode as encodePng } from 'fast-png'
import sharp from 'sharp'

export const W = 320
export const H = 240
/** class -> RGB in the image; the mask holds the class index (or its 16-bit stand-in) */
export const COLOURS: Record<number, [number, number, number]> = { 0: [96, 96, 104], 1: [210, 50, 50], 2: [50, 90, 220], 4: [230, 140, 30] }
export const GREY16: Record<number, number> = { 0: 0, 1: 301, 2: 1000, 4: 65000 }

/** The wand's target: a flat square the mask does not label. */
export const SQUARE = { x: 40, y: 150, size: 50, rgb: [235, 225, 40] as [number, number, number] }
/** Box assist's target: a disc the mask does not label. */
export const DISC = { cx: 235, cy: 175, r: 34, rgb: [40, 190, 80] as [number, number, number] }

export interface Scene {
  rgb: Uint8Array
  labels: Uint8Array
}

export function drawScene(): Scene {
  const labels = new Uint8Array(W * H)
  const rgb = new Uint8Array(W * H * 3)
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      let k = 0
      if (x >= 20 && x < 110 && y >= 20 && y < 90) k = 1
      if ((x - 230) ** 2 + (y - 60) ** 2 <= 40 ** 2) k = 2
      if (y >= 120 && y < 135 && x >= 120 && x < 300) k = 4
      labels[y * W + x] = k
      let c = COLOURS[k]
      const inSquare = x >= SQUARE.x && x < SQUARE.x + SQUARE.size && y >= SQUARE.y && y < SQUARE.y + SQUARE.size
      const inDisc = (x - DISC.cx) ** 2 + (y - DISC.cy) ** 2 <= DISC.r ** 2
      if (inSquare) c = SQUARE.rgb
      if (inDisc) c = DISC.rgb
      // deterministic texture: small on shapes, larger on the background (GrabCut's job is not trivial)
      const n = ((x * 7 + y * 13) % 11) - 5
      const amp = k === 0 && !inSquare && !inDisc ? 2 : 1
      for (let ch = 0; ch < 3; ch++) rgb[(y * W + x) * 3 + ch] = Math.max(0, Math.min(255, c[ch] + n * amp))
    }
  }
  return { rgb, labels }
}

export type MaskKind = 'grey8' | 'grey16' | 'palette'
export const PALETTE: [number, number, number][] = [
  [0, 0, 0],
  [255, 0, 0],
  [0, 0, 255],
  [0, 255, 0],
  [255, 160, 0],
]

export async function writeScenePair(dir: string, stem: string, kind: MaskKind | null): Promise<Scene> {
  const s = drawScene()
  mkdirSync(join(dir, 'images'), { recursive: true })
  mkdirSync(join(dir, 'masks'), { recursive: true })
  await sharp(s.rgb, { raw: { width: W, height: H, channels: 3 } })
    .png()
    .toFile(join(dir, 'images', `${stem}.png`))
  const mask = join(dir, 'masks', `${stem}.png`)
  if (kind === 'grey8') writeFileSync(mask, encodePng({ width: W, height: H, depth: 8, channels: 1, data: s.labels }))
  if (kind === 'grey16') writeFileSync(mask, encodePng({ width: W, height: H, depth: 16, channels: 1, data: Uint16Array.from(s.labels, (k) => GREY16[k]) }))
  if (kind === 'palette') writeFileSync(mask, encodePng({ width: W, height: H, depth: 8, channels: 1, data: s.labels, palette: PALETTE }))
  return s
}

// ------------------------------------------------------------------ references

export interface P {
  x: number
  y: number
}

/** Is pixel (x, y) within size/2 of segment a-b (pixel centres; BigInt, no rounding)? */
export function nearSegment(x: number, y: number, a: P, b: P, size: number): boolean {
  const B = BigInt
  const dx = B(b.x - a.x)
  const dy = B(b.y - a.y)
  const px = B(x - a.x)
  const py = B(y - a.y)
  const l2 = dx * dx + dy * dy
  const s2 = B(size * size)
  if (l2 === 0n) return 4n * (px * px + py * py) <= s2
  let t = px * dx + py * dy
  if (t < 0n) t = 0n
  if (t > l2) t = l2
  const ex = px * l2 - t * dx
  const ey = py * l2 - t * dy
  return 4n * (ex * ex + ey * ey) <= s2 * l2 * l2
}

/** Inside (even-odd) or on the boundary of the polygon through pixel centres `pts`. */
export function inPolygon(x: number, y: number, pts: P[]): boolean {
  let inside = false
  for (let i = 0, j = pts.length - 1; i < pts.length; j = i++) {
    const p = pts[j]
    const q = pts[i]
    const cross = (q.x - p.x) * (y - p.y) - (q.y - p.y) * (x - p.x)
    if (cross === 0 && Math.min(p.x, q.x) <= x && x <= Math.max(p.x, q.x) && Math.min(p.y, q.y) <= y && y <= Math.max(p.y, q.y)) return true
    if (p.y > y !== q.y > y) {
      const lhs = (x - p.x) * (q.y - p.y)
      const rhs = (y - p.y) * (q.x - p.x)
      if (q.y - p.y > 0 ? lhs < rhs : lhs > rhs) inside = !inside
    }
  }
  return inside
}

/** Pixels 4-connected to (x, y) through `same` (breadth-first). */
export function region(x: number, y: number, same: (i: number) => boolean): Set<number> {
  const out = new Set<number>([y * W + x])
  const queue = [y * W + x]
  while (queue.length) {
    const i = queue.shift()!
    const cx = i % W
    const cy = (i - cx) / W
    for (const [nx, ny] of [
      [cx + 1, cy],
      [cx - 1, cy],
      [cx, cy + 1],
      [cx, cy - 1],
    ]) {
      const j = ny * W + nx
      if (nx >= 0 && ny >= 0 && nx < W && ny < H && !out.has(j) && same(j)) {
        out.add(j)
        queue.push(j)
      }
    }
  }
  return out
}

/** The map after a brush stroke through `pts` writing `value` where `writable(old)`. */
export function stroke(map: Uint8Array | Uint16Array, pts: P[], size: number, value: number, writable: (old: number) => boolean = () => true): void {
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = y * W + x
      const hit = pts.length === 1 ? nearSegment(x, y, pts[0], pts[0], size) : pts.slice(1).some((p, k) => nearSegment(x, y, pts[k], p, size))
      if (hit && writable(map[i])) map[i] = value
    }
  }
}
