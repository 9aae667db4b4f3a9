#!/usr/bin/env node
// Makes resources/sample: 12 image/mask pairs (480x360) of drawn scenes whose mask is the exact
// class map of what is drawn, a class table and a default recipe. Deterministic: the same bytes
// on every run (fixed seeds, fixed encoder settings), so the committed files can be re-made.
//   node scripts/make-sample.mjs [--out DIR]
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import sharp from 'sharp'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const outArg = process.argv.indexOf('--out')
const OUT = outArg > 0 ? resolve(process.argv[outArg + 1]) : join(root, 'resources', 'sample')
const W = 480,
  H = 360,
  N = 12

const CLASSES = [
  { index: 0, name: 'background', colour: '#000000' },
  { index: 1, name: 'leaf', colour: '#2ca02c' },
  { index: 2, name: 'stone', colour: '#7f7f7f' },
  { index: 3, name: 'water', colour: '#1f77b4' },
  { index: 4, name: 'flower', colour: '#d62728' },
]
// drawing colours (what the image shows), distinct from the class table's display colours
const PAINT = [
  [196, 176, 128],
  [70, 140, 50],
  [120, 116, 110],
  [60, 110, 190],
  [225, 70, 110],
]

function mulberry32(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function scene(i) {
  const rnd = mulberry32(1000 + i)
  const ri = (a, b) => a + Math.floor(rnd() * (b - a + 1))
  const labels = new Uint8Array(W * H)
  const shapes = []
  // water: a band with a wavy edge; stones: ellipses; leaves: rotated ellipses; flowers: discs with petals
  if (rnd() < 0.8) shapes.push({ k: 3, kind: 'band', y: ri(200, 300), amp: ri(5, 25), freq: 0.01 + rnd() * 0.03 })
  for (let s = 0, n = ri(2, 4); s < n; s++) shapes.push({ k: 2, kind: 'ellipse', x: ri(0, W), y: ri(0, H), rx: ri(20, 60), ry: ri(12, 40), t: 0 })
  for (let s = 0, n = ri(3, 6); s < n; s++) shapes.push({ k: 1, kind: 'ellipse', x: ri(0, W), y: ri(0, H), rx: ri(25, 70), ry: ri(8, 20), t: rnd() * Math.PI })
  for (let s = 0, n = ri(1, 3); s < n; s++) shapes.push({ k: 4, kind: 'flower', x: ri(30, W - 30), y: ri(30, H - 30), r: ri(10, 26) })
  for (const sh of shapes) {
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        let inside
        if (sh.kind === 'band') inside = y >= sh.y + sh.amp * Math.sin(x * sh.freq)
        else if (sh.kind === 'ellipse') {
          const dx = x - sh.x,
            dy = y - sh.y
          const u = dx * Math.cos(sh.t) + dy * Math.sin(sh.t),
            v = -dx * Math.sin(sh.t) + dy * Math.cos(sh.t)
          inside = (u * u) / (sh.rx * sh.rx) + (v * v) / (sh.ry * sh.ry) <= 1
        } else {
          const dx = x - sh.x,
            dy = y - sh.y
          const r = Math.hypot(dx, dy),
            a = Math.atan2(dy, dx)
          inside = r <= sh.r * (0.6 + 0.4 * Math.abs(Math.cos(2.5 * a)))
        }
        if (inside) labels[y * W + x] = sh.k
      }
    }
  }
  // image: the class's paint with a soft gradient and fine grain, so it looks like a photo of paint
  const rgb = new Uint8Array(W * H * 3)
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const p = y * W + x
      const c = PAINT[labels[p]]
      const shade = 0.85 + 0.15 * Math.sin((x + y * 0.7 + i * 40) / 90)
      for (let j = 0; j < 3; j++) rgb[p * 3 + j] = Math.max(0, Math.min(255, Math.round(c[j] * shade + (rnd() - 0.5) * 16)))
    }
  }
  return { rgb, labels }
}

mkdirSync(join(OUT, 'images'), { recursive: true })
mkdirSync(join(OUT, 'masks'), { recursive: true })
for (let i = 0; i < N; i++) {
  const name = `scene_${String(i + 1).padStart(2, '0')}`
  const { rgb, labels } = scene(i)
  await sharp(rgb, { raw: { width: W, height: H, channels: 3 } })
    .jpeg({ quality: 82, mozjpeg: false })
    .withMetadata({})
    .toFile(join(OUT, 'images', `${name}.jpg`))
  await sharp(labels, { raw: { width: W, height: H, channels: 1 } })
    .toColourspace('b-w')
    .png({ compressionLevel: 9 })
    .toFile(join(OUT, 'masks', `${name}.png`))
}
writeFileSync(join(OUT, 'classes.json'), JSON.stringify({ classes: CLASSES, ignoreIndex: 255 }, null, 2) + '\n')
const recipe = {
  schema: 'lockstep.recipe/1',
  name: 'Sample: crop, flips, small rotation, colour',
  output: { width: 256, height: 256 },
  mask: { ignoreIndex: 255 },
  ops: [
    { type: 'random_resized_crop', p: 1, width: 256, height: 256, scale: [0.3, 1], ratio: [0.75, 1.3333] },
    { type: 'hflip', p: 0.5 },
    { type: 'vflip', p: 0.2 },
    { type: 'rotate', p: 0.3, degrees: [-15, 15] },
    { type: 'brightness', p: 0.5, limit: [-0.15, 0.15] },
    { type: 'contrast', p: 0.5, limit: [-0.15, 0.15] },
    { type: 'hsv_power', p: 0.3, saturation: [0.7, 1.4], value: [0.8, 1.25] },
    { type: 'gaussian_noise', p: 0.2, std: [2, 8], perChannel: true },
  ],
}
writeFileSync(join(OUT, 'recipe.json'), JSON.stringify(recipe, null, 2) + '\n')
console.log(`wrote ${N} pairs, classes.json and recipe.json to ${OUT}`)
