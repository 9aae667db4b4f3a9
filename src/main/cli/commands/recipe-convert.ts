// `lockstep recipe convert`: Lockstep <-> Albumentations JSON.
import { writeFile } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { LockstepError } from '../../../shared/errors'
import { parseJsonText } from '../../../shared/recipe'
import { convertRecipe } from '../../augment'
import { parse, requireOption, type Command } from '../command'

const NAME = 'recipe convert'

const HELP = `usage: lockstep recipe convert FILE --to albumentations|lockstep [--out FILE]

Converts a recipe between Lockstep JSON (lockstep.recipe/1) and Albumentations JSON (the format
A.save(compose, path, data_format='json') writes and A.load reads; 1.3.1 layout on export).
The input's format is detected. Prints the converted JSON on stdout, or writes it to --out.
Every transform or parameter with no counterpart is named on stderr (it is not in the output),
approximations are explained there too; the exit code is 1 if anything was left out.`

export const recipeConvertCommand: Command = {
  name: NAME,
  help: HELP,
  async run(argv) {
    const { values: v, positionals } = parse(NAME, argv, { to: { type: 'string' }, out: { type: 'string' } }, true)
    if (positionals.length !== 1)
      throw new LockstepError('INVALID_INPUT', `lockstep ${NAME}: expected one recipe FILE, received ${positionals.length} (see lockstep ${NAME} --help)`)
    const to = requireOption(NAME, v.to, '--to')
    if (to !== 'albumentations' && to !== 'lockstep')
      throw new LockstepError('INVALID_INPUT', `lockstep ${NAME}: --to must be albumentations or lockstep, received ${JSON.stringify(to)}`)
    const file = resolve(positionals[0])
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (err) {
      throw new LockstepError(
        'NOT_FOUND',
        `Cannot read recipe ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
      )
    }
    const c = convertRecipe(parseJsonText(text, `recipe ${file}`), to)
    const json = JSON.stringify(c.recipe, null, 2) + '\n'
    if (v.out) await writeFile(resolve(v.out), json)
    else process.stdout.write(json)
    for (const u of c.unsupported) console.error(`lockstep ${NAME}: no counterpart, left out: ${u}`)
    for (const n of c.notes) console.error(`lockstep ${NAME}: note: ${n}`)
    return c.unsupported.length ? 1 : 0
  },
}
