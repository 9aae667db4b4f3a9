// The CLI doors onto the engine: `lockstep preview` and `lockstep recipe convert` (run in-process).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { decode as decodePng } from 'fast-png'
import { previewCommand } from '../../src/main/cli/commands/preview'
import { recipeConvertCommand } from '../../src/main/cli/commands/recipe-convert'
import { loadPair, replay } from '../../src/main/augment'
import { writePair } from '../fixtures/pairs'

let dir: string
const sample = resolve('resources/sample')
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lockstep-cli-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function capture() {
  const out: string[] = [],
    err: string[] = []
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true))
  const e = vi.spyOn(console, 'error').mockImplementation((...a) => void err.push(a.join(' ')))
  const l = vi.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ')))
  return { out, err, restore: () => (o.mockRestore(), e.mockRestore(), l.mockRestore()) }
}

describe('lockstep preview', () => {
  it('writes K images, masks, overlays and replayable plans for the chosen pair', async () => {
    const out = join(dir, 'pv')
    const c = capture()
    const code = await previewCommand.run([
      '--images',
      join(sample, 'images'),
      '--masks',
      join(sample, 'masks'),
      '--recipe',
      join(sample, 'recipe.json'),
      '--seed',
      '4',
      '--count',
      '3',
      '--pair',
      'scene_02',
      '--out',
      out,
    ])
    c.restore()
    expect(code).toBe(0)
    const plans = JSON.parse(readFileSync(join(out, 'plans.json'), 'utf8'))
    expect(plans.plans).toHaveLength(3)
    for (let k = 0; k < 3; k++) {
      for (const f of [`scene_02-${k}.png`, `scene_02-${k}_mask.png`, `scene_02-${k}_overlay.png`]) expect(existsSync(join(out, f))).toBe(true)
      const p = plans.plans[k].plan
      expect(p.key).toEqual({ seed: 4, epoch: k, sampleId: 'scene_02' })
      const again = await replay(p, plans.source, { image: { format: 'png' } })
      expect(again.image!.equals(readFileSync(join(out, `scene_02-${k}.png`)))).toBe(true)
      expect(again.mask!.equals(readFileSync(join(out, `scene_02-${k}_mask.png`)))).toBe(true)
      const m = decodePng(readFileSync(join(out, `scene_02-${k}_mask.png`)))
      expect([m.width, m.height, m.channels]).toEqual([256, 256, 1])
    }
  })

  it('fails with a clear message when the pair is bad or missing', async () => {
    const w = await writePair(join(dir, 'bad'), 'a', { width: 40, height: 30 })
    writeFileSync(w.mask, 'not a png')
    const recipe = join(dir, 'r.json')
    writeFileSync(
      recipe,
      JSON.stringify({ schema: 'lockstep.recipe/1', output: { width: 16, height: 16 }, ops: [{ type: 'random_crop', width: 16, height: 16 }] }),
    )
    const args = ['--images', join(dir, 'bad', 'images'), '--masks', join(dir, 'bad', 'masks'), '--recipe', recipe, '--out', join(dir, 'o')]
    await expect(previewCommand.run(args)).rejects.toThrow(/Mask .*a\.png/)
    await expect(previewCommand.run([...args, '--pair', 'zzz'])).rejects.toThrow(/No pair with stem "zzz"/)
    writeFileSync(recipe, JSON.stringify({ schema: 'lockstep.recipe/1', output: { width: 16, height: 16 }, ops: [{ type: 'rotate', degrees: [5, -5] }] }))
    await expect(previewCommand.run(args)).rejects.toThrow(/ops\[0\]\.degrees: expected \[min, max\] with min <= max, received \[5, -5\]/)
  })
})

describe('lockstep recipe convert', () => {
  it('prints the Albumentations JSON on stdout and names what was left out on stderr (exit 1)', async () => {
    const c = capture()
    const code = await recipeConvertCommand.run([join(sample, 'recipe.json'), '--to', 'albumentations'])
    c.restore()
    expect(code).toBe(1) // the sample recipe uses hsv_power, which Albumentations lacks
    const json = JSON.parse(c.out.join(''))
    expect(json.transform.__class_fullname__).toBe('Compose')
    expect(c.err.some((l) => l.includes('no counterpart, left out: ops[6] hsv_power'))).toBe(true)
  })

  it('writes --out and converts back to Lockstep (exit 0 when nothing is left out)', async () => {
    const alb = join(dir, 'alb.json')
    const r = {
      schema: 'lockstep.recipe/1',
      output: { width: 64, height: 64 },
      mask: { ignoreIndex: 255 },
      ops: [
        { type: 'random_crop', p: 1, width: 64, height: 64, padIfNeeded: false },
        { type: 'hflip', p: 0.5 },
      ],
    }
    writeFileSync(join(dir, 'l.json'), JSON.stringify(r))
    const c = capture()
    expect(await recipeConvertCommand.run([join(dir, 'l.json'), '--to', 'albumentations', '--out', alb])).toBe(0)
    expect(await recipeConvertCommand.run([alb, '--to', 'lockstep'])).toBe(0)
    c.restore()
    // the same recipe, with the crop's fill mode said (constant: the default)
    expect(JSON.parse(c.out.join(''))).toEqual({ ...r, ops: [{ ...r.ops[0], fill: 'constant' }, r.ops[1]] })
    await expect(recipeConvertCommand.run([alb, '--to', 'keras'])).rejects.toThrow(/--to must be albumentations or lockstep/)
    await expect(recipeConvertCommand.run([join(dir, 'missing.json'), '--to', 'lockstep'])).rejects.toThrow(/Cannot read recipe .*missing\.json: no such file/)
  })
})

describe('resources/sample', () => {
  it('is a valid dataset: 12 pairs whose masks hold classes 0..4 and a recipe that parses', async () => {
    const classes = JSON.parse(readFileSync(join(sample, 'classes.json'), 'utf8'))
    expect(classes.classes.map((c: { index: number }) => c.index)).toEqual([0, 1, 2, 3, 4])
    const p = await loadPair({ image: join(sample, 'images', 'scene_01.jpg'), mask: join(sample, 'masks', 'scene_01.png') })
    expect([p.width, p.height]).toEqual([480, 360])
    expect(new Set(p.labels!.data).size).toBeGreaterThanOrEqual(4)
    for (const v of new Set(p.labels!.data)) expect([0, 1, 2, 3, 4]).toContain(v)
  })
})
