// Long jobs (import, stats, export, thumbnails) from the shared `job.progress` event.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { JobInfo } from '@shared/contract/app'
import { api } from '../api'
import { useToastStore } from './toasts'

type Listener = (job: JobInfo) => void

export const useJobsStore = defineStore('jobs', () => {
  const jobs = ref<Record<string, JobInfo>>({})
  const listeners = new Set<Listener>()
  let started = false

  const list = computed(() => Object.values(jobs.value).sort((a, b) => b.startedAt - a.startedAt))
  const running = computed(() => list.value.filter((j) => j.status === 'running'))

  function apply(job: JobInfo): void {
    const prev = jobs.value[job.id]
    jobs.value = { ...jobs.value, [job.id]: job }
    if (job.status === 'failed' && prev?.status !== 'failed') {
      useToastStore().push('error', `${job.label} failed`, job.error?.message ?? 'The job failed', job.error?.code)
    }
    for (const l of listeners) l(job)
  }

  /** Subscribes once to job events and loads the jobs already running. */
  async function start(): Promise<void> {
    if (started) return
    started = true
    api.on('job.progress', apply)
    try {
      for (const j of await api.call('job.list', {})) if (!jobs.value[j.id]) jobs.value = { ...jobs.value, [j.id]: j }
    } catch (err) {
      useToastStore().error('Loading the running jobs', err)
    }
  }

  /** Calls `cb` on every update of every job (stores follow their own jobs with it). */
  function watchJobs(cb: Listener): () => void {
    listeners.add(cb)
    return () => listeners.delete(cb)
  }

  /** Resolves when the job ends (done/failed/cancelled), with its final info. */
  function settle(id: string): Promise<JobInfo> {
    const known = jobs.value[id]
    if (known && known.status !== 'running') return Promise.resolve(known)
    return new Promise((resolve) => {
      const off = watchJobs((j) => {
        if (j.id === id && j.status !== 'running') {
          off()
          resolve(j)
        }
      })
    })
  }

  async function cancel(id: string): Promise<void> {
    try {
      await api.call('job.cancel', { id })
    } catch (err) {
      useToastStore().error('Cancelling the job', err)
    }
  }

  function dismiss(id: string): void {
    const { [id]: _gone, ...rest } = jobs.value
    void _gone
    jobs.value = rest
  }

  return { jobs, list, running, start, apply, watchJobs, settle, cancel, dismiss }
})
