// @vitest-environment happy-dom
// The recipe editor: add from the palette, reorder (buttons and drag), edit parameters, undo/redo,
// and a schema problem shown at the very field that has it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { mount, type VueWrapper } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { installTransport } from '../../src/renderer/src/api'
import RecipesView from '../../src/renderer/src/views/RecipesView.vue'
import { useRecipeStore } from '../../src/renderer/src/stores/recipes'
import { useToastStore } from '../../src/renderer/src/stores/toasts'
import { fakeTransport, flush, type FakeTransport } from './fake-transport'
import { convertRecipe } from '../../src/main/augment'

/** The engine's conversion, as recipe.convert to: 'lockstep' answers it (errors carry their code). */
function toLockstep(json: unknown) {
  return convertRecipe(json, 'lockstep')
}
const T = (name: string, args: object = {}) => ({ __class_fullname__: name, always_apply: false, p: 0.5, ...args })
const pipeline = (...transforms: object[]) => ({ __version__: '1.3.1', transform: { __class_fullname__: 'Compose', p: 1, transforms } })

let fake: FakeTransport
let wrapper: VueWrapper
let versions = 0

beforeEach(async () => {
  versions = 0
  fake = fakeTransport({
    'recipe.list': () => (versions ? [{ id: 7, name: 'roads', latestVersion: versions, versionCount: versions, updatedAt: 1 }] : []),
    'recipe.save': (input) => ({ recipeId: 7, name: input.name, version: ++versions, recipe: input.recipe, note: input.note ?? '', createdAt: 1 }),
    'recipe.convert': (input) =>
      input.to === 'lockstep'
        ? toLockstep(input.recipe)
        : {
            recipe: {
              __version__: '1.4.24',
              transform: {
                __class_fullname__: 'Compose',
                transforms: input.recipe.ops
                  .filter((o: { type: string }) => o.type !== 'hsv_power')
                  .map((o: { type: string }) => ({ __class_fullname__: o.type })),
              },
            },
            unsupported: input.recipe.ops.some((o: { type: string }) => o.type === 'hsv_power') ? ['hsv_power'] : [],
            notes: [],
          },
    'recipe.validate': (input) => {
      const r = input.recipe
      if (r?.transform?.__class_fullname__ === 'Compose') {
        return {
          ok: true,
          recipe: { schema: 'lockstep.recipe/1', output: { width: 256, height: 256 }, mask: { ignoreIndex: 255 }, ops: [{ type: 'hflip', p: 0.5 }] },
        }
      }
      return { ok: false, problems: ['transform: unknown Albumentations class Foo'] }
    },
  })
  installTransport(fake)
  const pinia = createPinia()
  setActivePinia(pinia)
  wrapper = mount(RecipesView, { global: { plugins: [pinia] }, attachTo: document.body })
  await flush()
})
afterEach(() => {
  wrapper.unmount()
  installTransport(null)
})

const stepNames = () =>
  wrapper.findAll('[data-testid="step"] .name').map((n) =>
    n
      .text()
      .split('\n')[0]
      .trim()
      .replace(/\s*(image \+ mask|image)$/, ''),
  )

describe('recipe editor', () => {
  it('adds ops from the grouped palette, selected and with default parameters', async () => {
    expect(stepNames()).toEqual(['Random crop', 'Horizontal flip'])
    const groups = wrapper.findAll('[data-testid="op-palette"] .group .section-title').map((g) => g.text())
    expect(groups).toEqual(['Crop', 'Geometry', 'Colour (image only)', 'Noise (image only)', 'Blur (image only)'])
    await wrapper.find('[data-op="rotate"]').trigger('click')
    expect(stepNames()).toEqual(['Random crop', 'Horizontal flip', 'Rotate'])
    const store = useRecipeStore()
    expect(store.selected).toBe(2)
    // p as Albumentations users know it (0.5 for everything but crops and resizes)
    expect(store.draft.ops[2]).toEqual({ type: 'rotate', p: 0.5, degrees: [-30, 30], fill: 'constant' })
    // the editor shows the new op's parameters
    expect(wrapper.find('[data-testid="step-editor"] .title').text()).toBe('Rotate')
    expect(wrapper.find('[data-param="degrees"]').exists()).toBe(true)
  })

  it('reorders with the move buttons and by drag and drop, and undoes each move', async () => {
    await wrapper.find('[data-op="gamma"]').trigger('click')
    expect(stepNames()).toEqual(['Random crop', 'Horizontal flip', 'Gamma'])
    await wrapper.findAll('[data-testid="step-up"]')[2].trigger('click')
    expect(stepNames()).toEqual(['Random crop', 'Gamma', 'Horizontal flip'])
    // drag step 0 onto step 2
    const steps = wrapper.findAll('[data-testid="step"]')
    await steps[0].trigger('dragstart', { dataTransfer: { setData() {}, effectAllowed: '' } })
    await steps[2].trigger('dragover')
    await steps[2].trigger('drop')
    expect(stepNames()).toEqual(['Gamma', 'Horizontal flip', 'Random crop'])
    await wrapper.find('[data-testid="undo"]').trigger('click')
    expect(stepNames()).toEqual(['Random crop', 'Gamma', 'Horizontal flip'])
    await wrapper.find('[data-testid="undo"]').trigger('click')
    expect(stepNames()).toEqual(['Random crop', 'Horizontal flip', 'Gamma'])
    await wrapper.find('[data-testid="redo"]').trigger('click')
    expect(stepNames()).toEqual(['Random crop', 'Gamma', 'Horizontal flip'])
  })

  it('a fill mode is a list of the modes, and choosing one sets it', async () => {
    await wrapper.find('[data-op="rotate"]').trigger('click')
    const select = wrapper.find('[data-param="fill"] select')
    expect(select.findAll('option').map((o) => o.text())).toEqual(['constant', 'edge', 'reflect', 'symmetric', 'wrap'])
    ;(select.element as HTMLSelectElement).value = 'reflect'
    await select.trigger('change')
    expect(useRecipeStore().draft.ops[2]).toMatchObject({ type: 'rotate', fill: 'reflect' })
    await wrapper.find('[data-op="posterize"]').trigger('click')
    // an integer range is edited like a range
    expect(wrapper.find('[data-param="bits"] input[data-end="min"]').exists()).toBe(true)
  })

  it('shows a schema problem inline at the field that has it, and undo clears it', async () => {
    await wrapper.find('[data-op="rotate"]').trigger('click')
    expect(wrapper.findAll('[data-testid="field-error"]')).toHaveLength(0)
    const field = wrapper.find('[data-param="degrees"]')
    const min = field.find('input[data-end="min"]')
    ;(min.element as HTMLInputElement).value = '50'
    await min.trigger('change')
    // [50, 30]: min > max
    const store = useRecipeStore()
    expect(store.draft.ops[2]).toMatchObject({ degrees: [50, 30] })
    const err = wrapper.find('[data-param="degrees"] [data-testid="field-error"]')
    expect(err.exists()).toBe(true)
    expect(err.text()).toBe('expected [min, max] with min <= max, received [50, 30]')
    // only that field, not its neighbours
    expect(wrapper.find('[data-param="p"] [data-testid="field-error"]').exists()).toBe(false)
    expect(wrapper.findAll('[data-testid="step"]')[2].classes()).toContain('error')
    expect(wrapper.find('[data-testid="problem-count"]').text()).toBe('1 problem')
    expect(wrapper.find('[data-testid="recipe-save"]').attributes('disabled')).toBeDefined()
    expect(store.effective).toBeNull()

    await wrapper.find('[data-testid="undo"]').trigger('click')
    expect(wrapper.find('[data-param="degrees"] [data-testid="field-error"]').exists()).toBe(false)
    expect(store.draft.ops[2]).toMatchObject({ degrees: [-30, 30] })
    await wrapper.find('[data-testid="redo"]').trigger('click')
    expect(wrapper.find('[data-param="degrees"] [data-testid="field-error"]').text()).toContain('min <= max')
  })

  it('keeps what is being typed in a number box while the view re-renders for something else, and commits it on change', async () => {
    await wrapper.find('[data-op="rotate"]').trigger('click')
    const store = useRecipeStore()
    const typeInto = (sel: string, v: string) => {
      const el = wrapper.find(sel).element as HTMLInputElement
      el.focus()
      el.value = v // typed, not committed yet (no change event until the box is left)
      return el
    }
    const width = typeInto('[data-testid="output-width"]', '256')
    // something else changing meanwhile re-renders the view (here: the mask's ignore index)
    store.setIgnoreIndex(0)
    await flush()
    expect(width.value).toBe('256')
    width.dispatchEvent(new Event('change'))
    await flush()
    expect(store.draft).toMatchObject({ output: { width: 256 }, mask: { ignoreIndex: 0 } })

    // a range's number box inside the step editor, re-rendered by an edit of another parameter
    const min = typeInto('[data-param="degrees"] input[data-end="min"]', '-90')
    store.setParam(2, 'p', 1)
    await flush()
    expect(min.value).toBe('-90')
    min.dispatchEvent(new Event('change'))
    await flush()
    expect(store.draft.ops[2]).toMatchObject({ p: 1, degrees: [-90, 30] })

    // the value itself changing (undo) still shows in the focused box
    store.undo()
    await flush()
    expect(min.value).toBe('-30')
    expect(width.value).toBe('256')
  })

  it('an out-of-range probability is reported at p', async () => {
    const p = wrapper.find('[data-param="p"] input[type="number"]')
    ;(p.element as HTMLInputElement).value = '1.5'
    await p.trigger('change')
    expect(wrapper.find('[data-param="p"] [data-testid="field-error"]').text()).toBe('expected a probability in [0, 1], received 1.5')
  })

  it('merges a slider drag into one undo step, but not separate edits', () => {
    const store = useRecipeStore()
    const before = store.past.length
    store.setParam(1, 'p', 0.4)
    store.setParam(1, 'p', 0.3)
    store.setParam(1, 'p', 0.2)
    expect(store.past.length).toBe(before + 1)
    store.setParam(0, 'width', 300)
    expect(store.past.length).toBe(before + 2)
    store.undo()
    expect(store.draft.ops[0]).toMatchObject({ width: 512 })
    store.undo()
    expect(store.draft.ops[1].p).toBe(0.5)
  })

  it('disables an op (kept in the draft, left out of the effective recipe) and deletes one', async () => {
    const store = useRecipeStore()
    await wrapper.findAll('[data-testid="step-enabled"]')[1].trigger('change')
    expect(store.draft.ops[1].enabled).toBe(false)
    expect(store.effective!.ops.map((o) => o.type)).toEqual(['random_crop'])
    await wrapper.findAll('[data-testid="step-delete"]')[0].trigger('click')
    expect(stepNames()).toEqual(['Horizontal flip'])
    await wrapper.find('[data-testid="undo"]').trigger('click')
    expect(stepNames()).toEqual(['Random crop', 'Horizontal flip'])
  })

  it('saves the draft as a new immutable version each time', async () => {
    await wrapper.find('[data-testid="recipe-name"]').setValue('roads')
    await wrapper.find('[data-testid="recipe-save"]').trigger('click')
    await flush()
    await wrapper.find('[data-op="vflip"]').trigger('click')
    await wrapper.find('[data-testid="recipe-save"]').trigger('click')
    await flush()
    const saves = fake.callsTo('recipe.save')
    expect(saves).toHaveLength(2)
    expect(saves[0]).toMatchObject({ name: 'roads', recipe: { schema: 'lockstep.recipe/1', ops: [{ type: 'random_crop' }, { type: 'hflip' }] } })
    expect(saves[0].id).toBeUndefined()
    expect(saves[1].id).toBe(7)
    expect(saves[1].recipe.ops.map((o: { type: string }) => o.type)).toEqual(['random_crop', 'hflip', 'vflip'])
    expect(useRecipeStore().version).toBe(2)
    expect(useRecipeStore().dirty).toBe(false)
  })

  it('imports an Albumentations pipeline that maps one to one at once, as one undo step', async () => {
    const store = useRecipeStore()
    expect(
      await store.importJson(
        JSON.stringify(
          pipeline(T('PadIfNeeded', { p: 1, min_height: 64, min_width: 64 }), T('RandomCrop', { p: 1, height: 64, width: 64 }), T('HorizontalFlip')),
        ),
        'aug.json',
      ),
    ).toBe(true)
    expect(store.pendingImport).toBe(null)
    expect(store.draft.ops.map((o) => [o.type, o.p])).toEqual([
      ['random_crop', 1],
      ['hflip', 0.5],
    ])
    expect(store.draft.output).toEqual({ width: 64, height: 64 })
    store.undo()
    expect(store.draft.ops.map((o) => o.type)).toEqual(['random_crop', 'hflip'])
    expect(store.draft.output).toEqual({ width: 512, height: 512 })
  })

  it('a pipeline with a transform that has no counterpart waits for the user: one list of what was left out or changed, accept or cancel', async () => {
    const store = useRecipeStore()
    const json = JSON.stringify(
      pipeline(
        T('HorizontalFlip'),
        T('GaussNoise', { var_limit: [10, 50] }),
        T('Normalize', { p: 1, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }),
      ),
    )
    const before = JSON.stringify(store.draft)
    expect(await store.importJson(json, 'albu.json')).toBe(true)
    expect(JSON.stringify(store.draft)).toBe(before) // nothing applied yet
    await flush()
    const dialog = wrapper.find('[data-testid="import-review"]')
    expect(dialog.exists()).toBe(true)
    const items = dialog.findAll('[data-testid="import-review-items"] li').map((li) => li.text())
    expect(items.filter((t) => t.includes('Normalize'))).toHaveLength(1) // named once
    expect(items[0]).toMatch(/^left out\s*Normalize/)
    expect(items.some((t) => /^changed\s*GaussNoise/.test(t))).toBe(true)
    await wrapper.find('[data-testid="import-review-cancel"]').trigger('click')
    expect(store.pendingImport).toBe(null)
    expect(JSON.stringify(store.draft)).toBe(before)
    // again, and accept: the ops that map are imported
    await store.importJson(json, 'albu.json')
    await flush()
    await wrapper.find('[data-testid="import-review-accept"]').trigger('click')
    expect(store.draft.ops.map((o) => o.type)).toEqual(['hflip', 'gaussian_noise'])
    expect(useToastStore().toasts.filter((t) => t.tone === 'error')).toEqual([])
  })

  it('refuses what is not a recipe, with one message', async () => {
    const store = useRecipeStore()
    expect(await store.importJson('{"transform": {"__class_fullname__": "Foo"}}', 'foo.json')).toBe(false)
    expect(await store.importJson('{"foo": 1}', 'foo.json')).toBe(false)
    expect(await store.importJson('not json', 'bad.json')).toBe(false)
    const errors = useToastStore().toasts.filter((t) => t.tone === 'error')
    expect(errors.at(-1)).toMatchObject({ title: 'Import failed', message: expect.stringMatching(/^bad\.json is not JSON/) })
    expect(store.draft.ops.map((o) => o.type)).toEqual(['random_crop', 'hflip'])
  })

  it('exports the enabled ops to Albumentations through the engine and names what has no counterpart', async () => {
    const store = useRecipeStore()
    store.addOp('hsv_power')
    store.toggleOp(1) // hflip disabled: left out
    const out = await store.toAlbumentations()
    expect(fake.callsTo('recipe.convert')[0]).toMatchObject({ to: 'albumentations', recipe: { ops: [{ type: 'random_crop' }, { type: 'hsv_power' }] } })
    expect(out!.unsupported).toEqual(['hsv_power'])
    expect(useToastStore().toasts.at(-1)).toMatchObject({ tone: 'info', message: 'No Albumentations counterpart: hsv_power' })
  })
})
