// @vitest-environment happy-dom
// The labeling store against a fake transport: what a save sends (the label map, deflated, in
// little-endian order, with the hash the edits started from), conflicts, the leave guard in both
// settings, drafts that survive a "reload" (a new store on the same draft storage), and the lock
// rule through the tools.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import type { SampleDetail } from '../../../src/shared/contract/catalog'
import { installTransport } from '../../../src/renderer/src/api'
import { useInspectorStore } from '../../../src/renderer/src/stores/inspector'
import { useLabelingStore, type ToolPointer } from '../../../src/renderer/src/stores/labeling'
import { useProjectStore } from '../../../src/renderer/src/stores/project'
import { memoryDrafts, type DraftStore } from '../../../src/renderer/src/lib/labeling/drafts'
import { inflate } from '../../../src/renderer/src/lib/labeling/codec'
import { brushSpans } from '../../../src/renderer/src/lib/labeling/raster'
import { fakeTransport, flush, type FakeTransport } from '../fake-transport'

const W = 40
const H = 30

function detail(id: number, over: Partial<SampleDetail> = {}): SampleDetail {
  return {
    id,
    datasetId: 1,
    key: `s${id}`,
    imagePath: `s${id}.png`,
    maskPath: `s${id}.png`,
    width: W,
    height: H,
    split: 'train',
    status: 'unreviewed',
    tags: [],
    error: null,
    imageAbsPath: `/d/images/s${id}.png`,
    maskAbsPath: `/d/masks/s${id}.png`,
    channels: 3,
    bitDepth: 8,
    maskDepth: 8,
    imageFormat: 'png',
    orientation: 1,
    imageHash: 'img',
    maskHash: `hash-${id}`,
    imageBytes: 1,
    maskBytes: 1,
    notes: '',
    classes: null,
    createdAt: 0,
    updatedAt: 0,
    ...over,
  }
}

/** Sample id -> its labels as the server would send them. */
let files: Map<number, { depth: 8 | 16; data: Uint8Array | Uint16Array }>
let details: Map<number, SampleDetail>
let fake: FakeTransport
let drafts: DraftStore
let saveImpl: (input: any) => unknown

function labels(fillValue: number, depth: 8 | 16 = 8) {
  const data = depth === 16 ? new Uint16Array(W * H) : new Uint8Array(W * H)
  for (let i = 0; i < data.length; i++) data[i] = i % W < W / 2 ? fillValue : 0
  return { depth, data }
}

beforeEach(() => {
  files = new Map([
    [1, labels(5)],
    [2, labels(7)],
    [3, labels(300, 16)],
  ])
  details = new Map([
    [1, detail(1)],
    [2, detail(2)],
    [3, detail(3, { maskDepth: 16 })],
    [4, detail(4, { maskPath: null, maskHash: null, maskAbsPath: null, maskDepth: null, error: { kind: 'MISSING_MASK', message: 'no mask for s4' } })],
  ])
  saveImpl = (input) => ({
    sample: { ...details.get(input.sampleId)!, maskHash: `saved-${input.sampleId}`, maskPath: `s${input.sampleId}.png`, error: null },
    replaced: null,
  })
  vi.stubGlobal('fetch', async (url: string) => {
    const id = Number(/sample\/(\d+)\/labels/.exec(url)?.[1])
    const f = files.get(id)!
    const body = new Uint8Array(f.data.buffer.slice(0) as ArrayBuffer)
    return new Response(body, { headers: { 'x-lockstep-width': String(W), 'x-lockstep-height': String(H), 'x-lockstep-depth': String(f.depth) } })
  })
  fake = fakeTransport({
    'samples.get': ({ id }) => details.get(id),
    'mask.save': (input) => saveImpl(input),
    'mask.versions': () => [],
    'project.info': () => ({ dir: '/p', name: 'p', schemaVersion: 1, datasets: [], sampleCount: 4, errorCount: 1 }),
    'classes.list': () => [],
    'tags.list': () => [],
    'samples.counts': () => ({ total: 4, bySplit: {}, byStatus: {}, byError: {} }),
  })
  installTransport(fake)
  drafts = memoryDrafts()
  setActivePinia(createPinia())
})
afterEach(() => {
  installTransport(null)
  vi.unstubAllGlobals()
})

const settle = async () => {
  for (let i = 0; i < 20; i++) await flush()
}
const P = (x: number, y: number, o: Partial<ToolPointer> = {}): ToolPointer => ({ x: x + 0.5, y: y + 0.5, scale: 4, shift: false, alt: false, t: 0, ...o })

async function openStore(id: number) {
  const project = useProjectStore()
  project.info = { dir: '/p', name: 'p', schemaVersion: 1, datasets: [], sampleCount: 4, errorCount: 1 }
  const labeling = useLabelingStore()
  labeling.useDrafts(drafts)
  await useInspectorStore().open(id)
  await settle()
  return labeling
}

function brush(labeling: ReturnType<typeof useLabelingStore>, value: number, from: [number, number], to: [number, number], size: number) {
  labeling.pickClass(value)
  labeling.setTool('brush')
  labeling.setBrushSize(size)
  labeling.pointerDown(P(...from))
  labeling.pointerMove(P(...to), 1)
  labeling.pointerUp(P(...to))
}

function expectedAfterBrush(base: Uint8Array | Uint16Array, value: number, from: [number, number], to: [number, number], size: number) {
  const out = base.slice()
  for (const [y, a, b] of brushSpans({ x: from[0], y: from[1] }, { x: to[0], y: to[1] }, size, W, H)) out.fill(value, y * W + a, y * W + b + 1)
  return out
}

/** The bytes a save sent: base64 -> the platform's own inflate (DecompressionStream). */
function sentMap(input: any): Promise<Uint8Array> {
  return inflate(Uint8Array.from(atob(input.data), (c) => c.charCodeAt(0)))
}

describe('saving', () => {
  it('sends the whole label map, deflated, with its size, depth and the hash the edits started from', async () => {
    const labeling = await openStore(1)
    expect(labeling.editable).toBe(true)
    brush(labeling, 9, [3, 4], [30, 20], 5)
    expect(labeling.dirty).toBe(true)
    expect(labeling.undoCount).toBe(1)
    expect(await labeling.save()).toBe(true)
    const [input] = fake.callsTo('mask.save')
    expect({ ...input, data: undefined }).toEqual({ sampleId: 1, width: W, height: H, depth: 8, baseHash: 'hash-1', force: false, data: undefined })
    expect([...(await sentMap(input))]).toEqual([...expectedAfterBrush(files.get(1)!.data, 9, [3, 4], [30, 20], 5)])
    expect(labeling.dirty).toBe(false)
    // the next save starts from the hash the service returned
    brush(labeling, 2, [0, 0], [1, 1], 1)
    await labeling.save()
    expect(fake.callsTo('mask.save')[1].baseHash).toBe('saved-1')
  })

  it('sends 16-bit maps as little-endian pairs of bytes', async () => {
    const labeling = await openStore(3)
    brush(labeling, 1000, [10, 10], [10, 10], 3)
    await labeling.save()
    const [input] = fake.callsTo('mask.save')
    expect(input.depth).toBe(16)
    const bytes = await sentMap(input)
    const want = expectedAfterBrush(files.get(3)!.data, 1000, [10, 10], [10, 10], 3) as Uint16Array
    const got = Array.from({ length: W * H }, (_, i) => bytes[2 * i] | (bytes[2 * i + 1] << 8))
    expect(got).toEqual([...want])
  })

  it('labels a sample with no mask from an all-zero map of the image size, and the problem clears', async () => {
    const labeling = await openStore(4)
    expect(labeling.map?.width).toBe(W)
    expect(labeling.map?.toFlat().every((v) => v === 0)).toBe(true)
    brush(labeling, 3, [5, 5], [20, 5], 3)
    await labeling.save()
    const [input] = fake.callsTo('mask.save')
    expect(input.baseHash).toBeNull()
    expect(input.depth).toBe(8)
    expect([...(await sentMap(input))]).toEqual([...expectedAfterBrush(new Uint8Array(W * H), 3, [5, 5], [20, 5], 3)])
    expect(useInspectorStore().detail?.error).toBeNull()
  })

  it('reports a file changed underneath as a conflict, and overwrites only when asked (force)', async () => {
    const labeling = await openStore(1)
    brush(labeling, 9, [3, 4], [3, 4], 1)
    saveImpl = (input) => {
      if (!input.force)
        throw Object.assign(new Error('Conflict: mask /d/masks/s1.png changed since the editor opened it'), {
          code: 'INVALID_INPUT',
          details: { conflict: true },
        })
      return { sample: { ...details.get(1)!, maskHash: 'forced' }, replaced: null }
    }
    expect(await labeling.save()).toBe(false)
    expect(labeling.conflict).toMatch(/changed since the editor opened it/)
    expect(labeling.dirty).toBe(true)
    expect(await labeling.save({ force: true })).toBe(true)
    expect(fake.callsTo('mask.save').map((i) => i.force)).toEqual([false, true])
    expect(labeling.conflict).toBeNull()
  })
})

describe('leaving a sample with unsaved edits', () => {
  it('saves first with the "save" setting, and stays when the save fails', async () => {
    const labeling = await openStore(1)
    labeling.setLeavePolicy('save')
    brush(labeling, 9, [3, 4], [10, 4], 3)
    await useInspectorStore().open(2)
    await settle()
    expect(fake.calls.map((c) => c.channel).filter((c) => c === 'mask.save' || c === 'samples.get')).toEqual(['samples.get', 'mask.save', 'samples.get'])
    expect(useInspectorStore().id).toBe(2)

    brush(labeling, 9, [3, 4], [10, 4], 3)
    saveImpl = () => {
      throw Object.assign(new Error('disk full writing s2.png'), { code: 'IO' })
    }
    expect(await useInspectorStore().open(1)).toBe(false)
    expect(useInspectorStore().id).toBe(2)
    expect(labeling.dirty).toBe(true)
  })

  it('asks with the "ask" setting: stay keeps the edits, discard drops them (and their draft)', async () => {
    const labeling = await openStore(1)
    labeling.setLeavePolicy('ask')
    brush(labeling, 9, [3, 4], [10, 4], 3)
    await labeling.writeDraft()
    const going = useInspectorStore().open(2)
    await settle()
    expect(labeling.leavePrompt).not.toBeNull()
    labeling.answerLeave('cancel')
    expect(await going).toBe(false)
    expect(useInspectorStore().id).toBe(1)
    expect(labeling.dirty).toBe(true)

    const again = useInspectorStore().open(2)
    await settle()
    labeling.answerLeave('discard')
    expect(await again).toBe(true)
    await settle()
    expect(fake.callsTo('mask.save')).toEqual([])
    expect(await drafts.list('/p')).toEqual([])
    expect(useInspectorStore().id).toBe(2)
  })
})

describe('drafts', () => {
  it('a reload brings the unsaved edits back (same mask hash), marked unsaved', async () => {
    let labeling = await openStore(1)
    brush(labeling, 9, [3, 4], [30, 20], 5)
    const edited = labeling.map!.toFlat()
    await labeling.writeDraft()
    expect((await drafts.list('/p')).map((d) => [d.sampleId, d.baseHash])).toEqual([[1, 'hash-1']])
    // a reload: new stores, same draft storage
    setActivePinia(createPinia())
    labeling = await openStore(1)
    await settle()
    expect([...labeling.map!.toFlat()]).toEqual([...edited])
    expect(labeling.dirty).toBe(true)
    expect(labeling.draftNotice).not.toBeNull()
  })

  it('a draft made on another content of the mask is not applied silently', async () => {
    const labeling0 = await openStore(1)
    brush(labeling0, 9, [3, 4], [30, 20], 5)
    await labeling0.writeDraft()
    details.set(1, detail(1, { maskHash: 'someone-else' }))
    setActivePinia(createPinia())
    const labeling = await openStore(1)
    await settle()
    expect(labeling.staleDraft?.baseHash).toBe('hash-1')
    expect(labeling.dirty).toBe(false)
    expect([...labeling.map!.toFlat()]).toEqual([...files.get(1)!.data])
    await labeling.resolveStaleDraft(true)
    expect(labeling.dirty).toBe(true)
    expect(labeling.map!.get(10, 10)).toBe(9)
  })
})

describe('tools through the store', () => {
  it('"only over background" leaves every other class alone; the eraser writes 0, or ignore with Alt', async () => {
    const labeling = await openStore(1)
    const before = labeling.map!.toFlat()
    labeling.setOnlyBackground(true)
    brush(labeling, 9, [0, 15], [W - 1, 15], 7)
    const after = labeling.map!.toFlat()
    for (let i = 0; i < after.length; i++) {
      if (before[i] !== 0) expect(after[i]).toBe(before[i])
    }
    expect(after.filter((v) => v === 9).length).toBeGreaterThan(50)
    labeling.unlockAll()
    labeling.setTool('eraser')
    labeling.pointerDown(P(2, 2))
    labeling.pointerUp(P(2, 2))
    expect(labeling.map!.get(2, 2)).toBe(0)
    labeling.pointerDown(P(2, 2, { alt: true }))
    labeling.pointerUp(P(2, 2, { alt: true }))
    expect(labeling.map!.get(2, 2)).toBe(255)
  })

  it('polygon: Backspace removes the last vertex, Enter closes, Escape cancels; undo and redo', async () => {
    const labeling = await openStore(2)
    labeling.pickClass(3)
    labeling.setTool('polygon')
    for (const [x, y] of [
      [25, 2],
      [35, 2],
      [39, 29],
      [30, 20],
    ] as const)
      labeling.pointerDown(P(x, y))
    expect(labeling.removeVertex()).toBe(true)
    expect(labeling.polygon).toHaveLength(3)
    labeling.confirm()
    expect(labeling.polygon).toHaveLength(0)
    expect(labeling.map!.get(35, 5)).toBe(3)
    labeling.pointerDown(P(21, 21))
    labeling.pointerDown(P(28, 21))
    labeling.cancel()
    expect(labeling.polygon).toHaveLength(0)
    expect(labeling.undoCount).toBe(1)
    labeling.undo()
    expect(labeling.map!.get(35, 5)).toBe(0)
    labeling.redo()
    expect(labeling.map!.get(35, 5)).toBe(3)
  })

  it('refuses a class the mask cannot hold, naming it', async () => {
    const labeling = await openStore(1)
    brush(labeling, 300, [1, 1], [5, 5], 3)
    expect(labeling.undoCount).toBe(0)
    const { useToastStore } = await import('../../../src/renderer/src/stores/toasts')
    expect(useToastStore().toasts.at(-1)?.title).toMatch(/Class 300 does not fit this mask/)
  })
})

describe('following the inspector', () => {
  it('takes a sample that opened before the labeling store was first used', async () => {
    const project = useProjectStore()
    project.info = { dir: '/p', name: 'p', schemaVersion: 1, datasets: [], sampleCount: 4, errorCount: 1 }
    await useInspectorStore().open(2)
    await settle()
    expect(useInspectorStore().labels).not.toBeNull()
    const labeling = useLabelingStore()
    await settle()
    expect(labeling.editable).toBe(true)
    expect([...labeling.map!.toFlat()]).toEqual([...files.get(2)!.data])
  })
})
