// The engine's channels: recipe validation and conversion, and preview rendering (tiles kept in
// the in-memory preview store for the media routes).
import type { AreaHandlers } from './context'
import type { engineChannels, PreviewTileInfo } from '../../shared/contract/engine'
import { toErrorPayload } from '../../shared/errors'
import { mediaPath } from '../../shared/media'
import { checkRecipe, convertRecipe, parseRecipe } from '../augment'
import { needsLabels, plan } from '../augment/plan'
import { renderTiles, type RenderedTile } from '../augment/preview-render'
import { previewPairs, previewStore, type PreviewTile } from '../augment/preview-store'

/** The request in flight per lane: a newer preview on the same lane aborts it (its unstarted tiles are dropped). */
const lanes = new Map<string, AbortController>()
function supersede(lane: string): AbortSignal {
  lanes.get(lane)?.abort()
  const c = new AbortController()
  lanes.set(lane, c)
  c.signal.addEventListener('abort', () => {
    if (lanes.get(lane) === c) lanes.delete(lane)
  })
  return c.signal
}

export const engineHandlers: AreaHandlers<keyof typeof engineChannels> = {
  'recipe.validate': async ({ recipe }) => {
    const r = checkRecipe(recipe)
    if (r.ok) return r.notes?.length ? { ok: true, recipe: r.recipe, notes: r.notes } : { ok: true, recipe: r.recipe }
    return r.unsupported ? { ok: false, problems: r.problems, unsupported: r.unsupported } : { ok: false, problems: r.problems }
  },

  'recipe.convert': async ({ recipe, to }) => convertRecipe(recipe, to),

  'preview.render': async ({ sampleIds, recipe, seed, count, epoch, lane }, ctx) => {
    const t0 = performance.now()
    const signal = lane === undefined ? undefined : supersede(lane)
    const r = parseRecipe(recipe)
    const catalog = ctx.session.requireCatalog()
    const stored: PreviewTile[] = []
    const tiles: Omit<PreviewTileInfo, 'imagePath' | 'labelsPath'>[] = []
    const errors: { sampleId: number; message: string }[] = []
    for (const sampleId of sampleIds) {
      const ref = catalog.getSample(sampleId)
      if (!ref) {
        errors.push({ sampleId, message: `Sample ${sampleId} is not in the catalog` })
        continue
      }
      if (!ref.imagePath) {
        // a mask without its image: say so in the catalog's words, not the decoder's
        errors.push({ sampleId, message: `${ref.key} has no image to preview${ref.error ? ` (${ref.error.message})` : ''}` })
        continue
      }
      try {
        // decoded once for all K versions, and kept for the next edit of the recipe
        const loaded = await previewPairs.load({ image: ref.imagePath, mask: ref.maskPath }, `${ref.imageHash}:${ref.maskHash}`)
        const ctxLabels = needsLabels(r) && loaded.labels ? { labels: loaded.labels } : {}
        const plans = Array.from({ length: count }, (_, k) => plan(r, loaded, { seed, epoch: (epoch ?? 0) + k, sampleId: ref.key }, ctxLabels))
        // JPEG tiles on the preview workers; the overlay's class indices travel separately, exact
        const rendered = await renderTiles(loaded, plans, signal)
        const failed = rendered.find((r) => r.status === 'rejected')
        if (failed) throw failed.reason
        rendered.forEach((r, k) => {
          const out = (r as PromiseFulfilledResult<RenderedTile>).value
          const { width, height } = out.plan.output
          tiles.push({ sampleId, index: stored.length, k, plan: out.plan, width, height })
          stored.push({ image: out.image, labels: out.labels })
        })
      } catch (err) {
        errors.push({ sampleId, message: toErrorPayload(err).message })
      }
    }
    const token = previewStore.put(stored)
    return {
      token,
      tiles: tiles.map((t) => ({ ...t, imagePath: mediaPath.previewImage(token, t.index), labelsPath: mediaPath.previewLabels(token, t.index) })),
      errors,
      ms: Math.round(performance.now() - t0),
    }
  },
}
