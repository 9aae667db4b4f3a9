// @vitest-environment happy-dom
// The catalog filters: filter bar state -> the samples.query input; selection by click, shift
// and "select all matching"; a bulk edit on all matching sends the filter, not a list of ids.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { mount, type VueWrapper } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import type { SampleRow } from '../../src/shared/contract/catalog'
import { installTransport } from '../../src/renderer/src/api'
import CatalogFilterPanel from '../../src/renderer/src/components/catalog/CatalogFilterPanel.vue'
import { useCatalogStore } from '../../src/renderer/src/stores/catalog'
import { useProjectStore } from '../../src/renderer/src/stores/project'
import { emptyFilter, filterToQuery } from '../../src/renderer/src/lib/filters'
import { fakeTransport, flush, type FakeTransport } from './fake-transport'

let N = 1234
const row = (i: number): SampleRow => ({
  id: i + 1, datasetId: 1, key: `img_${String(i).padStart(5, '0')}`, imagePath: `img_${i}.png`, maskPath: `img_${i}.png`,
  width: 64, height: 48, split: i % 3 === 0 ? 'train' : 'val', status: 'unreviewed', tags: [], error: null,
})

let fake: FakeTransport
let wrapper: VueWrapper | null = null

beforeEach(() => {
  N = 1234
  fake = fakeTransport({
    // keyset pages over N fake rows; the cursor is the last id
    'samples.query': (q) => {
      const start = q.cursor ? Number(q.cursor) : 0
      const limit = q.limit ?? 200
      const desc = q.sort?.dir === 'desc'
      const rows = Array.from({ length: Math.max(0, Math.min(limit, N - start)) }, (_, k) => row(desc ? N - 1 - (start + k) : start + k))
      const end = start + rows.length
      return { rows, nextCursor: end < N ? String(end) : null, total: q.withTotal === false ? null : N }
    },
    'samples.update': (u) => ({ updated: 'ids' in u.target ? u.target.ids.length : N }),
    'samples.counts': () => ({ total: N, bySplit: { train: 412, val: 822, test: 0, unassigned: 0 }, byStatus: { unreviewed: N, accepted: 0, rejected: 0, 'needs-fix': 0 }, byError: { none: N } }),
    'project.info': () => ({ dir: '/p', name: 'p', schemaVersion: 1, datasets: [], sampleCount: N, errorCount: 0 }),
    'tags.list': () => [{ name: 'night', count: 3 }, { name: 'blurry', count: 1 }],
    'classes.list': () => [0, 1, 2, 3].map((i) => ({ index: i, name: ['background', 'road', 'car', 'person'][i], color: '#112233', ignore: false, pixelCount: 10, sampleCount: 5 })),
  })
  installTransport(fake)
  setActivePinia(createPinia())
})
afterEach(() => {
  wrapper?.unmount()
  wrapper = null
  installTransport(null)
})

describe('filterToQuery', () => {
  it('is {} for an empty filter and carries only what was set', () => {
    expect(filterToQuery(emptyFilter())).toEqual({})
    expect(filterToQuery({ ...emptyFilter(), path: '   ' })).toEqual({})
    expect(
      filterToQuery({
        splits: ['train', 'val'], statuses: ['needs-fix'], tags: ['night'], notTags: ['blurry'],
        classPresent: [3, 1], classAbsent: [2], error: 'SIZE_MISMATCH', path: ' frankfurt/ ',
      }),
    ).toEqual({
      split: ['train', 'val'], status: ['needs-fix'], tags: ['night'], notTags: ['blurry'],
      classPresent: [1, 3], classAbsent: [2], error: ['SIZE_MISMATCH'], pathContains: 'frankfurt/',
    })
  })
})

describe('filter panel', () => {
  async function mountPanel() {
    const pinia = createPinia()
    setActivePinia(pinia)
    await useProjectStore().load()
    wrapper = mount(CatalogFilterPanel, { global: { plugins: [pinia] } })
    await flush()
    return useCatalogStore()
  }

  it('turns clicks in the filter bar into the query the grid pages with', async () => {
    const catalog = await mountPanel()
    await wrapper!.find('[data-testid="filter-split-train"]').trigger('click')
    await wrapper!.find('[data-testid="filter-status-needs-fix"]').trigger('click')
    await wrapper!.find('[data-testid="filter-class-1"]').trigger('click') // present
    await wrapper!.find('[data-testid="filter-class-2"]').trigger('click')
    await wrapper!.find('[data-testid="filter-class-2"]').trigger('click') // absent
    await wrapper!.find('[data-testid="filter-tag-night"]').trigger('click') // has
    await wrapper!.find('[data-testid="filter-tag-blurry"]').trigger('click')
    await wrapper!.find('[data-testid="filter-tag-blurry"]').trigger('click') // lacks
    await wrapper!.find('[data-testid="filter-error"]').setValue('any')
    await wrapper!.find('[data-testid="filter-path"]').setValue('aachen')
    await new Promise((r) => setTimeout(r, 260)) // the path box is debounced
    await flush()
    const expected = { split: ['train'], status: ['needs-fix'], classPresent: [1], classAbsent: [2], tags: ['night'], notTags: ['blurry'], error: ['any'], pathContains: 'aachen' }
    expect(catalog.query).toEqual(expected)
    await flush()
    const last = fake.callsTo('samples.query').at(-1)
    expect(last.filter).toEqual(expected)
    expect(last.cursor).toBeNull()
    expect(last.withTotal).toBe(true)
    // the chips show their state
    expect(wrapper!.find('[data-testid="filter-class-2"]').classes()).toContain('absent')
    expect(wrapper!.find('[data-testid="filter-tag-blurry"]').text()).toContain('not blurry')
    // a third click on a class clears it; reset clears everything
    await wrapper!.find('[data-testid="filter-class-2"]').trigger('click')
    expect(catalog.query.classAbsent).toBeUndefined()
    await wrapper!.find('[data-testid="filter-reset"]').trigger('click')
    expect(catalog.query).toEqual({})
  })
})

describe('selection and bulk edits', () => {
  it('pages by keyset cursor as rows are needed', async () => {
    const catalog = useCatalogStore()
    await catalog.reload()
    expect(catalog.total).toBe(N)
    await catalog.ensure(1200)
    expect(catalog.rows.length).toBeGreaterThanOrEqual(1200)
    const cursors = fake.callsTo('samples.query').map((q) => q.cursor ?? null)
    expect(cursors[0]).toBeNull()
    expect(cursors.slice(1).every((c) => typeof c === 'string')).toBe(true)
    expect(catalog.rows.slice(0, 1200).map((r) => r.id)).toEqual(Array.from({ length: 1200 }, (_, i) => i + 1))
  })

  it('a jump near the end pages backwards from the end instead of walking every page', async () => {
    N = 20_000
    const catalog = useCatalogStore()
    await catalog.reload()
    const before = fake.callsTo('samples.query').length
    await catalog.ensureRange(N - 60, N)
    const tailCalls = fake.callsTo('samples.query').slice(before)
    expect(tailCalls.every((q) => q.sort?.dir === 'desc' && q.sort?.field === 'key')).toBe(true)
    expect(tailCalls.length).toBe(1)
    expect(catalog.rowAt(N - 1)!.id).toBe(N)
    expect(catalog.rowAt(N - 60)!.id).toBe(N - 59)
    expect(catalog.rowAt(N / 2)).toBeUndefined() // the middle is not loaded
    expect(catalog.indexOf(N - 10)).toBe(N - 11)
    // the head then stops where the tail begins: every index has its own row, none twice
    await catalog.ensure(N)
    const ids = Array.from({ length: N }, (_, i) => catalog.rowAt(i)?.id)
    expect(ids).toEqual(Array.from({ length: N }, (_, i) => i + 1))
    // shift-click across the seam selects the right range
    catalog.clickTile(N - 600)
    catalog.clickTile(N - 1, { shift: true })
    expect(catalog.selectedCount).toBe(600)
  })

  it('click, ctrl-click and shift-click select ids; select all matching targets the filter', async () => {
    const catalog = useCatalogStore()
    await catalog.reload()
    catalog.clickTile(2)
    catalog.clickTile(5, { shift: true })
    expect([...catalog.selected].sort((a, b) => a - b)).toEqual([3, 4, 5, 6])
    catalog.clickTile(9, { toggle: true })
    expect(catalog.selectedCount).toBe(5)
    expect(catalog.target).toEqual({ ids: [3, 4, 5, 6, 10] })

    catalog.filter.splits = ['train']
    await flush()
    expect(catalog.selectedCount).toBe(0) // a new filter clears the selection
    await catalog.ensure(1)
    catalog.selectAllMatching()
    expect(catalog.selectedCount).toBe(N)
    expect(catalog.target).toEqual({ filter: { split: ['train'] } })
    expect(catalog.isSelected(999)).toBe(true)

    await catalog.bulkUpdate({ addTags: ['night'] })
    const upd = fake.callsTo('samples.update')
    expect(upd).toEqual([{ target: { filter: { split: ['train'] } }, addTags: ['night'] }])
    expect(catalog.allMatching).toBe(true) // still "all matching" after the reload
  })

  it('a bulk split on an explicit selection sends exactly those ids', async () => {
    const catalog = useCatalogStore()
    await catalog.reload()
    catalog.clickTile(0)
    catalog.clickTile(1, { toggle: true })
    await catalog.bulkUpdate({ split: 'test' })
    expect(fake.callsTo('samples.update')).toEqual([{ target: { ids: [1, 2] }, split: 'test' }])
  })

  it('drops a page that arrives after the filter changed', async () => {
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const slow = fakeTransport({
      'samples.query': async (q) => {
        if (!q.filter.split) await gate
        return { rows: q.filter.split ? [row(0)] : [row(1), row(2)], nextCursor: null, total: q.filter.split ? 1 : 2 }
      },
    })
    installTransport(slow)
    setActivePinia(createPinia())
    const catalog = useCatalogStore()
    const first = catalog.reload()
    catalog.filter.splits = ['train']
    await flush()
    await flush()
    release()
    await first
    await flush()
    expect(catalog.total).toBe(1)
    expect(catalog.rows.map((r) => r.id)).toEqual([1])
  })
})
