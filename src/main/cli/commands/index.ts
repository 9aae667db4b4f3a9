// Every subcommand, in the order `lockstep --help` lists them. Each area adds its own file.
import type { Command } from '../command'

export const commands: Command[] = []
