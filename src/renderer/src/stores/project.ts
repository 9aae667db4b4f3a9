// The open project: name, datasets, classes (with colours), tags, counts; imports.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { RecentProject } from '@shared/contract/app'
import type { ClassInfo, Counts, ImportInput, ImportSummary, ProjectInfo, ProjectProbe, TagCount } from '@shared/contract/catalog'
import { api } from '../api'
import { defaultClassColor } from '../lib/colors'
import { useCatalogStore } from './catalog'
import { useJobsStore } from './jobs'
import { useToastStore } from './toasts'

export const useProjectStore = defineStore('project', () => {
  const info = ref<ProjectInfo | null>(null)
  const classes = ref<ClassInfo[]>([])
  const tags = ref<TagCount[]>([])
  const counts = ref<Counts | null>(null)
  const lastImport = ref<ImportSummary | null>(null)
  const loaded = ref(false)
  const importing = ref<string | null>(null)
  let subscribed = false
  /** Recent projects (kept by the door in the user data folder) and the folder it offers to create. */
  const recent = ref<RecentProject[]>([])
  const suggested = ref<ProjectProbe | null>(null)

  const name = computed(() => info.value?.name ?? 'No project')
  const classByIndex = computed(() => new Map(classes.value.map((c) => [c.index, c])))
  function classColor(index: number): string {
    return classByIndex.value.get(index)?.color ?? defaultClassColor(index)
  }
  function className(index: number): string {
    return classByIndex.value.get(index)?.name ?? (index === 255 ? 'ignore (255)' : `class ${index}`)
  }

  async function load(): Promise<void> {
    const toasts = useToastStore()
    if (!subscribed) {
      subscribed = true
      api.on('catalog.changed', ({ what }) => {
        if (what === 'classes') void loadClasses()
        else if (what === 'project') void followProject()
        else void refresh()
      })
    }
    // all at once: one round trip, not two, before the app is usable
    const [infoR, classesR, tagsR, countsR] = await Promise.allSettled([
      api.call('project.info', {}),
      api.call('classes.list', {}),
      api.call('tags.list', {}),
      api.call('samples.counts', {}),
    ])
    if (infoR.status === 'rejected') toasts.error('Opening the project', infoR.reason)
    else info.value = infoR.value
    if (!info.value) void loadRecent()
    if (info.value) {
      if (classesR.status === 'fulfilled') classes.value = classesR.value
      else toasts.error('Loading the classes', classesR.reason)
      if (tagsR.status === 'fulfilled') tags.value = tagsR.value
      else toasts.error('Loading the tags', tagsR.reason)
      if (countsR.status === 'fulfilled') counts.value = countsR.value
      else toasts.error('Counting samples', countsR.reason)
    }
    loaded.value = true
  }
  /**
   * Another project was opened or created (here, from the desktop menu or in another tab): every
   * view's state belongs to the old one, so the studio starts afresh on the new one's catalog.
   */
  async function followProject(): Promise<void> {
    try {
      const next = await api.call('project.info', {})
      if ((next?.dir ?? null) === (info.value?.dir ?? null)) return void refresh()
    } catch {
      /* reload anyway: the studio asks again on start */
    }
    window.location.hash = '#/catalog'
    window.location.reload()
  }
  async function loadRecent(): Promise<void> {
    try {
      const r = await api.call('project.recent', {})
      recent.value = r.recent
      suggested.value = r.suggested
    } catch (err) {
      useToastStore().error('Listing recent projects', err)
    }
  }
  function probe(dir: string): Promise<ProjectProbe> {
    return api.call('project.probe', { dir })
  }
  /** Opens or creates a project; the studio reloads on it (see followProject). Throws the service's error. */
  async function openProject(dir: string, create?: { name?: string }): Promise<void> {
    if (create) await api.call('project.create', { dir, ...(create.name ? { name: create.name } : {}) })
    else await api.call('project.open', { dir })
    await followProject()
  }
  /** A recent project, opened again; a failure (moved, deleted) is a toast, the list stays. */
  async function reopen(dir: string): Promise<void> {
    try {
      await openProject(dir)
    } catch (err) {
      useToastStore().error('Opening the project', err)
    }
  }
  async function forget(dir: string): Promise<void> {
    try {
      recent.value = await api.call('project.forget', { dir })
    } catch (err) {
      useToastStore().error('Removing the recent project', err)
    }
  }

  async function refresh(): Promise<void> {
    try {
      info.value = await api.call('project.info', {})
      await Promise.all([loadTags(), loadCounts(), loadClasses()])
    } catch (err) {
      useToastStore().error('Refreshing the project', err)
    }
  }
  async function loadClasses(): Promise<void> {
    try {
      classes.value = await api.call('classes.list', {})
    } catch (err) {
      useToastStore().error('Loading the classes', err)
    }
  }
  async function loadTags(): Promise<void> {
    try {
      tags.value = await api.call('tags.list', {})
    } catch (err) {
      useToastStore().error('Loading the tags', err)
    }
  }
  async function loadCounts(): Promise<void> {
    try {
      counts.value = await api.call('samples.counts', {})
    } catch (err) {
      useToastStore().error('Counting samples', err)
    }
  }

  /**
   * Starts an import job: a bad folder or pattern rejects here, with `details.field` naming the
   * form field (images, masks, maskPatterns), before any job exists.
   */
  async function startImport(input: ImportInput): Promise<string> {
    const { jobId } = await api.call('import.start', input)
    importing.value = jobId
    return jobId
  }
  /** Follows a started import to its end; resolves with its summary (null if it failed or was cancelled). */
  async function followImport(jobId: string): Promise<ImportSummary | null> {
    const toasts = useToastStore()
    try {
      const job = await useJobsStore().settle(jobId)
      if (job.status !== 'done') {
        if (job.status === 'failed') toasts.push('error', 'Import failed', job.error?.message ?? 'The import stopped')
        return null
      }
      lastImport.value = await api.call('import.summary', { jobId })
      // the grid's rows with the counts, before `importing` goes: no moment of "nothing matches"
      await Promise.all([refresh(), useCatalogStore().reload()])
      const s = lastImport.value
      if (s) {
        const broken = Object.values(s.errors).reduce((a, b) => a + b, 0)
        toasts.ok('Import finished', `${s.added} added, ${s.changed} changed, ${s.removed} removed${broken ? `, ${broken} with problems` : ''}`)
      }
      return lastImport.value
    } catch (err) {
      toasts.error('Importing', err)
      return null
    } finally {
      if (importing.value === jobId) importing.value = null
    }
  }

  async function updateClass(index: number, patch: { name?: string; color?: string; ignore?: boolean }): Promise<void> {
    try {
      classes.value = await api.call('classes.update', { classes: [{ index, ...patch }] })
    } catch (err) {
      useToastStore().error('Editing the class', err)
    }
  }

  /** The desktop app's native folder picker; null when cancelled or in browser mode (type the path there). */
  const pickerAvailable = ref(typeof window !== 'undefined' && !!window.lockstep)
  async function pickFolder(title: string): Promise<string | null> {
    try {
      return (await api.call('dialog.openFolder', { title })).path
    } catch (err) {
      if ((err as { code?: string }).code === 'FORBIDDEN') pickerAvailable.value = false
      else useToastStore().error('Opening the folder picker', err)
      return null
    }
  }

  return {
    recent,
    suggested,
    loadRecent,
    probe,
    openProject,
    reopen,
    forget,
    followProject,
    pickerAvailable,
    pickFolder,
    info,
    classes,
    tags,
    counts,
    lastImport,
    loaded,
    importing,
    name,
    classByIndex,
    classColor,
    className,
    load,
    refresh,
    loadClasses,
    loadTags,
    loadCounts,
    startImport,
    followImport,
    updateClass,
  }
})
