// Every subcommand, in the order `lockstep --help` lists them. Each area adds its own file.
import type { Command } from '../command'
import { serveCommand } from './serve'
import { exportCommand } from './export'
import { replayCommand } from './replay'
import { importCommand } from './import'
import { lsCommand } from './ls'
import { statsCommand } from './stats'
import { previewCommand } from './preview'
import { recipeConvertCommand } from './recipe-convert'

export const commands: Command[] = [serveCommand, exportCommand, replayCommand, importCommand, lsCommand, statsCommand, previewCommand, recipeConvertCommand]
