// Preview: K augmented tiles of the selected pair(s) under the editor's recipe. Every change of
// recipe, seed, samples or K supersedes the request in flight: its answer is dropped, the old
// tiles are taken down at once, and new tiles appear only when all their pixels have loaded.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef, watch } from 'vue'
import { mediaPath } from '@shared/media'
import { api } from '../api'
import type { Labels } from './inspector'
import { useCatalogStore } from './catalog'
import { useInspectorStore } from './inspector'
import { useRecipeStore } from './recipes'
import { useToastStore } from './toasts'
import { imageViewable, maskViewable } from '../lib/samples'

export interface PreviewTileView {
  index: number
  sampleId: number
  url: string
  labelsPath: string
  labels: Labels | null
  plan: unknown
  width: number
  height: number
}

async function loadImage(url: string): Promise<void> {
  const img = new Image()
  img.src = url
  await img.decode()
}

/**
 * Edits closer together than this are a burst (a slider drag: an input event every frame): the
 * first renders at once, the rest coalesce into one render once the burst pauses this long. An
 * isolated edit (a typed value, a toggle, a new seed) renders at once: no wait that anyone feels.
 */
export const DEBOUNCE_MS = 60

/** This window's preview lane: each request supersedes the one in flight, whose unstarted tiles the main process skips. */
const LANE = `preview-${Math.random().toString(36).slice(2, 10)}`

export const usePreviewStore = defineStore('preview', () => {
  const seed = ref(0)
  const count = ref(8)
  const overlay = ref(true)
  const opacity = ref(0.5)
  const tiles = shallowRef<PreviewTileView[]>([])
  const pending = ref(false)
  const error = ref<string | null>(null)
  /** Increments on every change that invalidates the tiles; an answer for an older value is dropped. */
  const generation = ref(0)
  /** The generation the current tiles were rendered for. */
  const shownFor = ref(-1)
  const lastRenderMs = ref<number | null>(null)
  /** The engine's own time for the last shown render (decode + plan + render + encode). */
  const engineMs = ref<number | null>(null)
  let timer: ReturnType<typeof setTimeout> | undefined
  let changedAt = -Infinity
  /** When the last render was asked for (edits within DEBOUNCE_MS of it are a burst). */
  let askedAt = -Infinity

  const sampleIds = computed<number[]>(() => {
    const catalog = useCatalogStore()
    if (!catalog.allMatching && catalog.selected.size) return [...catalog.selected].slice(0, 16)
    const insp = useInspectorStore()
    if (insp.id !== null) return [insp.id]
    const first = catalog.rowAt(0)
    return first ? [first.id] : []
  })
  const original = computed(() => (sampleIds.value[0] !== undefined ? sampleIds.value[0] : null))
  const originalRow = computed(() => (original.value === null ? undefined : useCatalogStore().findRow(original.value)))
  const originalUrl = computed(() =>
    original.value === null || (originalRow.value && !imageViewable(originalRow.value)) ? null : api.mediaUrl(mediaPath.sampleImage(original.value)),
  )
  /** Selected pairs with no mask (or an unreadable one): their tiles show the image only. */
  const maskless = computed(() =>
    sampleIds.value.map((id) => useCatalogStore().findRow(id)).filter((r): r is NonNullable<typeof r> => !!r && imageViewable(r) && !maskViewable(r)),
  )

  const originalLabels = shallowRef<Labels | null>(null)
  watch(
    original,
    async (id) => {
      originalLabels.value = null
      if (id === null) return
      const row = useCatalogStore().findRow(id)
      if (row && !maskViewable(row)) return // nothing to fetch: no 404 in the console
      try {
        const l = await api.fetchLabels(mediaPath.sampleLabels(id))
        if (original.value === id) originalLabels.value = l
      } catch {
        /* a pair without a mask shows the image alone */
      }
    },
    { immediate: true },
  )

  const inputs = computed(() => ({ recipe: useRecipeStore().effective, ids: sampleIds.value, seed: seed.value, count: count.value }))

  /** Takes the old tiles down and schedules a render (at once, or debounced inside a burst of edits). */
  function invalidate(): void {
    generation.value++
    changedAt = performance.now()
    tiles.value = []
    error.value = null
    clearTimeout(timer)
    const { recipe, ids } = inputs.value
    if (!recipe) {
      pending.value = false
      error.value = 'The recipe has problems (see Recipes); fix them to preview'
      return
    }
    if (!ids.length) {
      pending.value = false
      error.value = 'No sample to preview: import a dataset, or select samples in the Catalog'
      return
    }
    pending.value = true
    stale = false
    // (a zero timeout still gathers the changes of one task, e.g. a sample and its view shown together)
    const burst = changedAt - askedAt < DEBOUNCE_MS
    timer = setTimeout(
      () => {
        askedAt = performance.now()
        void render(generation.value)
      },
      burst ? DEBOUNCE_MS : 0,
    )
  }

  async function render(gen: number): Promise<void> {
    const { recipe, ids, seed: s, count: k } = inputs.value
    if (!recipe) return
    try {
      // K tiles in all: K versions of one pair, or a few versions of each selected pair.
      const use = ids.slice(0, k)
      const perSample = Math.max(1, Math.floor(k / use.length))
      const answer = await api.call('preview.render', { recipe, sampleIds: use, seed: s, count: perSample, lane: LANE })
      if (gen !== generation.value) return // superseded: never show tiles of an older recipe
      if (answer.errors.length) {
        // the service's message names the pair (its key) and the problem
        error.value = answer.errors.map((e) => e.message).join('\n')
      }
      const views: PreviewTileView[] = answer.tiles.slice(0, k).map((t) => ({
        index: t.index,
        sampleId: t.sampleId,
        url: api.mediaUrl(t.imagePath),
        labelsPath: t.labelsPath,
        labels: null,
        plan: t.plan,
        width: t.width,
        height: t.height,
      }))
      // the tiles go up as soon as their pixels are decoded; the label maps for the overlay follow
      await Promise.all(views.map((v) => loadImage(v.url)))
      if (gen !== generation.value) return
      if (!views.length && !error.value) error.value = 'The engine rendered no tile'
      tiles.value = views
      shownFor.value = gen
      engineMs.value = answer.ms
      lastRenderMs.value = performance.now() - changedAt
      pending.value = false
      const noMask = new Set(maskless.value.map((r) => r.id))
      await Promise.all(
        views.map(async (v, i) => {
          if (noMask.has(v.sampleId)) return // rendered without a mask: no labels to fetch
          const labels = await api.fetchLabels(v.labelsPath).catch(() => null)
          if (gen !== generation.value || !labels) return
          const next = tiles.value.slice()
          next[i] = { ...views[i], labels }
          tiles.value = next
        }),
      )
    } catch (err) {
      if (gen !== generation.value) return
      error.value = err instanceof Error ? err.message : String(err)
      useToastStore().error('Rendering the preview', err)
    } finally {
      if (gen === generation.value) pending.value = false
    }
  }

  function reseed(): void {
    seed.value = Math.floor(Math.random() * 0xffffffff)
  }

  let active = false
  let stale = true
  // Created with the store (its scope lives as long as the app), not on the view's first showing:
  // a watcher made inside a view's hook belongs to that view and dies when the view cache drops it.
  watch(
    () => JSON.stringify(inputs.value),
    () => {
      stale = true
      if (active) invalidate()
      else {
        // hidden: take the tiles down now, render when shown again (no work for an unseen view)
        generation.value++
        clearTimeout(timer)
        tiles.value = []
        pending.value = false
      }
    },
  )
  /** Starts following the recipe, selection, seed and K (the view calls it when shown). */
  function follow(): void {
    active = true
    if (stale) {
      stale = false
      invalidate()
    }
  }
  /** The view is hidden: stop rendering until `follow()` again. */
  function pause(): void {
    active = false
  }

  return {
    maskless,
    originalLabels,
    seed,
    count,
    overlay,
    opacity,
    tiles,
    pending,
    error,
    generation,
    shownFor,
    lastRenderMs,
    engineMs,
    sampleIds,
    original,
    originalUrl,
    invalidate,
    reseed,
    follow,
    pause,
    render,
  }
})
