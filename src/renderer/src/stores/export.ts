// Export: options, a debounced estimate, the running job (progress from job.progress), history.
import { defineStore } from 'pinia'
import { computed, ref, watch } from 'vue'
import type { ExportEstimate, ExportFormat, ExportFormatInfo, ExportOptionsInput, ExportRecord, ImageFormat } from '@shared/contract/export'
import type { JobInfo } from '@shared/contract/app'
import { api } from '../api'
import { useJobsStore } from './jobs'
import { useRecipeStore } from './recipes'
import { useProjectStore } from './project'
import { useToastStore } from './toasts'

export interface ExportForm {
  recipeSource: 'editor' | number // the editor's draft, or a saved recipe id (its latest version)
  seed: number
  splits: string[]
  epochs: number
  batchSize: number
  stepsPerEpoch: number | null
  dropLast: boolean
  imageFormat: ImageFormat
  quality: number
  formats: ExportFormat[]
  out: string
  workers: number | null
}

export const useExportStore = defineStore('export', () => {
  const form = ref<ExportForm>({
    recipeSource: 'editor',
    seed: 0,
    splits: ['train'],
    epochs: 1,
    batchSize: 32,
    stepsPerEpoch: null,
    dropLast: false,
    imageFormat: 'png',
    quality: 90,
    formats: ['folders'],
    out: '',
    workers: null,
  })
  const estimate = ref<ExportEstimate | null>(null)
  const estimateError = ref<string | null>(null)
  const history = ref<ExportRecord[]>([])
  /** The registered formats (names, help, options), from the export area's registry. */
  const formats = ref<ExportFormatInfo[]>([])
  const jobId = ref<string | null>(null)
  const starting = ref(false)
  let estSeq = 0
  let timer: ReturnType<typeof setTimeout> | undefined

  const job = computed<JobInfo | null>(() => (jobId.value ? (useJobsStore().jobs[jobId.value] ?? null) : null))
  const running = computed(() => job.value?.status === 'running')

  /** The channel input for the form; throws a readable message when the form cannot be exported. */
  async function options(): Promise<ExportOptionsInput> {
    const f = form.value
    let recipe: ExportOptionsInput['recipe']
    if (f.recipeSource === 'editor') {
      const recipes = useRecipeStore()
      const r = recipes.effective
      if (!r) throw new Error('The recipe in the editor has problems; fix them in Recipes first')
      // an unchanged saved version (every op enabled: the effective recipe is the version itself)
      // goes by its id, so the export and its history record the version, not an inline copy
      const asSaved = recipes.versionId !== null && !recipes.dirty && recipes.draft.ops.every((o) => o.enabled !== false)
      recipe = asSaved ? { versionId: recipes.versionId! } : { json: r }
    } else {
      const v = await api.call('recipe.get', { id: f.recipeSource })
      recipe = { versionId: v.versionId }
    }
    return {
      recipe,
      seed: f.seed,
      splits: f.splits,
      epochs: f.epochs,
      batchSize: f.batchSize,
      ...(f.stepsPerEpoch ? { stepsPerEpoch: f.stepsPerEpoch } : {}),
      dropLast: f.dropLast,
      imageFormat: f.imageFormat,
      quality: f.quality,
      formats: f.formats,
      out: f.out.trim() || '/',
      ...(f.workers ? { workers: f.workers } : {}),
    }
  }

  async function refreshEstimate(): Promise<void> {
    const mine = ++estSeq
    try {
      const opts = await options()
      const e = await api.call('export.estimate', opts)
      if (mine !== estSeq) return
      estimate.value = e
      estimateError.value = null
    } catch (err) {
      if (mine !== estSeq) return
      estimate.value = null
      estimateError.value = err instanceof Error ? err.message : String(err)
    }
  }
  function scheduleEstimate(): void {
    clearTimeout(timer)
    timer = setTimeout(() => void refreshEstimate(), 250)
  }
  watch(form, scheduleEstimate, { deep: true })
  watch(
    () => useRecipeStore().effective,
    () => form.value.recipeSource === 'editor' && scheduleEstimate(),
  )

  /** A fresh folder name under the project (re-using a folder would resume that export). */
  function suggestOut(projectDir: string): string {
    const d = new Date()
    const pad = (n: number) => String(n).padStart(2, '0')
    return `${projectDir}/exports/${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}-${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`
  }

  async function start(): Promise<string | null> {
    const toasts = useToastStore()
    if (!form.value.out.trim()) {
      toasts.push('error', 'Choose an output folder', 'Type the absolute path of the folder to export into')
      return null
    }
    starting.value = true
    try {
      const out = form.value.out.trim()
      const r = await api.call('export.start', await options())
      jobId.value = r.jobId
      // the next export goes to a new folder unless the user types this one again (which resumes it)
      const projectDir = useProjectStore().info?.dir
      if (projectDir && out.startsWith(`${projectDir}/exports/`)) form.value.out = suggestOut(projectDir)
      void useJobsStore()
        .settle(r.jobId)
        .then((j) => {
          void loadHistory()
          if (j.status === 'done') toasts.ok('Export finished', `${j.done.toLocaleString('en-US')} outputs in ${out}`)
        })
      void loadHistory()
      return r.jobId
    } catch (err) {
      toasts.error('Starting the export', err)
      return null
    } finally {
      starting.value = false
    }
  }
  async function cancel(): Promise<void> {
    if (jobId.value) await useJobsStore().cancel(jobId.value)
  }
  async function loadFormats(): Promise<void> {
    if (formats.value.length) return
    try {
      formats.value = await api.call('export.formats', {})
    } catch (err) {
      useToastStore().error('Loading the export formats', err)
    }
  }
  async function loadHistory(): Promise<void> {
    try {
      history.value = await api.call('export.history', { limit: 50 })
    } catch (err) {
      useToastStore().error('Loading the export history', err)
    }
  }

  return {
    suggestOut,
    form,
    formats,
    loadFormats,
    estimate,
    estimateError,
    history,
    jobId,
    job,
    running,
    starting,
    options,
    refreshEstimate,
    start,
    cancel,
    loadHistory,
  }
})
