// One pair at full resolution: its detail, its label map, review and editing, next/previous in
// the catalog's current order.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { ReviewStatus, SampleDetail, Split } from '@shared/contract/catalog'
import { mediaPath } from '@shared/media'
import { api } from '../api'
import { useCatalogStore } from './catalog'
import { useProjectStore } from './project'
import { useToastStore } from './toasts'
import { imageViewable } from '../lib/samples'

export interface Labels {
  width: number
  height: number
  depth: 8 | 16
  data: Uint8Array | Uint16Array
}

export const useInspectorStore = defineStore('inspector', () => {
  const id = ref<number | null>(null)
  const detail = ref<SampleDetail | null>(null)
  const labels = shallowRef<Labels | null>(null)
  const labelsError = ref<string | null>(null)
  const loading = ref(false)
  const hidden = ref<Set<number>>(new Set([0]))
  const opacity = ref(0.55)
  let seq = 0
  let labelsAbort: AbortController | null = null
  /** Asked before another sample opens (unsaved label edits); false keeps the current one. */
  let leaveGuard: (() => Promise<boolean>) | null = null
  /** performance.now() when the open sample was asked for (the labeling store measures from it) */
  const openedAt = ref(0)

  const index = computed(() => (id.value === null ? -1 : useCatalogStore().indexOf(id.value)))
  // an image that cannot decode is not asked for (a 422 in the console); the error banner names it
  const imageUrl = computed(() =>
    id.value === null || !detail.value || !imageViewable(detail.value) ? null : api.mediaUrl(mediaPath.sampleImage(id.value), detail.value.updatedAt),
  )

  function setLeaveGuard(guard: (() => Promise<boolean>) | null): void {
    leaveGuard = guard
  }

  /** Opens a sample; false when the leave guard kept the current one (e.g. the user chose to stay). */
  async function open(sampleId: number): Promise<boolean> {
    if (leaveGuard && id.value !== null && id.value !== sampleId && !(await leaveGuard())) return false
    const mine = ++seq
    openedAt.value = performance.now()
    id.value = sampleId
    loading.value = true
    labels.value = null
    labelsError.value = null
    rememberInUrl(sampleId)
    // the labels (megabytes) start loading with the detail when the grid row says there is a mask
    const early = useCatalogStore().findRow(sampleId)?.maskPath ? fetchLabels(sampleId, null) : null
    try {
      const d = await api.call('samples.get', { id: sampleId })
      if (mine !== seq) return true
      detail.value = d
      if (d.maskPath) takeLabels(mine, early ?? fetchLabels(sampleId, d.maskHash ?? String(d.updatedAt)))
      else labelsAbort?.abort()
    } catch (err) {
      if (mine === seq) useToastStore().error(`Opening sample ${sampleId}`, err)
    } finally {
      if (mine === seq) loading.value = false
    }
    return true
  }

  /** Starts fetching a sample's labels (aborting the previous fetch); `bust` keys the URL to the content. */
  function fetchLabels(sampleId: number, bust: string | null): Promise<Labels> {
    labelsAbort?.abort()
    const abort = (labelsAbort = new AbortController())
    const path = mediaPath.sampleLabels(sampleId) + (bust ? `?v=${encodeURIComponent(bust)}` : '')
    const p = api.fetchLabels(path, abort.signal).catch((err: unknown) => {
      throw abort.signal.aborted ? null : err
    })
    p.catch(() => {}) // handled by takeLabels; an early fetch may be dropped unread
    return p
  }
  /** Shows the labels once they arrive, if the sample is still the open one. */
  function takeLabels(mine: number, pending: Promise<Labels>): void {
    pending
      .then((l) => {
        if (mine === seq) labels.value = l
      })
      .catch((err: unknown) => {
        if (mine === seq && err !== null) labelsError.value = err instanceof Error ? err.message : String(err)
      })
  }
  function loadLabels(mine: number, d: SampleDetail): void {
    takeLabels(mine, fetchLabels(d.id, d.maskHash ?? String(d.updatedAt)))
  }

  /** Takes a sample the service returned after changing it (a mask saved or restored). */
  function applySample(d: SampleDetail, opts: { reloadLabels?: boolean } = {}): void {
    if (d.id !== id.value) return
    detail.value = d
    useCatalogStore().patchRow(d.id, { maskPath: d.maskPath, error: d.error, width: d.width, height: d.height, status: d.status })
    void useProjectStore().refresh()
    if (opts.reloadLabels && d.maskPath) {
      labels.value = null
      labelsError.value = null
      loadLabels(seq, d)
    }
  }

  /** The open sample's id in the address (#/inspector/ID), so a reload comes back to it. */
  function rememberInUrl(sampleId: number): void {
    if (typeof window === 'undefined' || !/^#\/inspector(\/|$)/.test(window.location.hash)) return
    history.replaceState(history.state, '', `${window.location.pathname}${window.location.search}#/inspector/${sampleId}`)
  }

  /** Moves by `delta` in the catalog's order (loading more grid pages if needed). */
  async function step(delta: number): Promise<void> {
    const catalog = useCatalogStore()
    let i = index.value
    if (i < 0) i = delta > 0 ? -1 : 0
    const next = i + delta
    if (next < 0) return
    await catalog.ensure(next + 1)
    const row = catalog.rowAt(next)
    if (row) await open(row.id)
  }

  async function update(patch: { split?: Split; status?: ReviewStatus; notes?: string; addTags?: string[]; removeTags?: string[] }): Promise<boolean> {
    if (id.value === null) return false
    const sampleId = id.value
    try {
      await api.call('samples.update', { target: { ids: [sampleId] }, ...patch })
      if (detail.value && detail.value.id === sampleId) {
        const d = { ...detail.value }
        if (patch.split) d.split = patch.split
        if (patch.status) d.status = patch.status
        if (patch.notes !== undefined) d.notes = patch.notes
        if (patch.addTags) d.tags = [...new Set([...d.tags, ...patch.addTags])].sort()
        if (patch.removeTags) d.tags = d.tags.filter((t) => !patch.removeTags!.includes(t))
        detail.value = d
        useCatalogStore().patchRow(sampleId, { split: d.split, status: d.status, tags: d.tags })
      }
      if (patch.addTags || patch.removeTags || patch.split || patch.status) void useProjectStore().refresh()
      return true
    } catch (err) {
      useToastStore().error('Saving the sample', err)
      return false
    }
  }

  /** Sets the review status and moves to the next sample (the culling loop). */
  async function review(status: ReviewStatus): Promise<void> {
    if (await update({ status })) await step(1)
  }

  function toggleClass(index: number): void {
    const next = new Set(hidden.value)
    if (next.has(index)) next.delete(index)
    else next.add(index)
    hidden.value = next
  }

  return {
    id,
    detail,
    labels,
    labelsError,
    loading,
    hidden,
    opacity,
    index,
    imageUrl,
    openedAt,
    open,
    setLeaveGuard,
    applySample,
    step,
    update,
    review,
    toggleClass,
  }
})
