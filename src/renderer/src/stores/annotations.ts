// Bringing labels from other tools in (issue 11): labelme JSON, COCO JSON, VOC/CVAT colour PNGs,
// rasterised into the project's masks by a job; the summary names every problem.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { JobInfo } from '@shared/contract/app'
import type { AnnotationFormat, AnnotationImportSummary } from '@shared/contract/labels'
import { api } from '../api'
import { useCatalogStore } from './catalog'
import { useJobsStore } from './jobs'
import { useProjectStore } from './project'
import { useToastStore } from './toasts'

export interface AnnotationImportForm {
  format: AnnotationFormat
  path: string
  labelmap?: string
  existing: 'skip' | 'replace'
}

export const useAnnotationsStore = defineStore('annotations', () => {
  const job = ref<JobInfo | null>(null)
  const summary = ref<AnnotationImportSummary | null>(null)
  const running = ref(false)

  async function importAnnotations(form: AnnotationImportForm): Promise<AnnotationImportSummary | null> {
    const toasts = useToastStore()
    const jobs = useJobsStore()
    running.value = true
    summary.value = null
    job.value = null
    try {
      const { jobId } = await api.call('annotations.import', {
        format: form.format,
        path: form.path,
        ...(form.labelmap ? { labelmap: form.labelmap } : {}),
        existing: form.existing,
      })
      const off = jobs.watchJobs((j) => {
        if (j.id === jobId) job.value = j
      })
      const end = await jobs.settle(jobId)
      off()
      job.value = end
      if (end.status !== 'done') return null
      summary.value = await api.call('annotations.summary', { jobId })
      await Promise.all([useProjectStore().refresh(), useCatalogStore().reload()])
      return summary.value
    } catch (err) {
      toasts.error('Importing annotations', err)
      return null
    } finally {
      running.value = false
    }
  }

  return { job, summary, running, importAnnotations }
})
