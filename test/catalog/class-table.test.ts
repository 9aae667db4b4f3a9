// The class table's edits through dispatch: add, reorder, export -> importPalette round trip
// (JSON and CSV, names with commas, quotes and accents), and palette masks' own colours adopted as
// class colours at import.
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runImport } from '../../src/main/catalog/importer'
import { defaultColor } from '../../src/main/catalog/classes'
import type { ClassInfo } from '../../src/shared/contract/catalog'
import { imagePng, tempDir } from './fixtures'
import { call, context, failure, fixturePng, put } from './labels-helpers'

const strip = (cs: ClassInfo[]) => cs.map(({ index, name, color, ignore }) => ({ index, name, color, ignore }))

describe('the class table', () => {
  const t = tempDir('classes')
  afterAll(() => t.cleanup())

  it("a palette mask's own colours become its classes' colours at import; grey masks' classes get the default colours", async () => {
    put(join(t.dir, 'images', 'p.png'), await imagePng(6, 4, 1))
    put(join(t.dir, 'images', 'g.png'), await imagePng(6, 4, 2))
    const palette = [
      [0, 0, 0],
      [250, 128, 114],
      [46, 139, 87],
    ]
    put(
      join(t.dir, 'masks', 'p.png'),
      fixturePng(6, 4, (x) => x % 3, { palette }),
    )
    put(
      join(t.dir, 'masks', 'g.png'),
      fixturePng(6, 4, (x) => (x < 3 ? 0 : 7)),
    )
    const { ctx } = context()
    await call(ctx, 'project.create', { dir: join(t.dir, 'proj') })
    await runImport(ctx.session.requireCatalog(), { images: join(t.dir, 'images'), masks: join(t.dir, 'masks') })
    const classes = await call<ClassInfo[]>(ctx, 'classes.list', {})
    expect(classes.map((c) => [c.index, c.color])).toEqual([
      [0, '#000000'],
      [1, '#fa8072'],
      [2, '#2e8b57'],
      [7, defaultColor(7)],
    ])
    ctx.session.close()
  })

  it('add, reorder, and export that importPalette reads back (JSON and CSV)', async () => {
    const { ctx, events } = context()
    await call(ctx, 'project.create', { dir: join(t.dir, 'edit') })
    let cs = await call<ClassInfo[]>(ctx, 'classes.add', { name: 'background' })
    expect(strip(cs)).toEqual([{ index: 0, name: 'background', color: defaultColor(0), ignore: false }])
    await call(ctx, 'classes.add', { name: 'road, paved', color: '#FF8800' })
    await call(ctx, 'classes.add', { name: 'the "void"', index: 255, ignore: true })
    cs = await call<ClassInfo[]>(ctx, 'classes.add', { name: 'café' })
    expect(strip(cs)).toEqual([
      { index: 0, name: 'background', color: defaultColor(0), ignore: false },
      { index: 1, name: 'road, paved', color: '#ff8800', ignore: false },
      { index: 2, name: 'café', color: defaultColor(2), ignore: false },
      { index: 255, name: 'the "void"', color: defaultColor(255), ignore: true },
    ])
    expect(events).toContainEqual({ name: 'catalog.changed', payload: { what: 'classes' } })
    expect(await failure(ctx, 'classes.add', { name: 'Background' })).toMatchObject({
      code: 'INVALID_INPUT',
      message: 'A class named "Background" already exists (index 0)',
    })
    expect(await failure(ctx, 'classes.add', { name: 'x', index: 255 })).toMatchObject({
      code: 'INVALID_INPUT',
      message: 'Class index 255 is already "the \\"void\\""',
    })

    cs = await call<ClassInfo[]>(ctx, 'classes.reorder', { order: [255, 2, 0, 1] })
    expect(cs.map((c) => c.index)).toEqual([255, 2, 0, 1])
    expect((await call<ClassInfo[]>(ctx, 'classes.list', {})).map((c) => c.index)).toEqual([255, 2, 0, 1])
    // a class added later comes last
    cs = await call<ClassInfo[]>(ctx, 'classes.add', { name: 'late' })
    expect(cs.map((c) => c.index)).toEqual([255, 2, 0, 1, 3])
    const bad = await failure(ctx, 'classes.reorder', { order: [255, 2, 2, 9] })
    expect(bad.code).toBe('INVALID_INPUT')
    expect(bad.message).toBe('The order must list every class index once: 2 is listed twice; 9 is not a class; 0, 1, 3 are missing')

    const table = strip(await call<ClassInfo[]>(ctx, 'classes.list', {}))
    for (const format of ['json', 'csv'] as const) {
      const { text } = await call<{ text: string; format: string }>(ctx, 'classes.export', { format })
      const other = context().ctx
      await call(other, 'project.create', { dir: join(t.dir, `round-${format}`) })
      const back = await call<ClassInfo[]>(other, 'classes.importPalette', { text, format })
      const byIndex = (a: { index: number }, b: { index: number }) => a.index - b.index
      expect(strip(back).sort(byIndex)).toEqual([...table].sort(byIndex))
      other.session.close()
    }
    const csv = (await call<{ text: string }>(ctx, 'classes.export', { format: 'csv' })).text
    expect(csv.split('\n').slice(0, 3)).toEqual([
      'index,name,color,ignore',
      '255,"the ""void""",' + defaultColor(255) + ',true',
      '2,café,' + defaultColor(2) + ',false',
    ])
    ctx.session.close()
  })
})
