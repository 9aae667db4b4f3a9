// Distortion family (displacement fields): each op computes, for every pixel centre of its output
// canvas, the input point it shows; the renderer resamples image (bilinear) and mask (nearest) from
// those points with the op's fill mode, fused with the affine steps around it. Parameters follow
// Albumentations 1.3.1 (ElasticTransform approximate, GridDistortion, OpticalDistortion,
// Perspective); maps are in continuous coordinates (OpenCV's index coordinates + 0.5).
import type { OpKernels } from '../../io/native'
import { fast, sameBytes } from '../fast'
import { Rng } from '../rng'
import { hash32, noiseKey } from './noise'
import { fillParam, type Field, type FieldFormula, type FieldOp, type Geometric, type KernelGeneration, type Size } from './types'

/** Solves a small dense system A x = b (Gaussian elimination with partial pivoting). */
export function solve(A: number[][], b: number[]): number[] {
  const n = b.length
  const M = A.map((row, i) => [...row, b[i]])
  for (let c = 0; c < n; c++) {
    let p = c
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r
    ;[M[c], M[p]] = [M[p], M[c]]
    const pivot = M[c][c]
    if (pivot === 0) throw new Error('singular system')
    for (let r = 0; r < n; r++) {
      if (r === c) continue
      const k = M[r][c] / pivot
      for (let j = c; j <= n; j++) M[r][j] -= k * M[c][j]
    }
  }
  return M.map((row, i) => row[n] / row[i])
}

/** The affine [a, b, c, d, e, f] taking three points onto three others (cv2.getAffineTransform). */
export function affineFrom3(src: number[], dst: number[]): [number, number, number, number, number, number] {
  const A = [0, 1, 2].map((i) => [src[i * 2], src[i * 2 + 1], 1])
  const [a, b, c] = solve(A, [dst[0], dst[2], dst[4]]) as [number, number, number]
  const [d, e, f] = solve(A, [dst[1], dst[3], dst[5]]) as [number, number, number]
  return [a, b, c, d, e, f]
}

/** cv2.getGaussianKernel(n, sigma) for n odd. */
function gaussian(n: number, sigma: number): Float64Array {
  const k = new Float64Array(n)
  const r = (n - 1) / 2
  let sum = 0
  for (let i = 0; i < n; i++) sum += k[i] = Math.exp(-((i - r) ** 2) / (2 * sigma * sigma))
  for (let i = 0; i < n; i++) k[i] /= sum
  return k
}

/** out.length uniform values in [-1, 1) from the stream. */
function uniformPm1Js(rng: Rng, out: Float64Array): void {
  for (let i = 0; i < out.length; i++) out[i] = rng.next() * 2 - 1
}

/** Separable blur of a w x h float plane with `k` (BORDER_REFLECT_101), in place. */
function blurPlaneJs(p: Float64Array, w: number, h: number, k: Float64Array): void {
  const r = (k.length - 1) / 2
  const tmp = new Float64Array(p.length)
  const refl = (i: number, n: number) => (n === 1 ? 0 : i < 0 ? Math.min(-i, n - 1) : i >= n ? Math.max(2 * (n - 1) - i, 0) : i)
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0
      for (let t = -r; t <= r; t++) s += k[t + r] * p[y * w + refl(x + t, w)]
      tmp[y * w + x] = s
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0
      for (let t = -r; t <= r; t++) s += k[t + r] * tmp[refl(y + t, h) * w + x]
      p[y * w + x] = s
    }
  }
}

/**
 * A field computed by `fill(map, x0, y0, x1, y1)` for the pixels a chain reads (Field.region), or
 * whole when `map` is read; each value is the same either way.
 */
function partField(w: number, h: number, fill: (map: Float64Array, x0: number, y0: number, x1: number, y1: number) => void): Field {
  let own: Float64Array | null = null
  const mapOf = () => (own ??= new Float64Array(w * h * 2))
  let whole = false
  return {
    width: w,
    height: h,
    get map() {
      if (!whole) fill(mapOf(), 0, 0, w, h)
      whole = true
      return mapOf()
    },
    region(x0, y0, x1, y1, into) {
      if (whole) return mapOf()
      const m = into ?? mapOf()
      fill(m, x0, y0, x1, y1)
      return m
    },
  }
}

type Elastic = { alpha: number; sigma: number; seed: number; jitter: number[] } & Geometric

/**
 * Albumentations ElasticTransform (approximate): uniform noise in [-1, 1) per pixel for x and y,
 * blurred by a 17-tap Gaussian of sigma, times alpha; after a random affine that moves three
 * reference points by up to `affine` pixels.
 */
export const elastic: FieldOp<'elastic', Elastic> = {
  type: 'elastic',
  kind: 'field',
  sample: (rng, spec) => ({
    alpha: spec.alpha,
    sigma: spec.sigma,
    seed: rng.seed32(),
    jitter: spec.affine > 0 ? Array.from({ length: 6 }, () => rng.uniform(-spec.affine, spec.affine)) : [],
    ...fillParam(spec.fill),
  }),
  field: (p, { width: w, height: h }: Size, kernels: KernelGeneration = 1): Field =>
    partField(w, h, (map, x0, y0, x1, y1) => (kernels >= 3 ? elasticMapQ : elasticMap)(p, w, h, [x0, y0, x1, y1], map)),
}

/** The elastic map's values in the window [x0, x1) x [y0, y1) (natively), or the whole map. */
function elasticMap(p: Elastic, w: number, h: number, [x0, y0, x1, y1]: number[], map: Float64Array): void {
  const inv = elasticAffine(p, w, h)
  const k = fast('opElasticWindow', (k) => {
    const q = CHECK_ELASTIC
    const whole = new Float64Array(23 * 19 * 2)
    elasticMapJs(q, 23, 19, whole)
    const A = Float64Array.of(q.alpha, ...elasticAffine(q, 23, 19))
    return windowsAgree(whole, 23, CHECK_RECTS, (rect, m) =>
      k.opElasticWindow(Rng.fromParts('elastic', q.seed).state(), gaussian(17, q.sigma), A, 23, 19, rect, m),
    )
  })
  if (!k) return elasticMapJs(p, w, h, map)
  const A = Float64Array.of(p.alpha, ...inv)
  k.opElasticWindow(Rng.fromParts('elastic', p.seed).state(), gaussian(17, p.sigma), A, w, h, Int32Array.of(x0, y0, x1, y1), map)
}

// The elastic kernels' start-up checks: a 23 x 19 field, whole and in windows (corners, a thin band).
const CHECK_ELASTIC: Elastic = { alpha: 7.5, sigma: 2.2, seed: 11, jitter: [1.5, -2, 0.25, 1, -1, 0.5] }
const CHECK_RECTS = [
  [0, 0, 23, 19],
  [3, 2, 20, 17],
  [9, 8, 14, 10],
  [0, 11, 5, 19],
  [12, 0, 23, 4],
]

/** Whether `window` fills each rect ([x0, y0, x1, y1)) of a w-wide map with the whole map's values there. */
function windowsAgree(whole: Float64Array, w: number, rects: number[][], window: (rect: Int32Array, map: Float64Array) => void): boolean {
  return rects.every(([a, b, c, d]) => {
    const m = new Float64Array(whole.length)
    window(Int32Array.of(a, b, c, d), m)
    for (let y = b; y < d; y++) if (!sameBytes(m.subarray((y * w + a) * 2, (y * w + c) * 2), whole.subarray((y * w + a) * 2, (y * w + c) * 2))) return false
    return true
  })
}

// ---- kernels 3: counter-based noise, drawn only where the blur reads ----------------------------------
const ELASTIC_SALT = 0x45_4c_41 // the x plane's key; the y plane's is the next
const elasticKeys = (p: Elastic): [number, number] => [noiseKey(p.seed, ELASTIC_SALT), noiseKey(p.seed, ELASTIC_SALT + 1)]

/** elasticMapQJs's values in the window [x0, x1) x [y0, y1) (natively), or the whole map. */
function elasticMapQ(p: Elastic, w: number, h: number, [x0, y0, x1, y1]: number[], map: Float64Array): void {
  const k = fast('opElasticWindowQ', (k) => {
    const q = CHECK_ELASTIC
    const whole = new Float64Array(23 * 19 * 2)
    elasticMapQJs(q, 23, 19, whole)
    const A = Float64Array.of(q.alpha, ...elasticAffine(q, 23, 19))
    return windowsAgree(whole, 23, CHECK_RECTS, (rect, m) => k.opElasticWindowQ(...elasticKeys(q), gaussian(17, q.sigma), A, 23, 19, rect, m))
  })
  if (!k) return elasticMapQJs(p, w, h, map)
  k.opElasticWindowQ(...elasticKeys(p), gaussian(17, p.sigma), Float64Array.of(p.alpha, ...elasticAffine(p, w, h)), w, h, Int32Array.of(x0, y0, x1, y1), map)
}

/**
 * The whole elastic map, kernels 3: as elasticMapJs, but each plane's noise at pixel i is
 * hash32(key, i) * 2^-31 - 1 (uniform in [-1, 1), exact in JS and C), so a window needs only the
 * noise its blur reads instead of every value drawn before it in a stream.
 */
export function elasticMapQJs(p: Elastic, w: number, h: number, map: Float64Array): void {
  const n = w * h
  const [kx, ky] = elasticKeys(p)
  const dx = new Float64Array(n),
    dy = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    dx[i] = hash32(kx, i) * 2 ** -31 - 1
    dy[i] = hash32(ky, i) * 2 ** -31 - 1
  }
  elasticFinish(p, w, h, dx, dy, map)
}

/** The affine part of an elastic field, in index coordinates: output q -> input Minv(q + d(q)). */
function elasticAffine(p: Elastic, w: number, h: number): number[] {
  if (p.jitter.length !== 6) return [1, 0, 0, 0, 1, 0]
  const cx = Math.floor(w / 2),
    cy = Math.floor(h / 2),
    s = Math.floor(Math.min(w, h) / 3)
  const pts = [cx + s, cy + s, cx + s, cy - s, cx - s, cy - s]
  return affineFrom3(
    pts.map((v, i) => v + p.jitter[i]),
    pts,
  )
}

/** The whole elastic map (the reference): noise, blurred, times alpha, through the affine. */
function elasticMapJs(p: Elastic, w: number, h: number, map: Float64Array): void {
  const n = w * h
  const both = new Float64Array(n * 2)
  uniformPm1Js(Rng.fromParts('elastic', p.seed), both)
  elasticFinish(p, w, h, both.subarray(0, n), both.subarray(n), map)
}

/** The noise planes blurred, times alpha, through the affine: the map. */
function elasticFinish(p: Elastic, w: number, h: number, dx: Float64Array, dy: Float64Array, map: Float64Array): void {
  const k = gaussian(17, p.sigma)
  blurPlaneJs(dx, w, h, k)
  blurPlaneJs(dy, w, h, k)
  const inv = elasticAffine(p, w, h)
  for (let y = 0, i = 0; y < h; y++) {
    for (let x = 0; x < w; x++, i++) {
      const qx = x + p.alpha * dx[i],
        qy = y + p.alpha * dy[i]
      map[i * 2] = inv[0] * qx + inv[1] * qy + inv[2] + 0.5
      map[i * 2 + 1] = inv[3] * qx + inv[4] * qy + inv[5] + 0.5
    }
  }
}

/** numpy.linspace(a, b, n) as float32 (the last value exactly b), into out from `at`. */
function linspace32(a: number, b: number, n: number, out: number[], at: number): void {
  if (n === 1) out[at] = Math.fround(a)
  if (n <= 1) return
  const step = (b - a) / (n - 1)
  for (let i = 0; i < n; i++) out[at + i] = Math.fround(i === n - 1 ? b : i * step + a)
}

/** Albumentations grid_distortion's coordinate table along one axis (index coordinates). */
export function gridAxis(size: number, steps: number[], cells: number): number[] {
  const step = Math.floor(size / cells)
  const out = new Array<number>(size).fill(0)
  let prev = 0
  for (let idx = 0; idx <= cells; idx++) {
    const start = idx * step
    let end = start + step,
      cur: number
    if (end > size) {
      end = size
      cur = size
    } else cur = prev + step * steps[idx]
    linspace32(prev, cur, end - start, out, start)
    prev = cur
  }
  return out
}

type Grid = { cells: number; xsteps: number[]; ysteps: number[] } & Geometric

/** Albumentations GridDistortion: the cells of an n x n grid stretched by 1 + distort along each axis. */
export const gridDistortion: FieldOp<'grid_distortion', Grid> = {
  type: 'grid_distortion',
  kind: 'field',
  sample: (rng, spec) => ({
    cells: spec.steps,
    xsteps: Array.from({ length: spec.steps + 1 }, () => 1 + rng.uniform(spec.distort[0], spec.distort[1])),
    ysteps: Array.from({ length: spec.steps + 1 }, () => 1 + rng.uniform(spec.distort[0], spec.distort[1])),
    ...fillParam(spec.fill),
  }),
  field(p, { width: w, height: h }: Size, kernels: KernelGeneration = 1): Field {
    const cells = Math.max(1, Math.min(p.cells, w, h))
    const xx = gridAxis(w, p.xsteps, cells),
      yy = gridAxis(h, p.ysteps, cells)
    return nativeField(w, h, 0, [...xx, ...yy], kernels)
  },
}

type FieldKind = 0 | 1 | 2
/** The JS fills of the grid (0), optical (1) and perspective (2) maps (the references of ops_field.c op_field_window). */
const FILLS: Record<FieldKind, (q: number[], w: number, h: number, map: Float64Array, x0: number, y0: number, x1: number, y1: number) => void> = {
  0: (q, w, _h, map, x0, y0, x1, y1) => {
    for (let y = y0; y < y1; y++) {
      for (let x = x0, i = (y * w + x0) * 2; x < x1; x++, i += 2) {
        map[i] = q[x] + 0.5
        map[i + 1] = q[w + y] + 0.5
      }
    }
  },
  1: ([k, cx, cy, ncx, ncy], w, h, map, x0, y0, x1, y1) => {
    for (let v = y0; v < y1; v++) {
      const y = (v - ncy) / h
      for (let u = x0, i = (v * w + x0) * 2; u < x1; u++, i += 2) {
        const x = (u - ncx) / w
        const r2 = x * x + y * y
        const kr = 1 + k * r2 + k * r2 * r2
        map[i] = w * x * kr + cx + 0.5
        map[i + 1] = h * y * kr + cy + 0.5
      }
    }
  },
  2: (H, w, _h, map, x0, y0, x1, y1) => {
    for (let y = y0; y < y1; y++) {
      const yc = y + 0.5
      for (let x = x0, i = (y * w + x0) * 2; x < x1; x++, i += 2) {
        const xc = x + 0.5
        const z = H[6] * xc + H[7] * yc + H[8]
        map[i] = (H[0] * xc + H[1] * yc + H[2]) / z
        map[i + 1] = (H[3] * xc + H[4] * yc + H[5]) / z
      }
    }
  },
}

/** Small fields of each kind, whole and in windows, with the native fill: its start-up check. */
function checkFieldWindow(k: OpKernels): boolean {
  const cases: Array<[FieldKind, number[]]> = [
    [0, [...gridAxis(13, [1.2, 0.8, 1.1, 0.9], 3), ...gridAxis(9, [0.7, 1.3, 1, 1.05], 3)]],
    [1, [0.37, 6.1, 4.2, 6, 4]],
    [2, [...homography([0, 0, 13, 0, 13, 9, 0, 9], [0.4, 0.3, 12.1, 1.2, 12.6, 8.1, 1.3, 8.8])]],
  ]
  return cases.every(([kind, q]) =>
    [
      [0, 0, 13, 9],
      [2, 3, 11, 7],
    ].every(([a, b, c, d]) => {
      const js = new Float64Array(13 * 9 * 2),
        nat = new Float64Array(13 * 9 * 2)
      FILLS[kind](q, 13, 9, js, a, b, c, d)
      k.opFieldWindow(kind, Float64Array.from(q), 13, 9, Int32Array.of(a, b, c, d), nat)
      return sameBytes(js, nat)
    }),
  )
}

/**
 * A grid, optical or perspective field, its windows filled natively when the kernel agrees; with
 * kernels 3 and later also its formula (fieldFormulaAt), which chains evaluate instead of the map.
 */
function nativeField(w: number, h: number, kind: FieldKind, q: number[], kernels: KernelGeneration): Field {
  const params = Float64Array.from(q)
  const f = partField(w, h, (map, x0, y0, x1, y1) => {
    const k = fast('opFieldWindow', checkFieldWindow)
    if (k) k.opFieldWindow(kind, params, w, h, Int32Array.of(x0, y0, x1, y1), map)
    else FILLS[kind](q, w, h, map, x0, y0, x1, y1)
  })
  if (kernels < 3) return f
  // the grid's tables hold the map's values (index + 0.5)
  const formula: FieldFormula = { kind, params: kind === 0 ? params.map((v) => v + 0.5) : params }
  return Object.defineProperty(f, 'formula', { value: formula, enumerable: true })
}

/** The grid's table `T` (n values from `off`, at pixel centres) linearly at the point p, ends clamped; NaN for a NaN or infinite point. */
function axisLerp(T: Float64Array, off: number, n: number, p: number): number {
  const f = p - 0.5,
    f0 = Math.floor(f),
    w = f - f0,
    f1 = f0 + 1
  if (Number.isNaN(w)) return NaN
  const a = f0 < 0 ? 0 : f0 > n - 1 ? n - 1 : f0,
    b = f1 < 0 ? 0 : f1 > n - 1 ? n - 1 : f1
  return (1 - w) * T[off + a] + w * T[off + b]
}

/** A field whose x depends on the point's x alone and y on its y alone (the grid's formula): chains of it and axis-aligned affines sample per axis. */
export const fieldPerAxis = (f: Field): boolean => f.formula?.kind === 0

/** A per-axis field's coordinate along one axis (0: x, 1: y) at the point's coordinate p on that axis: fieldFormulaAt's, per axis. */
export function fieldAxisAt(f: Field, axis: 0 | 1, p: number): number {
  return axis === 0 ? axisLerp(f.formula!.params, 0, f.width, p) : axisLerp(f.formula!.params, f.width, f.height, p)
}

/**
 * Kernels 3: a formula field's value at a continuous point (x, y) of its canvas, into out: the
 * map's definition (FILLS) at the point itself, so at pixel centres the map's values exactly;
 * the grid per axis (each table interpolated linearly: the map's bilinear interpolation, which is
 * separable, in two lerps). ops_field.c op_chain_coords_q computes the same operations.
 */
export function fieldFormulaAt(f: Field, x: number, y: number, out: Float64Array): void {
  const { kind, params: p } = f.formula!
  const w = f.width,
    h = f.height
  if (kind === 0) {
    out[0] = axisLerp(p, 0, w, x)
    out[1] = axisLerp(p, w, h, y)
  } else if (kind === 1) {
    const u = (x - 0.5 - p[3]) / w,
      v = (y - 0.5 - p[4]) / h
    const r2 = u * u + v * v
    const kr = 1 + p[0] * r2 + p[0] * r2 * r2
    out[0] = w * u * kr + p[1] + 0.5
    out[1] = h * v * kr + p[2] + 0.5
  } else {
    const z = p[6] * x + p[7] * y + p[8]
    out[0] = (p[0] * x + p[1] * y + p[2]) / z
    out[1] = (p[3] * x + p[4] * y + p[5]) / z
  }
}

type Optical = { k: number; dx: number; dy: number } & Geometric

/**
 * Albumentations OpticalDistortion: cv2.initUndistortRectifyMap with focal lengths (width,
 * height), distortion (k, k, 0, 0, 0), the principal point at the centre shifted by (dx, dy), and
 * the undistorted image's principal point at the centre ((size - 1) / 2).
 */
export const opticalDistortion: FieldOp<'optical_distortion', Optical> = {
  type: 'optical_distortion',
  kind: 'field',
  sample: (rng, spec, meta) => ({
    k: rng.uniform(spec.distort[0], spec.distort[1]),
    dx: rng.uniform(spec.shift[0], spec.shift[1]) * meta.canvas.width,
    dy: rng.uniform(spec.shift[0], spec.shift[1]) * meta.canvas.height,
    ...fillParam(spec.fill),
  }),
  field(p, { width: w, height: h }: Size, kernels: KernelGeneration = 1): Field {
    const cx = w * 0.5 + p.dx,
      cy = h * 0.5 + p.dy
    const ncx = (w - 1) * 0.5,
      ncy = (h - 1) * 0.5
    return nativeField(w, h, 1, [p.k, cx, cy, ncx, ncy], kernels)
  },
}

/** The 3x3 homography (row-major, h33 = 1) taking four points onto four others (cv2.getPerspectiveTransform). */
export function homography(src: number[], dst: number[]): number[] {
  const A: number[][] = []
  const b: number[] = []
  for (let i = 0; i < 4; i++) {
    const x = src[i * 2],
      y = src[i * 2 + 1],
      u = dst[i * 2],
      v = dst[i * 2 + 1]
    A.push([x, y, 1, 0, 0, 0, -x * u, -y * u])
    b.push(u)
    A.push([0, 0, 0, x, y, 1, -x * v, -y * v])
    b.push(v)
  }
  return [...solve(A, b), 1]
}

type Perspective = { corners: number[] } & Geometric

/**
 * Albumentations Perspective (keep_size): each corner moves inwards by |N(0, scale)| (mod 0.32)
 * of the size; the quadrilateral they make is mapped onto the whole canvas.
 */
export const perspective: FieldOp<'perspective', Perspective> = {
  type: 'perspective',
  kind: 'field',
  sample(rng, spec) {
    const scale = rng.uniform(spec.scale[0], spec.scale[1])
    const j = () => Math.abs(rng.normal() * scale) % 0.32
    // top-left, top-right, bottom-right, bottom-left, as fractions of the size
    const corners = [j(), j(), 1 - j(), j(), 1 - j(), 1 - j(), j(), 1 - j()]
    return { corners, ...fillParam(spec.fill) }
  },
  field(p, { width: w, height: h }: Size, kernels: KernelGeneration = 1): Field {
    const quad = p.corners.map((v, i) => v * (i % 2 === 0 ? w : h))
    return nativeField(w, h, 2, homography([0, 0, w, 0, w, h, 0, h], quad), kernels)
  },
}

export const DISTORTION_OPS = [elastic, gridDistortion, opticalDistortion, perspective] as const
