// Edits of the project's class table (issue 11): add, rename, recolour, mark ignore, reorder,
// palettes in and out, and remaps across the dataset as a job. The table itself lives in the
// project store; every edit here replaces it with the service's answer.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { JobInfo } from '@shared/contract/app'
import type { RemapSummary } from '@shared/contract/labels'
import { api } from '../api'
import { downloadText } from '../lib/download'
import { useJobsStore } from './jobs'
import { useProjectStore } from './project'
import { useToastStore } from './toasts'

export const useClassTableStore = defineStore('classTable', () => {
  const project = useProjectStore()
  const toasts = useToastStore()
  const remapJob = ref<JobInfo | null>(null)
  const remapSummary = ref<RemapSummary | null>(null)

  async function run<T>(what: string, fn: () => Promise<T>): Promise<T | null> {
    try {
      return await fn()
    } catch (err) {
      toasts.error(what, err)
      return null
    }
  }

  async function add(input: { name: string; color?: string; index?: number; ignore?: boolean }): Promise<boolean> {
    const table = await run('Adding the class', () => api.call('classes.add', input))
    if (table) project.classes = table
    return !!table
  }

  function edit(index: number, patch: { name?: string; color?: string; ignore?: boolean }): Promise<void> {
    return project.updateClass(index, patch)
  }

  /** Moves the class at table position `from` to position `to` and stores the new order. */
  async function move(from: number, to: number): Promise<void> {
    const order = project.classes.map((c) => c.index)
    if (to < 0 || to >= order.length || from === to) return
    const [it] = order.splice(from, 1)
    order.splice(to, 0, it)
    const table = await run('Reordering the classes', () => api.call('classes.reorder', { order }))
    if (table) project.classes = table
  }

  async function importPalette(text: string, format: 'json' | 'csv'): Promise<boolean> {
    const table = await run('Importing the palette', () => api.call('classes.importPalette', { text, format }))
    if (table) {
      project.classes = table
      toasts.ok('Palette imported', `${table.length} classes`)
    }
    return !!table
  }

  async function exportPalette(format: 'json' | 'csv'): Promise<void> {
    const out = await run('Exporting the palette', () => api.call('classes.export', { format }))
    if (out) downloadText(`classes.${out.format}`, out.text, out.format === 'json' ? 'application/json' : 'text/csv')
  }

  /** Runs a remap across the dataset as a job; resolves with its summary (null on failure). */
  function remap(mapping: { from: number; to: number }[]): Promise<RemapSummary | null> {
    return runRemapJob('the remap', () => api.call('classes.remap', { mapping }))
  }

  /** Undoes remap `jobId` as a job (masks changed since are left alone, listed in the summary's failed). */
  function undoRemap(jobId: string): Promise<RemapSummary | null> {
    return runRemapJob('the undo', () => api.call('classes.remapUndo', { jobId }))
  }

  async function runRemapJob(what: string, start: () => Promise<{ jobId: string }>): Promise<RemapSummary | null> {
    remapSummary.value = null
    const started = await run(`Starting ${what}`, start)
    if (!started) return null
    const jobs = useJobsStore()
    const off = jobs.watchJobs((j) => {
      if (j.id === started.jobId) remapJob.value = j
    })
    const job = await jobs.settle(started.jobId)
    off()
    remapJob.value = job
    if (job.status !== 'done') return null
    const summary = await run(`Reading the summary of ${what}`, () => api.call('classes.remapSummary', { jobId: started.jobId }))
    remapSummary.value = summary
    await project.refresh()
    return summary
  }

  return { remapJob, remapSummary, add, edit, move, importPalette, exportPalette, remap, undoRemap }
})
