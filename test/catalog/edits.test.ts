// Undo and redo of curation edits through the contract (issue 14: Ctrl+Z undoes review and bulk
// edits): every sample gets back exactly the split, status and tags it had, for id and filter
// targets and for a random split; a new edit clears the redo; nothing to undo is not an error.
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createContext, dispatch, type ServiceContext } from '../../src/main/services'
import { Catalog } from '../../src/main/catalog/catalog'
import { runImport } from '../../src/main/catalog/importer'
import { simplePairs, tempDir, writePairs } from './fixtures'

const t = tempDir('edits')
afterAll(() => t.cleanup())
let ctx: ServiceContext

async function call<T>(name: string, input: unknown): Promise<T> {
  const reply = await dispatch(name, input, ctx)
  if (!reply.ok) throw Object.assign(new Error(reply.error.message), reply.error)
  return reply.result as T
}
/** key -> "split status tag,tag" for every sample */
function state(): Map<string, string> {
  const c = ctx.session.catalog as Catalog
  const rows = c.db
    .prepare(
      `SELECT s.key, s.split, s.status, COALESCE((SELECT group_concat(name, ',') FROM (SELECT t.name FROM sample_tags st JOIN tags t ON t.id = st.tag_id WHERE st.sample_id = s.id ORDER BY t.name)), '') AS tags
       FROM samples s ORDER BY s.key`,
    )
    .all() as { key: string; split: string; status: string; tags: string }[]
  return new Map(rows.map((r) => [r.key, `${r.split} ${r.status} ${r.tags}`]))
}
const idsOf = (keys: string[]) => keys.map((k) => (ctx.session.catalog as Catalog).db.prepare('SELECT id FROM samples WHERE key = ?').pluck().get(k) as number)

beforeAll(async () => {
  await writePairs(join(t.dir, 'data'), simplePairs(20))
  const c = Catalog.open(join(t.dir, 'proj'), { create: true })
  await runImport(c, { images: join(t.dir, 'data', 'images'), masks: join(t.dir, 'data', 'masks') })
  c.close()
  ctx = createContext({ emit: () => {} })
  await call('project.open', { dir: join(t.dir, 'proj') })
})

describe('undo and redo of curation edits', () => {
  it('undoes and redoes split, status and tag edits, one at a time, in order', async () => {
    const s0 = state()
    expect(await call('samples.undo', {})).toEqual({ label: null, updated: 0, undo: null, redo: null })
    await call('samples.update', { target: { ids: idsOf(['s0001', 's0002', 's0003']) }, split: 'val', addTags: ['night'] })
    const s1 = state()
    await call('samples.update', { target: { filter: { tags: ['night'] } }, status: 'rejected', removeTags: ['night'], addTags: ['rain'] })
    const s2 = state()
    await call('samples.update', { target: { ids: idsOf(['s0002']) }, status: 'accepted' }) // one review
    expect(await call('samples.edits', {})).toEqual({ undo: 'Set status to accepted on 1 sample', redo: null })

    const u1 = await call<{ label: string }>('samples.undo', {})
    expect(u1.label).toBe('Set status to accepted on 1 sample')
    expect(state()).toEqual(s2)
    expect((await call<{ label: string }>('samples.undo', {})).label).toBe('Set status to rejected, add tag rain, remove tag night on 3 samples')
    expect(state()).toEqual(s1)
    expect((await call<{ label: string }>('samples.undo', {})).label).toBe('Set split to val, add tag night on 3 samples')
    expect(state()).toEqual(s0)

    expect((await call<{ label: string }>('samples.redo', {})).label).toBe('Set split to val, add tag night on 3 samples')
    expect(state()).toEqual(s1)
    await call('samples.redo', {})
    expect(state()).toEqual(s2)
    // a new edit: the redo history is gone
    await call('samples.update', { target: { ids: idsOf(['s0010']) }, split: 'test' })
    expect(await call('samples.edits', {})).toMatchObject({ redo: null })
    expect((await call<{ label: string | null }>('samples.redo', {})).label).toBe(null)
  })

  it('undoes a random split: every sample back in the split it was in', async () => {
    await call('samples.update', { target: { ids: idsOf(['s0004', 's0005']) }, split: 'test' })
    const before = state()
    const r = await call<{ counts: Record<string, number> }>('samples.randomSplit', { seed: 4, ratios: { train: 1, val: 1, test: 1 } })
    expect(r.counts.train + r.counts.val + r.counts.test).toBe(20)
    expect(state()).not.toEqual(before)
    expect((await call<{ label: string }>('samples.undo', {})).label).toBe('Random split of 20 samples')
    expect(state()).toEqual(before)
  })

  it('forgets the history with the project (another project starts with none)', async () => {
    expect((await call<{ undo: string | null }>('samples.edits', {})).undo).not.toBe(null)
    await call('project.create', { dir: join(t.dir, 'other') })
    expect(await call('samples.edits', {})).toEqual({ undo: null, redo: null })
  })
})
