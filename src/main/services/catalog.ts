// The catalog's channels: parse is done by dispatch; these open projects, start jobs and call the
// Catalog. Long tasks run through ctx.jobs (progress on job.progress, cancel on job.cancel).
import type { AreaHandlers, ServiceContext } from './context'
import type { catalogChannels } from '../../shared/contract/catalog'
import type { JobKind } from '../../shared/contract/app'
import { Catalog } from '../catalog/catalog'
import { checkImportOptions, runImport, runRescan } from '../catalog/importer'
import { computeStats } from '../catalog/stats'
import { settleJournal } from '../catalog/mask-store'
import { parseRecipe } from '../augment'
import { describeUpdate, editState, recordEdit, redoEdit, undoEdit } from '../catalog/edits'

async function attach(ctx: ServiceContext, catalog: Catalog) {
  await settleJournal(catalog) // mask saves a killed process left half-recorded (catalog/mask-store.ts)
  ctx.session.attach(catalog)
  ctx.events.emit('catalog.changed', { what: 'project' })
  return catalog.info()
}

/** Starts a job whose body needs its own id (recorded in the catalog's jobs table). */
export function startJob<T>(
  ctx: ServiceContext,
  kind: JobKind,
  label: string,
  work: (id: string, job: Parameters<Parameters<ServiceContext['jobs']['start']>[2]>[0]) => Promise<T>,
) {
  const ref = { id: '' }
  const started = ctx.jobs.start(kind, label, async (job) => {
    await Promise.resolve() // `start` has returned: the id is known
    return work(ref.id, job)
  })
  ref.id = started.id
  return started
}

export const catalogHandlers: AreaHandlers<keyof typeof catalogChannels> = {
  'project.open': async (input, ctx) => attach(ctx, Catalog.open(input.dir)),
  'project.create': async (input, ctx) => attach(ctx, Catalog.open(input.dir, { create: true, name: input.name })),
  'project.info': async (_input, ctx) => ctx.session.catalog?.info() ?? null,
  'project.close': async (_input, ctx) => {
    const had = ctx.session.catalog !== null
    ctx.session.close()
    if (had) ctx.events.emit('catalog.changed', { what: 'project' })
    return { closed: had }
  },

  'import.start': async (input, ctx) => {
    const catalog = ctx.session.requireCatalog()
    checkImportOptions(input) // a bad folder or pattern is this call's error, named by field
    const { id } = startJob(ctx, 'import', `Import ${input.images}`, async (jobId, job) => {
      try {
        return await runImport(
          catalog,
          { images: input.images, masks: input.masks ?? null, maskPatterns: input.maskPatterns, name: input.name, jobId },
          { signal: job.signal, progress: job.progress },
        )
      } finally {
        if (catalog.isOpen) ctx.events.emit('catalog.changed', { what: 'samples' })
      }
    })
    return { jobId: id }
  },
  'import.rescan': async (input, ctx) => {
    const catalog = ctx.session.requireCatalog()
    const { id } = startJob(ctx, 'import', input.datasetId ? `Re-scan dataset ${input.datasetId}` : 'Re-scan all datasets', async (jobId, job) => {
      try {
        return await runRescan(catalog, input.datasetId, { jobId }, { signal: job.signal, progress: job.progress })
      } finally {
        if (catalog.isOpen) ctx.events.emit('catalog.changed', { what: 'samples' })
      }
    })
    return { jobId: id }
  },
  'import.summary': async (input, ctx) => ctx.session.requireCatalog().importSummary(input.jobId),

  'samples.query': async (input, ctx) => ctx.session.requireCatalog().query(input),
  'samples.get': async (input, ctx) => ctx.session.requireCatalog().sampleDetail(input.id),
  'samples.update': async (input, ctx) => {
    const catalog = ctx.session.requireCatalog()
    const fields = {
      split: input.split !== undefined,
      status: input.status !== undefined,
      notes: input.notes !== undefined,
      tags: [...(input.addTags ?? []), ...(input.removeTags ?? [])],
    }
    const r = recordEdit(
      catalog,
      input.target,
      fields,
      (n) => describeUpdate(input, n),
      () => catalog.update(input),
    )
    ctx.events.emit('catalog.changed', { what: 'samples' })
    return r
  },
  'samples.randomSplit': async (input, ctx) => {
    const catalog = ctx.session.requireCatalog()
    const target = input.target ?? { filter: { error: ['none' as const] } }
    const r = recordEdit(
      catalog,
      target,
      { split: true },
      (n) => `Random split of ${n.toLocaleString('en-US')} sample${n === 1 ? '' : 's'}`,
      () => catalog.randomSplit(input),
    )
    ctx.events.emit('catalog.changed', { what: 'samples' })
    return r
  },
  'samples.undo': async (_input, ctx) => {
    const catalog = ctx.session.requireCatalog()
    const done = undoEdit(catalog)
    if (done) ctx.events.emit('catalog.changed', { what: 'samples' })
    return { label: done?.label ?? null, updated: done?.updated ?? 0, ...editState(catalog) }
  },
  'samples.redo': async (_input, ctx) => {
    const catalog = ctx.session.requireCatalog()
    const done = redoEdit(catalog)
    if (done) ctx.events.emit('catalog.changed', { what: 'samples' })
    return { label: done?.label ?? null, updated: done?.updated ?? 0, ...editState(catalog) }
  },
  'samples.edits': async (_input, ctx) => editState(ctx.session.requireCatalog()),
  'samples.counts': async (input, ctx) => ctx.session.requireCatalog().counts(input.filter),
  'tags.list': async (_input, ctx) => ctx.session.requireCatalog().tags(),

  'classes.list': async (_input, ctx) => ctx.session.requireCatalog().classes(),
  'classes.update': async (input, ctx) => {
    const r = ctx.session.requireCatalog().updateClasses(input.classes)
    ctx.events.emit('catalog.changed', { what: 'classes' })
    return r
  },
  'classes.importPalette': async (input, ctx) => {
    const r = ctx.session.requireCatalog().importPalette(input)
    ctx.events.emit('catalog.changed', { what: 'classes' })
    return r
  },

  'stats.run': async (input, ctx) => {
    const catalog = ctx.session.requireCatalog()
    const { id } = startJob(ctx, 'stats', `Statistics of ${input.split}`, async (_jobId, job) => {
      const r = await computeStats(catalog, input.split, { signal: job.signal, progress: job.progress })
      if (catalog.isOpen) ctx.events.emit('catalog.changed', { what: 'stats' })
      return r
    })
    return { jobId: id }
  },
  'stats.get': async (input, ctx) => ctx.session.requireCatalog().getStats(input.split),

  'recipe.list': async (_input, ctx) => ctx.session.requireCatalog().listRecipes(),
  'recipe.get': async (input, ctx) => ctx.session.requireCatalog().getRecipe(input.id, input.version),
  'recipe.save': async (input, ctx) => {
    // the engine reads Albumentations JSON too; the catalog stores the Lockstep recipe it gives
    const r = ctx.session.requireCatalog().saveRecipe({ ...input, recipe: parseRecipe(input.recipe) })
    ctx.events.emit('catalog.changed', { what: 'recipes' })
    return r
  },
}
