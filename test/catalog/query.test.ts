import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Catalog } from '../../src/main/catalog/catalog'
import { Rng } from '../../src/main/augment/rng'
import { SORT_FIELDS, type SampleFilter, type SortField } from '../../src/shared/contract/catalog'
import { tempDir } from './fixtures'

const SPLITS = ['train', 'val', 'test', 'unassigned'] as const
const STATUSES = ['unreviewed', 'accepted', 'rejected', 'needs-fix'] as const

/** n rows inserted directly, with many ties on width/height/updated_at so keyset ties matter. */
function seed(c: Catalog, n: number): void {
  const rng = Rng.fromParts('query-test')
  c.tx(() => {
    c.db.prepare("INSERT INTO datasets(id, name, images_dir, masks_dir, mask_patterns, created_at) VALUES (1, 'd', '/i', '/m', '[]', 0)").run()
    const ins = c.db
      .prepare(`INSERT INTO samples(dataset_id, key, image_path, mask_path, width, height, split, status, error_kind, error_message, class_set, scan_id, created_at, updated_at)
      VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 0, ?)`)
    const cls = c.db.prepare('INSERT INTO sample_classes(class_idx, sample_id, pixels) VALUES (?, ?, 1)')
    for (let i = 0; i < n; i++) {
      const key = `k${String(rng.int(0, 99999)).padStart(5, '0')}-${i}`
      const err = rng.chance(0.1) ? 'CORRUPT' : null
      const has2 = rng.chance(0.3)
      const id = Number(
        ins.run(
          key,
          `${key}.png`,
          `${key}.png`,
          rng.int(1, 5) * 10,
          rng.int(1, 3) * 10,
          SPLITS[rng.int(0, 3)],
          STATUSES[rng.int(0, 3)],
          err,
          err ? 'bad' : null,
          has2 ? '0,2' : '0',
          rng.int(0, 20),
        ).lastInsertRowid,
      )
      cls.run(0, id)
      if (has2) cls.run(2, id)
    }
  })
  const ids = c.db.prepare('SELECT id FROM samples WHERE id % 7 = 0').pluck().all() as number[]
  c.update({ target: { ids }, addTags: ['seven'] })
  // a tag clustered at one end of the key order (pages past it must stop, not scan the rest)
  const low = c.db.prepare("SELECT id FROM samples WHERE key < 'k1'").pluck().all() as number[]
  c.update({ target: { ids: low }, addTags: ['low'] })
}

describe('keyset paging', () => {
  const t = tempDir('query')
  let c: Catalog
  beforeAll(() => {
    c = Catalog.open(join(t.dir, 'p'), { create: true })
    seed(c, 1500)
  })
  afterAll(() => {
    c.close()
    t.cleanup()
  })

  const COLUMN: Record<SortField, string> = { key: 'key', id: 'id', width: 'width', height: 'height', updatedAt: 'updated_at' }

  function allPages(
    filter: SampleFilter,
    field: SortField,
    dir: 'asc' | 'desc',
    limit: number,
    plan?: 'scan' | 'set' | 'walk' | 'tag',
    scanWindow?: number,
  ): { ids: number[]; totals: (number | null)[] } {
    const ids: number[] = []
    const totals: (number | null)[] = []
    let cursor: string | null = null
    for (let guard = 0; guard < 10_000; guard++) {
      const page = c.query({ filter, sort: { field, dir }, cursor, limit, withTotal: true, plan, scanWindow })
      expect(page.rows.length).toBeLessThanOrEqual(limit)
      ids.push(...page.rows.map((r) => r.id))
      totals.push(page.total)
      if (!page.nextCursor) break
      cursor = page.nextCursor
    }
    return { ids, totals }
  }

  const filters: [string, SampleFilter, string][] = [
    ['everything', {}, '1'],
    ['train + accepted', { split: ['train'], status: ['accepted'] }, "split = 'train' AND status = 'accepted'"],
    ['tagged, healthy', { tags: ['seven'], error: ['none'] }, 'id % 7 = 0 AND error_kind IS NULL'],
    ['class 2 present', { classPresent: [2] }, "class_set = '0,2'"],
    ['class 2 absent, val or test', { classAbsent: [2], split: ['val', 'test'] }, "class_set = '0' AND split IN ('val','test')"],
    ['path text', { pathContains: 'K1' }, "key LIKE '%k1%'"],
    ['path text with LIKE wildcards is literal', { pathContains: '1_%' }, "instr(key, '1_%') > 0"],
    ['one split, one status', { split: ['val'], status: ['needs-fix'] }, "split = 'val' AND status = 'needs-fix'"],
    ['dataset and not-tag', { datasetId: 1, notTags: ['seven'] }, 'id % 7 != 0'],
    ['two tags, one clustered in key order, train', { tags: ['low', 'seven'], split: ['train'] }, "key < 'k1' AND id % 7 = 0 AND split = 'train'"],
    ['clustered tag, not another, healthy', { tags: ['low'], notTags: ['seven'], error: ['none'] }, "key < 'k1' AND id % 7 != 0 AND error_kind IS NULL"],
    ['broken', { error: ['any'] }, 'error_kind IS NOT NULL'],
  ]

  for (const [name, filter, where] of filters) {
    it(`visits every match exactly once in order: ${name}`, () => {
      for (const field of SORT_FIELDS) {
        for (const dir of ['asc', 'desc'] as const) {
          const col = COLUMN[field]
          const order = field === 'id' ? `id ${dir}` : `${col} ${dir}, id ${dir}`
          const expected = c.db.prepare(`SELECT id FROM samples WHERE ${where} ORDER BY ${order}`).pluck().all() as number[]
          // whichever way the page is fetched (walking the sort index, or sorting the smallest set)
          // (small scan windows: many windows per page, and the switch to the set plan mid-page)
          for (const [plan, window] of [
            [undefined, undefined],
            ['scan', undefined],
            ['set', undefined],
            ['tag', undefined],
            ['scan', 5],
            [undefined, 3],
            ['walk', 2],
          ] as const) {
            const { ids, totals } = allPages(filter, field, dir, 37, plan, window)
            expect(ids, `${field} ${dir} ${plan ?? 'auto'} ${window ?? ''}`).toEqual(expected)
            expect(new Set(totals)).toEqual(new Set([expected.length]))
          }
        }
      }
    })
  }

  it('sample_tags carries each sample key, whoever inserts the row', () => {
    const wrong = c.db.prepare('SELECT COUNT(*) FROM sample_tags st JOIN samples s ON s.id = st.sample_id WHERE st.sort_key IS NOT s.key').pluck()
    expect(c.db.prepare('SELECT COUNT(*) FROM sample_tags').pluck().get()).toBeGreaterThan(300)
    expect(wrong.get()).toBe(0)
    // a writer that leaves sort_key out gets it filled by the trigger
    c.tx(() => {
      c.db.prepare("INSERT INTO tags(name) VALUES ('raw')").run()
      c.db.prepare("INSERT INTO sample_tags(tag_id, sample_id) SELECT (SELECT id FROM tags WHERE name = 'raw'), id FROM samples WHERE id % 5 = 0").run()
    })
    expect(wrong.get()).toBe(0)
    const expected = c.db.prepare('SELECT id FROM samples WHERE id % 5 = 0 ORDER BY key, id').pluck().all()
    expect(allPages({ tags: ['raw'] }, 'key', 'asc', 50, 'tag').ids).toEqual(expected)
    c.update({ target: { filter: { tags: ['raw'] } }, removeTags: ['raw'] })
  })

  it('an unknown tag matches nothing; a cursor from another sort is refused', () => {
    expect(c.query({ filter: { tags: ['never-made'] } }).total).toBe(0)
    const page = c.query({ sort: { field: 'width', dir: 'asc' }, limit: 5 })
    expect(() => c.query({ sort: { field: 'key', dir: 'asc' }, cursor: page.nextCursor })).toThrow(/made for sort width asc/)
    expect(() => c.query({ cursor: 'garbage!!' })).toThrow(/not one this catalog returned/)
  })

  it('rows carry what the grid shows', () => {
    const row = c.query({ filter: { tags: ['seven'], notTags: ['low'] }, limit: 1 }).rows[0]
    expect(row.tags).toEqual(['seven'])
    expect(row.imagePath).toBe(`${row.key}.png`)
    expect(row.width).toBeGreaterThan(0)
  })

  it('counts per split, status and error agree with the rows', () => {
    const counts = c.counts({ split: ['train'] })
    const n = (sql: string) => c.db.prepare(`SELECT COUNT(*) FROM samples WHERE split = 'train' AND ${sql}`).pluck().get() as number
    expect(counts.total).toBe(n('1'))
    expect(counts.bySplit).toEqual({ train: n('1'), val: 0, test: 0, unassigned: 0 })
    expect(counts.byStatus.accepted).toBe(n("status = 'accepted'"))
    expect(counts.byError.CORRUPT).toBe(n("error_kind = 'CORRUPT'"))
    expect(counts.byError.none).toBe(n('error_kind IS NULL'))
  })
})

describe('bulk edits and seeded splits', () => {
  const t = tempDir('curation')
  let c: Catalog
  beforeAll(() => {
    c = Catalog.open(join(t.dir, 'p'), { create: true })
    seed(c, 1200)
  })
  afterAll(() => {
    c.close()
    t.cleanup()
  })

  it('an edit on a filter applies to the samples the filter matched before the edit', () => {
    const before = c.db.prepare("SELECT id FROM samples WHERE split = 'train' ORDER BY id").pluck().all() as number[]
    const r = c.update({ target: { filter: { split: ['train'] } }, split: 'val', addTags: ['was-train'], notes: 'moved' })
    expect(r.updated).toBe(before.length)
    const tagged = c.query({ filter: { tags: ['was-train'] }, sort: { field: 'id', dir: 'asc' }, limit: 1000 }).rows
    expect(tagged.map((x) => x.id)).toEqual(before)
    expect(new Set(tagged.map((x) => x.split))).toEqual(new Set(['val']))
    c.update({ target: { filter: { tags: ['was-train'] } }, removeTags: ['was-train'] })
    expect(c.tags().map((x) => x.name)).toEqual(['low', 'seven'])
  })

  it('an edit is all or nothing', () => {
    const ids = c.db.prepare('SELECT id FROM samples ORDER BY id LIMIT 3').pluck().all() as number[]
    const before = c.db.prepare('SELECT id, split, status FROM samples ORDER BY id').all()
    // a CHECK constraint fails half-way through (split is checked by SQLite too)
    expect(() => c.update({ target: { ids }, status: 'accepted', split: 'bogus' as 'train' })).toThrow()
    expect(c.db.prepare('SELECT id, split, status FROM samples ORDER BY id').all()).toEqual(before)
  })

  function assignment(): Map<string, string> {
    return new Map(
      (c.db.prepare('SELECT key, split FROM samples WHERE error_kind IS NULL').all() as { key: string; split: string }[]).map((r) => [r.key, r.split]),
    )
  }

  it('a seeded split is reproducible, follows the ratios exactly and leaves broken samples alone', () => {
    const brokenBefore = c.db.prepare('SELECT id, split FROM samples WHERE error_kind IS NOT NULL ORDER BY id').all()
    const healthy = c.db.prepare('SELECT COUNT(*) FROM samples WHERE error_kind IS NULL').pluck().get() as number
    const a = c.randomSplit({ seed: 42, ratios: { train: 0.7, val: 0.2, test: 0.1 } })
    const first = assignment()
    expect(c.db.prepare('SELECT id, split FROM samples WHERE error_kind IS NOT NULL ORDER BY id').all()).toEqual(brokenBefore)
    c.update({ target: { filter: {} }, split: 'unassigned' })
    const b = c.randomSplit({ seed: 42, ratios: { train: 0.7, val: 0.2, test: 0.1 } })
    expect(b).toEqual(a)
    expect(assignment()).toEqual(first)
    expect(a.counts.train + a.counts.val + a.counts.test).toBe(healthy)
    expect(Math.abs(a.counts.train - healthy * 0.7)).toBeLessThanOrEqual(1)
    expect(Math.abs(a.counts.val - healthy * 0.2)).toBeLessThanOrEqual(1)
    expect(brokenBefore.length).toBeGreaterThan(0)
    c.randomSplit({ seed: 43, ratios: { train: 0.7, val: 0.2, test: 0.1 } })
    const other = assignment()
    let differ = 0
    for (const [k, v] of first) if (other.get(k) !== v) differ++
    expect(differ).toBeGreaterThan(first.size / 4)
  })

  it('the split of a sample depends on the seed and its key only, not on ids or insertion order', () => {
    c.randomSplit({ seed: 7, ratios: { train: 0.6, val: 0.2, test: 0.2 } })
    const here = assignment()
    // the same keys inserted in reverse order into another project
    const other = Catalog.open(join(t.dir, 'reversed'), { create: true })
    try {
      const rows = c.db.prepare('SELECT key, class_set FROM samples WHERE error_kind IS NULL ORDER BY id DESC').all() as { key: string; class_set: string }[]
      other.tx(() => {
        other.db.prepare("INSERT INTO datasets(id, name, images_dir, masks_dir, mask_patterns, created_at) VALUES (1, 'd', '/i', '/m', '[]', 0)").run()
        const ins = other.db.prepare(
          "INSERT INTO samples(dataset_id, key, image_path, class_set, scan_id, created_at, updated_at) VALUES (1, ?, 'x', ?, 1, 0, 0)",
        )
        for (const r of rows) ins.run(r.key, r.class_set)
      })
      other.randomSplit({ seed: 7, ratios: { train: 0.6, val: 0.2, test: 0.2 } })
      const there = new Map((other.db.prepare('SELECT key, split FROM samples').all() as { key: string; split: string }[]).map((r) => [r.key, r.split]))
      expect(there).toEqual(here)
    } finally {
      other.close()
    }
  })

  it('a stratified split keeps each class combination in proportion', () => {
    const r = c.randomSplit({ seed: 5, ratios: { train: 0.5, val: 0.25, test: 0.25 }, stratify: true })
    const groups = c.db.prepare('SELECT class_set AS g, split, COUNT(*) AS n FROM samples WHERE error_kind IS NULL GROUP BY class_set, split').all() as {
      g: string
      split: string
      n: number
    }[]
    for (const g of ['0', '0,2']) {
      const by = Object.fromEntries(groups.filter((x) => x.g === g).map((x) => [x.split, x.n]))
      const total = (by.train ?? 0) + (by.val ?? 0) + (by.test ?? 0)
      expect(Math.abs(by.train - total * 0.5), g).toBeLessThanOrEqual(1)
      expect(Math.abs(by.val - total * 0.25), g).toBeLessThanOrEqual(1)
      expect(Math.abs(by.test - total * 0.25), g).toBeLessThanOrEqual(1)
    }
    expect(r.counts.train + r.counts.val + r.counts.test).toBe(groups.reduce((a, x) => a + x.n, 0))
  })

  it('a stratified split refuses samples whose classes are unknown', () => {
    c.db.prepare('UPDATE samples SET class_set = NULL WHERE id = (SELECT MIN(id) FROM samples WHERE error_kind IS NULL)').run()
    expect(() => c.randomSplit({ seed: 1, ratios: { train: 1, val: 0, test: 0 }, stratify: true })).toThrow(/1 sample\(s\) have not been scanned/)
  })
})

describe('class filters by class set (migration 7)', () => {
  const t = tempDir('classsets')
  let c: Catalog
  const CLASSES = [0, 1, 2, 3, 4, 5]
  /** rows with random class sets (some masks not scanned: class_set NULL), sample_classes to match */
  function seedClasses(n: number): void {
    const rng = Rng.fromParts('class-sets')
    c.tx(() => {
      c.db.prepare("INSERT INTO datasets(id, name, images_dir, masks_dir, mask_patterns, created_at) VALUES (1, 'd', '/i', '/m', '[]', 0)").run()
      const ins = c.db
        .prepare(`INSERT INTO samples(dataset_id, key, image_path, mask_path, width, height, split, status, class_set, scan_id, created_at, updated_at)
        VALUES (1, ?, ?, ?, 10, 10, ?, 'unreviewed', ?, 1, 0, ?)`)
      const cls = c.db.prepare('INSERT INTO sample_classes(class_idx, sample_id, pixels) VALUES (?, ?, 1)')
      for (let i = 0; i < n; i++) {
        const key = `c${String(rng.int(0, 9999)).padStart(4, '0')}-${i}`
        const scanned = !rng.chance(0.1)
        const set = scanned ? CLASSES.filter((k) => k === 0 || rng.chance(k === 5 ? 0.03 : 0.4)) : null
        const id = Number(ins.run(key, `${key}.png`, `${key}.png`, SPLITS[rng.int(0, 3)], set ? set.join(',') : null, rng.int(0, 9)).lastInsertRowid)
        for (const k of set ?? []) cls.run(k, id)
      }
    })
  }
  /** a mask saved again: new classes in sample_classes and class_set, as mask-store does */
  function resave(id: number, set: number[]): void {
    c.tx(() => {
      c.db.prepare('DELETE FROM sample_classes WHERE sample_id = ?').run(id)
      for (const k of set) c.db.prepare('INSERT INTO sample_classes(class_idx, sample_id, pixels) VALUES (?, ?, 1)').run(k, id)
      c.db.prepare('UPDATE samples SET class_set = ? WHERE id = ?').run(set.join(','), id)
    })
  }
  beforeAll(() => {
    c = Catalog.open(join(t.dir, 'p'), { create: true })
    seedClasses(1200)
  })
  afterAll(() => {
    c.close()
    t.cleanup()
  })

  /** the meaning of a class filter, from sample_classes (not from class_set) */
  function expected(present: number[], absent: number[], order: string): number[] {
    const where = [
      ...present.map((k) => `EXISTS (SELECT 1 FROM sample_classes WHERE class_idx = ${k} AND sample_id = s.id)`),
      ...(absent.length ? ['s.class_set IS NOT NULL'] : []),
      ...absent.map((k) => `NOT EXISTS (SELECT 1 FROM sample_classes WHERE class_idx = ${k} AND sample_id = s.id)`),
    ]
    return c.db
      .prepare(`SELECT s.id FROM samples s WHERE ${where.join(' AND ') || '1'} ORDER BY ${order}`)
      .pluck()
      .all() as number[]
  }
  function pages(filter: SampleFilter, sort: { field: SortField; dir: 'asc' | 'desc' }, plan?: 'scan' | 'set'): number[] {
    const ids: number[] = []
    let cursor: string | null = null
    do {
      const p = c.query({ filter, sort, cursor, limit: 53, withTotal: false, plan, scanWindow: plan === 'scan' ? 7 : undefined })
      ids.push(...p.rows.map((r) => r.id))
      cursor = p.nextCursor
    } while (cursor)
    return ids
  }
  const combos: [number[], number[]][] = [
    [[1], []],
    [[], [1]],
    [[1, 3], []],
    [[], [2, 4]],
    [[1], [3]],
    [[5], [0]], // nothing: every mask has 0
    [[], [5]], // the rare class absent: most scanned samples
    [[7], []], // a class no mask has
    [[], [7]], // absent everywhere: every scanned sample
  ]

  it('matches exactly what sample_classes says, for every plan and sort, with the right total', () => {
    for (const [present, absent] of combos) {
      const filter: SampleFilter = { ...(present.length ? { classPresent: present } : {}), ...(absent.length ? { classAbsent: absent } : {}) }
      for (const [field, order] of [
        ['key', 's.key asc, s.id asc'],
        ['updatedAt', 's.updated_at desc, s.id desc'],
      ] as const) {
        const want = expected(present, absent, order)
        const sort = { field, dir: field === 'key' ? ('asc' as const) : ('desc' as const) }
        for (const plan of [undefined, 'scan', 'set'] as const) expect(pages(filter, sort, plan), `${JSON.stringify(filter)} ${field} ${plan}`).toEqual(want)
        expect(c.query({ filter, sort, limit: 1 }).total).toBe(want.length)
      }
    }
  })

  it('stays exact as masks are saved again and samples go (the triggers keep class_sets)', () => {
    const ids = c.db.prepare('SELECT id FROM samples ORDER BY id').pluck().all() as number[]
    resave(ids[3], [0, 5])
    resave(ids[10], [0, 1, 2, 3, 4, 5])
    resave(ids[11], [0])
    c.tx(() => c.db.prepare('DELETE FROM samples WHERE id IN (?, ?, ?)').run(ids[20], ids[21], ids[22]))
    const sets = c.db.prepare('SELECT class_set, samples FROM class_sets WHERE samples > 0 ORDER BY class_set').raw().all()
    const truth = c.db.prepare('SELECT class_set, COUNT(*) FROM samples WHERE class_set IS NOT NULL GROUP BY class_set ORDER BY class_set').raw().all()
    expect(sets).toEqual(truth)
    for (const [present, absent] of combos) {
      const filter: SampleFilter = { ...(present.length ? { classPresent: present } : {}), ...(absent.length ? { classAbsent: absent } : {}) }
      expect(pages(filter, { field: 'key', dir: 'asc' })).toEqual(expected(present, absent, 's.key asc, s.id asc'))
    }
  })
})

describe('random access by offset', () => {
  const t = tempDir('offset')
  let c: Catalog
  beforeAll(() => {
    c = Catalog.open(join(t.dir, 'p'), { create: true })
    seed(c, 900)
  })
  afterAll(() => {
    c.close()
    t.cleanup()
  })

  const cases: [string, SampleFilter, string, SortField, 'asc' | 'desc', string][] = [
    ['everything by key', {}, '1', 'key', 'asc', 'key asc, id asc'],
    ['everything by width desc', {}, '1', 'width', 'desc', 'width desc, id desc'],
    ['one split by id', { split: ['val'] }, "split = 'val'", 'id', 'asc', 'id asc'],
    [
      'split and status by updatedAt',
      { split: ['train'], status: ['accepted'] },
      "split = 'train' AND status = 'accepted'",
      'updatedAt',
      'asc',
      'updated_at asc, id asc',
    ],
    ['tag and healthy by key', { tags: ['seven'], error: ['none'] }, 'id % 7 = 0 AND error_kind IS NULL', 'key', 'desc', 'key desc, id desc'],
    ['class absent by height', { classAbsent: [2] }, "class_set = '0'", 'height', 'asc', 'height asc, id asc'],
  ]
  for (const [name, filter, where, field, dir, order] of cases) {
    it(`starts a page at any match and continues by cursor: ${name}`, () => {
      const all = c.db.prepare(`SELECT id FROM samples WHERE ${where} ORDER BY ${order}`).pluck().all() as number[]
      for (const offset of [0, 1, 36, 37, Math.floor(all.length / 2), all.length - 1, all.length, all.length + 5]) {
        const page = c.query({ filter, sort: { field, dir }, offset, limit: 37, withTotal: true })
        expect(
          page.rows.map((r) => r.id),
          `offset ${offset}`,
        ).toEqual(all.slice(offset, offset + 37))
        expect(page.total).toBe(all.length)
        if (page.nextCursor) {
          const next = c.query({ filter, sort: { field, dir }, cursor: page.nextCursor, limit: 37, withTotal: false })
          expect(next.rows.map((r) => r.id)).toEqual(all.slice(offset + 37, offset + 74))
        } else expect(offset + 37).toBeGreaterThanOrEqual(all.length)
      }
    })
  }
  it('refuses an offset together with a cursor', () => {
    const page = c.query({ limit: 5 })
    expect(() => c.query({ cursor: page.nextCursor, offset: 10 })).toThrow(/by cursor or by offset, not both/)
  })
})
