// @vitest-environment happy-dom
// The preview never shows tiles of a superseded recipe: an edit takes the tiles down at once, and
// an answer that arrives after a newer edit is dropped even if it comes back last.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { installTransport } from '../../src/renderer/src/api'
import { usePreviewStore, DEBOUNCE_MS } from '../../src/renderer/src/stores/preview'
import { useRecipeStore } from '../../src/renderer/src/stores/recipes'
import { useInspectorStore } from '../../src/renderer/src/stores/inspector'
import { fakeTransport, flush, type FakeTransport } from './fake-transport'

// Images "load" at once in this DOM: the store waits for decode() before it shows a tile.
class FakeImage {
  src = ''
  decode() {
    return Promise.resolve()
  }
}

let fake: FakeTransport
let gates: { release: () => void; input: any }[]

beforeEach(() => {
  vi.stubGlobal('Image', FakeImage)
  vi.stubGlobal(
    'fetch',
    async () => new Response(new Uint8Array(4), { headers: { 'x-lockstep-width': '2', 'x-lockstep-height': '2', 'x-lockstep-depth': '8' } }),
  )
  gates = []
  fake = fakeTransport({
    'preview.render': (input) =>
      new Promise((resolve) => {
        const token = `t${gates.length}`
        gates.push({
          input,
          release: () =>
            resolve({
              token,
              tiles: Array.from({ length: input.count }, (_, k) => ({
                sampleId: input.sampleIds[0],
                index: k,
                k,
                plan: { p: input.recipe.ops.map((o: { p: number }) => o.p) },
                width: 2,
                height: 2,
                imagePath: `/media/preview/${token}/${k}/image`,
                labelsPath: `/media/preview/${token}/${k}/labels`,
              })),
              errors: [],
              ms: 1,
            }),
        })
      }),
  })
  installTransport(fake)
  setActivePinia(createPinia())
})
afterEach(() => {
  installTransport(null)
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
})

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Sample 7 in the inspector, the preview following it, and its first 8 tiles up. */
async function firstTiles() {
  useInspectorStore().id = 7
  const preview = usePreviewStore()
  preview.follow()
  await wait(DEBOUNCE_MS + 30)
  gates[0].release()
  await wait(20)
  expect(preview.tiles).toHaveLength(8)
  return preview
}

describe('preview', () => {
  it('renders an isolated edit at once, debounces a burst of edits, drops superseded answers, and shows only tiles of the latest recipe', async () => {
    // the store's clock, set by the test: what counts as a burst does not depend on this machine's timers
    let clock = 0
    vi.spyOn(performance, 'now').mockImplementation(() => clock)
    useInspectorStore().id = 42
    const preview = usePreviewStore()
    const recipes = useRecipeStore()
    preview.follow()
    await wait(10)
    expect(gates).toHaveLength(1) // the first render asks at once
    expect(gates[0].input).toMatchObject({ sampleIds: [42], seed: 0, count: 8 })
    await wait(DEBOUNCE_MS + 30)

    // an isolated edit while the first render is in flight: no tiles, a new request at once
    clock = 1000
    recipes.setParam(1, 'p', 0.25)
    await flush()
    expect(preview.tiles).toHaveLength(0)
    expect(preview.pending).toBe(true)
    await wait(10)
    expect(gates).toHaveLength(2)
    expect(gates[1].input.recipe.ops[1].p).toBe(0.25)
    // quick successive edits (a slider drag) collapse into one request, once the burst pauses
    clock = 1000 + DEBOUNCE_MS / 4
    recipes.setParam(1, 'p', 0.3)
    await flush()
    clock = 1000 + DEBOUNCE_MS / 2
    recipes.setParam(1, 'p', 0.35)
    await wait(10)
    expect(gates).toHaveLength(2)
    await wait(DEBOUNCE_MS + 30)
    expect(gates).toHaveLength(3)
    expect(gates[2].input.recipe.ops[1].p).toBe(0.35)

    // the newest answer comes first, then the stale ones: they must not replace it
    gates[2].release()
    await wait(20)
    expect(preview.tiles.map((t) => t.url)).toEqual(Array.from({ length: 8 }, (_, k) => `/media/preview/t2/${k}/image`))
    expect(preview.tiles[0].plan).toEqual({ p: [1, 0.35] })
    expect(preview.tiles[0].labels).toMatchObject({ width: 2, height: 2, depth: 8 })
    gates[1].release()
    gates[0].release()
    await wait(20)
    expect(preview.tiles.map((t) => t.url)[0]).toBe('/media/preview/t2/0/image')
    expect(preview.pending).toBe(false)
  })

  it('an answer arriving after a newer edit is dropped and the old tiles never come back', async () => {
    const preview = await firstTiles()
    preview.seed = 99
    await flush()
    expect(preview.tiles).toHaveLength(0) // taken down at once
    await wait(DEBOUNCE_MS + 30)
    expect(gates[1].input.seed).toBe(99)
    preview.seed = 100 // superseded before its answer
    await flush()
    gates[1].release()
    await wait(20)
    expect(preview.tiles).toHaveLength(0)
    await wait(DEBOUNCE_MS + 30)
    gates[2].release()
    await wait(20)
    expect(preview.tiles[0].url).toBe('/media/preview/t2/0/image')
  })

  it('an invalid recipe shows no tiles and says why, without calling the engine', async () => {
    useInspectorStore().id = 7
    const preview = usePreviewStore()
    preview.follow()
    await wait(DEBOUNCE_MS + 30)
    const before = gates.length
    useRecipeStore().setParam(0, 'width', -5)
    await wait(DEBOUNCE_MS + 30)
    expect(gates.length).toBe(before)
    expect(preview.tiles).toHaveLength(0)
    expect(preview.error).toMatch(/problems/)
  })

  it('renders nothing while the view is hidden, and catches up when it is shown', async () => {
    const preview = await firstTiles()
    preview.pause()
    preview.seed = 5
    useRecipeStore().setParam(1, 'p', 0.9)
    await wait(DEBOUNCE_MS + 30)
    expect(gates).toHaveLength(1) // no work for an unseen view
    expect(preview.tiles).toHaveLength(0) // and no tiles of the old inputs when it comes back
    preview.follow()
    await wait(DEBOUNCE_MS + 30)
    expect(gates).toHaveLength(2)
    expect(gates[1].input).toMatchObject({ seed: 5 })
    expect(gates[1].input.recipe.ops[1].p).toBe(0.9)
  })
})
