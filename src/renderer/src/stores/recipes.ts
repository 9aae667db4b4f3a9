// The recipe editor: a draft with undo/redo, live validation with problems by path (shown at the
// field), saving as immutable versions (or as a new recipe), Albumentations import with a review
// of what was left out or changed, and the draft kept across reloads (per project).
import { defineStore } from 'pinia'
import { computed, ref, watch, type Ref } from 'vue'
import type { RecipeSummary, RecipeVersionInfo } from '@shared/contract/catalog'
import { OP_CATALOG, RECIPE_SCHEMA, defaultOp, defaultRecipe, validateRecipe, type OpSpec, type OpType, type Recipe } from '@shared/recipe'
import { api } from '../api'
import { describeProblem } from '../lib/problems'
import { useProjectStore } from './project'
import { useToastStore } from './toasts'

/** One line of an import's review: a transform left out, or something converted approximately. */
export interface ImportItem {
  kind: 'left out' | 'changed'
  text: string
}

/** What is kept per project so unsaved edits survive a reload. */
interface StoredDraft {
  draft: Draft
  name: string
  recipeId: number | null
  version: number | null
  saved: string
  savedName: string | null
  at: number
}
const DRAFT_KEY = 'lockstep.recipe-draft:'
function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage
  } catch {
    return null
  }
}

/** The draft as edited: shaped like a Recipe but possibly invalid (that is what problems are for). */
export type Draft = Recipe
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T
const COALESCE_MS = 700

/** `ops[2].degrees: expected ...` -> ['ops[2].degrees', 'expected ...'] */
export function splitProblem(problem: string): [string, string] {
  const i = problem.indexOf(': ')
  return i < 0 ? ['(recipe)', problem] : [problem.slice(0, i), problem.slice(i + 2)]
}

export const useRecipeStore = defineStore('recipes', () => {
  const list = ref<RecipeSummary[]>([])
  const recipeId = ref<number | null>(null)
  const version = ref<number | null>(null)
  /** The saved version the draft was opened from or saved as (its id, what an export records). */
  const versionId = ref<number | null>(null)
  const name = ref('Untitled recipe')
  const draft = ref<Draft>(defaultRecipe())
  const saved = ref<string>(JSON.stringify(draft.value))
  const selected = ref<number | null>(0)
  const past = ref<string[]>([])
  const future = ref<string[]>([])
  const saving = ref(false)
  /** The opened recipe's name as saved: a different `name` renames it on the next save. */
  const savedName = ref<string | null>(null)
  /** An Albumentations import waiting for the user to accept what was left out or changed. */
  const pendingImport = ref<{ recipe: Draft; items: ImportItem[]; source: string } | null>(null)
  /** When unsaved edits were restored from an earlier session (null: none restored). */
  const restoredAt = ref<number | null>(null)
  let lastKey: string | null = null
  let lastAt = 0

  const validation = computed(() => validateRecipe(draft.value))
  const problems = computed(() => (validation.value.ok ? [] : validation.value.problems))
  /** The problems as the editor numbers steps: "Step 5 · Rotate · Degrees: ..." */
  const problemTexts = computed(() => problems.value.map((p) => describeProblem(p, draft.value.ops)))
  const problemMap = computed(() => {
    const m = new Map<string, string>()
    for (const p of problems.value) {
      const [path, msg] = splitProblem(p)
      if (!m.has(path)) m.set(path, msg)
    }
    return m
  })
  /** The recipe the preview and export use: valid, with disabled ops left out. Null while invalid. */
  const effective = computed<Recipe | null>(() => {
    const v = validation.value
    if (!v.ok) return null
    const enabled = draft.value.ops.map((o) => o.enabled !== false)
    return {
      ...v.recipe,
      ops: v.recipe.ops
        .filter((_, i) => enabled[i])
        .map((o) => {
          const { enabled: _e, ...rest } = o
          void _e
          return rest
        }),
    }
  })
  const dirty = computed(() => JSON.stringify(draft.value) !== saved.value)
  const renaming = computed(() => recipeId.value !== null && savedName.value !== null && name.value.trim() !== '' && name.value.trim() !== savedName.value)
  const canUndo = computed(() => past.value.length > 0)
  const canRedo = computed(() => future.value.length > 0)

  /** The problem at a field: `fieldError(2, 'degrees')`, `fieldError(2)` for the op, or a header path. */
  function fieldError(op: number | string, param?: string): string | undefined {
    const path = typeof op === 'string' ? op : param === undefined ? `ops[${op}]` : `ops[${op}].${param}`
    return problemMap.value.get(path)
  }
  function opHasError(i: number): boolean {
    const prefix = `ops[${i}]`
    for (const k of problemMap.value.keys()) if (k === prefix || k.startsWith(`${prefix}.`)) return true
    return false
  }

  /** Applies an edit as one undo step; edits with the same key in quick succession (a slider drag) merge. */
  function edit(mutate: (d: Draft) => void, coalesceKey?: string): void {
    const now = Date.now()
    const merge = coalesceKey !== undefined && coalesceKey === lastKey && now - lastAt < COALESCE_MS
    if (!merge) {
      past.value = [...past.value.slice(-199), JSON.stringify(draft.value)]
      future.value = []
    }
    const next = clone(draft.value)
    mutate(next)
    draft.value = next
    lastKey = coalesceKey ?? null
    lastAt = now
  }
  /** Undo (from the past, the draft going to the future) or redo (the other way round). */
  function step(from: Ref<string[]>, to: Ref<string[]>): void {
    const target = from.value.at(-1)
    if (target === undefined) return
    to.value = [...to.value, JSON.stringify(draft.value)]
    from.value = from.value.slice(0, -1)
    draft.value = JSON.parse(target) as Draft
    lastKey = null
    clampSelection()
  }
  const undo = () => step(past, future)
  const redo = () => step(future, past)
  function clampSelection(): void {
    const n = draft.value.ops.length
    if (selected.value !== null && selected.value >= n) selected.value = n ? n - 1 : null
  }

  // ----------------------------------------------------------- op list edits
  function addOp(type: OpType, at?: number): void {
    const op = defaultOp(type) as OpSpec
    const isCrop = OP_CATALOG[type].group === 'crop'
    const o = op as unknown as Record<string, unknown>
    // Crops default to the recipe's output size: the common case, and it keeps the preview valid.
    if (isCrop && 'width' in o) {
      o.width = draft.value.output.width
      o.height = draft.value.output.height
    }
    const index = at ?? draft.value.ops.length
    edit((d) => d.ops.splice(index, 0, op))
    selected.value = index
  }
  function removeOp(i: number): void {
    edit((d) => d.ops.splice(i, 1))
    clampSelection()
  }
  function moveOp(from: number, to: number): void {
    if (from === to || to < 0 || to >= draft.value.ops.length) return
    edit((d) => {
      const [op] = d.ops.splice(from, 1)
      d.ops.splice(to, 0, op)
    })
    if (selected.value === from) selected.value = to
  }
  function toggleOp(i: number): void {
    edit((d) => {
      const op = d.ops[i]
      if (op.enabled === false) delete op.enabled
      else op.enabled = false
    })
  }
  function setParam(i: number, key: string, value: unknown): void {
    edit((d) => {
      ;(d.ops[i] as unknown as Record<string, unknown>)[key] = value
    }, `ops[${i}].${key}`)
  }
  function setOutput(key: 'width' | 'height', value: number): void {
    edit((d) => (d.output[key] = value), `output.${key}`)
  }
  function setIgnoreIndex(value: number): void {
    edit((d) => (d.mask.ignoreIndex = value), 'mask.ignoreIndex')
  }

  // ----------------------------------------------------------- persistence
  async function loadList(): Promise<void> {
    try {
      list.value = await api.call('recipe.list', {})
      // a restored draft of a recipe this project no longer has is a new recipe now
      if (recipeId.value !== null && !list.value.some((r) => r.id === recipeId.value)) {
        recipeId.value = null
        version.value = null
        savedName.value = null
      }
    } catch (err) {
      useToastStore().error('Loading recipes', err)
    }
  }
  function adopt(v: RecipeVersionInfo): void {
    recipeId.value = v.recipeId
    version.value = v.version
    versionId.value = v.versionId
    name.value = v.name
    savedName.value = v.name
    draft.value = clone(v.recipe as Draft)
    saved.value = JSON.stringify(draft.value)
    restoredAt.value = null
    past.value = []
    future.value = []
    selected.value = draft.value.ops.length ? 0 : null
  }
  async function openRecipe(id: number, ver?: number): Promise<void> {
    try {
      adopt(await api.call('recipe.get', { id, ...(ver ? { version: ver } : {}) }))
    } catch (err) {
      useToastStore().error('Opening the recipe', err)
    }
  }
  function newRecipe(): void {
    recipeId.value = null
    version.value = null
    versionId.value = null
    savedName.value = null
    restoredAt.value = null
    name.value = 'Untitled recipe'
    edit((d) => Object.assign(d, defaultRecipe()))
    saved.value = ''
  }
  /** Saves the draft as a new immutable version of the open recipe (renaming it if the name changed). */
  function save(note = ''): Promise<RecipeVersionInfo | null> {
    return persist(recipeId.value ?? undefined, name.value.trim() || 'Untitled recipe', note)
  }
  /** Saves the draft as version 1 of a new recipe; the open one is left as it was. */
  function saveAsNew(note = ''): Promise<RecipeVersionInfo | null> {
    const base = name.value.trim() || 'Untitled recipe'
    return persist(undefined, savedName.value !== null && base === savedName.value ? `${base} (copy)` : base, note)
  }
  async function persist(id: number | undefined, recipeName: string, note: string): Promise<RecipeVersionInfo | null> {
    if (!validation.value.ok) {
      useToastStore().push('error', 'The recipe has problems', problemTexts.value.slice(0, 3).join('\n'))
      return null
    }
    saving.value = true
    try {
      const v = await api.call('recipe.save', { ...(id ? { id } : {}), name: recipeName, recipe: draft.value, note })
      recipeId.value = v.recipeId
      version.value = v.version
      versionId.value = v.versionId
      name.value = v.name
      savedName.value = v.name
      saved.value = JSON.stringify(draft.value)
      restoredAt.value = null
      await loadList()
      useToastStore().ok(`Saved ${v.name} v${v.version}`)
      return v
    } catch (err) {
      useToastStore().error('Saving the recipe', err)
      return null
    } finally {
      saving.value = false
    }
  }

  /**
   * Imports Lockstep or Albumentations JSON text. Albumentations goes through the engine's
   * conversion (the one `lockstep recipe convert` uses); when it left something out or changed
   * something, the result waits in `pendingImport` for the user to accept or cancel. Returns false
   * when nothing can be imported (the reason is a toast).
   */
  async function importJson(text: string, source = 'the file'): Promise<boolean> {
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch (err) {
      useToastStore().push('error', 'Import failed', `${source} is not JSON: ${(err as Error).message}`)
      return false
    }
    if (json && typeof json === 'object' && (json as { schema?: unknown }).schema === RECIPE_SCHEMA) {
      applyImport(json as Draft)
      return true
    }
    try {
      const out = await api.call('recipe.convert', { recipe: json, to: 'lockstep' })
      const items: ImportItem[] = [
        ...out.unsupported.map((t) => ({ kind: 'left out' as const, text: t })),
        ...out.notes.map((t) => ({ kind: 'changed' as const, text: t })),
      ]
      if (!(out.recipe as Draft).ops?.length && out.unsupported.length) {
        useToastStore().push('error', 'Import failed', `Nothing in ${source} has a Lockstep counterpart (left out: ${out.unsupported.join(', ')})`)
        return false
      }
      if (items.length) pendingImport.value = { recipe: out.recipe as Draft, items, source }
      else applyImport(out.recipe as Draft)
      return true
    } catch (err) {
      useToastStore().error(`Importing ${source}`, err)
      return false
    }
  }
  function acceptImport(): void {
    const p = pendingImport.value
    if (!p) return
    pendingImport.value = null
    applyImport(p.recipe)
    const left = p.items.filter((i) => i.kind === 'left out').length
    useToastStore().ok(
      `Imported ${p.recipe.ops?.length ?? 0} step${p.recipe.ops?.length === 1 ? '' : 's'}`,
      left ? `${left} transform${left === 1 ? '' : 's'} left out` : '',
    )
  }
  function cancelImport(): void {
    pendingImport.value = null
  }
  /** The imported recipe replaces the draft's output, mask and steps (one undo step). */
  function applyImport(r: Draft): void {
    edit((d) => {
      d.schema = RECIPE_SCHEMA
      d.output = r.output ?? d.output
      d.mask = r.mask ?? d.mask
      d.ops = r.ops ?? []
    })
    if (r.name) name.value = r.name
    selected.value = draft.value.ops.length ? 0 : null
  }

  // ----------------------------------------------------------- the draft across reloads
  let draftKey: string | null = null
  let persistTimer: ReturnType<typeof setTimeout> | undefined
  function restore(dir: string | null): void {
    draftKey = dir ? DRAFT_KEY + dir : null
    const raw = draftKey ? storage()?.getItem(draftKey) : null
    if (!raw) return
    try {
      const d = JSON.parse(raw) as StoredDraft
      if (!d || typeof d !== 'object' || !d.draft || !Array.isArray(d.draft.ops)) return
      draft.value = d.draft
      name.value = d.name
      recipeId.value = d.recipeId
      version.value = d.version
      saved.value = d.saved
      savedName.value = d.savedName
      selected.value = d.draft.ops.length ? 0 : null
      restoredAt.value = dirty.value ? d.at : null
    } catch {
      /* a damaged entry is ignored: the editor starts fresh */
    }
  }
  function remember(): void {
    clearTimeout(persistTimer)
    persistTimer = setTimeout(() => {
      if (!draftKey) return
      const d: StoredDraft = {
        draft: draft.value,
        name: name.value,
        recipeId: recipeId.value,
        version: version.value,
        saved: saved.value,
        savedName: savedName.value,
        at: Date.now(),
      }
      try {
        storage()?.setItem(draftKey, JSON.stringify(d))
      } catch {
        /* storage full or disabled: the draft lives until the page goes */
      }
    }, 200)
  }
  /** Throws away restored unsaved edits: back to the saved version (or a new recipe). */
  async function discardDraft(): Promise<void> {
    if (recipeId.value !== null) await openRecipe(recipeId.value, version.value ?? undefined)
    else {
      newRecipe()
      saved.value = JSON.stringify(draft.value)
    }
    restoredAt.value = null
  }
  watch(() => useProjectStore().info?.dir ?? null, restore, { immediate: true })
  watch([draft, name, recipeId, version, saved], remember)

  /** The draft (enabled ops) as Albumentations JSON, with the ops that have no counterpart named. */
  async function toAlbumentations(): Promise<{ json: unknown; unsupported: string[] } | null> {
    const r = effective.value
    if (!r) {
      useToastStore().push('error', 'The recipe has problems', problemTexts.value.slice(0, 3).join('\n'))
      return null
    }
    try {
      const out = await api.call('recipe.convert', { recipe: r, to: 'albumentations' })
      if (out.unsupported.length) useToastStore().push('info', 'Exported without some ops', `No Albumentations counterpart: ${out.unsupported.join(', ')}`)
      return { json: out.recipe, unsupported: out.unsupported }
    } catch (err) {
      useToastStore().error('Converting to Albumentations', err)
      return null
    }
  }

  return {
    toAlbumentations,
    list,
    recipeId,
    version,
    versionId,
    name,
    savedName,
    draft,
    selected,
    past,
    future,
    saving,
    pendingImport,
    restoredAt,
    validation,
    problems,
    problemTexts,
    problemMap,
    effective,
    dirty,
    renaming,
    canUndo,
    canRedo,
    fieldError,
    opHasError,
    edit,
    undo,
    redo,
    addOp,
    removeOp,
    moveOp,
    toggleOp,
    setParam,
    setOutput,
    setIgnoreIndex,
    loadList,
    openRecipe,
    newRecipe,
    save,
    saveAsNew,
    importJson,
    acceptImport,
    cancelImport,
    discardDraft,
    adopt,
  }
})
