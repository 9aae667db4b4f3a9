// The `lockstep` command: a thin door onto the same services the app uses.
import { toErrorPayload } from '../../shared/errors'
import type { CommandEntry } from './command'
import { commands } from './commands'

const VERSION = process.env.LOCKSTEP_VERSION ?? '0.1.0'

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length))
  return [
    'lockstep: paired image/mask augmentation for segmentation datasets',
    '',
    'usage: lockstep <command> [options]     (lockstep <command> --help for its options)',
    '',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
  ].join('\n')
}

function find(argv: string[]): { entry: CommandEntry; rest: string[] } | undefined {
  // Longest match first, so 'recipe convert' wins over a hypothetical 'recipe'.
  const sorted = [...commands].sort((a, b) => b.name.split(' ').length - a.name.split(' ').length)
  for (const entry of sorted) {
    const words = entry.name.split(' ')
    if (words.every((w, i) => argv[i] === w)) return { entry, rest: argv.slice(words.length) }
  }
  return undefined
}

export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    console.log(usage())
    return argv.length === 0 ? 2 : 0
  }
  if (argv[0] === '--version' || argv[0] === '-v') {
    console.log(VERSION)
    return 0
  }
  const found = find(argv)
  if (!found) {
    console.error(`lockstep: unknown command ${JSON.stringify(argv.join(' '))}\n\n${usage()}`)
    return 2
  }
  const command = await found.entry.load()
  if (found.rest.includes('--help') || found.rest.includes('-h')) {
    console.log(command.help)
    return 0
  }
  try {
    return await command.run(found.rest)
  } catch (err) {
    const e = toErrorPayload(err)
    console.error(`lockstep ${found.entry.name}: error: ${e.message}`)
    if (e.code === 'INTERNAL' && process.env.LOCKSTEP_DEBUG && err instanceof Error) console.error(err.stack)
    return e.code === 'INVALID_INPUT' ? 2 : 1
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (err) => {
    console.error(`lockstep: ${toErrorPayload(err).message}`)
    process.exitCode = 1
  },
)
