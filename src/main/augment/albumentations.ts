// Albumentations interop: import files written by `A.save(compose, path, data_format='json')`
// (1.x, including older files with `always_apply`/`mask_value` and module-qualified class
// names, and the 2.x spellings `fill`/`fill_mask`/`size`/`std_range`), and export ours in the
// 1.3.1 layout. Every transform or parameter with no counterpart is named in `unsupported`;
// approximations are explained in `notes`; a file that is not a pipeline at all gets `problems`
// (each named by its path). Nothing is dropped silently.
//
// One table entry per transform (IMPORT) and per op (EXPORT): adding an op adds its entries here.
import { defaultOp, depthProblem, RECIPE_SCHEMA, show, tooDeep, type OpOf, type OpSpec, type OpType, type Recipe } from '../../shared/recipe'
import type { FillMode } from './ops/types'

export interface Conversion<T> {
  recipe: T
  /** transforms (or parameters, as `Class.param`) with no counterpart */
  unsupported: string[]
  /** approximations and choices made, one sentence each */
  notes: string[]
  /** the input is not a pipeline (not a list of transforms, a transform that is not an object, a bad probability): nothing was converted */
  problems: string[]
}

type Json = Record<string, unknown>
const tidy = (v: number) => Number(v.toPrecision(12))
const pair = (v: unknown, fallback: [number, number]): [number, number] => {
  if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'number' && typeof v[1] === 'number') return [v[0], v[1]]
  if (typeof v === 'number') return [-Math.abs(v), Math.abs(v)]
  return fallback
}
/** A limit given as one number means [1 - v... ] or [lo, v] by the transform's convention; here: [low, v]. */
const upTo = (v: unknown, low: number, fallback: [number, number]): [number, number] => (typeof v === 'number' ? [low, v] : pair(v, fallback))
const isZero = (r: [number, number]) => r[0] === 0 && r[1] === 0
const num = (v: unknown, fallback: number): number => (typeof v === 'number' ? v : fallback)

export function isAlbumentations(json: unknown): json is Json {
  if (!json || typeof json !== 'object') return false
  const j = json as Json
  return '__version__' in j || (typeof j.transform === 'object' && j.transform !== null && '__class_fullname__' in (j.transform as Json))
}

const className = (t: Json) =>
  String(t.__class_fullname__ ?? '')
    .split('.')
    .pop() ?? ''

// OpenCV border modes <-> fill modes
const BORDER: Record<number, FillMode> = { 0: 'constant', 1: 'edge', 2: 'symmetric', 3: 'wrap', 4: 'reflect' }
const BORDER_OF: Record<FillMode, number> = { constant: 0, edge: 1, symmetric: 2, wrap: 3, reflect: 4 }
/** Albumentations' default border_mode per transform (REFLECT_101 unless listed as constant). */
const CONSTANT_BY_DEFAULT = new Set(['Affine', 'Perspective', 'RandomCrop', 'CenterCrop', 'CropNonEmptyMaskIfExists'])

/** What an import entry works with: the transform, and the recipe being built. */
interface Importing {
  t: Json
  name: string
  p: number
  push(op: OpSpec): void
  /** the op pushed last (e.g. a PadIfNeeded that a crop absorbs) */
  last(): OpSpec | undefined
  pop(): void
  unsupported(what: string): void
  note(text: string): void
  /** the output size, from a crop or resize */
  size(s: { width: number; height: number }): void
  /** the transform's fill mode (border_mode, pad_mode, or its default), recording mask_value / fill_mask as the ignore index */
  fill(): FillMode
}

const hw = (t: Json): { width: number; height: number } => {
  if (Array.isArray(t.size)) return { height: Number(t.size[0]), width: Number(t.size[1]) }
  return { height: Number(t.height), width: Number(t.width) }
}
const crop = (type: 'random_crop' | 'center_crop') => (x: Importing) => {
  const s = hw(x.t)
  x.size(s)
  const prev = x.last()
  // PadIfNeeded(h, w) then a crop of the same size: the two are our crop with padIfNeeded
  const merged = prev?.type === 'pad_if_needed' && prev.p === 1 && prev.minWidth === s.width && prev.minHeight === s.height ? prev : null
  if (merged) x.pop()
  const fill = merged ? merged.fill : x.fill()
  x.push({ ...defaultOp(type, x.p), width: s.width, height: s.height, padIfNeeded: !!merged || x.t.pad_if_needed === true, fill })
}

const IMPORT: Record<string, (x: Importing) => void> = {
  RandomCrop: crop('random_crop'),
  CenterCrop: crop('center_crop'),
  PadIfNeeded(x) {
    const { t } = x
    if (typeof t.min_height !== 'number' || typeof t.min_width !== 'number') return x.unsupported('PadIfNeeded.pad_height_divisor')
    if (t.position !== undefined && t.position !== 'center') x.note(`PadIfNeeded: position ${JSON.stringify(t.position)} imported as centre`)
    x.push({ ...defaultOp('pad_if_needed', x.p), minWidth: t.min_width, minHeight: t.min_height, fill: x.fill() })
  },
  CropNonEmptyMaskIfExists(x) {
    const s = hw(x.t)
    x.size(s)
    if (Array.isArray(x.t.ignore_channels) && x.t.ignore_channels.length) x.unsupported('CropNonEmptyMaskIfExists.ignore_channels')
    x.push({
      ...defaultOp('crop_non_empty_mask', x.p),
      width: s.width,
      height: s.height,
      classes: [],
      ignoreValues: Array.isArray(x.t.ignore_values) ? (x.t.ignore_values as number[]) : [],
      padIfNeeded: false,
    })
  },
  RandomResizedCrop(x) {
    const s = hw(x.t)
    x.size(s)
    x.push({
      ...defaultOp('random_resized_crop', x.p),
      width: s.width,
      height: s.height,
      scale: pair(x.t.scale, [0.08, 1]),
      ratio: pair(x.t.ratio, [0.75, 1.3333]),
    })
  },
  Resize(x) {
    const s = hw(x.t)
    x.size(s)
    x.push({ ...defaultOp('resize', x.p), ...s })
  },
  HorizontalFlip: (x) => x.push(defaultOp('hflip', x.p)),
  VerticalFlip: (x) => x.push(defaultOp('vflip', x.p)),
  RandomRotate90: (x) => x.push({ ...defaultOp('rot90', x.p), turns: [0, 1, 2, 3] }),
  Rotate(x) {
    if (x.t.crop_border === true) return x.unsupported('Rotate.crop_border')
    x.push({ ...defaultOp('rotate', x.p), degrees: pair(x.t.limit, [-90, 90]), fill: x.fill() })
  },
  SafeRotate: (x) => x.unsupported('SafeRotate'),
  RandomScale(x) {
    const lim = pair(x.t.scale_limit, [-0.1, 0.1])
    x.push({ ...defaultOp('scale', x.p), factor: [tidy(1 + lim[0]), tidy(1 + lim[1])], keepSize: false })
  },
  ShiftScaleRotate(x) {
    const { t } = x
    const sx = pair(t.shift_limit_x ?? t.shift_limit, [-0.0625, 0.0625])
    const sy = pair(t.shift_limit_y ?? t.shift_limit, [-0.0625, 0.0625])
    const sc = pair(t.scale_limit, [-0.1, 0.1])
    x.push({
      ...defaultOp('affine', x.p),
      degrees: pair(t.rotate_limit, [-45, 45]),
      scale: [tidy(1 + sc[0]), tidy(1 + sc[1])],
      shiftX: sx,
      shiftY: sy,
      fill: x.fill(),
    })
  },
  Affine(x) {
    const { t } = x
    const scale = t.scale
    let sr: [number, number] = [1, 1],
      sry: [number, number] = [1, 1]
    let keepRatio = true
    if (scale && typeof scale === 'object' && !Array.isArray(scale)) {
      sr = pair((scale as Json).x, [1, 1])
      sry = pair((scale as Json).y, [1, 1])
      keepRatio = t.keep_ratio === true || (sr[0] === sry[0] && sr[1] === sry[1] && t.keep_ratio !== false)
    } else if (scale !== undefined && scale !== null) sr = sry = typeof scale === 'number' ? [scale, scale] : pair(scale, [1, 1])
    if (t.keep_ratio === false && sr[0] === sry[0] && sr[1] === sry[1]) keepRatio = false
    const shear = t.shear
    const shx: [number, number] = shear && typeof shear === 'object' && !Array.isArray(shear) ? pair((shear as Json).x, [0, 0]) : pair(shear, [0, 0])
    const shy: [number, number] = shear && typeof shear === 'object' && !Array.isArray(shear) ? pair((shear as Json).y, [0, 0]) : [0, 0]
    if (t.translate_px !== undefined && t.translate_px !== null) x.unsupported('Affine.translate_px')
    const tp = (t.translate_percent ?? null) as Json | [number, number] | null
    const tx = tp && !Array.isArray(tp) ? pair(tp.x, [0, 0]) : tp ? pair(tp, [0, 0]) : ([0, 0] as [number, number])
    const ty = tp && !Array.isArray(tp) ? pair(tp.y, [0, 0]) : tp ? pair(tp, [0, 0]) : ([0, 0] as [number, number])
    x.push({
      ...defaultOp('affine', x.p),
      degrees: pair(t.rotate, [0, 0]),
      scale: sr,
      shiftX: tx,
      shiftY: ty,
      shearX: shx,
      shearY: shy,
      keepRatio,
      scaleY: sry,
      fill: x.fill(),
    })
  },
  ElasticTransform(x) {
    const { t } = x
    if (t.approximate !== true) x.note('ElasticTransform: the displacement is blurred by a 17-tap Gaussian (Albumentations approximate=True)')
    x.push({ ...defaultOp('elastic', x.p), alpha: num(t.alpha, 1), sigma: num(t.sigma, 50), affine: num(t.alpha_affine, 50), fill: x.fill() })
  },
  GridDistortion(x) {
    if (x.t.normalized === true) x.note("GridDistortion: normalized=true imported as 1.3.1's unnormalised steps")
    x.push({ ...defaultOp('grid_distortion', x.p), steps: num(x.t.num_steps, 5), distort: pair(x.t.distort_limit, [-0.3, 0.3]), fill: x.fill() })
  },
  OpticalDistortion(x) {
    const sl = pair(x.t.shift_limit, [-0.05, 0.05])
    if (Math.max(Math.abs(sl[0]), Math.abs(sl[1])) >= 0.5) x.note('OpticalDistortion: shift_limit (pixels, rounded) imported as no centre shift')
    x.push({ ...defaultOp('optical_distortion', x.p), distort: pair(x.t.distort_limit, [-0.05, 0.05]), shift: [0, 0], fill: x.fill() })
  },
  Perspective(x) {
    if (x.t.keep_size === false) return x.unsupported('Perspective.keep_size')
    if (x.t.fit_output === true) return x.unsupported('Perspective.fit_output')
    x.push({
      ...defaultOp('perspective', x.p),
      scale: pair(x.t.scale, [0.05, 0.1])
        .map(Math.abs)
        .sort((a, b) => a - b) as [number, number],
      fill: x.fill(),
    })
  },
  RandomBrightnessContrast(x) {
    const b = pair(x.t.brightness_limit, [-0.2, 0.2])
    const c = pair(x.t.contrast_limit, [-0.2, 0.2])
    if (x.t.brightness_by_max === false) x.note('RandomBrightnessContrast: brightness_by_max=false imported as brightness by max (255)')
    if (!isZero(b) && !isZero(c) && x.p < 1) x.note(`RandomBrightnessContrast: brightness and contrast each get p=${x.p} independently`)
    if (!isZero(b)) x.push({ ...defaultOp('brightness', x.p), limit: b })
    if (!isZero(c)) x.push({ ...defaultOp('contrast', x.p), limit: c })
  },
  ColorJitter(x) {
    const { t } = x
    const fac = (v: unknown): [number, number] => (typeof v === 'number' ? [Math.max(0, 1 - v), 1 + v] : pair(v, [1, 1]))
    const hu: [number, number] = typeof t.hue === 'number' ? [-t.hue, t.hue] : pair(t.hue, [0, 0])
    x.push({ ...defaultOp('color_jitter', x.p), brightness: fac(t.brightness), contrast: fac(t.contrast), saturation: fac(t.saturation), hue: hu })
  },
  HueSaturationValue(x) {
    const h = pair(x.t.hue_shift_limit, [-20, 20])
    // uint8 images: OpenCV hue units of 2 degrees (x2 and /2 are exact)
    x.push({
      ...defaultOp('hsv_shift', x.p),
      hue: [h[0] * 2, h[1] * 2],
      saturation: pair(x.t.sat_shift_limit, [-30, 30]),
      value: pair(x.t.val_shift_limit, [-20, 20]),
    })
  },
  RGBShift: (x) =>
    x.push({
      ...defaultOp('rgb_shift', x.p),
      r: pair(x.t.r_shift_limit, [-20, 20]),
      g: pair(x.t.g_shift_limit, [-20, 20]),
      b: pair(x.t.b_shift_limit, [-20, 20]),
    }),
  ToGray: (x) => x.push(defaultOp('to_grey', x.p)),
  ChannelShuffle: (x) => x.push(defaultOp('channel_shuffle', x.p)),
  CLAHE(x) {
    const tiles = Array.isArray(x.t.tile_grid_size) ? (x.t.tile_grid_size as number[]) : [8, 8]
    if (tiles[0] !== tiles[1]) x.note(`CLAHE: tile grid ${tiles[0]}x${tiles[1]} imported as ${tiles[0]}x${tiles[0]}`)
    x.note('CLAHE: equalises the luma (Y of YCrCb) where Albumentations uses L of LAB')
    x.push({ ...defaultOp('clahe', x.p), clipLimit: upTo(x.t.clip_limit, 1, [1, 4]), tiles: Number(tiles[0]) })
  },
  Equalize(x) {
    if (x.t.mode === 'pil') x.note('Equalize: mode "pil" imported as OpenCV\'s equalizeHist')
    if (x.t.by_channels === false) x.unsupported('Equalize.by_channels')
    else if (x.t.mask !== undefined && x.t.mask !== null) x.unsupported('Equalize.mask')
    else x.push(defaultOp('equalize', x.p))
  },
  Posterize(x) {
    const b = x.t.num_bits
    if (Array.isArray(b) && b.length === 3) return x.unsupported('Posterize.num_bits (per channel)')
    x.push({ ...defaultOp('posterize', x.p), bits: typeof b === 'number' ? [b, b] : pair(b, [4, 4]) })
  },
  Sharpen: (x) => x.push({ ...defaultOp('sharpen', x.p), alpha: pair(x.t.alpha, [0.2, 0.5]), lightness: pair(x.t.lightness, [0.5, 1]) }),
  MotionBlur(x) {
    if (x.t.allow_shifted === false) x.note('MotionBlur: allow_shifted=false imported as shifted lines allowed')
    x.push({ ...defaultOp('motion_blur', x.p), size: upTo(x.t.blur_limit, 3, [3, 7]) })
  },
  MedianBlur: (x) => x.push({ ...defaultOp('median_blur', x.p), size: upTo(x.t.blur_limit, 3, [3, 7]) }),
  Downscale(x) {
    const i = x.t.interpolation
    if (i !== undefined && i !== null && i !== 0) x.note('Downscale: interpolation imported as nearest neighbour both ways')
    x.push({ ...defaultOp('downscale', x.p), scale: [num(x.t.scale_min, 0.25), num(x.t.scale_max, 0.25)] })
  },
  MultiplicativeNoise: (x) =>
    x.push({
      ...defaultOp('multiplicative_noise', x.p),
      multiplier: pair(x.t.multiplier, [0.9, 1.1])
        .map(Math.abs)
        .sort((a, b) => a - b) as [number, number],
      perChannel: x.t.per_channel === true,
      elementwise: x.t.elementwise === true,
    }),
  ImageCompression(x) {
    const type = x.t.compression_type
    if (type === 1 || type === 'webp' || (typeof type === 'string' && /webp/i.test(type))) return x.unsupported('ImageCompression.compression_type (WebP)')
    x.push({ ...defaultOp('jpeg', x.p), quality: [num(x.t.quality_lower, 99), num(x.t.quality_upper, 100)] })
  },
  JpegCompression: (x) => IMPORT.ImageCompression(x),
  CoarseDropout(x) {
    const { t } = x
    const maxH = num(t.max_height, 8),
      maxW = num(t.max_width, 8)
    const frac = !Number.isInteger(maxH) || !Number.isInteger(maxW) || (maxH < 1 && maxW < 1)
    const mask = typeof t.mask_fill_value === 'number' ? 'ignore' : 'keep'
    if (mask === 'ignore') x.fill() // records mask_fill_value as the ignore index
    if (typeof t.fill_value !== 'number' && t.fill_value !== undefined && t.fill_value !== null) x.unsupported('CoarseDropout.fill_value (per channel)')
    x.push({
      ...defaultOp('coarse_dropout', x.p),
      holes: [num(t.min_holes, num(t.max_holes, 8)), num(t.max_holes, 8)],
      height: [num(t.min_height, maxH), maxH],
      width: [num(t.min_width, maxW), maxW],
      units: frac ? 'fraction' : 'pixels',
      fillValue: num(t.fill_value, 0),
      mask,
    })
  },
  GridDropout(x) {
    const { t } = x
    const u0 = t.unit_size_min,
      u1 = t.unit_size_max
    if (typeof u0 !== 'number' || typeof u1 !== 'number') x.note('GridDropout: a grid set by holes_number is imported as cells of 32-64 pixels')
    if (typeof t.shift_x === 'number' && t.shift_x !== 0 && t.random_offset !== true) x.unsupported('GridDropout.shift_x')
    const mask = typeof t.mask_fill_value === 'number' ? 'ignore' : 'keep'
    if (mask === 'ignore') x.fill()
    x.push({
      ...defaultOp('grid_dropout', x.p),
      ratio: num(t.ratio, 0.5),
      unit: typeof u0 === 'number' && typeof u1 === 'number' ? [u0, u1] : [32, 64],
      randomOffset: t.random_offset === true,
      fillValue: num(t.fill_value, 0),
      mask,
    })
  },
  RandomGamma: (x) => {
    const g = pair(x.t.gamma_limit, [80, 120])
    x.push({ ...defaultOp('gamma', x.p), gamma: [tidy(g[0] / 100), tidy(g[1] / 100)] })
  },
  GaussNoise(x) {
    const { t } = x
    let std: [number, number]
    if (Array.isArray(t.std_range)) {
      const r = pair(t.std_range, [0.2, 0.44])
      std = [tidy(r[0] * 255), tidy(r[1] * 255)]
    } else {
      const v = pair(t.var_limit, [10, 50])
      std = [tidy(Math.sqrt(v[0])), tidy(Math.sqrt(v[1]))]
      x.note('GaussNoise: var_limit imported as std = sqrt(var), drawn uniformly in std')
    }
    const mean = typeof t.mean === 'number' ? t.mean : Array.isArray(t.mean_range) ? pair(t.mean_range, [0, 0]) : 0
    if (typeof mean === 'number' ? mean !== 0 : !isZero(mean)) x.unsupported('GaussNoise.mean')
    x.push({ ...defaultOp('gaussian_noise', x.p), std, perChannel: t.per_channel !== false })
  },
  SaltAndPepper: (x) =>
    x.push({ ...defaultOp('salt_pepper', x.p), amount: pair(x.t.amount, [0.01, 0.06]), saltRatio: pair(x.t.salt_vs_pepper, [0.5, 0.5])[0] }),
  GaussianBlur(x) {
    const sl = pair(x.t.sigma_limit, [0, 0])
    let sigma: [number, number]
    if (sl[1] > 0) sigma = [Math.max(0.1, sl[0]), sl[1]]
    else {
      const bl = pair(x.t.blur_limit, [3, 7])
      const fromK = (k: number) => tidy(0.3 * ((Math.max(3, k) - 1) * 0.5 - 1) + 0.8)
      sigma = [fromK(bl[0]), fromK(bl[1])]
      x.note(`GaussianBlur: kernel sizes ${bl[0]}-${bl[1]} imported as sigma ${sigma[0]}-${sigma[1]} (OpenCV's sigma for a kernel size)`)
    }
    x.push({ ...defaultOp('gaussian_blur', x.p), sigma })
  },
}

/** The pipeline's problems: not a Compose of a list of transform objects with valid probabilities. */
function pipelineProblems(json: Json): { list: Json[]; problems: string[] } {
  const root = json.transform
  if (!root || typeof root !== 'object' || Array.isArray(root)) {
    return { list: [], problems: [`transform: expected {"__class_fullname__": "Compose", "transforms": [...]}, received ${show(root)}`] }
  }
  const transforms = (root as Json).transforms
  if (!Array.isArray(transforms)) return { list: [], problems: [`transform.transforms: expected a list of transforms, received ${show(transforms)}`] }
  const problems: string[] = []
  transforms.forEach((t, i) => {
    const where = `transform.transforms[${i}]`
    if (!t || typeof t !== 'object' || Array.isArray(t) || typeof (t as Json).__class_fullname__ !== 'string') {
      problems.push(`${where}: expected a transform object with "__class_fullname__", received ${show(t)}`)
      return
    }
    const p = (t as Json).p
    if (p !== undefined && !(typeof p === 'number' && Number.isFinite(p) && p >= 0 && p <= 1))
      problems.push(`${where}.p: expected a probability in [0, 1], received ${show(p)}`)
  })
  return { list: transforms as Json[], problems }
}

function probability(t: Json): number {
  if (t.always_apply === true) return 1
  return typeof t.p === 'number' ? t.p : 0.5
}

/** Albumentations JSON -> Lockstep recipe (not yet validated: the caller runs validateRecipe). */
export function fromAlbumentations(json: unknown): Conversion<Recipe> {
  const unsupported: string[] = []
  const notes: string[] = []
  const ops: OpSpec[] = []
  const empty = (problems: string[]): Conversion<Recipe> => ({
    recipe: { schema: RECIPE_SCHEMA, output: { width: 512, height: 512 }, mask: { ignoreIndex: 255 }, ops: [] },
    unsupported,
    notes,
    problems,
  })
  if (tooDeep(json)) return empty([depthProblem()])
  if (!json || typeof json !== 'object' || Array.isArray(json)) return empty([`(recipe): expected an Albumentations pipeline object, received ${show(json)}`])
  const { list, problems } = pipelineProblems(json as Json)
  if (problems.length) return empty(problems)
  const root = (json as Json).transform as Json
  if (className(root) !== 'Compose') unsupported.push(className(root) || '(unnamed root)')
  let ignoreIndex: number | null = null
  let size: { width: number; height: number } | null = null
  list.forEach((t, i) => {
    const name = className(t)
    const x: Importing = {
      t,
      name,
      p: probability(t),
      push: (op) => ops.push(op),
      last: () => ops[ops.length - 1],
      pop: () => void ops.pop(),
      unsupported: (what) => unsupported.push(what),
      note: (text) => notes.push(text),
      size: (s) => (size = s),
      fill() {
        const border = t.border_mode ?? t.pad_mode ?? t.mode
        const mode = typeof border === 'number' ? BORDER[border] : CONSTANT_BY_DEFAULT.has(name) ? 'constant' : 'reflect'
        if (!mode) notes.push(`${name}: border_mode ${String(border)} imported as a constant fill`)
        const value = t.value ?? t.fill ?? t.cval
        if ((mode ?? 'constant') === 'constant' && typeof value === 'number' && value !== 0) notes.push(`${name}: image fill ${value} imported as 0`)
        const mv = t.mask_value ?? t.fill_mask ?? t.mask_fill_value ?? t.cval_mask
        if (typeof mv === 'number') {
          if (ignoreIndex === null) ignoreIndex = mv
          else if (ignoreIndex !== mv) notes.push(`${name}: mask fill ${mv} differs from an earlier ${ignoreIndex}; the recipe uses ${ignoreIndex}`)
        }
        return mode ?? 'constant'
      },
    }
    const entry = IMPORT[name]
    if (entry) entry(x)
    else unsupported.push(name || `transforms[${i}]`)
  })
  if (!size) notes.push('no crop or resize fixes the output size: output set to 512x512 (a final resize)')
  const out: { width: number; height: number } = size ?? { width: 512, height: 512 }
  return {
    recipe: { schema: RECIPE_SCHEMA, output: { width: out.width, height: out.height }, mask: { ignoreIndex: ignoreIndex ?? 255 }, ops },
    unsupported,
    notes,
    problems: [],
  }
}

/** What an export entry works with. */
interface Exporting {
  i: number
  ignoreIndex: number
  T(name: string, p: number, args?: Json): void
  unsupported(what: string): void
  note(text: string): void
  /** border_mode, value and mask_value for a fill mode */
  fill(mode: FillMode): Json
}

const EXPORT: { [T in OpType]: (op: OpOf<T>, x: Exporting) => void } = {
  random_crop: (op, x) => cropOut('RandomCrop', op, x),
  center_crop: (op, x) => cropOut('CenterCrop', op, x),
  pad_if_needed: (op, x) =>
    x.T('PadIfNeeded', op.p, {
      min_height: op.minHeight,
      min_width: op.minWidth,
      pad_height_divisor: null,
      pad_width_divisor: null,
      position: 'center',
      ...x.fill(op.fill),
    }),
  crop_non_empty_mask(op, x) {
    if (op.classes.length) x.unsupported(`ops[${x.i}] crop_non_empty_mask.classes`)
    if (op.padIfNeeded) x.note(`ops[${x.i}] crop_non_empty_mask: padIfNeeded has no counterpart (Albumentations raises on small images)`)
    x.T('CropNonEmptyMaskIfExists', op.p, {
      height: op.height,
      width: op.width,
      ignore_values: op.ignoreValues.length ? op.ignoreValues : null,
      ignore_channels: null,
    })
  },
  random_resized_crop: (op, x) => x.T('RandomResizedCrop', op.p, { height: op.height, width: op.width, scale: op.scale, ratio: op.ratio, interpolation: 1 }),
  resize: (op, x) => x.T('Resize', op.p, { height: op.height, width: op.width, interpolation: 1 }),
  hflip: (op, x) => x.T('HorizontalFlip', op.p),
  vflip: (op, x) => x.T('VerticalFlip', op.p),
  rot90(op, x) {
    const set = [...new Set(op.turns)].sort().join(',')
    if (set === '0,1,2,3') x.T('RandomRotate90', op.p)
    else x.unsupported(`ops[${x.i}] rot90.turns ${JSON.stringify(op.turns)} (RandomRotate90 draws from all four)`)
  },
  rotate: (op, x) => x.T('Rotate', op.p, { limit: op.degrees, interpolation: 1, ...x.fill(op.fill), rotate_method: 'largest_box', crop_border: false }),
  scale(op, x) {
    const scale_limit = [tidy(op.factor[0] - 1), tidy(op.factor[1] - 1)]
    if (op.keepSize)
      x.T('ShiftScaleRotate', op.p, {
        shift_limit_x: [0, 0],
        shift_limit_y: [0, 0],
        scale_limit,
        rotate_limit: [0, 0],
        interpolation: 1,
        ...x.fill(op.fill),
        rotate_method: 'largest_box',
      })
    else x.T('RandomScale', op.p, { scale_limit, interpolation: 1 })
  },
  shift: (op, x) =>
    x.T('ShiftScaleRotate', op.p, {
      shift_limit_x: op.x,
      shift_limit_y: op.y,
      scale_limit: [0, 0],
      rotate_limit: [0, 0],
      interpolation: 1,
      ...x.fill(op.fill),
      rotate_method: 'largest_box',
    }),
  affine(op, x) {
    if (isZero(op.shearX) && isZero(op.shearY) && op.keepRatio) {
      x.T('ShiftScaleRotate', op.p, {
        shift_limit_x: op.shiftX,
        shift_limit_y: op.shiftY,
        scale_limit: [tidy(op.scale[0] - 1), tidy(op.scale[1] - 1)],
        rotate_limit: op.degrees,
        interpolation: 1,
        ...x.fill(op.fill),
        rotate_method: 'largest_box',
      })
      return
    }
    const f = x.fill(op.fill)
    x.T('Affine', op.p, {
      scale: { x: op.scale, y: op.keepRatio ? op.scale : op.scaleY },
      keep_ratio: op.keepRatio,
      translate_percent: { x: op.shiftX, y: op.shiftY },
      translate_px: null,
      rotate: op.degrees,
      shear: { x: op.shearX, y: op.shearY },
      interpolation: 1,
      mask_interpolation: 0,
      cval: f.value,
      cval_mask: f.mask_value,
      mode: f.border_mode,
      fit_output: false,
    })
  },
  elastic: (op, x) =>
    x.T('ElasticTransform', op.p, {
      alpha: op.alpha,
      sigma: op.sigma,
      alpha_affine: op.affine,
      interpolation: 1,
      ...x.fill(op.fill),
      approximate: true,
      same_dxdy: false,
    }),
  grid_distortion: (op, x) =>
    x.T('GridDistortion', op.p, { num_steps: op.steps, distort_limit: op.distort, interpolation: 1, ...x.fill(op.fill), normalized: false }),
  optical_distortion(op, x) {
    if (!isZero(op.shift)) x.note(`ops[${x.i}] optical_distortion: the centre shift has no counterpart (Albumentations shifts by whole pixels)`)
    x.T('OpticalDistortion', op.p, { distort_limit: op.distort, shift_limit: [0, 0], interpolation: 1, ...x.fill(op.fill) })
  },
  perspective(op, x) {
    const f = x.fill(op.fill)
    x.T('Perspective', op.p, {
      scale: op.scale,
      keep_size: true,
      pad_mode: f.border_mode,
      pad_val: f.value,
      mask_pad_val: f.mask_value,
      fit_output: false,
      interpolation: 1,
    })
  },
  brightness: (op, x) => x.T('RandomBrightnessContrast', op.p, { brightness_limit: op.limit, contrast_limit: [0, 0], brightness_by_max: true }),
  contrast: (op, x) => x.T('RandomBrightnessContrast', op.p, { brightness_limit: [0, 0], contrast_limit: op.limit, brightness_by_max: true }),
  hsv_power: (_op, x) => x.unsupported(`ops[${x.i}] hsv_power`),
  hue: (op, x) => {
    x.note(`ops[${x.i}] hue: exported as HueSaturationValue, whose hue is OpenCV's 8-bit HSV (imported back it is hsv_shift)`)
    x.T('HueSaturationValue', op.p, { hue_shift_limit: [tidy(op.degrees[0] / 2), tidy(op.degrees[1] / 2)], sat_shift_limit: [0, 0], val_shift_limit: [0, 0] })
  },
  gamma: (op, x) => x.T('RandomGamma', op.p, { gamma_limit: [tidy(op.gamma[0] * 100), tidy(op.gamma[1] * 100)], eps: null }),
  hsv_shift: (op, x) =>
    x.T('HueSaturationValue', op.p, { hue_shift_limit: [op.hue[0] / 2, op.hue[1] / 2], sat_shift_limit: op.saturation, val_shift_limit: op.value }),
  color_jitter: (op, x) => x.T('ColorJitter', op.p, { brightness: op.brightness, contrast: op.contrast, saturation: op.saturation, hue: op.hue }),
  channel_shift: (_op, x) => x.unsupported(`ops[${x.i}] channel_shift (Keras channel_shift_range)`),
  rgb_shift: (op, x) => x.T('RGBShift', op.p, { r_shift_limit: op.r, g_shift_limit: op.g, b_shift_limit: op.b }),
  to_grey: (op, x) => x.T('ToGray', op.p),
  channel_shuffle: (op, x) => x.T('ChannelShuffle', op.p),
  clahe(op, x) {
    x.note(`ops[${x.i}] clahe: Albumentations equalises L of LAB where Lockstep equalises the luma (Y of YCrCb)`)
    x.T('CLAHE', op.p, { clip_limit: op.clipLimit, tile_grid_size: [op.tiles, op.tiles] })
  },
  equalize: (op, x) => x.T('Equalize', op.p, { mode: 'cv', by_channels: true }),
  posterize: (op, x) => x.T('Posterize', op.p, { num_bits: op.bits }),
  gaussian_noise: (op, x) => x.T('GaussNoise', op.p, { var_limit: [tidy(op.std[0] ** 2), tidy(op.std[1] ** 2)], per_channel: op.perChannel, mean: 0 }),
  salt_pepper(op, x) {
    x.T('SaltAndPepper', op.p, { amount: op.amount, salt_vs_pepper: [op.saltRatio, op.saltRatio] })
    x.note(`ops[${x.i}] salt_pepper: SaltAndPepper exists from Albumentations 1.4.21`)
  },
  multiplicative_noise: (op, x) => x.T('MultiplicativeNoise', op.p, { multiplier: op.multiplier, per_channel: op.perChannel, elementwise: op.elementwise }),
  jpeg: (op, x) => x.T('ImageCompression', op.p, { quality_lower: op.quality[0], quality_upper: op.quality[1], compression_type: 0 }),
  coarse_dropout(op, x) {
    const px = op.units === 'pixels'
    if (px && (op.height.some((v) => !Number.isInteger(v)) || op.width.some((v) => !Number.isInteger(v))))
      x.note(`ops[${x.i}] coarse_dropout: hole sizes rounded to whole pixels`)
    const r = (v: number) => (px ? Math.round(v) : v)
    x.T('CoarseDropout', op.p, {
      max_holes: op.holes[1],
      min_holes: op.holes[0],
      max_height: r(op.height[1]),
      min_height: r(op.height[0]),
      max_width: r(op.width[1]),
      min_width: r(op.width[0]),
      fill_value: op.fillValue,
      mask_fill_value: op.mask === 'ignore' ? x.ignoreIndex : null,
    })
  },
  grid_dropout: (op, x) =>
    x.T('GridDropout', op.p, {
      ratio: op.ratio,
      unit_size_min: op.unit[0],
      unit_size_max: op.unit[1],
      holes_number_x: null,
      holes_number_y: null,
      shift_x: 0,
      shift_y: 0,
      random_offset: op.randomOffset,
      fill_value: op.fillValue,
      mask_fill_value: op.mask === 'ignore' ? x.ignoreIndex : null,
    }),
  gaussian_blur: (op, x) => x.T('GaussianBlur', op.p, { blur_limit: [0, 0], sigma_limit: op.sigma }),
  sharpen: (op, x) => x.T('Sharpen', op.p, { alpha: op.alpha, lightness: op.lightness }),
  motion_blur: (op, x) => x.T('MotionBlur', op.p, { blur_limit: op.size, allow_shifted: true }),
  median_blur: (op, x) => x.T('MedianBlur', op.p, { blur_limit: op.size }),
  downscale: (op, x) => x.T('Downscale', op.p, { scale_min: op.scale[0], scale_max: op.scale[1], interpolation: 0 }),
}

function cropOut(name: 'RandomCrop' | 'CenterCrop', op: OpOf<'random_crop'> | OpOf<'center_crop'>, x: Exporting): void {
  if (op.padIfNeeded)
    x.T('PadIfNeeded', 1, {
      min_height: op.height,
      min_width: op.width,
      pad_height_divisor: null,
      pad_width_divisor: null,
      position: 'center',
      ...x.fill(op.fill),
    })
  x.T(name, op.p, { height: op.height, width: op.width })
}

/** Lockstep recipe -> Albumentations 1.3.1 JSON (`A.load(path)` reads it). */
export function toAlbumentations(recipe: Recipe): Conversion<Json> {
  const unsupported: string[] = []
  const notes: string[] = []
  const transforms: Json[] = []
  const ign = recipe.mask.ignoreIndex
  recipe.ops.forEach((op: OpSpec, i) => {
    if (op.enabled === false) {
      notes.push(`ops[${i}] ${op.type} is disabled and was left out`)
      return
    }
    const x: Exporting = {
      i,
      ignoreIndex: ign,
      T: (name, p, args = {}) => transforms.push({ __class_fullname__: name, always_apply: false, p, ...args }),
      unsupported: (what) => unsupported.push(what),
      note: (text) => notes.push(text),
      fill: (mode) => ({ border_mode: BORDER_OF[mode], value: 0, mask_value: ign }),
    }
    ;(EXPORT[op.type] as (o: OpSpec, x: Exporting) => void)(op, x)
  })
  return {
    recipe: {
      __version__: '1.3.1',
      transform: { __class_fullname__: 'Compose', p: 1.0, transforms, bbox_params: null, keypoint_params: null, additional_targets: {}, is_check_shapes: true },
    },
    unsupported,
    notes,
    problems: [],
  }
}
