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

const range = (label: string, min: number, max: number, step: number, def: [number, number], help?: string) =>
  ({ kind: 'range', label, min, max, step, default: def, help }) as const
const int = (label: string, min: number, max: number, def: number, help?: string) =>
  ({ kind: 'int', label, min, max, step: 1, default: def, help }) as const
const num = (label: string, min: number, max: number, step: number, def: number, help?: string) =>
  ({ kind: 'number', label, min, max, step, default: def, help }) as const
const bool = (label: string, def: boolean, help?: string) => ({ kind: 'boolean', label, default: def, help }) as const
const ints = (label: string, min: number, max: number, def: number[], help?: string) =>
  ({ kind: 'ints', label, min, max, default: def, help }) as const

const side = (label: string) => int(label, 1, MAX_SIDE, 512)

/**
 * Every op: its label, group, description and parameters. Geometric ops (groups crop and
 * geometry) move both image and mask; colour, noise and blur ops touch the image only.
 */
export const OP_CATALOG = {
  random_crop: {
    label: 'Random crop', group: 'crop', description: 'A window of the given size at a random position (padded with the fill if the image is smaller).',
    params: { width: side('Width'), height: side('Height'), padIfNeeded: bool('Pad if smaller', true) },
  },
  center_crop: {
    label: 'Centre crop', group: 'crop', description: 'A window of the given size at the centre.',
    params: { width: side('Width'), height: side('Height'), padIfNeeded: bool('Pad if smaller', true) },
  },
  crop_non_empty_mask: {
    label: 'Crop around classes', group: 'crop',
    description: 'A window containing a randomly chosen pixel of the given classes (any non-zero class if none are given); a random crop if the mask has none.',
    params: {
      width: side('Width'), height: side('Height'),
      classes: ints('Classes', 0, 65535, [], 'Empty: any class except 0 and the ignore index'),
      ignoreValues: ints('Ignore values', 0, 65535, []),
      padIfNeeded: bool('Pad if smaller', true),
    },
  },
  random_resized_crop: {
    label: 'Random resized crop', group: 'crop', description: 'A random window (area fraction and aspect ratio) resized to the given size.',
    params: {
      width: side('Width'), height: side('Height'),
      scale: range('Area fraction', 0.01, 1, 0.01, [0.08, 1]),
      ratio: range('Aspect ratio', 0.1, 10, 0.01, [0.75, 1.3333]),
    },
  },
  pad_if_needed: {
    label: 'Pad if needed', group: 'crop', description: 'Pads (centred) to at least the given size with the fill.',
    params: { minWidth: side('Min width'), minHeight: side('Min height') },
  },
  hflip: { label: 'Horizontal flip', group: 'geometry', description: 'Mirror left-right.', params: {} },
  vflip: { label: 'Vertical flip', group: 'geometry', description: 'Mirror top-bottom.', params: {} },
  rot90: {
    label: '90° rotation', group: 'geometry', description: 'Rotates clockwise by a random number of quarter turns from the list.',
    params: { turns: ints('Quarter turns', 0, 3, [0, 1, 2, 3]) },
  },
  rotate: {
    label: 'Rotate', group: 'geometry', description: 'Rotates about the centre by a random angle (degrees, counter-clockwise), keeping the size.',
    params: { degrees: range('Degrees', -180, 180, 1, [-30, 30]) },
  },
  scale: {
    label: 'Scale / zoom', group: 'geometry', description: 'Zooms about the centre by a random factor; with "keep size" off the canvas is resized instead.',
    params: { factor: range('Factor', 0.1, 10, 0.01, [0.8, 1.2]), keepSize: bool('Keep size', true) },
  },
  shift: {
    label: 'Shift', group: 'geometry', description: 'Translates by a random fraction of the width and height.',
    params: { x: range('Horizontal (fraction)', -1, 1, 0.01, [-0.1, 0.1]), y: range('Vertical (fraction)', -1, 1, 0.01, [-0.1, 0.1]) },
  },
  affine: {
    label: 'Shift, scale, rotate', group: 'geometry', description: 'One affine: rotation and zoom about the centre, then a shift (fractions of the size).',
    params: {
      degrees: range('Degrees', -180, 180, 1, [-45, 45]),
      scale: range('Scale', 0.1, 10, 0.01, [0.9, 1.1]),
      shiftX: range('Shift x (fraction)', -1, 1, 0.01, [-0.0625, 0.0625]),
      shiftY: range('Shift y (fraction)', -1, 1, 0.01, [-0.0625, 0.0625]),
    },
  },
  resize: { label: 'Resize', group: 'geometry', description: 'Resizes to the given size.', params: { width: side('Width'), height: side('Height') } },
  brightness: {
    label: 'Brightness', group: 'colour', description: 'Adds a random fraction of 255 (Albumentations brightness_limit).',
    params: { limit: range('Limit', -1, 1, 0.01, [-0.2, 0.2]) },
  },
  contrast: {
    label: 'Contrast', group: 'colour', description: 'Multiplies by 1 + a random value (Albumentations contrast_limit).',
    params: { limit: range('Limit', -1, 1, 0.01, [-0.2, 0.2]) },
  },
  hsv_power: {
    label: 'Saturation / value power', group: 'colour', description: 'Raises S and V (HSV, 0–1) to random exponents.',
    params: { saturation: range('Saturation exponent', 0.25, 4, 0.01, [0.5, 2]), value: range('Value exponent', 0.25, 4, 0.01, [0.5, 2]) },
  },
  hue: { label: 'Hue shift', group: 'colour', description: 'Rotates the hue by a random angle (degrees).', params: { degrees: range('Degrees', -180, 180, 1, [-10, 10]) } },
  gamma: { label: 'Gamma', group: 'colour', description: 'out = 255·(in/255)^gamma.', params: { gamma: range('Gamma', 0.1, 10, 0.01, [0.8, 1.25]) } },
  gaussian_noise: {
    label: 'Gaussian noise', group: 'noise', description: 'Adds zero-mean noise with a random standard deviation (0–255 units).',
    params: { std: range('Std (0–255)', 0, 255, 0.5, [3, 15]), perChannel: bool('Per channel', true) },
  },
  salt_pepper: {
    label: 'Salt and pepper', group: 'noise', description: 'Sets a random fraction of pixels to white (salt) or black (pepper).',
    params: { amount: range('Amount', 0, 1, 0.005, [0.01, 0.05]), saltRatio: num('Salt ratio', 0, 1, 0.05, 0.5) },
  },
  gaussian_blur: { label: 'Gaussian blur', group: 'blur', description: 'Blurs with a random sigma (pixels).', params: { sigma: range('Sigma', 0.1, 20, 0.1, [0.5, 1.5]) } },
} as const satisfies Record<string, { label: string; group: OpGroup; description: string; params: Record<string, ParamSpec> }>

export type OpType = keyof typeof OP_CATALOG
export const OP_TYPES = Object.keys(OP_CATALOG) as OpType[]
export const GEOMETRIC_GROUPS: readonly OpGroup[] = ['crop', 'geometry']
export function isGeometric(type: OpType): boolean {
  return GEOMETRIC_GROUPS.includes(OP_CATALOG[type].group)
}

type ValueOf<S> = S extends { kind: 'range' } ? [number, number] : S extends { kind: 'boolean' } ? boolean : S extends { kind: 'ints' } ? number[] : number
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

const show = (v: unknown): string => {
  if (v === undefined) return 'nothing'
  try {
    const s = JSON.stringify(v)
    return s === undefined ? String(v) : s.length > 60 ? s.slice(0, 57) + '...' : s.replace(/,/g, ', ')
  } catch {
    return String(v)
  }
}
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
  z.unknown().superRefine((v, ctx) => {
    if (!(isNum(v) && Number.isInteger(v) && v >= 1 && v <= MAX_SIDE)) ctx.addIssue({ code: 'custom', message: `expected an integer ${name} in [1, ${MAX_SIDE}], received ${show(v)}` })
  }).transform((v) => v as number)

const headerSchema = z
  .object({
    schema: z.unknown().superRefine((v, ctx) => {
      if (v !== RECIPE_SCHEMA) ctx.addIssue({ code: 'custom', message: `expected "${RECIPE_SCHEMA}", received ${show(v)}` })
    }).transform(() => RECIPE_SCHEMA),
    name: z.string().max(200).optional(),
    output: z.object({ width: sideSchema('width'), height: sideSchema('height') }).strict(),
    mask: z
      .object({
        ignoreIndex: z.unknown().optional().superRefine((v, ctx) => {
          if (v !== undefined && !(isNum(v) && Number.isInteger(v) && v >= 0 && v <= 65535)) ctx.addIssue({ code: 'custom', message: `expected an integer in [0, 65535], received ${show(v)}` })
        }).transform((v) => (v === undefined ? 255 : (v as number))),
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

function zodProblems(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string; code?: string; keys?: string[] }>, prefix: PropertyKey[] = []): string[] {
  return issues.map((i) => {
    if (i.code === 'unrecognized_keys' && i.keys) {
      return i.keys.map((k) => `${formatPath([...prefix, ...i.path, k])}: unknown field`).join('\n')
    }
    return `${formatPath([...prefix, ...i.path])}: ${i.message}`
  }).flatMap((s) => s.split('\n'))
}

export type RecipeValidation = { ok: true; recipe: Recipe } | { ok: false; problems: string[] }

/** Validates a Lockstep recipe (already JSON-parsed), listing every problem by path. */
export function validateRecipe(json: unknown): RecipeValidation {
  const problems: string[] = []
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
  return new LockstepError('INVALID_RECIPE', `Invalid ${source}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n  ${problems.join('\n  ')}`, { problems })
}

export function parseJsonText(text: string, source = 'recipe'): unknown {
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new LockstepError('INVALID_RECIPE', `Invalid ${source}: not JSON (${(err as Error).message})`, { problems: [`(recipe): not JSON: ${(err as Error).message}`] })
  }
}

/** An op with every parameter at its default (what the recipe editor adds from the palette). */
export function defaultOp<T extends OpType>(type: T, p = 1): OpOf<T> {
  const op: Record<string, unknown> = { type, p }
  for (const [name, spec] of Object.entries(OP_CATALOG[type].params)) op[name] = structuredCloneJson((spec as ParamSpec).default)
  return op as OpOf<T>
}

/** The catalogue as a list (palette order), for the renderer. */
export const opCatalog = OP_TYPES.map((type) => ({ type, ...OP_CATALOG[type] }))

/** A minimal recipe: a random crop to the output size. */
export function defaultRecipe(width = 512, height = 512): Recipe {
  return { schema: RECIPE_SCHEMA, output: { width, height }, mask: { ignoreIndex: 255 }, ops: [{ ...defaultOp('random_crop'), width, height }, defaultOp('hflip', 0.5)] }
}

/** Lockstep JSON only (the renderer's entry); main's `parseRecipe` in src/main/augment also converts Albumentations JSON. */
export const parseRecipe = parseLockstepRecipe
