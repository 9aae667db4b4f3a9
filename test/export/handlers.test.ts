// export.estimate / export.start / export.history through dispatch, on a real project: the
// export runs as a job, reads the train split and a saved recipe version, records itself in the
// catalog, and writes the class table and featurewise stats into export.json.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createContext, dispatch } from '../../src/main/services'
import type { JobInfo } from '../../src/shared/contract/app'
import { checkWholeFiles, expectSameFiles, makePairs, RECIPE, snapshot, tmp } from './helpers'

async function call<T>(ctx: ReturnType<typeof createContext>, name: string, input: unknown): Promise<T> {
  const reply = await dispatch(name, input, ctx)
  if (!reply.ok) throw Object.assign(new Error(reply.error.message), reply.error)
  return reply.result as T
}

function jobDone(ctx: ReturnType<typeof createContext>, id: string): Promise<JobInfo> {
  return new Promise((resolve) => {
    const tick = () => {
      const j = ctx.jobs.list().find((x) => x.id === id)
      if (j && j.status !== 'running') resolve(j)
      else setTimeout(tick, 10)
    }
    tick()
  })
}

describe('export channels', () => {
  it('estimates, runs as a job on the train split with a saved recipe version, and is recorded', async () => {
    const dir = tmp()
    const data = await makePairs(dir, 12)
    const events: { name: string; payload: unknown }[] = []
    const ctx = createContext({ emit: (name, payload) => void events.push({ name, payload }) })
    await call(ctx, 'project.create', { dir: join(dir, 'proj') })
    const imp = await call<{ jobId: string }>(ctx, 'import.start', { images: data.images, masks: data.masks })
    expect((await jobDone(ctx, imp.jobId)).status).toBe('done')
    const split = await call<{ counts: Record<string, number> }>(ctx, 'samples.randomSplit', { seed: 1, ratios: { train: 2, val: 1, test: 1 } })
    const train = split.counts.train
    const st = await call<{ jobId: string }>(ctx, 'stats.run', { split: 'train' })
    expect((await jobDone(ctx, st.jobId)).status).toBe('done')
    const saved = await call<{ versionId: number }>(ctx, 'recipe.save', { name: 'crop', recipe: RECIPE })

    const out = join(dir, 'export')
    const input = {
      recipe: { versionId: saved.versionId },
      seed: 2,
      splits: ['train'],
      epochs: 2,
      batchSize: 4,
      formats: ['folders', 'npy'],
      imageFormat: 'png',
      out,
      workers: 0,
    }
    const est = await call<Record<string, number>>(ctx, 'export.estimate', input)
    expect(est).toMatchObject({ samples: train, epochs: 2, batchesPerEpoch: Math.ceil(train / 4), outputs: 2 * train, batches: 2 * Math.ceil(train / 4) })
    expect(est.approxBytes).toBeGreaterThan(0)

    const { jobId, exportId } = await call<{ jobId: string; exportId: number }>(ctx, 'export.start', input)
    const job = await jobDone(ctx, jobId)
    expect(job).toMatchObject({ kind: 'export', status: 'done', done: 2 * train, total: 2 * train })
    expect(events.some((e) => e.name === 'job.progress' && (e.payload as JobInfo).kind === 'export')).toBe(true)
    const lines = readFileSync(join(out, 'manifest.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(lines).toHaveLength(2 * train)
    expect(lines.every((l) => typeof l.source.id === 'number' && /^[0-9a-f]{64}$/.test(l.source.imageSha256))).toBe(true)
    const desc = JSON.parse(readFileSync(join(out, 'export.json'), 'utf8'))
    expect(desc.recipeVersionId).toBe(saved.versionId)
    expect(desc.featurewise.mean).toHaveLength(3)
    expect(Array.isArray(desc.classes) && desc.classes.length).toBeGreaterThan(0)
    expect(desc.sources).toMatchObject({ count: train, splits: ['train'] })

    const history = await call<Array<Record<string, unknown>>>(ctx, 'export.history', {})
    expect(history[0]).toMatchObject({ id: exportId, status: 'done', outputs: 2 * train, failed: 0, seed: 2, recipeVersionId: saved.versionId, out })

    // a bad split and a relative output folder are refused with a message that says why
    await expect(call(ctx, 'export.estimate', { ...input, splits: ['training'] })).rejects.toThrow(/Unknown split "training"/)
    await expect(call(ctx, 'export.start', { ...input, out: 'relative/dir' })).rejects.toThrow(/absolute path/)
  })

  it('a cancelled WebDataset export keeps its progress: history and export.json name the recipe version and the statistics, and a re-start resumes to the uninterrupted bytes', async () => {
    const dir = tmp()
    const data = await makePairs(dir, 12)
    let cancelAt: ((done: number) => void) | null = null
    const ctx = createContext({
      emit: (name, payload) => {
        const j = payload as JobInfo
        if (name === 'job.progress' && j.kind === 'export' && j.status === 'running' && cancelAt) cancelAt(j.done)
      },
    })
    await call(ctx, 'project.create', { dir: join(dir, 'proj') })
    const imp = await call<{ jobId: string }>(ctx, 'import.start', { images: data.images, masks: data.masks })
    expect((await jobDone(ctx, imp.jobId)).status).toBe('done')
    // no statistics computed yet: the export computes and records them (every sample: nothing is in train)
    expect(await call(ctx, 'stats.get', { split: 'all' })).toBeNull()
    const saved = await call<{ versionId: number }>(ctx, 'recipe.save', { name: 'crop', recipe: RECIPE })
    const input = (out: string) => ({
      recipe: { versionId: saved.versionId },
      seed: 4,
      epochs: 150,
      batchSize: 4,
      formats: ['webdataset'],
      formatOptions: { webdataset: { samples: 1000 } },
      imageFormat: 'png',
      out,
      workers: 0,
    })

    const wholeDir = join(dir, 'whole')
    const w = await call<{ jobId: string }>(ctx, 'export.start', input(wholeDir))
    expect((await jobDone(ctx, w.jobId)).status).toBe('done')
    const whole = snapshot(wholeDir)

    const out = join(dir, 'cancelled')
    let jobId = ''
    cancelAt = (done) => {
      if (done > 0 && jobId) {
        cancelAt = null
        void call(ctx, 'job.cancel', { id: jobId })
      }
    }
    const started = await call<{ jobId: string; exportId: number }>(ctx, 'export.start', input(out))
    jobId = started.jobId
    const job = await jobDone(ctx, jobId)
    expect(job.status).toBe('cancelled')
    const lines = readFileSync(join(out, 'manifest.jsonl'), 'utf8').trim().split('\n')
    // one tar of 1000 samples was in progress: it was closed short and every sample journaled
    expect(lines.length).toBeGreaterThan(0)
    expect(lines.length).toBeLessThan(1800)
    expect(checkWholeFiles(out, whole)).toEqual([])
    const history = await call<Array<Record<string, unknown>>>(ctx, 'export.history', {})
    expect(history.find((h) => h.id === started.exportId)).toMatchObject({ status: 'cancelled', outputs: lines.length, recipeVersionId: saved.versionId })
    const desc = JSON.parse(readFileSync(join(out, 'export.json'), 'utf8'))
    expect(desc.recipeVersionId).toBe(saved.versionId)
    expect(desc.featurewise).toMatchObject({ split: 'all', sampleCount: 12 })
    expect(desc.featurewise.mean).toHaveLength(3)
    expect(await call(ctx, 'stats.get', { split: 'all' })).toMatchObject({ mean: desc.featurewise.mean })

    const again = await call<{ jobId: string }>(ctx, 'export.start', input(out))
    expect((await jobDone(ctx, again.jobId)).status).toBe('done')
    expect(expectSameFiles(whole, snapshot(out))).toEqual([])
  })
})
