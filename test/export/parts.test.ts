// The export job's parts, each alone: the plan of work (windows and tasks), the render pool's feed
// (in-order hand-out whatever order results come back in, the `ahead` bound, failures), the
// journal (fresh, resume after a torn line, a different export refused).
import { readFileSync, writeFileSync, appendFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseRecipe } from '../../src/shared/recipe'
import { ExportOrder } from '../../src/main/export/order'
import type { Renderer } from '../../src/main/export/pool'
import type { RenderResult, RenderTask } from '../../src/main/export/render'
import { RenderFeed, type Ready } from '../../src/main/export/render-pool'
import { exportDescriptor, Journal } from '../../src/main/export/journal'
import { workItems } from '../../src/main/export/work'
import type { SourcePair } from '../../src/main/export/types'
import { RECIPE, tmp } from './helpers'

const sources: SourcePair[] = Array.from({ length: 6 }, (_, i) => ({ key: `s${i}`, imagePath: `/i/${i}.png`, maskPath: `/m/${i}.png` }))

/** A renderer that answers in the order `release()` is called, so a test controls the completion order. */
class FakeRenderer implements Renderer {
  readonly capacity: number
  readonly pending: { task: RenderTask; resolve: (r: RenderResult) => void }[] = []
  maxInFlight = 0
  constructor(
    capacity: number,
    private readonly failing = new Set<string>(),
  ) {
    this.capacity = capacity
  }
  run(task: RenderTask): Promise<RenderResult> {
    return new Promise((resolve) => {
      this.pending.push({ task, resolve })
      this.maxInFlight = Math.max(this.maxInFlight, this.pending.length)
    })
  }
  /** Answers the newest pending task first (the worst order for an in-order consumer). */
  releaseNewest(): boolean {
    const p = this.pending.pop()
    if (!p) return false
    const { task } = p
    if (this.failing.has(task.source.key)) p.resolve({ id: task.id, ok: false, error: { code: 'CORRUPT', message: `${task.source.imagePath} is corrupt` } })
    else p.resolve({ id: task.id, ok: true, items: task.outputs.map((o) => ({ ordinal: o.ordinal, plan: { key: task.source.key, epoch: o.epoch } })) })
    return true
  }
  async close(): Promise<void> {}
}

async function drain(feed: RenderFeed, r: FakeRenderer): Promise<Ready[]> {
  const got: Ready[] = []
  let done = false
  const taking = (async () => {
    for (let x: Ready | null; (x = await feed.take());) got.push(x)
    done = true
  })()
  while (!done) {
    await new Promise((res) => setTimeout(res, 0))
    r.releaseNewest()
  }
  await taking
  return got
}

describe('plan of work', () => {
  it('cuts windows into one task per source, in order of first output, a source decoded once per window', () => {
    const order = new ExportOrder({ samples: 6, seed: 1, epochs: 2, batchSize: 4, dropLast: false })
    const items = [...workItems(order, 0, 12, 12)]
    expect(items).toHaveLength(6)
    expect(items.every((w) => w.slots.length === 2 && w.outputs.length === 2)).toBe(true)
    expect(items.map((w) => w.slots[0].ordinal)).toEqual([...items.map((w) => w.slots[0].ordinal)].sort((a, b) => a - b))
    const small = [...workItems(order, 0, 12, 4)]
    // windows of 4 outputs: a source twice in one window (across the epoch boundary) is one task
    expect(small.length).toBeLessThan(12)
    expect(small.every((w) => w.slots.every((s) => s.sample === w.sample))).toBe(true)
    expect(small.flatMap((w) => w.slots.map((s) => s.ordinal)).sort((a, b) => a - b)).toEqual([...Array(12).keys()])
  })
})

describe('render pool feed', () => {
  it('hands outputs out in output order whatever order renders finish in, within the capacity', async () => {
    const order = new ExportOrder({ samples: 6, seed: 1, epochs: 3, batchSize: 4, dropLast: false })
    const r = new FakeRenderer(3)
    const feed = new RenderFeed({ sources, order, renderer: r, window: 4, budget: 1 << 20, workers: 3 }, [[0, order.end]])
    const got = await drain(feed, r)
    await feed.close()
    expect(got.map((x) => x.slot.ordinal)).toEqual([...Array(18).keys()])
    expect(got.every((x) => (x.item!.plan as { key: string }).key === sources[x.slot.sample].key)).toBe(true)
    expect(r.maxInFlight).toBeLessThanOrEqual(3)
  })

  it('never runs more than `ahead` outputs past the consumer, and walks segments in the order given', async () => {
    const order = new ExportOrder({ samples: 6, seed: 1, epochs: 4, batchSize: 3, dropLast: false })
    const r = new FakeRenderer(16)
    // batches 1 and 5 and 6, as a rank of a stream would ask for them
    const segments: [number, number][] = [
      [3, 6],
      [15, 18],
      [18, 21],
    ]
    const feed = new RenderFeed({ sources, order, renderer: r, window: 3, budget: 1 << 20, workers: 1, ahead: 3 }, segments)
    await new Promise((res) => setTimeout(res, 10))
    // nothing taken yet: the producer stopped at `ahead` outputs
    expect(r.pending.flatMap((p) => p.task.outputs).length).toBeLessThanOrEqual(3)
    const got = await drain(feed, r)
    await feed.close()
    expect(got.map((x) => x.slot.ordinal)).toEqual([3, 4, 5, 15, 16, 17, 18, 19, 20])
  })

  it('hands out a failed source as null items and records why', async () => {
    const order = new ExportOrder({ samples: 6, seed: 1, epochs: 2, batchSize: 6, dropLast: false })
    const r = new FakeRenderer(2, new Set(['s2']))
    const feed = new RenderFeed({ sources, order, renderer: r, window: 6, budget: 1 << 20, workers: 1 }, [[0, order.end]])
    const got = await drain(feed, r)
    await feed.close()
    expect(got).toHaveLength(12)
    expect(got.filter((x) => x.item === null).map((x) => x.slot.sample)).toEqual([2, 2])
    expect(feed.failed.get(2)).toMatchObject({ code: 'CORRUPT', message: '/i/2.png is corrupt' })
  })

  it('stops handing out once aborted', async () => {
    const order = new ExportOrder({ samples: 6, seed: 1, epochs: 2, batchSize: 6, dropLast: false })
    const r = new FakeRenderer(2)
    const ac = new AbortController()
    const feed = new RenderFeed({ sources, order, renderer: r, window: 6, budget: 1 << 20, workers: 1, signal: ac.signal }, [[0, order.end]])
    const taking = feed.take()
    ac.abort()
    expect(await taking).toBeNull()
    while (r.releaseNewest());
    await feed.close()
  })
})

describe('journal', () => {
  const order = new ExportOrder({ samples: 6, seed: 1, epochs: 1, batchSize: 2, dropLast: false })
  const desc = (seed: number) =>
    exportDescriptor(
      { recipe: parseRecipe(RECIPE), seed, epochs: 1, batchSize: 2, dropLast: false, imageFormat: 'png', quality: 90, formats: ['folders'] },
      sources,
      order,
    )

  it('starts fresh, writes lines only up to what is durable, and resumes after the last complete line', async () => {
    const out = tmp()
    const j = await Journal.open(out, desc(1), order)
    expect([j.start, j.resumed]).toEqual([0, 0])
    for (let i = 0; i < 4; i++) j.add({ ordinal: i })
    await j.flush(3, true)
    await j.close()
    expect(readFileSync(join(out, 'manifest.jsonl'), 'utf8')).toBe('{"ordinal":0}\n{"ordinal":1}\n{"ordinal":2}\n')
    appendFileSync(join(out, 'manifest.jsonl'), '{"ordinal":3,"pl') // a torn line: a kill mid-write
    writeFileSync(join(out, 'images.partial'), 'half')
    const again = await Journal.open(out, desc(1), order)
    expect([again.start, again.resumed]).toEqual([3, 3])
    again.add({ ordinal: 3 })
    await again.flush(4, true)
    await again.close()
    expect(readFileSync(join(out, 'manifest.jsonl'), 'utf8').trim().split('\n')).toHaveLength(4)
    await expect(Journal.open(out, desc(2), order)).rejects.toThrow(/already holds a different export/)
  })
})
