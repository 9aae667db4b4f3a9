// @vitest-environment happy-dom
// The Export view's store: an export of the recipe in the editor goes by its saved version's id
// when the editor holds that version unchanged (so the export and its history record the version),
// and inline when it was edited since or has ops switched off.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { installTransport } from '../../src/renderer/src/api'
import { useExportStore } from '../../src/renderer/src/stores/export'
import { useRecipeStore } from '../../src/renderer/src/stores/recipes'
import { defaultRecipe } from '../../src/shared/recipe'
import { fakeTransport, type FakeTransport } from './fake-transport'

let fake: FakeTransport
const saved = { ...defaultRecipe(), ops: [{ type: 'hflip', p: 0.5 }] }

beforeEach(() => {
  fake = fakeTransport({
    'recipe.get': () => ({ versionId: 41, recipeId: 3, name: 'flips', version: 1, recipe: saved, note: '', createdAt: 0 }),
    'export.formats': () => [{ name: 'webdataset', help: 'tars', layout: 'webdataset/NNNNNN.tar', options: [] }],
  })
  installTransport(fake)
  setActivePinia(createPinia())
})
afterEach(() => installTransport(null))

describe('export store', () => {
  it('sends the open, unchanged recipe version by id, and an edited one inline', async () => {
    const recipes = useRecipeStore()
    await recipes.openRecipe(3)
    const store = useExportStore()
    store.form.out = '/tmp/out'
    expect((await store.options()).recipe).toEqual({ versionId: 41 })
    recipes.toggleOp(0) // an op switched off: the effective recipe is no longer the version
    expect((await store.options()).recipe).toMatchObject({ json: { ops: [] } })
    recipes.toggleOp(0)
    recipes.setParam(0, 'p', 0.7)
    expect(recipes.dirty).toBe(true)
    expect((await store.options()).recipe).toMatchObject({ json: { ops: [{ type: 'hflip', p: 0.7 }] } })
  })

  it('lists the formats the registry sends', async () => {
    const store = useExportStore()
    await store.loadFormats()
    expect(store.formats.map((f) => f.name)).toEqual(['webdataset'])
  })
})
