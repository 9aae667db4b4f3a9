#!/usr/bin/env node
// npm run bench:ops — CPU milliseconds per 512x512 output for every op of the recipe schema,
// beside the OpenCV call that does the same thing, measured in the same run (Debian's
// /usr/bin/python3 with python3-opencv). Geometric ops read a 1024x768 source and write a 512x512
// output (image and mask); pixel ops work on a 512x512 image. Lockstep's figure is the op alone:
// the render of a plan with the op minus the same plan without it (an exact 512x512 window), each
// sample minus a render of the window right before it, the median of those differences.
//
//   npm run build && npm run bench:ops [reps]        LOCKSTEP_NATIVE=0: without the native kernels
//   OPS=resize,hue npm run bench:ops                  only those rows (unknown names are an error)
//   WARM=40 (default): renders of each row's plans before it is timed; WARM=1: the first renders' cost
//   ROUNDS=3 (default): rounds alternating all OpenCV rows and all Lockstep rows; each side's figure
//   is its median over the rounds (one round each: a busy minute of a shared machine hit one side
//   only, and rows within 0.1-0.2 ms of OpenCV flipped between met and not met from run to run)
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'

const repo = join(import.meta.dirname, '..', '..')
if (!existsSync(join(repo, 'out', 'main', 'lib.js'))) {
  console.error('bench:ops: run `npm run build` first')
  process.exit(1)
}
const { engine } = await import(join(repo, 'out', 'main', 'lib.js'))
const REPS = Number(process.argv[2] ?? 20)
const WARM = Number(process.env.WARM ?? 40)
const ROUNDS = Math.max(1, Number(process.env.ROUNDS ?? 3))
const ONLY = process.env.OPS ? process.env.OPS.split(',').map((s) => s.trim()) : null
const unknown = ONLY?.filter((t) => !engine.opCatalog.some((o) => o.type === t)) ?? []
if (unknown.length) {
  console.error(`bench:ops: OPS names no op of the schema: ${unknown.join(', ')}`)
  process.exit(1)
}
const measured = engine.opCatalog.filter((o) => !ONLY || ONLY.includes(o.type))
const SW = 1024,
  SH = 768,
  OUT = 512

// a smooth scene with edges and texture, and its class map
function source() {
  const rgb = Buffer.alloc(SW * SH * 3),
    labels = new Uint8Array(SW * SH)
  let s = 12345
  for (let y = 0; y < SH; y++) {
    for (let x = 0; x < SW; x++) {
      const k = ((x >> 6) + (y >> 6)) % 4
      labels[y * SW + x] = k
      for (let c = 0; c < 3; c++) {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0
        rgb[(y * SW + x) * 3 + c] = (40 + k * 50 + ((x * (c + 1) + y * 2) & 63) + (s >>> 28)) & 255
      }
    }
  }
  return {
    paths: { image: 'bench.png', mask: 'bench-mask.png' },
    width: SW,
    height: SH,
    image: { width: SW, height: SH, data: rgb },
    labels: { width: SW, height: SH, depth: 8, data: labels },
  }
}
const loaded = source()

const crop512 = { type: 'center_crop', width: OUT, height: OUT }
/** The recipe that measures an op: geometric ops resample the source into the window; pixel ops run after an exact window. */
function recipeFor(type) {
  const def = engine.opCatalog.find((o) => o.type === type)
  const geometric = def.group === 'crop' || def.group === 'geometry'
  const op = { type, p: 1, ...((def.group === 'crop' && type !== 'pad_if_needed') || type === 'resize' ? { width: OUT, height: OUT } : {}) }
  if (type === 'pad_if_needed') Object.assign(op, { minWidth: SW + 64, minHeight: SH + 64 })
  if (type === 'crop_non_empty_mask') Object.assign(op, { classes: [2] })
  const ops = type === 'resize' ? [op] : geometric ? [op, crop512] : [crop512, op]
  return engine.parseRecipe({ schema: 'lockstep.recipe/1', output: { width: OUT, height: OUT }, ops })
}
const base = engine.parseRecipe({ schema: 'lockstep.recipe/1', output: { width: OUT, height: OUT }, ops: [crop512] })

const planFor = (recipe) =>
  Array.from({ length: REPS }, (_, i) => engine.plan(recipe, loaded, { seed: 7, epoch: i, sampleId: 'bench' }, { labels: loaded.labels }))
const basePlans = planFor(base)
const baseTimes = []
async function cpuOf(plan) {
  const c0 = process.cpuUsage()
  await engine.renderLoaded(plan, loaded, { raw: true })
  const c = process.cpuUsage(c0)
  return (c.user + c.system) / 1000
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/**
 * An op's own CPU ms per render: the median over REPS of (a render of the op's recipe) minus (a render
 * of the exact window right before it). The base is measured beside each sample, not once per run: a
 * single base measured at the start swung 0.15-0.95 ms between runs (page faults, the machine's
 * other work), which moved every small row by as much.
 */
async function cpuPerRender(recipe, warm) {
  const plans = planFor(recipe)
  // warm: WARM renders first (the first round), the row is the steady state an export of many samples
  // runs in (the op's JS compiled by the optimising tier, its scratch buffers touched). Cold, resize's
  // JS axis tables cost ~5 ms for about the first 30 renders of a process: WARM=1 shows the cold figures.
  for (let i = 0; i < warm; i++) await engine.renderLoaded(plans[i % plans.length], loaded, { raw: true })
  const diffs = []
  for (let i = 0; i < plans.length; i++) {
    const b = await cpuOf(basePlans[i])
    baseTimes.push(b)
    diffs.push((await cpuOf(plans[i])) - b)
  }
  return Math.max(0, median(diffs))
}

// The OpenCV call each op is measured against (CPU ms per call, median of REPS, one process).
const CV = {
  random_crop: ['numpy slice + copy', 'out = img[100:612, 200:712].copy(); m = lab[100:612, 200:712].copy()'],
  center_crop: ['numpy slice + copy', 'out = img[128:640, 256:768].copy(); m = lab[128:640, 256:768].copy()'],
  crop_non_empty_mask: [
    'np.argwhere + slice',
    'ys, xs = np.nonzero(lab == 2); i = len(ys) // 2; y0 = max(0, min(ys[i] - 256, 768 - 512)); x0 = max(0, min(xs[i] - 256, 1024 - 512)); out = img[y0:y0+512, x0:x0+512].copy(); m = lab[y0:y0+512, x0:x0+512].copy()',
  ],
  random_resized_crop: [
    'cv2.resize (crop -> 512)',
    'out = cv2.resize(img[50:650, 100:900], (512, 512), interpolation=cv2.INTER_LINEAR); m = cv2.resize(lab[50:650, 100:900], (512, 512), interpolation=cv2.INTER_NEAREST)',
  ],
  pad_if_needed: [
    'cv2.copyMakeBorder + slice',
    'p = cv2.copyMakeBorder(img, 32, 32, 32, 32, cv2.BORDER_CONSTANT, value=0); out = p[288:800, 288:800].copy(); q = cv2.copyMakeBorder(lab, 32, 32, 32, 32, cv2.BORDER_CONSTANT, value=255); m = q[288:800, 288:800].copy()',
  ],
  hflip: ['cv2.flip', 'out = cv2.flip(img[128:640, 256:768], 1); m = cv2.flip(lab[128:640, 256:768], 1)'],
  vflip: ['cv2.flip', 'out = cv2.flip(img[128:640, 256:768], 0); m = cv2.flip(lab[128:640, 256:768], 0)'],
  rot90: ['cv2.rotate', 'out = cv2.rotate(img[128:640, 256:768], cv2.ROTATE_90_CLOCKWISE); m = cv2.rotate(lab[128:640, 256:768], cv2.ROTATE_90_CLOCKWISE)'],
  rotate: [
    'cv2.warpAffine',
    'M = cv2.getRotationMatrix2D((512, 384), 20, 1.0); M[:, 2] -= (256, 128); out = cv2.warpAffine(img, M, (512, 512)); m = cv2.warpAffine(lab, M, (512, 512), flags=cv2.INTER_NEAREST, borderValue=255)',
  ],
  scale: [
    'cv2.warpAffine',
    'M = cv2.getRotationMatrix2D((512, 384), 0, 1.1); M[:, 2] -= (256, 128); out = cv2.warpAffine(img, M, (512, 512)); m = cv2.warpAffine(lab, M, (512, 512), flags=cv2.INTER_NEAREST, borderValue=255)',
  ],
  shift: [
    'cv2.warpAffine',
    'M = np.float64([[1, 0, -250], [0, 1, -120]]); out = cv2.warpAffine(img, M, (512, 512)); m = cv2.warpAffine(lab, M, (512, 512), flags=cv2.INTER_NEAREST, borderValue=255)',
  ],
  affine: [
    'cv2.warpAffine',
    'M = cv2.getRotationMatrix2D((512, 384), 25, 0.9); M[:, 2] -= (240, 130); out = cv2.warpAffine(img, M, (512, 512)); m = cv2.warpAffine(lab, M, (512, 512), flags=cv2.INTER_NEAREST, borderValue=255)',
  ],
  resize: ['cv2.resize', 'out = cv2.resize(img, (512, 512), interpolation=cv2.INTER_LINEAR); m = cv2.resize(lab, (512, 512), interpolation=cv2.INTER_NEAREST)'],
  elastic: [
    'cv2.GaussianBlur x2 + cv2.remap',
    'dx = cv2.GaussianBlur(rs.rand(768, 1024).astype(np.float32) * 2 - 1, (17, 17), 6) * 50; dy = cv2.GaussianBlur(rs.rand(768, 1024).astype(np.float32) * 2 - 1, (17, 17), 6) * 50; mx = (gx + dx)[128:640, 256:768]; my = (gy + dy)[128:640, 256:768]; out = cv2.remap(img, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101); m = cv2.remap(lab, mx, my, cv2.INTER_NEAREST, borderMode=cv2.BORDER_REFLECT_101)',
  ],
  grid_distortion: [
    'cv2.remap',
    'out = cv2.remap(img, gmx, gmy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101); m = cv2.remap(lab, gmx, gmy, cv2.INTER_NEAREST, borderMode=cv2.BORDER_REFLECT_101)',
  ],
  optical_distortion: [
    'cv2.initUndistortRectifyMap + cv2.remap',
    'K = np.float32([[1024, 0, 512], [0, 768, 384], [0, 0, 1]]); a, b = cv2.initUndistortRectifyMap(K, np.float32([0.05, 0.05, 0, 0, 0]), None, None, (1024, 768), cv2.CV_32FC1); a = a[128:640, 256:768]; b = b[128:640, 256:768]; out = cv2.remap(img, a, b, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101); m = cv2.remap(lab, a, b, cv2.INTER_NEAREST, borderMode=cv2.BORDER_REFLECT_101)',
  ],
  perspective: [
    'cv2.warpPerspective',
    'P = cv2.getPerspectiveTransform(np.float32([[30, 20], [1000, 40], [990, 750], [20, 740]]), np.float32([[-256, -128], [768, -128], [768, 640], [-256, 640]])); out = cv2.warpPerspective(img, P, (512, 512)); m = cv2.warpPerspective(lab, P, (512, 512), flags=cv2.INTER_NEAREST, borderValue=255)',
  ],
  brightness: ['cv2.LUT', 'out = cv2.LUT(im5, lut)'],
  contrast: ['cv2.LUT', 'out = cv2.LUT(im5, lut)'],
  gamma: ['cv2.LUT', 'out = cv2.LUT(im5, lut)'],
  posterize: ['cv2.LUT', 'out = cv2.LUT(im5, lut)'],
  hsv_power: [
    'cv2.cvtColor + cv2.LUT x2 + cv2.cvtColor',
    'h = cv2.cvtColor(im5, cv2.COLOR_RGB2HSV); h[..., 1] = cv2.LUT(h[..., 1], lut); h[..., 2] = cv2.LUT(h[..., 2], lut); out = cv2.cvtColor(h, cv2.COLOR_HSV2RGB)',
  ],
  hue: [
    'cv2.cvtColor + cv2.LUT + cv2.cvtColor',
    'h = cv2.cvtColor(im5, cv2.COLOR_RGB2HSV); h[..., 0] = cv2.LUT(h[..., 0], lut); out = cv2.cvtColor(h, cv2.COLOR_HSV2RGB)',
  ],
  hsv_shift: [
    'cv2.cvtColor + cv2.LUT x3 + cv2.cvtColor',
    'h = cv2.cvtColor(im5, cv2.COLOR_RGB2HSV); a, b, c = cv2.split(h); out = cv2.cvtColor(cv2.merge((cv2.LUT(a, lut), cv2.LUT(b, lut), cv2.LUT(c, lut))), cv2.COLOR_HSV2RGB)',
  ],
  color_jitter: [
    'cv2.LUT x2 + cv2.addWeighted + HSV hue',
    'x = cv2.LUT(im5, lut); g = cv2.cvtColor(x, cv2.COLOR_RGB2GRAY); x = cv2.LUT(x, lut); x = cv2.addWeighted(x, 1.2, cv2.cvtColor(g, cv2.COLOR_GRAY2RGB), -0.2, 0); h = cv2.cvtColor(x, cv2.COLOR_RGB2HSV); h[..., 0] = cv2.LUT(h[..., 0], lut); out = cv2.cvtColor(h, cv2.COLOR_HSV2RGB)',
  ],
  channel_shift: ['min/max + cv2.LUT', 'lo, hi = im5.min(), im5.max(); out = cv2.LUT(im5, lut)'],
  rgb_shift: ['cv2.LUT per channel', 'out = cv2.merge([cv2.LUT(c, lut) for c in cv2.split(im5)])'],
  to_grey: ['cv2.cvtColor x2', 'out = cv2.cvtColor(cv2.cvtColor(im5, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)'],
  channel_shuffle: ['numpy channel index', 'out = np.ascontiguousarray(im5[..., [2, 0, 1]])'],
  clahe: [
    'cv2.cvtColor + CLAHE.apply + cv2.cvtColor',
    'y = cv2.cvtColor(im5, cv2.COLOR_RGB2YCrCb); y[..., 0] = clahe.apply(np.ascontiguousarray(y[..., 0])); out = cv2.cvtColor(y, cv2.COLOR_YCrCb2RGB)',
  ],
  equalize: ['cv2.equalizeHist x3', 'out = cv2.merge([cv2.equalizeHist(c) for c in cv2.split(im5)])'],
  gaussian_noise: ['cv2.randn + cv2.add', 'n = np.empty((512, 512, 3), np.int16); cv2.randn(n, 0, 10); out = cv2.add(im5, n, dtype=cv2.CV_8U)'],
  salt_pepper: ['numpy random mask', 'r = rs.rand(512, 512); out = im5.copy(); out[r < 0.015] = 255; out[(r >= 0.015) & (r < 0.03)] = 0'],
  multiplicative_noise: ['cv2.LUT (one factor)', 'out = cv2.LUT(im5, lut)'],
  jpeg: ['cv2.imencode + cv2.imdecode', 'ok, b = cv2.imencode(".jpg", im5, [cv2.IMWRITE_JPEG_QUALITY, 80]); out = cv2.imdecode(b, cv2.IMREAD_COLOR)'],
  coarse_dropout: [
    'numpy fill x8',
    'out = im5.copy(); m = l5.copy()\nfor k in range(8): out[k*40:k*40+20, k*50:k*50+20] = 0; m[k*40:k*40+20, k*50:k*50+20] = 255',
  ],
  grid_dropout: [
    'numpy fill per cell',
    'out = im5.copy(); m = l5.copy()\nfor y in range(0, 512, 48):\n    for x in range(0, 512, 48): out[y:y+24, x:x+24] = 0; m[y:y+24, x:x+24] = 255',
  ],
  gaussian_blur: ['cv2.GaussianBlur', 'out = cv2.GaussianBlur(im5, (0, 0), 1.0)'],
  sharpen: ['cv2.filter2D 3x3', 'out = cv2.filter2D(im5, -1, sk)'],
  motion_blur: ['cv2.filter2D 5x5', 'out = cv2.filter2D(im5, -1, mk)'],
  median_blur: ['cv2.medianBlur 5', 'out = cv2.medianBlur(im5, 5)'],
  downscale: [
    'cv2.resize x2 (nearest)',
    'd = cv2.resize(im5, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_NEAREST); out = cv2.resize(d, (512, 512), interpolation=cv2.INTER_NEAREST)',
  ],
}

function opencvTimes() {
  const indent = (code) =>
    code
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => '        ' + l)
      .join('\n')
  const body = Object.entries(CV)
    .map(([k, [, code]]) => `    if op == ${JSON.stringify(k)}:\n${indent(code)}`)
    .join('\n')
  const py = `
import cv2, numpy as np, time, json
cv2.setNumThreads(1)
rs = np.random.RandomState(0)
img = rs.randint(0, 256, (768, 1024, 3), dtype=np.uint8); lab = (rs.randint(0, 4, (768, 1024))).astype(np.uint8)
im5 = img[128:640, 256:768].copy(); l5 = lab[128:640, 256:768].copy()
lut = np.clip(np.arange(256) * 1.1 + 5, 0, 255).astype(np.uint8)
gx, gy = np.meshgrid(np.arange(1024, dtype=np.float32), np.arange(768, dtype=np.float32))
gmx = (gx * 0.9 + 20)[128:640, 256:768].copy(); gmy = (gy * 1.05 - 10)[128:640, 256:768].copy()
clahe = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8))
sk = np.float32([[-0.3, -0.3, -0.3], [-0.3, 3.5, -0.3], [-0.3, -0.3, -0.3]]); mk = np.zeros((5, 5), np.float32); mk[2, :] = 0.2
def run(op):
${body}
res = {}
for op in ${JSON.stringify(Object.keys(CV).filter((k) => measured.some((o) => o.type === k)))}:
    ts = []
    for i in range(${REPS}):
        t0 = time.process_time(); run(op); ts.append((time.process_time() - t0) * 1000)
    ts.sort(); res[op] = ts[len(ts) // 2]
print(json.dumps(res))
`
  const r = spawnSync('/usr/bin/python3', ['-c', py], { encoding: 'utf8', maxBuffer: 1 << 24 })
  if (r.status !== 0) {
    console.error(`bench:ops: the OpenCV rows failed (${r.stderr.trim().split('\n').pop()})`)
    return null
  }
  return JSON.parse(r.stdout)
}

const native = process.env.LOCKSTEP_NATIVE === '0' ? 'off (LOCKSTEP_NATIVE=0)' : 'on where built'
console.log(
  `bench:ops: CPU ms per ${OUT}x${OUT} output, median of ${REPS} (op render - window render) after ${WARM} warm-up renders, then the median over ${ROUNDS} rounds alternating the OpenCV and the Lockstep rows; geometric ops from a ${SW}x${SH} source (image + mask); native kernels ${native}`,
)
for (let i = 0; i < WARM; i++) await engine.renderLoaded(basePlans[i % basePlans.length], loaded, { raw: true })
const ours = new Map(measured.map(({ type }) => [type, []])),
  theirs = new Map(measured.map(({ type }) => [type, []]))
for (let round = 0; round < ROUNDS; round++) {
  const cv = opencvTimes()
  for (const { type } of measured) {
    if (cv?.[type] !== undefined) theirs.get(type).push(cv[type])
    ours.get(type).push(await cpuPerRender(recipeFor(type), round === 0 ? WARM : 0))
  }
}
const rows = measured.map(({ type }) => ({
  type,
  ms: median(ours.get(type)),
  cv: theirs.get(type).length ? median(theirs.get(type)) : null,
  call: CV[type]?.[0] ?? '-',
}))
const w = Math.max(...rows.map((r) => r.call.length))
console.log(`${'op'.padEnd(22)} ${'lockstep'.padStart(9)} ${'opencv'.padStart(8)}  ${'ratio'.padStart(6)}  ${'opencv call'.padEnd(w)}  target`)
let slower = 0
for (const r of rows) {
  const ok = r.cv === null ? null : r.ms <= r.cv
  if (ok === false) slower++
  console.log(
    `${r.type.padEnd(22)} ${r.ms.toFixed(2).padStart(9)} ${(r.cv?.toFixed(2) ?? '-').padStart(8)}  ${(r.cv ? (r.ms / r.cv).toFixed(2) : '-').padStart(6)}  ${r.call.padEnd(w)}  ${ok === null ? '-' : ok ? 'met' : 'NOT met'}`,
  )
}
console.log(
  `(base: an exact ${OUT}x${OUT} window, median ${median(baseTimes).toFixed(2)} ms, rendered before each sample of a row and subtracted from it; target: no op slower than its OpenCV row — ${slower} slower)`,
)
