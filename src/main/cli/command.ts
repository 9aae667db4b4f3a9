import { parseArgs, type ParseArgsConfig } from 'node:util'
import { LockstepError } from '../../shared/errors'

/** One `lockstep <name>` subcommand. Each lives in ./commands/<name>.ts and is listed in ./index.ts. */
export interface Command {
  /** e.g. 'export' or 'recipe convert' */
  name: string
  /** Full text printed by `lockstep <name> --help`. */
  help: string
  /** Returns the process exit code. Throw LockstepError for a clean one-line error (exit 2 for usage, 1 otherwise). */
  run(argv: string[]): Promise<number>
}

/** How the dispatcher lists a command without loading its module. */
export interface CommandEntry {
  name: string
  summary: string
  load(): Promise<Command>
}

export type Options = NonNullable<ParseArgsConfig['options']>

/**
 * `--seed -1` as `--seed=-1`: a negative number after an option that takes a value is that value
 * (parseArgs would call it an ambiguous option), so the option's own check can say what it accepts.
 */
function negativeValues(argv: string[], options: Options): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const long = a.startsWith('--') && !a.includes('=') ? a.slice(2) : null
    const short = !long && /^-[A-Za-z]$/.test(a) ? Object.keys(options).find((k) => options[k].short === a[1]) : null
    const name = long ?? short
    if (name && options[name]?.type === 'string' && /^-\d/.test(argv[i + 1] ?? '')) out.push(`--${name}=${argv[++i]}`)
    else out.push(a)
  }
  return out
}

/** parseArgs with usage errors turned into LockstepError('INVALID_INPUT') naming the command. */
export function parse<O extends Options>(command: string, argv: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args: negativeValues(argv, options), options, allowPositionals, strict: true })
  } catch (err) {
    throw new LockstepError('INVALID_INPUT', `lockstep ${command}: ${(err as Error).message} (see lockstep ${command} --help)`)
  }
}

export function requireOption(command: string, value: string | undefined, flag: string): string {
  if (value === undefined || value === '') {
    throw new LockstepError('INVALID_INPUT', `lockstep ${command}: ${flag} is required (see lockstep ${command} --help)`)
  }
  return value
}

/** An integer option (decimal digits, no empty value: `--seed ""` is not 0), at least `min`. */
export function intOption(command: string, value: string | undefined, flag: string, fallback: number, min = 0): number {
  if (value === undefined) return fallback
  const text = value.trim()
  if (!/^[+-]?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new LockstepError('INVALID_INPUT', `lockstep ${command}: ${flag} must be an integer ≥ ${min} but received ${JSON.stringify(value)}`)
  }
  const n = Number(text)
  if (n < min) throw new LockstepError('INVALID_INPUT', `lockstep ${command}: ${flag} must be ≥ ${min} but received ${n}`)
  return n
}

/**
 * Text for a one-line-per-record output: control characters (a newline, a tab), bidirectional
 * overrides (which reorder what a terminal shows) and the backslash itself written as escapes.
 */
export function lineSafe(text: string): string {
  // \p{Cc} is U+0000-U+001F and U+007F-U+009F
  return text.replace(/[\\\p{Cc}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu, (c) => {
    if (c === '\\') return '\\\\'
    const code = c.charCodeAt(0)
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
  })
}
