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
  id: i + 1,
  datasetId: 1,
  key: `img_${String(i).padStart(5, '0')}`,
  imagePath: `img_${i}.png`,
  maskPath: `img_${i}.png`,
  width: 64,
  height: 48,
  split: i % 3 === 0 ? 'train' : 'val',
  status: 'unreviewed',
  tags: [],
  error: null,
})

let fake: FakeTransport
let wrapper: VueWrapper | null = null

beforeEach(() => {
  N = 1234
  fake = fakeTransport({
    // pages over N fake rows, by cursor (the last index) or by offset
    'samples.query': (q) => {
      const start = q.cursor ? Number(q.cursor) : (q.offset ?? 0)
      const limit = q.limit ?? 200
      const desc = q.sort?.dir === 'desc'
      const rows = Array.from({ length: Math.max(0, Math.min(limit, N - start)) }, (_, k) => row(desc ? N - 1 - (start + k) : start + k))
      const end = start + rows.length
      return { rows, nextCursor: end < N ? String(end) : null, total: q.withTotal === false ? null : N }
    },
    'samples.update': (u) => ({ updated: 'ids' in u.target ? u.target.ids.length : N }),
    'samples.counts': () => ({
      total: N,
      bySplit: { train: 412, val: 822, test: 0, unassigned: 0 },
      byStatus: { unreviewed: N, accepted: 0, rejected: 0, 'needs-fix': 0 },
      byError: { none: N },
    }),
    'project.info': () => ({ dir: '/p', name: 'p', schemaVersion: 1, datasets: [], sampleCount: N, errorCount: 0 }),
    'tags.list': () => [
      { name: 'night', count: 3 },
      { name: 'blurry', count: 1 },
    ],
    'classes.list': () =>
      [0, 1, 2, 3].map((i) => ({
        index: i,
        name: ['background', 'road', 'car', 'person'][i],
        color: '#112233',
        ignore: false,
        pixelCount: 10,
        sampleCount: 5,
      })),
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
        splits: ['train', 'val'],
        statuses: ['needs-fix'],
        tags: ['night'],
        notTags: ['blurry'],
        classPresent: [3, 1],
        classAbsent: [2],
        error: 'SIZE_MISMATCH',
        path: ' frankfurt/ ',
      }),
    ).toEqual({
      split: ['train', 'val'],
      status: ['needs-fix'],
      tags: ['night'],
      notTags: ['blurry'],
      classPresent: [1, 3],
      classAbsent: [2],
      error: ['SIZE_MISMATCH'],
      pathContains: 'frankfurt/',
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
    const expected = {
      split: ['train'],
      status: ['needs-fix'],
      classPresent: [1],
      classAbsent: [2],
      tags: ['night'],
      notTags: ['blurry'],
      error: ['any'],
      pathContains: 'aachen',
    }
    expect(catalog.query).toEqual(expected)
    await flush()
    const last = fake.callsTo('samples.query').at(-1)
    expect(last.filter).toEqual(expected)
    expect(last.cursor ?? null).toBeNull()
    expect(last.offset ?? 0).toBe(0)
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
  it('loads the pages the grid needs, continuing from the previous page by cursor when it has it', async () => {
    const catalog = useCatalogStore()
    await catalog.reload()
    expect(catalog.total).toBe(N)
    await catalog.ensureRange(0, 600)
    await catalog.ensureRange(600, 1200)
    const calls = fake.callsTo('samples.query')
    expect(calls[0].cursor ?? null).toBe(null)
    expect(calls[0].offset).toBeUndefined()
    expect(calls.slice(1).map((q) => q.cursor)).toEqual(['500', '1000'])
    expect(calls.slice(1).every((q) => q.withTotal === false)).toBe(true)
    expect(Array.from({ length: 1200 }, (_, i) => catalog.rowAt(i)?.id)).toEqual(Array.from({ length: 1200 }, (_, i) => i + 1))
  })

  it('a jump to the middle or the end of a big grid is one call at that offset, not every page before it', async () => {
    N = 100_000
    const catalog = useCatalogStore()
    await catalog.reload()
    const before = fake.callsTo('samples.query').length
    await catalog.ensureRange(50_010, 50_070)
    const jump = fake.callsTo('samples.query').slice(before)
    expect(jump).toHaveLength(1)
    expect(jump[0]).toMatchObject({ offset: 50_000, limit: 500 })
    expect(catalog.rowAt(50_010)!.id).toBe(50_011)
    expect(catalog.rowAt(25_000)).toBeUndefined() // nothing between the top and the jump loaded
    expect(catalog.indexOf(50_100)).toBe(50_099)
    await catalog.ensureRange(N - 60, N)
    expect(fake.callsTo('samples.query').slice(before)).toHaveLength(2)
    expect(catalog.rowAt(N - 1)!.id).toBe(N)
    // the same page is asked for once however often the grid asks for it
    await Promise.all([catalog.ensureRange(70_000, 70_010), catalog.ensureRange(70_005, 70_020)])
    expect(fake.callsTo('samples.query').slice(before)).toHaveLength(3)
    // shift-click within the loaded end selects the range
    catalog.clickTile(N - 60)
    catalog.clickTile(N - 1, { shift: true })
    expect(catalog.selectedCount).toBe(60)
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
