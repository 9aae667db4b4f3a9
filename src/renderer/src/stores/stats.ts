// Statistics of a split: class distribution, mean/std (featurewise), computed as a job.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { Split, StatsResult } from '@shared/contract/catalog'
import { api } from '../api'
import { useJobsStore } from './jobs'
import { useProjectStore } from './project'
import { useToastStore } from './toasts'

export const useStatsStore = defineStore('stats', () => {
  const split = ref<Split | 'all'>('all')
  const result = ref<StatsResult | null>(null)
  const loading = ref(false)
  const jobId = ref<string | null>(null)

  async function load(): Promise<void> {
    loading.value = true
    try {
      result.value = await api.call('stats.get', { split: split.value })
    } catch (err) {
      useToastStore().error('Loading statistics', err)
    } finally {
      loading.value = false
    }
  }
  async function run(): Promise<void> {
    try {
      const { jobId: id } = await api.call('stats.run', { split: split.value })
      jobId.value = id
      const job = await useJobsStore().settle(id)
      jobId.value = null
      if (job.status === 'done') await Promise.all([load(), useProjectStore().refresh()])
    } catch (err) {
      jobId.value = null
      useToastStore().error('Computing statistics', err)
    }
  }
  return { split, result, loading, jobId, load, run }
})
