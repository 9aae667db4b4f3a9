// Opening projects for a session, and the sample project the app opens on first run.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ProjectProbe } from '../../shared/contract/catalog'
import { LockstepError } from '../../shared/errors'
import { Catalog, DB_FILE } from './catalog'
import { openDatabase } from './db'
import { runImport } from './importer'

/**
 * What a folder is, before opening or creating a project in it: already a project (its name), a
 * folder that does not exist yet, an empty folder, a folder with other files (a project may still
 * be created there: lockstep.db goes beside them), or something that cannot hold one.
 */
export function probeProjectDir(dir: string): ProjectProbe {
  const abs = resolve(dir)
  let isDir: boolean
  try {
    isDir = statSync(abs).isDirectory()
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return { dir: abs, state: 'missing' }
    return { dir: abs, state: 'unusable', reason: `${abs} cannot be read (${code ?? (err as Error).message})` }
  }
  if (!isDir) return { dir: abs, state: 'unusable', reason: `${abs} is a file, not a folder` }
  if (existsSync(join(abs, DB_FILE))) {
    try {
      const db = openDatabase(join(abs, DB_FILE), { readonly: true })
      try {
        const name = db.prepare("SELECT value FROM meta WHERE key = 'name'").pluck().get() as string | undefined
        return { dir: abs, state: 'project', name: name ?? basename(abs) }
      } finally {
        db.close()
      }
    } catch (err) {
      return { dir: abs, state: 'unusable', reason: (err as Error).message }
    }
  }
  let entries: string[]
  try {
    entries = readdirSync(abs).filter((f) => !f.startsWith('.'))
  } catch (err) {
    return { dir: abs, state: 'unusable', reason: `${abs} cannot be listed (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` }
  }
  return entries.length ? { dir: abs, state: 'not-empty', entries: entries.length } : { dir: abs, state: 'empty' }
}

/** Where resources/sample is: next to the checkout (dev, CLI) or under Electron's resourcesPath. */
export function findSampleDir(): string | undefined {
  const candidates: string[] = []
  const rp = (process as { resourcesPath?: string }).resourcesPath
  if (rp) candidates.push(join(rp, 'sample'), join(rp, 'resources', 'sample'), join(rp, 'app.asar.unpacked', 'resources', 'sample'))
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 6; i++) {
    candidates.push(join(dir, 'resources', 'sample'))
    dir = dirname(dir)
  }
  candidates.push(join(process.cwd(), 'resources', 'sample'))
  return candidates.find((c) => existsSync(join(c, 'images')))
}

/**
 * The sample project under `userDataDir` (`sample-project/`), importing `resources/sample`
 * (images/, masks/, optional classes.json palette, recipes/*.json or recipe.json) the first time.
 */
export async function openOrCreateSampleProject(userDataDir: string, sampleDir = findSampleDir()): Promise<Catalog> {
  if (!sampleDir || !existsSync(join(sampleDir, 'images'))) {
    throw new LockstepError(
      'NOT_FOUND',
      `The sample dataset is missing (looked for resources/sample/images${sampleDir ? ` in ${sampleDir}` : ''}); run scripts/make-sample.mjs`,
    )
  }
  const dir = join(resolve(userDataDir), 'sample-project')
  const fresh = !existsSync(join(dir, DB_FILE))
  const catalog = Catalog.open(dir, { create: true, name: 'Sample project' })
  try {
    const unfinished = catalog.db.prepare("SELECT COUNT(*) FROM jobs WHERE kind = 'import' AND status = 'running'").pluck().get() as number
    if (fresh || catalog.datasets().length === 0 || unfinished > 0) {
      const masks = existsSync(join(sampleDir, 'masks')) ? join(sampleDir, 'masks') : null
      await runImport(catalog, { images: join(sampleDir, 'images'), masks, name: 'sample' })
      // a reproducible starting split, so 'train' exports and stats work out of the box
      catalog.randomSplit({ seed: 0, ratios: { train: 0.7, val: 0.15, test: 0.15 } })
      // its class names and colours (and the index it marks as 'ignore'), if it ships a palette
      const palette = join(sampleDir, 'classes.json')
      if (existsSync(palette)) {
        catalog.importPalette({ path: palette })
        const ignore = (JSON.parse(readFileSync(palette, 'utf8')) as { ignoreIndex?: unknown }).ignoreIndex
        if (typeof ignore === 'number' && Number.isInteger(ignore) && ignore >= 0 && ignore <= 65535) {
          catalog.updateClasses([{ index: ignore, name: 'ignore', ignore: true }])
        }
      }
      if (catalog.listRecipes().length === 0) {
        const files: string[] = []
        if (existsSync(join(sampleDir, 'recipe.json'))) files.push(join(sampleDir, 'recipe.json'))
        if (existsSync(join(sampleDir, 'recipes'))) {
          for (const f of readdirSync(join(sampleDir, 'recipes')).sort()) if (f.endsWith('.json')) files.push(join(sampleDir, 'recipes', f))
        }
        for (const f of files) {
          const json = JSON.parse(readFileSync(f, 'utf8')) as { name?: string }
          const name =
            typeof json.name === 'string'
              ? json.name
              : f
                  .split(/[\\/]/)
                  .pop()!
                  .replace(/\.json$/, '')
          catalog.saveRecipe({ name, recipe: json, note: 'sample recipe' })
        }
      }
    }
    return catalog
  } catch (err) {
    catalog.close()
    throw err
  }
}
