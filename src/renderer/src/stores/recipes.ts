// The recipe editor: a draft with undo/redo, live validation with problems by path (shown at the
// field), saving as immutable versions, Albumentations import.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { RecipeSummary, RecipeVersionInfo } from '@shared/contract/catalog'
import { OP_CATALOG, RECIPE_SCHEMA, defaultOp, defaultRecipe, validateRecipe, type OpSpec, type OpType, type Recipe } from '@shared/recipe'
import { api } from '../api'
import { useToastStore } from './toasts'

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
  let lastKey: string | null = null
  let lastAt = 0

  const validation = computed(() => validateRecipe(draft.value))
  const problems = computed(() => (validation.value.ok ? [] : validation.value.problems))
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
    return { ...v.recipe, ops: v.recipe.ops.filter((_, i) => enabled[i]).map((o) => { const { enabled: _e, ...rest } = o; void _e; return rest as OpSpec }) }
  })
  const dirty = computed(() => JSON.stringify(draft.value) !== saved.value)
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
  function undo(): void {
    const prev = past.value[past.value.length - 1]
    if (prev === undefined) return
    future.value = [...future.value, JSON.stringify(draft.value)]
    past.value = past.value.slice(0, -1)
    draft.value = JSON.parse(prev) as Draft
    lastKey = null
    clampSelection()
  }
  function redo(): void {
    const next = future.value[future.value.length - 1]
    if (next === undefined) return
    past.value = [...past.value, JSON.stringify(draft.value)]
    future.value = future.value.slice(0, -1)
    draft.value = JSON.parse(next) as Draft
    lastKey = null
    clampSelection()
  }
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
      d.ops.splice(to, 0, op!)
    })
    if (selected.value === from) selected.value = to
  }
  function toggleOp(i: number): void {
    edit((d) => {
      const op = d.ops[i]!
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
    } catch (err) {
      useToastStore().error('Loading recipes', err)
    }
  }
  function adopt(v: RecipeVersionInfo): void {
    recipeId.value = v.recipeId
    version.value = v.version
    versionId.value = v.versionId
    name.value = v.name
    draft.value = clone(v.recipe as Draft)
    saved.value = JSON.stringify(draft.value)
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
    name.value = 'Untitled recipe'
    edit((d) => Object.assign(d, defaultRecipe()))
    saved.value = ''
  }
  /** Saves the draft as a new immutable version. */
  async function save(note = ''): Promise<RecipeVersionInfo | null> {
    if (!validation.value.ok) {
      useToastStore().push('error', 'The recipe has problems', problems.value.slice(0, 3).join('\n'))
      return null
    }
    saving.value = true
    try {
      const v = await api.call('recipe.save', { ...(recipeId.value ? { id: recipeId.value } : {}), name: name.value.trim() || 'Untitled recipe', recipe: draft.value, note })
      recipeId.value = v.recipeId
      version.value = v.version
      versionId.value = v.versionId
      saved.value = JSON.stringify(draft.value)
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

  /** Imports Lockstep or Albumentations JSON text into the draft (one undo step). */
  async function importJson(text: string): Promise<boolean> {
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch (err) {
      useToastStore().push('error', 'Import failed', `The file is not JSON: ${(err as Error).message}`)
      return false
    }
    let recipe: unknown = json
    if (!(json && typeof json === 'object' && (json as { schema?: unknown }).schema === RECIPE_SCHEMA)) {
      try {
        const r = await api.call('recipe.validate', { recipe: json })
        if (!r.ok) {
          const extra = r.unsupported?.length ? `\nNo Lockstep counterpart: ${r.unsupported.join(', ')}` : ''
          useToastStore().push('error', 'Import failed', r.problems.join('\n') + extra)
          return false
        }
        recipe = r.recipe
        if (r.notes?.length) useToastStore().info('Imported with notes', r.notes.join('\n'))
      } catch (err) {
        useToastStore().error('Importing the recipe', err)
        return false
      }
    }
    const r = recipe as Draft
    edit((d) => {
      d.schema = RECIPE_SCHEMA
      d.output = r.output ?? d.output
      d.mask = r.mask ?? d.mask
      d.ops = r.ops ?? []
    })
    if (r.name) name.value = r.name
    selected.value = draft.value.ops.length ? 0 : null
    return true
  }

  /** The draft (enabled ops) as Albumentations JSON, with the ops that have no counterpart named. */
  async function toAlbumentations(): Promise<{ json: unknown; unsupported: string[] } | null> {
    const r = effective.value
    if (!r) {
      useToastStore().push('error', 'The recipe has problems', problems.value.slice(0, 3).join('\n'))
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
    list, recipeId, version, versionId, name, draft, selected, past, future, saving,
    validation, problems, problemMap, effective, dirty, canUndo, canRedo,
    fieldError, opHasError, edit, undo, redo, addOp, removeOp, moveOp, toggleOp, setParam, setOutput, setIgnoreIndex,
    loadList, openRecipe, newRecipe, save, importJson, adopt,
  }
})
