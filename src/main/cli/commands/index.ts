// Every subcommand, in the order `lockstep --help` lists them. Each area adds its own file.
import type { Command } from '../command'
import { serveCommand } from './serve'

export const commands: Command[] = [serveCommand]
