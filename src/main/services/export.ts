// export.formats / export.start / export.estimate / export.history on the open project. An export
// starts through the export area's one start function (export/start.ts), as a job (kind 'export',
// progress through job.progress, cancel through job.cancel), recorded in the catalog's history.
import type { AreaHandlers } from './context'
import type { exportChannels } from '../../shared/contract/export'
import { formatInfo } from '../export/formats'
import { prepareExport } from '../export/start'

export const exportHandlers: AreaHandlers<keyof typeof exportChannels> = {
  'export.formats': async () => formatInfo(),

  'export.estimate': async (input, ctx) => prepareExport(input, { catalog: ctx.session.requireCatalog() }).estimate(),

  'export.start': async (input, ctx) => {
    const prepared = prepareExport(input, { catalog: ctx.session.requireCatalog() })
    const exportId = prepared.record()
    const job = ctx.jobs.start('export', `Export to ${input.out}`, async (job) => {
      const outcome = await prepared.run({
        signal: job.signal,
        onProgress: (p) => job.progress(p.done, p.total, p.failed ? `${p.failed} outputs failed` : undefined),
        onNote: (text) => job.progress(0, null, text),
      })
      return outcome.summary
    })
    return { jobId: job.id, exportId }
  },

  'export.history': async (input, ctx) => ctx.session.requireCatalog().listExports(input.limit),
}
