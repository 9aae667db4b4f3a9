// The catalog grid: filter -> pages of rows loaded where the grid looks (random access: a page at
// any position is one call, by offset, or by the previous page's cursor when that one is loaded),
// selection, bulk edits on the selection or on everything the filter matches.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef, triggerRef, watch } from 'vue'
import type { EditState, ReviewStatus, SampleRow, SampleTarget, Split } from '@shared/contract/catalog'
import { api } from '../api'
import { emptyFilter, filterToQuery, type FilterState } from '../lib/filters'
import { useProjectStore } from './project'
import { useToastStore } from './toasts'

const PAGE = 500

export const useCatalogStore = defineStore('catalog', () => {
  const filter = ref<FilterState>(emptyFilter())
  const query = computed(() => filterToQuery(filter.value))
  const overlay = ref(false)
  const tileSize = ref(150)

  /** Rows by grid index, sparse (holes: not loaded yet). Not deeply reactive (100k+ rows): `version` ticks. */
  const rows = shallowRef<SampleRow[]>([])
  const total = ref<number | null>(null)
  const loading = ref(false)
  const version = ref(0)
  let generation = 0
  /** pages loaded or on their way, by page number */
  const pages = new Map<number, Promise<void>>()
  /** the cursor after each loaded page: the next page continues from it instead of seeking */
  const after = new Map<number, string | null>()
  let inFlight = 0

  // Selection: explicit ids, or "every sample matching the filter".
  const selected = ref<Set<number>>(new Set())
  const allMatching = ref(false)
  const anchor = ref<number | null>(null)
  /** The tile the keyboard is on (arrow keys move it; Shift+arrows extend the selection from the anchor). */
  const focused = ref<number | null>(null)
  const selectedCount = computed(() => (allMatching.value ? (total.value ?? 0) : selected.value.size))
  const target = computed<SampleTarget | null>(() => {
    if (allMatching.value) return { filter: query.value }
    if (selected.value.size) return { ids: [...selected.value] }
    return null
  })

  /** Drops the rows and loads the current filter's first page (with its total). */
  async function reload(): Promise<void> {
    generation++
    rows.value = []
    total.value = null
    pages.clear()
    after.clear()
    version.value++
    await loadPage(0)
  }

  /** Makes sure row `upTo - 1` is loaded (the page that holds it; nothing before it). */
  function ensure(upTo: number): Promise<void> {
    return ensureRange(Math.max(0, upTo - 1), Math.max(1, upTo))
  }

  /** Loads the pages that hold rows [from, to), however far from the top (one call per page). */
  function ensureRange(from: number, to: number): Promise<void> {
    const n = total.value
    const end = n === null ? to : Math.min(to, n)
    const waits: Promise<void>[] = []
    for (let p = Math.floor(Math.max(0, from) / PAGE); p * PAGE < end || (p === 0 && n === null); p++) waits.push(loadPage(p))
    return Promise.all(waits).then(() => undefined)
  }

  function loadPage(p: number): Promise<void> {
    const known = pages.get(p)
    if (known) return known
    const gen = generation
    const run = (async () => {
      inFlight++
      loading.value = true
      try {
        const cursor = after.get(p - 1)
        const page = await api.call('samples.query', {
          filter: query.value,
          ...(p > 0 && cursor ? { cursor } : p > 0 ? { offset: p * PAGE } : {}),
          limit: PAGE,
          withTotal: total.value === null,
        })
        if (gen !== generation) return // the filter changed while this page was in flight
        if (page.total !== null) total.value = page.total
        const next = rows.value
        page.rows.forEach((r, i) => (next[p * PAGE + i] = r))
        after.set(p, page.nextCursor)
        triggerRef(rows)
        version.value++
      } catch (err) {
        if (gen === generation) {
          pages.delete(p) // asked again when the grid comes back to it
          useToastStore().error('Loading samples', err)
        }
      } finally {
        if (--inFlight === 0) loading.value = false
      }
    })()
    pages.set(p, run)
    return run
  }

  watch(
    query,
    () => {
      clearSelection()
      void reload()
    },
    { deep: true },
  )

  function rowAt(index: number): SampleRow | undefined {
    return rows.value[index]
  }
  function indexOf(id: number): number {
    return rows.value.findIndex((r) => r?.id === id)
  }
  function findRow(id: number): SampleRow | undefined {
    const i = indexOf(id)
    return i < 0 ? undefined : rows.value[i]
  }

  // ------------------------------------------------------------- selection
  function clearSelection(): void {
    selected.value = new Set()
    allMatching.value = false
    anchor.value = null
    focused.value = null
  }
  /** Arrow keys: moves the cursor by `delta` tiles (±1, ± a row), selecting it (Shift: the range from the anchor). */
  async function moveCursor(delta: number, extend = false): Promise<number | null> {
    const n = total.value ?? rows.value.length
    if (!n) return null
    const from = focused.value ?? anchor.value
    const to = from === null ? 0 : Math.max(0, Math.min(n - 1, from + delta))
    if (!rowAt(to)) await ensureRange(to, to + 1)
    if (!rowAt(to)) return null
    clickTile(to, { shift: extend && anchor.value !== null })
    focused.value = to
    return to
  }
  /** Click: select one; ctrl/cmd: toggle; shift: range from the anchor. */
  function clickTile(index: number, mods: { shift?: boolean; toggle?: boolean } = {}): void {
    const row = rowAt(index)
    if (!row) return
    if (allMatching.value) {
      allMatching.value = false
      selected.value = new Set(rows.value.filter(Boolean).map((r) => r.id))
    }
    if (mods.shift && anchor.value !== null) {
      const [a, b] = anchor.value < index ? [anchor.value, index] : [index, anchor.value]
      const next = mods.toggle ? new Set(selected.value) : new Set<number>()
      for (let i = a; i <= b; i++) {
        const r = rowAt(i)
        if (r) next.add(r.id)
      }
      selected.value = next
      return
    }
    if (mods.toggle) {
      const next = new Set(selected.value)
      if (next.has(row.id)) next.delete(row.id)
      else next.add(row.id)
      selected.value = next
    } else {
      selected.value = new Set([row.id])
    }
    anchor.value = index
    focused.value = index
  }
  function selectAllMatching(): void {
    allMatching.value = true
    selected.value = new Set()
  }
  function isSelected(id: number): boolean {
    return allMatching.value || selected.value.has(id)
  }

  // ------------------------------------------------------------- bulk edits
  async function bulkUpdate(patch: { split?: Split; status?: ReviewStatus; addTags?: string[]; removeTags?: string[] }): Promise<number> {
    const t = target.value
    if (!t) return 0
    try {
      const { updated } = await api.call('samples.update', { target: t, ...patch })
      const keep = allMatching.value
      await Promise.all([reload(), useProjectStore().refresh()])
      if (keep) allMatching.value = true
      useToastStore().ok(`Updated ${updated.toLocaleString('en-US')} sample${updated === 1 ? '' : 's'}`)
      return updated
    } catch (err) {
      useToastStore().error('Updating the selection', err)
      return 0
    }
  }

  /**
   * A seeded random train/val/test split (optionally stratified by the classes in each mask) of
   * `target`: the selection, or every healthy sample matching the filter. Resolves with the counts.
   */
  async function randomSplit(input: {
    seed: number
    ratios: { train: number; val: number; test: number }
    stratify: boolean
    target: SampleTarget
  }): Promise<Record<'train' | 'val' | 'test', number> | null> {
    try {
      const { counts } = await api.call('samples.randomSplit', input)
      await Promise.all([reload(), useProjectStore().refresh()])
      useToastStore().ok(
        'Split done',
        `train ${counts.train.toLocaleString('en-US')}, val ${counts.val.toLocaleString('en-US')}, test ${counts.test.toLocaleString('en-US')}`,
      )
      return counts
    } catch (err) {
      useToastStore().error('Splitting', err)
      return null
    }
  }

  // ------------------------------------------------------------- undo / redo of curation edits
  /** What Ctrl+Z / Ctrl+Shift+Z would undo / redo: the session's edits of split, status, notes, tags (the service keeps them). */
  const edits = ref<EditState>({ undo: null, redo: null })
  async function loadEdits(): Promise<void> {
    try {
      edits.value = await api.call('samples.edits', {})
    } catch {
      /* no project: nothing to undo */
    }
  }
  api.on('catalog.changed', ({ what }) => {
    if (what === 'samples' || what === 'project') void loadEdits()
  })
  async function undoOrRedo(which: 'undo' | 'redo'): Promise<void> {
    try {
      const r = await api.call(which === 'undo' ? 'samples.undo' : 'samples.redo', {})
      edits.value = { undo: r.undo, redo: r.redo }
      if (!r.label) return void useToastStore().info(which === 'undo' ? 'Nothing to undo' : 'Nothing to redo')
      await Promise.all([reload(), useProjectStore().refresh()])
      useToastStore().ok(which === 'undo' ? 'Undone' : 'Redone', r.label)
    } catch (err) {
      useToastStore().error(which === 'undo' ? 'Undoing' : 'Redoing', err)
    }
  }
  const undoEdit = () => undoOrRedo('undo')
  const redoEdit = () => undoOrRedo('redo')

  /** Healthy samples (no problem) matching the filter: what a split of "everything" takes. */
  async function healthyCount(): Promise<number | null> {
    try {
      return (await api.call('samples.counts', { filter: query.value })).byError.none
    } catch (err) {
      useToastStore().error('Counting samples', err)
      return null
    }
  }

  /** Patches loaded rows in place (inspector edits) without reloading the grid. */
  function patchRow(id: number, patch: Partial<SampleRow>): void {
    const h = indexOf(id)
    if (h >= 0) {
      rows.value[h] = { ...rows.value[h], ...patch }
      triggerRef(rows)
    }
    version.value++
  }

  function resetFilter(): void {
    filter.value = emptyFilter()
  }

  return {
    filter,
    query,
    overlay,
    tileSize,
    rows,
    total,
    loading,
    version,
    ensureRange,
    findRow,
    selected,
    allMatching,
    anchor,
    focused,
    selectedCount,
    target,
    moveCursor,
    reload,
    ensure,
    rowAt,
    indexOf,
    clearSelection,
    clickTile,
    selectAllMatching,
    isSelected,
    bulkUpdate,
    randomSplit,
    healthyCount,
    edits,
    loadEdits,
    undoEdit,
    redoEdit,
    patchRow,
    resetFilter,
  }
})
