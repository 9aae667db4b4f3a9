// The recipe schema `lockstep.recipe/1`, shared by main, the renderer and the CLI (no Node
// imports here). A recipe is an ordered list of ops, each with a probability `p` and parameter
// ranges, plus the output size and the mask settings. The op catalogue below is the single
// source of truth: the zod schemas, the defaults and the renderer's palette/sliders are all
// derived from it.
import { z } from 'zod'
import { LockstepError } from './errors'

export const RECIPE_SCHEMA = 'lockstep.recipe/1'
export const MAX_SIDE = 16384

export type OpGroup = 'crop' | 'geometry' | 'colour' | 'noise' | 'blur'

/** Metadata of one op parameter, enough to build a form control (slider, toggle, list). */
export type ParamSpec =
  | { kind: 'range'; label: string; min: number; max: number; step: number; default: [number, number]; help?: string }
  | { kind: 'int'; label: string; min: number; max: number; step: number; default: number; help?: string }
  | { kind: 'number'; label: string; min: number; max: number; step: number; default: number; help?: string }
  | { kind: 'boolean'; label: string; default: boolean; help?: string }
  | { kind: 'ints'; label: string; min: number; max: number; default: number[]; help?: string }
  | { kind: 'intRange'; label: string; min: number; max: number; step: number; default: [number, number]; help?: string }
  | { kind: 'choice'; label: string; options: readonly string[]; default: string; help?: string }

const range = (label: string, min: number, max: number, step: number, def: [number, number], help?: string) =>
  ({ kind: 'range', label, min, max, step, default: def, help }) as const
const int = (label: string, min: number, max: number, def: number, help?: string) => ({ kind: 'int', label, min, max, step: 1, default: def, help }) as const
const num = (label: string, min: number, max: number, step: number, def: number, help?: string) =>
  ({ kind: 'number', label, min, max, step, default: def, help }) as const
const bool = (label: string, def: boolean, help?: string) => ({ kind: 'boolean', label, default: def, help }) as const
const ints = (label: string, min: number, max: number, def: number[], help?: string) => ({ kind: 'ints', label, min, max, default: def, help }) as const

const intRange = (label: string, min: number, max: number, def: [number, number], help?: string, step = 1) =>
  ({ kind: 'intRange', label, min, max, step, default: def, help }) as const
const choice = <const O extends readonly string[]>(label: string, options: O, def: O[number], help?: string) =>
  ({ kind: 'choice', label, options, default: def, help }) as const

const side = (label: string) => int(label, 1, MAX_SIDE, 512)

/** How a geometric op fills where it reads outside its input (the mask follows the same mapping). */
export const FILL_MODES = ['constant', 'edge', 'reflect', 'symmetric', 'wrap'] as const
const FILL_HELP =
  'constant: image 0, mask ignore index; edge: nearest edge pixel; reflect: mirrored without repeating the edge (OpenCV REFLECT_101); symmetric: mirrored with it (Keras "reflect"); wrap: tiled'
const fill = (def: (typeof FILL_MODES)[number] = 'constant') => choice('Fill', FILL_MODES, def, FILL_HELP)
/** What a dropout does to the mask where it dropped pixels. */
const maskRule = choice('Mask', ['keep', 'ignore'] as const, 'keep', 'keep: labels stay; ignore: the ignore index where pixels were dropped')

/**
 * Every op: its label, group, description and parameters. Geometric ops (groups crop and
 * geometry) move both image and mask; colour, noise and blur ops touch the image only.
 */
export const OP_CATALOG = {
  random_crop: {
    label: 'Random crop',
    group: 'crop',
    description: 'A window of the given size at a random position (padded with the fill if the image is smaller).',
    params: { width: side('Width'), height: side('Height'), padIfNeeded: bool('Pad if smaller', true), fill: fill() },
  },
  center_crop: {
    label: 'Centre crop',
    group: 'crop',
    description: 'A window of the given size at the centre.',
    params: { width: side('Width'), height: side('Height'), padIfNeeded: bool('Pad if smaller', true), fill: fill() },
  },
  crop_non_empty_mask: {
    label: 'Crop around classes',
    group: 'crop',
    description: 'A window containing a randomly chosen pixel of the given classes (any non-zero class if none are given); a random crop if the mask has none.',
    params: {
      width: side('Width'),
      height: side('Height'),
      classes: ints('Classes', 0, 65535, [], 'Empty: any class except 0 and the ignore index'),
      ignoreValues: ints('Ignore values', 0, 65535, []),
      padIfNeeded: bool('Pad if smaller', true),
      fill: fill(),
    },
  },
  random_resized_crop: {
    label: 'Random resized crop',
    group: 'crop',
    description: 'A random window (area fraction and aspect ratio) resized to the given size.',
    params: {
      width: side('Width'),
      height: side('Height'),
      scale: range('Area fraction', 0.01, 1, 0.01, [0.08, 1]),
      ratio: range('Aspect ratio', 0.1, 10, 0.01, [0.75, 1.3333]),
    },
  },
  pad_if_needed: {
    label: 'Pad if needed',
    group: 'crop',
    description: 'Pads (centred) to at least the given size with the fill.',
    params: { minWidth: side('Min width'), minHeight: side('Min height'), fill: fill() },
  },
  hflip: { label: 'Horizontal flip', group: 'geometry', description: 'Mirror left-right.', params: {} },
  vflip: { label: 'Vertical flip', group: 'geometry', description: 'Mirror top-bottom.', params: {} },
  rot90: {
    label: '90° rotation',
    group: 'geometry',
    description: 'Rotates clockwise by a random number of quarter turns from the list.',
    params: { turns: ints('Quarter turns', 0, 3, [0, 1, 2, 3]) },
  },
  rotate: {
    label: 'Rotate',
    group: 'geometry',
    description: 'Rotates about the centre by a random angle (degrees, counter-clockwise), keeping the size.',
    params: { degrees: range('Degrees', -180, 180, 1, [-30, 30]), fill: fill() },
  },
  scale: {
    label: 'Scale / zoom',
    group: 'geometry',
    description: 'Zooms about the centre by a random factor; with "keep size" off the canvas is resized instead.',
    params: { factor: range('Factor', 0.1, 10, 0.01, [0.8, 1.2]), keepSize: bool('Keep size', true), fill: fill() },
  },
  shift: {
    label: 'Shift',
    group: 'geometry',
    description: 'Translates by a random fraction of the width and height.',
    params: { x: range('Horizontal (fraction)', -1, 1, 0.01, [-0.1, 0.1]), y: range('Vertical (fraction)', -1, 1, 0.01, [-0.1, 0.1]), fill: fill() },
  },
  affine: {
    label: 'Shift, scale, rotate',
    group: 'geometry',
    description: 'One affine: shear, zoom (x and y separately when "keep ratio" is off) and rotation about the centre, then a shift (fractions of the size).',
    params: {
      degrees: range('Degrees', -180, 180, 1, [-45, 45]),
      scale: range('Scale', 0.1, 10, 0.01, [0.9, 1.1]),
      shiftX: range('Shift x (fraction)', -1, 1, 0.01, [-0.0625, 0.0625]),
      shiftY: range('Shift y (fraction)', -1, 1, 0.01, [-0.0625, 0.0625]),
      shearX: range('Shear x (degrees)', -60, 60, 1, [0, 0], 'x moves in proportion to y (Keras shear_range, Albumentations shear.x)'),
      shearY: range('Shear y (degrees)', -60, 60, 1, [0, 0]),
      keepRatio: bool('Keep ratio', true, 'off: the vertical scale is drawn on its own from "Scale y" (anisotropic zoom, Keras zoom_range)'),
      scaleY: range('Scale y', 0.1, 10, 0.01, [0.9, 1.1]),
      fill: fill(),
    },
  },
  resize: {
    label: 'Resize',
    group: 'geometry',
    description: 'Resizes to the given size (below half size the image is area-averaged first; masks stay nearest).',
    params: { width: side('Width'), height: side('Height') },
  },
  elastic: {
    label: 'Elastic',
    group: 'geometry',
    description:
      'Moves each pixel by a smooth random field (Gaussian-blurred noise, sigma px, scaled by alpha px), after a small random affine; image and mask alike.',
    params: {
      alpha: num('Alpha (px)', 0, 2000, 1, 50),
      sigma: num('Sigma (px)', 1, 200, 0.5, 6),
      affine: num('Affine jitter (px)', 0, 200, 1, 0, 'Albumentations alpha_affine: the three reference points move by up to this'),
      fill: fill('reflect'),
    },
  },
  grid_distortion: {
    label: 'Grid distortion',
    group: 'geometry',
    description: 'Stretches the cells of an n x n grid by random factors (1 + distort) along each axis.',
    params: { steps: int('Grid cells', 1, 64, 5), distort: range('Distort', -0.9, 0.9, 0.01, [-0.3, 0.3]), fill: fill('reflect') },
  },
  optical_distortion: {
    label: 'Optical distortion',
    group: 'geometry',
    description: 'Barrel or pincushion distortion k (radial, r^2 and r^4) about a centre shifted by a fraction of the size.',
    params: {
      distort: range('Distort (k)', -2, 2, 0.01, [-0.05, 0.05]),
      shift: range('Centre shift (fraction)', -0.5, 0.5, 0.01, [-0.05, 0.05]),
      fill: fill('reflect'),
    },
  },
  perspective: {
    label: 'Perspective',
    group: 'geometry',
    description: 'Each corner moves inwards by |N(0, scale)| of the size; the quadrilateral is mapped back onto the whole canvas.',
    params: { scale: range('Scale', 0, 0.5, 0.005, [0.05, 0.1]), fill: fill() },
  },
  brightness: {
    label: 'Brightness',
    group: 'colour',
    description: 'Adds a random fraction of 255 (Albumentations brightness_limit).',
    params: { limit: range('Limit', -1, 1, 0.01, [-0.2, 0.2]) },
  },
  contrast: {
    label: 'Contrast',
    group: 'colour',
    description: 'Multiplies by 1 + a random value (Albumentations contrast_limit).',
    params: { limit: range('Limit', -1, 1, 0.01, [-0.2, 0.2]) },
  },
  hsv_power: {
    label: 'Saturation / value power',
    group: 'colour',
    description: 'Raises S and V (HSV, 0–1) to random exponents.',
    params: { saturation: range('Saturation exponent', 0.25, 4, 0.01, [0.5, 2]), value: range('Value exponent', 0.25, 4, 0.01, [0.5, 2]) },
  },
  hue: {
    label: 'Hue shift',
    group: 'colour',
    description: 'Rotates the hue by a random angle (degrees).',
    params: { degrees: range('Degrees', -180, 180, 1, [-10, 10]) },
  },
  gamma: { label: 'Gamma', group: 'colour', description: 'out = 255·(in/255)^gamma.', params: { gamma: range('Gamma', 0.1, 10, 0.01, [0.8, 1.25]) } },
  hsv_shift: {
    label: 'Hue / saturation / value shift',
    group: 'colour',
    description: "Adds random shifts to hue (degrees), saturation and value (0–255) in OpenCV's 8-bit HSV, as Albumentations HueSaturationValue.",
    params: {
      hue: range('Hue (degrees)', -360, 360, 1, [-40, 40]),
      saturation: range('Saturation', -255, 255, 1, [-30, 30]),
      value: range('Value', -255, 255, 1, [-20, 20]),
    },
  },
  color_jitter: {
    label: 'Colour jitter',
    group: 'colour',
    description:
      'Brightness, contrast and saturation factors and a hue shift (fraction of the circle), in a random order (torchvision ColorJitter, as Albumentations applies it to 8-bit images).',
    params: {
      brightness: range('Brightness factor', 0, 10, 0.01, [0.8, 1.2]),
      contrast: range('Contrast factor', 0, 10, 0.01, [0.8, 1.2]),
      saturation: range('Saturation factor', 0, 10, 0.01, [0.8, 1.2]),
      hue: range('Hue (fraction)', -0.5, 0.5, 0.01, [-0.2, 0.2]),
    },
  },
  channel_shift: {
    label: 'Channel shift',
    group: 'colour',
    description: "Adds one random value to every channel, clipped to the image's own range (Keras channel_shift_range).",
    params: { intensity: range('Intensity', -255, 255, 1, [-20, 20]) },
  },
  rgb_shift: {
    label: 'RGB shift',
    group: 'colour',
    description: 'Adds a random value to each channel (Albumentations RGBShift).',
    params: { r: range('Red', -255, 255, 1, [-20, 20]), g: range('Green', -255, 255, 1, [-20, 20]), b: range('Blue', -255, 255, 1, [-20, 20]) },
  },
  to_grey: { label: 'To grey', group: 'colour', description: "Grey (OpenCV's luma) in all three channels.", params: {} },
  channel_shuffle: { label: 'Channel shuffle', group: 'colour', description: 'A random permutation of R, G and B.', params: {} },
  clahe: {
    label: 'CLAHE',
    group: 'colour',
    description: 'Contrast-limited adaptive histogram equalisation of the luma (Y of YCrCb), on a grid of tiles.',
    params: { clipLimit: range('Clip limit', 0.1, 40, 0.1, [1, 4]), tiles: int('Tiles per side', 1, 64, 8) },
  },
  equalize: { label: 'Equalize', group: 'colour', description: 'Histogram equalisation of each channel (OpenCV equalizeHist).', params: {} },
  posterize: { label: 'Posterize', group: 'colour', description: 'Keeps the top n bits of each value.', params: { bits: intRange('Bits', 1, 8, [4, 4]) } },
  gaussian_noise: {
    label: 'Gaussian noise',
    group: 'noise',
    description: 'Adds zero-mean noise with a random standard deviation (0–255 units).',
    params: { std: range('Std (0–255)', 0, 255, 0.5, [3, 15]), perChannel: bool('Per channel', true) },
  },
  salt_pepper: {
    label: 'Salt and pepper',
    group: 'noise',
    description: 'Sets a random fraction of pixels to white (salt) or black (pepper).',
    params: { amount: range('Amount', 0, 1, 0.005, [0.01, 0.05]), saltRatio: num('Salt ratio', 0, 1, 0.05, 0.5) },
  },
  multiplicative_noise: {
    label: 'Multiplicative noise',
    group: 'noise',
    description: 'Multiplies by a random factor: one for the image, one per channel, or one per pixel (elementwise).',
    params: { multiplier: range('Multiplier', 0, 10, 0.01, [0.9, 1.1]), perChannel: bool('Per channel', false), elementwise: bool('Per pixel', false) },
  },
  jpeg: {
    label: 'JPEG quality',
    group: 'noise',
    description: 'A JPEG round trip at a random quality (compression artefacts).',
    params: { quality: intRange('Quality', 1, 100, [70, 95]) },
  },
  coarse_dropout: {
    label: 'Coarse dropout',
    group: 'noise',
    description: 'Fills random rectangles with a value; the mask keeps its labels or gets the ignore index there.',
    params: {
      holes: intRange('Holes', 1, 1000, [1, 8]),
      height: range('Hole height', 0, 4096, 1, [8, 8]),
      width: range('Hole width', 0, 4096, 1, [8, 8]),
      units: choice('Size in', ['pixels', 'fraction'] as const, 'pixels', 'fraction: of the canvas height/width'),
      fillValue: int('Fill value', 0, 255, 0),
      mask: maskRule,
    },
  },
  grid_dropout: {
    label: 'Grid dropout',
    group: 'noise',
    description: 'Drops a square in every cell of a grid (cell size in pixels, ratio of the cell dropped, random offset).',
    params: {
      ratio: num('Ratio', 0.01, 0.99, 0.01, 0.5),
      unit: intRange('Cell size (px)', 2, 4096, [32, 64]),
      randomOffset: bool('Random offset', true),
      fillValue: int('Fill value', 0, 255, 0),
      mask: maskRule,
    },
  },
  gaussian_blur: {
    label: 'Gaussian blur',
    group: 'blur',
    description: 'Blurs with a random sigma (pixels).',
    params: { sigma: range('Sigma', 0.1, 20, 0.1, [0.5, 1.5]) },
  },
  sharpen: {
    label: 'Sharpen',
    group: 'blur',
    description: 'Blends the image with a 3x3 sharpening of itself (alpha: blend, lightness: centre weight), as Albumentations Sharpen.',
    params: { alpha: range('Alpha', 0, 1, 0.01, [0.2, 0.5]), lightness: range('Lightness', 0, 10, 0.01, [0.5, 1]) },
  },
  motion_blur: {
    label: 'Motion blur',
    group: 'blur',
    description: 'Averages along a random line in a k x k kernel (k odd, from the range).',
    params: { size: intRange('Kernel size', 3, 101, [3, 7], undefined, 2) },
  },
  median_blur: {
    label: 'Median blur',
    group: 'blur',
    description: 'The median of a k x k window (k odd, from the range).',
    params: { size: intRange('Kernel size', 3, 15, [3, 7], undefined, 2) },
  },
  downscale: {
    label: 'Downscale',
    group: 'blur',
    description: 'Shrinks by a random factor and back (nearest neighbour both ways, as Albumentations Downscale): blocky detail loss.',
    params: { scale: range('Scale', 0.01, 0.99, 0.01, [0.25, 0.25]) },
  },
} as const satisfies Record<string, { label: string; group: OpGroup; description: string; params: Record<string, ParamSpec> }>

export type OpType = keyof typeof OP_CATALOG
export const OP_TYPES = Object.keys(OP_CATALOG) as OpType[]
export const GEOMETRIC_GROUPS: readonly OpGroup[] = ['crop', 'geometry']
export function isGeometric(type: OpType): boolean {
  return GEOMETRIC_GROUPS.includes(OP_CATALOG[type].group)
}

type ValueOf<S> = S extends { kind: 'range' | 'intRange' }
  ? [number, number]
  : S extends { kind: 'boolean' }
    ? boolean
    : S extends { kind: 'ints' }
      ? number[]
      : S extends { kind: 'choice'; options: readonly (infer O)[] }
        ? O
        : number
type ParamsOf<T extends OpType> = { -readonly [K in keyof (typeof OP_CATALOG)[T]['params']]: ValueOf<(typeof OP_CATALOG)[T]['params'][K]> }
/** One op of a parsed recipe: its type, probability, enabled flag and every parameter (defaults filled in). */
export type OpSpec = { [T in OpType]: { type: T; p: number; enabled?: boolean } & ParamsOf<T> }[OpType]
export type OpOf<T extends OpType> = Extract<OpSpec, { type: T }>

export interface Recipe {
  schema: typeof RECIPE_SCHEMA
  name?: string
  output: { width: number; height: number }
  mask: { ignoreIndex: number }
  ops: OpSpec[]
}

// ---------------------------------------------------------------------------------------------
// Schemas derived from the catalogue. Messages say what was expected and what was received.

/** A received value for a message: JSON (shortened), non-finite numbers said as such, never a throw. */
export const show = (v: unknown): string => {
  if (v === undefined) return 'nothing'
  if (typeof v === 'number' && !Number.isFinite(v)) return `${v} (not a finite number)`
  if (tooDeep(v, 8)) return 'a deeply nested value'
  try {
    let nonFinite = false
    const s = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? ((nonFinite = true), `${x}`) : x))
    if (s === undefined) return typeof v
    const out = s.length > 60 ? s.slice(0, 57) + '...' : s.replace(/,/g, ', ')
    return nonFinite ? `${out} (not finite numbers)` : out
  } catch {
    return typeof v
  }
}

/** Deepest nesting a recipe (Lockstep or Albumentations JSON) may have; real ones have a handful of levels. */
export const MAX_RECIPE_DEPTH = 64

/** Whether a JSON value nests deeper than `limit` (an iterative walk: never a stack overflow, stops at the first). */
export function tooDeep(value: unknown, limit = MAX_RECIPE_DEPTH): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]]
  while (stack.length) {
    const [v, d] = stack.pop()!
    if (v === null || typeof v !== 'object') continue
    if (d >= limit) return true
    for (const x of Array.isArray(v) ? v : Object.values(v)) if (x !== null && typeof x === 'object') stack.push([x, d + 1])
  }
  return false
}

/** The problem a too-deep recipe gets (checked before anything else walks it). */
export const depthProblem = (): string => `(recipe): nested more than ${MAX_RECIPE_DEPTH} levels deep; a recipe is a list of ops a few levels deep`

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)

function checkParam(spec: ParamSpec, v: unknown): string | null {
  switch (spec.kind) {
    case 'range': {
      if (!Array.isArray(v) || v.length !== 2 || !isNum(v[0]) || !isNum(v[1])) return `expected [min, max] (two numbers), received ${show(v)}`
      if (v[0] > v[1]) return `expected [min, max] with min <= max, received ${show(v)}`
      if (v[0] < spec.min || v[1] > spec.max) return `expected values within [${spec.min}, ${spec.max}], received ${show(v)}`
      return null
    }
    case 'int':
      if (!isNum(v) || !Number.isInteger(v) || v < spec.min || v > spec.max) return `expected an integer in [${spec.min}, ${spec.max}], received ${show(v)}`
      return null
    case 'number':
      if (!isNum(v) || v < spec.min || v > spec.max) return `expected a number in [${spec.min}, ${spec.max}], received ${show(v)}`
      return null
    case 'boolean':
      return typeof v === 'boolean' ? null : `expected true or false, received ${show(v)}`
    case 'ints':
      if (!Array.isArray(v) || !v.every((x) => isNum(x) && Number.isInteger(x) && x >= spec.min && x <= spec.max)) {
        return `expected a list of integers in [${spec.min}, ${spec.max}], received ${show(v)}`
      }
      return null
    case 'intRange': {
      if (!Array.isArray(v) || v.length !== 2 || !v.every((x) => isNum(x) && Number.isInteger(x)))
        return `expected [min, max] (two integers), received ${show(v)}`
      if (v[0] > v[1]) return `expected [min, max] with min <= max, received ${show(v)}`
      if (v[0] < spec.min || v[1] > spec.max) return `expected values within [${spec.min}, ${spec.max}], received ${show(v)}`
      return null
    }
    case 'choice':
      return typeof v === 'string' && spec.options.includes(v) ? null : `expected one of ${spec.options.join(', ')}, received ${show(v)}`
  }
}

function paramSchema(spec: ParamSpec) {
  return z
    .unknown()
    .optional()
    .superRefine((v, ctx) => {
      if (v === undefined) return
      const problem = checkParam(spec, v)
      if (problem) ctx.addIssue({ code: 'custom', message: problem })
    })
    .transform((v) => structuredCloneJson(v === undefined ? spec.default : v))
}
function structuredCloneJson<T>(v: T): T {
  return Array.isArray(v) ? (v.slice() as T) : v
}

const probability = z
  .unknown()
  .optional()
  .superRefine((v, ctx) => {
    if (v !== undefined && !(isNum(v) && v >= 0 && v <= 1)) ctx.addIssue({ code: 'custom', message: `expected a probability in [0, 1], received ${show(v)}` })
  })
  .transform((v) => (v === undefined ? 1 : (v as number)))

function opObjectSchema(type: OpType) {
  const shape: Record<string, z.ZodType> = { type: z.literal(type), p: probability, enabled: z.boolean().optional() }
  for (const [name, spec] of Object.entries(OP_CATALOG[type].params)) shape[name] = paramSchema(spec as ParamSpec)
  return z.object(shape).strict()
}

/** One zod schema per op type. */
export const opSchemas = Object.fromEntries(OP_TYPES.map((t) => [t, opObjectSchema(t)])) as unknown as { [T in OpType]: z.ZodType<OpOf<T>> }
/** Discriminated union over every op type. */
export const opSchema = z.discriminatedUnion(
  'type',
  OP_TYPES.map((t) => opSchemas[t]) as unknown as [z.ZodObject, ...z.ZodObject[]],
) as unknown as z.ZodType<OpSpec>

const sideSchema = (name: string) =>
  z
    .unknown()
    .superRefine((v, ctx) => {
      if (!(isNum(v) && Number.isInteger(v) && v >= 1 && v <= MAX_SIDE))
        ctx.addIssue({ code: 'custom', message: `expected an integer ${name} in [1, ${MAX_SIDE}], received ${show(v)}` })
    })
    .transform((v) => v as number)

const headerSchema = z
  .object({
    schema: z
      .unknown()
      .superRefine((v, ctx) => {
        if (v !== RECIPE_SCHEMA) ctx.addIssue({ code: 'custom', message: `expected "${RECIPE_SCHEMA}", received ${show(v)}` })
      })
      .transform(() => RECIPE_SCHEMA),
    name: z.string().max(200).optional(),
    output: z.object({ width: sideSchema('width'), height: sideSchema('height') }).strict(),
    mask: z
      .object({
        ignoreIndex: z
          .unknown()
          .optional()
          .superRefine((v, ctx) => {
            if (v !== undefined && !(isNum(v) && Number.isInteger(v) && v >= 0 && v <= 65535))
              ctx.addIssue({ code: 'custom', message: `expected an integer in [0, 65535], received ${show(v)}` })
          })
          .transform((v) => (v === undefined ? 255 : (v as number))),
      })
      .strict()
      .default({ ignoreIndex: 255 }),
    ops: z.array(z.unknown()),
  })
  .strict()

/** The whole recipe as one zod schema (ops as a discriminated union). `validateRecipe` gives better messages. */
export const recipeSchema = headerSchema.extend({ ops: z.array(opSchema) }) as unknown as z.ZodType<Recipe>

// ---------------------------------------------------------------------------------------------

/** `ops[2].degrees` from a zod path. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = ''
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out === '' ? String(part) : `.${String(part)}`
  return out || '(recipe)'
}

function zodProblems(
  issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string; code?: string; keys?: string[] }>,
  prefix: PropertyKey[] = [],
): string[] {
  return issues
    .map((i) => {
      if (i.code === 'unrecognized_keys' && i.keys) {
        return i.keys.map((k) => `${formatPath([...prefix, ...i.path, k])}: unknown field`).join('\n')
      }
      return `${formatPath([...prefix, ...i.path])}: ${i.message}`
    })
    .flatMap((s) => s.split('\n'))
}

export type RecipeValidation = { ok: true; recipe: Recipe } | { ok: false; problems: string[] }

/** Validates a Lockstep recipe (already JSON-parsed), listing every problem by path. */
export function validateRecipe(json: unknown): RecipeValidation {
  const problems: string[] = []
  if (tooDeep(json)) return { ok: false, problems: [depthProblem()] }
  if (!json || typeof json !== 'object' || Array.isArray(json)) {
    return { ok: false, problems: [`(recipe): expected a JSON object with "schema": "${RECIPE_SCHEMA}", received ${show(json)}`] }
  }
  const head = headerSchema.safeParse(json)
  if (!head.success) problems.push(...zodProblems(head.error.issues))
  const rawOps = (json as { ops?: unknown }).ops
  const ops: OpSpec[] = []
  if (Array.isArray(rawOps)) {
    rawOps.forEach((raw, i) => {
      const t = (raw as { type?: unknown } | null)?.type
      if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
        problems.push(`ops[${i}]: expected an object with a "type", received ${show(raw)}`)
      } else if (typeof t !== 'string' || !Object.prototype.hasOwnProperty.call(OP_CATALOG, t)) {
        problems.push(`ops[${i}].type: expected one of ${OP_TYPES.join(', ')}, received ${show(t)}`)
      } else {
        const r = opSchemas[t as OpType].safeParse(raw)
        if (r.success) ops.push(r.data)
        else problems.push(...zodProblems((r as { error: z.ZodError }).error.issues, ['ops', i]))
      }
    })
  } else if (rawOps === undefined) {
    // reported by headerSchema
  }
  if (problems.length || !head.success) return { ok: false, problems }
  const recipe: Recipe = { schema: RECIPE_SCHEMA, output: head.data.output, mask: head.data.mask, ops }
  if (head.data.name !== undefined) recipe.name = head.data.name
  return { ok: true, recipe }
}

/** Parses a Lockstep recipe or throws INVALID_RECIPE whose message lists every problem. */
export function parseLockstepRecipe(json: unknown, source = 'recipe'): Recipe {
  const r = validateRecipe(typeof json === 'string' ? parseJsonText(json, source) : json)
  if (!r.ok) throw invalidRecipe(source, r.problems)
  return r.recipe
}

export function invalidRecipe(source: string, problems: string[]): LockstepError {
  return new LockstepError('INVALID_RECIPE', `Invalid ${source}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n  ${problems.join('\n  ')}`, {
    problems,
  })
}

export function parseJsonText(text: string, source = 'recipe'): unknown {
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new LockstepError('INVALID_RECIPE', `Invalid ${source}: not JSON (${(err as Error).message})`, {
      problems: [`(recipe): not JSON: ${(err as Error).message}`],
    })
  }
}

/**
 * The probability an op gets when added from the palette, as Albumentations users know it: crops
 * and resizes always apply (p 1), every other op with p 0.5. (A recipe that leaves p out still
 * means p 1.)
 */
export function defaultP(type: OpType): number {
  return OP_CATALOG[type].group === 'crop' || type === 'resize' ? 1 : 0.5
}

/** An op with every parameter at its default (what the recipe editor adds from the palette). */
export function defaultOp<T extends OpType>(type: T, p = defaultP(type)): OpOf<T> {
  const op: Record<string, unknown> = { type, p }
  for (const [name, spec] of Object.entries(OP_CATALOG[type].params)) op[name] = structuredCloneJson((spec as ParamSpec).default)
  return op as OpOf<T>
}

/** The catalogue as a list (palette order), for the renderer. */
export const opCatalog = OP_TYPES.map((type) => ({ type, ...OP_CATALOG[type] }))

/** A minimal recipe: a random crop to the output size. */
export function defaultRecipe(width = 512, height = 512): Recipe {
  return {
    schema: RECIPE_SCHEMA,
    output: { width, height },
    mask: { ignoreIndex: 255 },
    ops: [{ ...defaultOp('random_crop'), width, height }, defaultOp('hflip', 0.5)],
  }
}

/** Lockstep JSON only (the renderer's entry); main's `parseRecipe` in src/main/augment also converts Albumentations JSON. */
export const parseRecipe = parseLockstepRecipe
