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

/** parseArgs with usage errors turned into LockstepError('INVALID_INPUT') naming the command. */
export function parse<O extends Options>(command: string, argv: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true })
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

export function intOption(command: string, value: string | undefined, flag: string, fallback: number, min = 0): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < min) {
    throw new LockstepError('INVALID_INPUT', `lockstep ${command}: expected an integer >= ${min} for ${flag} but received ${JSON.stringify(value)}`)
  }
  return n
}
