// What `lockstep export` and `lockstep stream` share on the command line: the sources (a project
// or two folders), the recipe, the order and running options, turned into the contract's option
// objects (parsed by its schemas, which set every limit) with each problem named by its flag.
import { readFileSync } from 'node:fs'
import type { z } from 'zod'
import { resolve } from 'node:path'
import { LockstepError } from '../../../shared/errors'
import { parseJsonText } from '../../../shared/recipe'
import type { Catalog } from '../../catalog/catalog'
import { FORMATS } from '../../export/formats'
import type { ExportSource } from '../../export/start'
import type { Options } from '../command'

/** Flags both commands take. */
export const COMMON_ARGS: Options = {
  project: { type: 'string' },
  split: { type: 'string', multiple: true },
  images: { type: 'string' },
  masks: { type: 'string' },
  'mask-pattern': { type: 'string', multiple: true },
  recipe: { type: 'string' },
  'recipe-version': { type: 'string' },
  seed: { type: 'string' },
  epochs: { type: 'string' },
  'batch-size': { type: 'string' },
  'steps-per-epoch': { type: 'string' },
  'drop-last': { type: 'boolean' },
  workers: { type: 'string' },
  memory: { type: 'string' },
  normalize: { type: 'string' },
}

/** Contract option path -> the flag a person typed. */
const FLAGS: Record<string, string> = {
  recipe: '--recipe',
  seed: '--seed',
  splits: '--split',
  epochs: '--epochs',
  batchSize: '--batch-size',
  stepsPerEpoch: '--steps-per-epoch',
  dropLast: '--drop-last',
  imageFormat: '--image-format',
  quality: '--quality',
  formats: '--format',
  out: '--out',
  shard: '--shard',
  workers: '--workers',
  memoryMb: '--memory',
  normalize: '--normalize',
  prefetch: '--prefetch',
}

/** "--seed must be ≥ 0 ..." for the schema's own words, "--format: ..." for anything else. */
export function flagProblem(path: string[], message: string): string {
  return `${flagOf(path)}${message.startsWith('must ') ? ' ' : ': '}${message}`
}

export function flagOf(path: string[]): string {
  if (path[0] === 'formatOptions' && path[1]) {
    return FORMATS.find((f) => f.name === path[1])?.options.find((o) => o.key === path[2])?.flag ?? `--format (${path[1]})`
  }
  return FLAGS[path[0] ?? ''] ?? path.join('.')
}

/** The smallest value a contract schema's number field takes (its one bound; the CLI's messages name it). */
export function minOf(schema: z.ZodObject, key: string): number {
  let t = (schema.shape as Record<string, unknown>)[key] as { def?: { innerType?: unknown }; minValue?: number | null } | undefined
  while (t?.def?.innerType) t = t.def.innerType
  return t?.minValue ?? 0
}

/** A number flag as typed: an integer (bounds are the schema's), else an error naming the flag and the schema's lower bound. */
export function int(command: string, value: string | undefined, flag: string, min = 0): number | undefined {
  if (value === undefined) return undefined
  const text = value.trim()
  if (!/^[+-]?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new LockstepError('INVALID_INPUT', `lockstep ${command}: ${flag} must be an integer ≥ ${min} but received ${JSON.stringify(value)}`)
  }
  return Number(text)
}

export function list(value: string[] | string | undefined): string[] | undefined {
  if (value === undefined) return undefined
  return (Array.isArray(value) ? value : [value])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean)
}

/** --normalize featurewise | samplewise | rescale=F (F a number or a fraction like 1/255); anything else goes to the schema as typed. */
export function normalizeArg(command: string, value: string | undefined): unknown {
  if (value === undefined) return undefined
  const m = /^rescale=([+-]?[\d.eE+-]+)(?:\/([\d.eE+-]+))?$/.exec(value.trim())
  if (!m) return value.trim()
  const factor = Number(m[1]) / (m[2] === undefined ? 1 : Number(m[2]))
  if (!Number.isFinite(factor))
    throw new LockstepError(
      'INVALID_INPUT',
      `lockstep ${command}: expected --normalize rescale=F with a finite number F (e.g. rescale=1/255) but received ${JSON.stringify(value)}`,
    )
  return { rescale: factor }
}

export function readRecipe(path: string): { json: unknown } {
  const file = resolve(path)
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new LockstepError(
      code === 'ENOENT' ? 'NOT_FOUND' : 'UNREADABLE',
      `Cannot read recipe ${file}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
    )
  }
  return { json: parseJsonText(text, file) }
}

/** The options both commands share, as the contract names them (undefined = the schema's default); `schema` gives the bounds. */
export function commonOptions(command: string, v: Record<string, unknown>, schema: z.ZodObject): Record<string, unknown> {
  const s = (k: string) => v[k] as string | undefined
  const num = (key: string, flag: string) => int(command, s(flag.slice(2)), flag, minOf(schema, key))
  if (!!v.recipe === !!v['recipe-version'])
    throw new LockstepError('INVALID_INPUT', `lockstep ${command}: give exactly one of --recipe FILE and --recipe-version ID`)
  return {
    recipe: v.recipe ? readRecipe(s('recipe')!) : { versionId: int(command, s('recipe-version'), '--recipe-version', 1) },
    seed: num('seed', '--seed'),
    splits: list(v.split as string[] | undefined),
    epochs: num('epochs', '--epochs'),
    batchSize: num('batchSize', '--batch-size'),
    stepsPerEpoch: num('stepsPerEpoch', '--steps-per-epoch'),
    dropLast: v['drop-last'] === true,
    workers: s('workers') === 'auto' ? undefined : num('workers', '--workers'),
    memoryMb: num('memoryMb', '--memory'),
    normalize: normalizeArg(command, s('normalize')),
  }
}

/** Parses `raw` with `parse` (a contract schema's parser); a schema problem becomes one message naming each flag. */
export function parseWithFlags<T>(command: string, raw: Record<string, unknown>, parse: (x: unknown) => T): T {
  try {
    return parse(Object.fromEntries(Object.entries(raw).filter(([, x]) => x !== undefined)))
  } catch (err) {
    const issues = (err as LockstepError).details as { issues?: { path: string[]; message: string }[] } | undefined
    if (!issues?.issues) throw err
    throw new LockstepError(
      'INVALID_INPUT',
      `lockstep ${command}: ${issues.issues.map((i) => flagProblem(i.path, i.message)).join('; ')} (see lockstep ${command} --help)`,
    )
  }
}

/** --project DIR, or --images DIR --masks DIR (checked); the project's catalog is opened (close it after). */
export async function openSource(command: string, v: Record<string, unknown>): Promise<{ source: ExportSource; catalog: Catalog | null }> {
  if (v.project && (v.images || v.masks)) throw new LockstepError('INVALID_INPUT', `lockstep ${command}: give either --project or --images/--masks, not both`)
  if (!v.project && !(v.images && v.masks))
    throw new LockstepError('INVALID_INPUT', `lockstep ${command}: give --project DIR, or --images DIR and --masks DIR (see lockstep ${command} --help)`)
  if (v.split && !v.project) throw new LockstepError('INVALID_INPUT', `lockstep ${command}: --split needs --project`)
  if (!v.project)
    return { source: { images: v.images as string, masks: v.masks as string, maskPatterns: v['mask-pattern'] as string[] | undefined }, catalog: null }
  // loaded only for projects: a folder export never pays for SQLite
  const { Catalog } = await import('../../catalog/catalog')
  const catalog = Catalog.open(v.project as string)
  return { source: { catalog }, catalog }
}
