// `lockstep annotations import`: labels from labelme, COCO or VOC/CVAT into the project's masks.
import { resolve } from 'node:path'
import { ANNOTATION_FORMATS, type AnnotationFormat, type AnnotationImportSummary } from '../../../shared/contract/labels'
import { LockstepError } from '../../../shared/errors'
import { runAnnotationImport } from '../../catalog/annotations'
import { intOption, parse, type Command } from '../command'
import { interruptible, openProject } from './labels-common'
import { progressPrinter } from './progress'

const NAME = 'annotations import'

const HELP = `usage: lockstep annotations import FORMAT PATH [--labelmap FILE] [--replace] [--dataset ID] [--project DIR] [--json]

Rasterises annotations made in another tool into the project's masks (new masks are named by the
dataset's mask pattern, e.g. masks/<stem>.png; a replaced mask is kept as a version first).

  FORMAT            labelme | coco | voc
  PATH              labelme: the folder of JSON files (next to the images, searched recursively)
                    coco:    the JSON file (instances: polygons and RLE; panoptic: its PNGs in
                             <name>/ next to the JSON)
                    voc:     the folder of colour PNGs (CVAT/VOC SegmentationClass)
  --labelmap FILE   voc: the colour map (default labelmap.txt in PATH or its parent)
  --replace         also replace masks that exist (default: keep them)
  --dataset ID      match images in this dataset only
  --project DIR     project folder (default: the current folder)
  --json            print the summary as JSON

A pixel takes a shape's class when its centre lies inside the shape or on its boundary. labelme
shapes are painted in file order (later on top); COCO instances from the largest area to the
smallest (small objects stay visible). Classes are matched by name; unknown names are added to
the class table and listed. Every file or image that cannot be used is listed with the reason.
Exit status: 0 done (problems are listed), 1 error, 2 bad usage, 130 interrupted.`

export function formatAnnotationSummary(s: AnnotationImportSummary): string {
  return [
    `${s.format}: ${s.files} file(s) read, ${s.written} mask(s) written in ${s.seconds.toFixed(1)} s (job ${s.jobId})`,
    ...(s.addedClasses.length ? [`  classes added: ${s.addedClasses.map((c) => `${c.index} ${c.name}`).join(', ')}`] : []),
    ...s.notes.map((n) => `  note: ${n}`),
    ...s.problems.map((p) => `  problem: ${p.file}: ${p.message}`),
  ].join('\n')
}

export const annotationsImportCommand: Command = {
  name: NAME,
  help: HELP,
  async run(argv) {
    const { values, positionals } = parse(
      NAME,
      argv,
      { labelmap: { type: 'string' }, replace: { type: 'boolean' }, dataset: { type: 'string' }, project: { type: 'string' }, json: { type: 'boolean' } },
      true,
    )
    const [format, path] = positionals
    if (positionals.length !== 2 || !(ANNOTATION_FORMATS as readonly string[]).includes(format)) {
      throw new LockstepError(
        'INVALID_INPUT',
        `lockstep ${NAME}: expected FORMAT (${ANNOTATION_FORMATS.join(', ')}) and PATH but received ${JSON.stringify(positionals)} (see lockstep ${NAME} --help)`,
      )
    }
    const catalog = openProject(values.project)
    const stop = interruptible('the masks written so far are kept')
    const progress = progressPrinter(NAME)
    try {
      const s = await runAnnotationImport(
        catalog,
        {
          format: format as AnnotationFormat,
          path: resolve(path),
          labelmap: values.labelmap && resolve(values.labelmap),
          existing: values.replace ? 'replace' : 'skip',
          datasetId: values.dataset === undefined ? undefined : intOption(NAME, values.dataset, '--dataset', 0, 1),
        },
        { signal: stop.signal, progress: progress.update },
      )
      progress.end()
      console.log(values.json ? JSON.stringify(s, null, 2) : formatAnnotationSummary(s))
      return 0
    } catch (err) {
      progress.end()
      if (stop.signal.aborted) {
        console.error(`lockstep ${NAME}: interrupted; the masks written so far are kept`)
        return 130
      }
      throw err
    } finally {
      stop.done()
      catalog.close()
    }
  },
}
