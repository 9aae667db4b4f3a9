// The labeling channels (src/shared/contract/labels.ts): thin adapters over the catalog's mask,
// class-table, remap and annotation-import functions. Writes emit 'catalog.changed'.
import type { AreaHandlers } from './context'
import type { labelChannels } from '../../shared/contract/labels'
import { startJob } from './catalog'
import { addClass, exportPalette, reorderClasses } from '../catalog/classes'
import { withBusy } from '../catalog/db'
import { maskVersions } from '../catalog/mask-store'
import { restoreMask, saveMask } from '../catalog/masks'
import { remapSummary, runRemap, runRemapUndo } from '../catalog/remap'
import { annotationSummary, runAnnotationImport } from '../catalog/annotations'

export const labelHandlers: AreaHandlers<keyof typeof labelChannels> = {
  'mask.save': async (input, ctx) => {
    const r = await saveMask(ctx.session.requireCatalog(), input)
    ctx.events.emit('catalog.changed', { what: 'samples' })
    return r
  },
  'mask.versions': async (input, ctx) => maskVersions(ctx.session.requireCatalog(), input.sampleId),
  'mask.restore': async (input, ctx) => {
    const r = await restoreMask(ctx.session.requireCatalog(), input.sampleId, input.versionId)
    ctx.events.emit('catalog.changed', { what: 'samples' })
    return r
  },

  'classes.add': async (input, ctx) => {
    const catalog = ctx.session.requireCatalog()
    withBusy(catalog.dbPath, () => addClass(catalog.db, input))
    ctx.events.emit('catalog.changed', { what: 'classes' })
    return catalog.classes()
  },
  'classes.reorder': async (input, ctx) => {
    const catalog = ctx.session.requireCatalog()
    withBusy(catalog.dbPath, () => reorderClasses(catalog.db, input.order))
    ctx.events.emit('catalog.changed', { what: 'classes' })
    return catalog.classes()
  },
  'classes.export': async (input, ctx) => ({ text: exportPalette(ctx.session.requireCatalog().classes(), input.format), format: input.format }),
  'classes.remap': async (input, ctx) => {
    const catalog = ctx.session.requireCatalog()
    const label = `Remap ${input.mapping.map((m) => `${m.from}→${m.to}`).join(', ')}`
    const { id } = startJob(ctx, 'remap', label, async (jobId, job) => {
      try {
        return await runRemap(catalog, { ...input, jobId }, { signal: job.signal, progress: job.progress })
      } finally {
        if (catalog.isOpen) {
          ctx.events.emit('catalog.changed', { what: 'samples' })
          ctx.events.emit('catalog.changed', { what: 'classes' })
        }
      }
    })
    return { jobId: id }
  },
  'classes.remapUndo': async (input, ctx) => {
    const catalog = ctx.session.requireCatalog()
    const { id } = startJob(ctx, 'remap', `Undo ${input.jobId}`, async (jobId, job) => {
      try {
        return await runRemapUndo(catalog, input.jobId, { jobId }, { signal: job.signal, progress: job.progress })
      } finally {
        if (catalog.isOpen) {
          ctx.events.emit('catalog.changed', { what: 'samples' })
          ctx.events.emit('catalog.changed', { what: 'classes' })
        }
      }
    })
    return { jobId: id }
  },
  'classes.remapSummary': async (input, ctx) => remapSummary(ctx.session.requireCatalog(), input.jobId),

  'annotations.import': async (input, ctx) => {
    const catalog = ctx.session.requireCatalog()
    const { id } = startJob(ctx, 'annotations', `Import ${input.format} annotations from ${input.path}`, async (jobId, job) => {
      try {
        return await runAnnotationImport(catalog, { ...input, jobId }, { signal: job.signal, progress: job.progress })
      } finally {
        if (catalog.isOpen) {
          ctx.events.emit('catalog.changed', { what: 'samples' })
          ctx.events.emit('catalog.changed', { what: 'classes' })
        }
      }
    })
    return { jobId: id }
  },
  'annotations.summary': async (input, ctx) => annotationSummary(ctx.session.requireCatalog(), input.jobId),
}
