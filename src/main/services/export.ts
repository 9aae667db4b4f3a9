// export.start / export.estimate / export.history on the open project. An export runs as a job
// (kind 'export', progress through job.progress, cancel through job.cancel) and is recorded in
// the catalog's exports table from start to end.
import { isAbsolute } from 'node:path'
import type { AreaHandlers, ServiceContext } from './context'
import type { ExportOptions, exportChannels } from '../../shared/contract/export'
import { LockstepError, toErrorPayload } from '../../shared/errors'
import { bytesPerOutput, makeOrder, recipeOutputSize, runExport } from '../export/job'
import { catalogInputs, resolveRecipe } from '../export/sources'

function prepare(ctx: ServiceContext, input: ExportOptions) {
  if (!isAbsolute(input.out)) throw new LockstepError('INVALID_INPUT', `The output folder must be an absolute path, received ${JSON.stringify(input.out)}`)
  const catalog = ctx.session.requireCatalog()
  const { recipe, versionId } = resolveRecipe(catalog, input.recipe)
  const inputs = catalogInputs(catalog, input.splits)
  return { catalog, recipe, versionId, inputs }
}

export const exportHandlers: AreaHandlers<keyof typeof exportChannels> = {
  'export.estimate': async (input, ctx) => {
    const { recipe, inputs } = prepare(ctx, input)
    const order = makeOrder({ ...input, recipe }, inputs.sources.length)
    const outputs = order.length
    return {
      samples: inputs.sources.length,
      skipped: inputs.problems.length,
      epochs: input.epochs,
      batchesPerEpoch: order.shape.batches,
      outputs,
      batches: order.endBatch - order.firstBatch,
      approxBytes: outputs * bytesPerOutput(recipeOutputSize(recipe), input.formats, input.imageFormat),
    }
  },

  'export.start': async (input, ctx) => {
    const { catalog, recipe, versionId, inputs } = prepare(ctx, input)
    makeOrder({ ...input, recipe }, inputs.sources.length) // fail fast on impossible options
    const exportId = catalog.recordExport({ recipeVersionId: versionId, seed: input.seed, options: input, out: input.out })
    const job = ctx.jobs.start('export', `Export to ${input.out}`, async (job) => {
      try {
        const summary = await runExport({
          ...input,
          recipe,
          recipeVersionId: versionId,
          sources: inputs.sources,
          classes: inputs.classes,
          stats: inputs.stats,
          sourceInfo: inputs.sourceInfo,
          signal: job.signal,
          onProgress: (p) => job.progress(p.done, p.total, p.failed ? `${p.failed} outputs failed` : undefined),
        })
        const failedCount = summary.failedOutputs
        catalog.updateExport(exportId, {
          status: failedCount ? 'failed' : 'done',
          outputs: summary.written,
          failed: failedCount,
          error: failedCount ? summary.failed.map((f) => `${f.image}: ${f.error.message}`).join('\n').slice(0, 4000) : null,
          endedAt: Date.now(),
        })
        return summary
      } catch (err) {
        const e = toErrorPayload(err)
        catalog.updateExport(exportId, { status: e.code === 'CANCELLED' ? 'cancelled' : 'failed', error: e.message, endedAt: Date.now() })
        throw err
      }
    })
    return { jobId: job.id, exportId }
  },

  'export.history': async (input, ctx) => ctx.session.requireCatalog().listExports(input.limit),
}
