// Unsaved edits survive a reload: the label map (deflated) is kept in IndexedDB under the project
// and sample, with the mask hash the edits started from, until it is saved or discarded.
import type { Depth } from './tiles'

export interface Draft {
  /** `${project}\n${sampleId}` */
  key: string
  project: string
  sampleId: number
  sampleKey: string
  /** the maskHash the edits started from (null: the sample had no mask) */
  baseHash: string | null
  width: number
  height: number
  depth: Depth
  /** deflate(raw little-endian label map) */
  data: Uint8Array
  savedAt: number
}
export type DraftInfo = Omit<Draft, 'data'>

export interface DraftStore {
  get(key: string): Promise<Draft | null>
  put(draft: Draft): Promise<void>
  delete(key: string): Promise<void>
  list(project: string): Promise<DraftInfo[]>
}

export const draftKey = (project: string, sampleId: number) => `${project}\n${sampleId}`

const DB = 'lockstep-drafts'
const STORE = 'drafts'

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result)
    r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'))
  })
}

export function indexedDbDrafts(factory: IDBFactory = indexedDB): DraftStore {
  let db: Promise<IDBDatabase> | null = null
  const open = () =>
    (db ??= new Promise((resolve, reject) => {
      const r = factory.open(DB, 1)
      r.onupgradeneeded = () => r.result.createObjectStore(STORE, { keyPath: 'key' }).createIndex('project', 'project')
      r.onsuccess = () => resolve(r.result)
      r.onerror = () => reject(r.error ?? new Error('Could not open the drafts database'))
    }))
  const store = async (mode: IDBTransactionMode) => (await open()).transaction(STORE, mode).objectStore(STORE)
  return {
    async get(key) {
      return ((await request((await store('readonly')).get(key))) as Draft | undefined) ?? null
    },
    async put(draft) {
      await request((await store('readwrite')).put(draft))
    },
    async delete(key) {
      await request((await store('readwrite')).delete(key))
    },
    async list(project) {
      const all = (await request((await store('readonly')).index('project').getAll(project))) as Draft[]
      return all.map(({ data: _data, ...info }) => info)
    },
  }
}

/** Drafts in memory (tests, and browsers where IndexedDB is unavailable). */
export function memoryDrafts(): DraftStore {
  const m = new Map<string, Draft>()
  return {
    async get(key) {
      return m.get(key) ?? null
    },
    async put(d) {
      m.set(d.key, { ...d, data: d.data.slice() })
    },
    async delete(key) {
      m.delete(key)
    },
    async list(project) {
      return [...m.values()].filter((d) => d.project === project).map(({ data: _data, ...info }) => info)
    },
  }
}
