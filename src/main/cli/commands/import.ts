// `lockstep import`: catalog a folder of images and masks into a project (created if needed).
import { resolve } from 'node:path'
import { SAMPLE_ERROR_KINDS, type ImportSummary } from '../../../shared/contract/catalog'
import { LockstepError } from '../../../shared/errors'
import { Catalog } from '../../catalog/catalog'
import { runImport } from '../../catalog/importer'
import { parse, type Command } from '../command'
import { progressPrinter } from './progress'

const NAME = 'import'

const HELP = `usage: lockstep import IMAGES_DIR [--masks MASKS_DIR] [--project DIR] [--mask-pattern P]... [--name NAME] [--json]

Catalogs image/mask pairs into a project (the folder holding lockstep.db; created if missing).
Files are paired by stem, sub-folders kept: images/a/x.jpg <-> masks/a/x.png. Only headers are
read and contents hashed; then masks are read once for their classes. Importing the same folders
again is a re-scan: added, changed (by content hash) and removed pairs are found, and the split,
tags and notes you set are kept. An import that was killed resumes where it stopped.

  IMAGES_DIR          folder of images (JPEG, PNG, WebP, TIFF), searched recursively
  --masks DIR         folder of masks (PNG or TIFF label maps). Without it, IMAGES_DIR holds both
                      and masks are told apart by --mask-pattern (default {stem}_mask.png, {stem}_label.png)
  --project DIR       project folder (default: the current folder)
  --mask-pattern P    mask file name with {stem}, tried in order (repeatable);
                      default {stem}.png, {stem}_mask.png, {stem}_label.png
  --name NAME         dataset name shown in the app
  --no-classes        skip reading masks for their classes (run lockstep stats later)
  --json              print the summary as JSON on stdout

Every problem is recorded on its sample, never skipped: MISSING_MASK, MISSING_IMAGE, SIZE_MISMATCH
(after EXIF orientation), CORRUPT (truncated or undecodable), UNSUPPORTED_FORMAT, TOO_LARGE
(decompression bomb guard), UNREADABLE. List them with: lockstep ls --error any
Progress goes to stderr. Ctrl-C stops after the current batch; run the same command to resume.
Exit status: 0 imported (problems are recorded, not fatal), 1 error, 2 bad usage, 130 interrupted.`

export function formatSummary(s: ImportSummary, projectDir: string): string {
  const problems = SAMPLE_ERROR_KINDS.filter((k) => s.errors[k] > 0).map((k) => `${k} ${s.errors[k]}`)
  return [
    `Imported ${s.imagesDir}${s.masksDir ? ` with masks ${s.masksDir}` : ''} into ${projectDir}${s.resumed ? ' (resumed)' : ''}`,
    `  samples ${s.seen}: added ${s.added}, changed ${s.changed}, removed ${s.removed}, unchanged ${s.unchanged}`,
    `  problems: ${problems.length ? problems.join(', ') + '  (lockstep ls --error any)' : 'none'}`,
    `  classes found in masks: ${s.classesFound}`,
    `  ${s.seconds.toFixed(1)} s; headers and hashes at ${Math.round(s.rate)} pairs/s`,
  ].join('\n')
}

export const importCommand: Command = {
  name: NAME,
  help: HELP,
  async run(argv) {
    const { values, positionals } = parse(
      NAME,
      argv,
      {
        masks: { type: 'string' },
        project: { type: 'string' },
        'mask-pattern': { type: 'string', multiple: true },
        name: { type: 'string' },
        'no-classes': { type: 'boolean' },
        json: { type: 'boolean' },
      },
      true,
    )
    if (positionals.length !== 1) {
      throw new LockstepError('INVALID_INPUT', `lockstep ${NAME}: expected one IMAGES_DIR but received ${positionals.length} (see lockstep ${NAME} --help)`)
    }
    const catalog = Catalog.open(resolve(values.project ?? '.'), { create: true })
    const controller = new AbortController()
    const onSigint = () => controller.abort(new LockstepError('CANCELLED', 'Interrupted; run the same command again to resume'))
    process.once('SIGINT', onSigint)
    const progress = progressPrinter(NAME)
    try {
      const summary = await runImport(
        catalog,
        {
          images: resolve(positionals[0]),
          masks: values.masks ? resolve(values.masks) : null,
          maskPatterns: values['mask-pattern'],
          name: values.name,
          classes: !values['no-classes'],
        },
        { signal: controller.signal, progress: progress.update },
      )
      progress.end()
      console.log(values.json ? JSON.stringify(summary, null, 2) : formatSummary(summary, catalog.projectDir))
      return 0
    } catch (err) {
      progress.end()
      if (controller.signal.aborted) {
        console.error(`lockstep ${NAME}: interrupted; run the same command again to resume`)
        return 130
      }
      throw err
    } finally {
      process.off('SIGINT', onSigint)
      catalog.close()
    }
  },
}
