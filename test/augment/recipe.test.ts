import { describe, expect, it } from 'vitest'
import { defaultOp, OP_TYPES, opCatalog, parseLockstepRecipe, validateRecipe } from '../../src/shared/recipe'
import { LockstepError } from '../../src/shared/errors'

const base = { schema: 'lockstep.recipe/1', output: { width: 512, height: 512 } }

describe('recipe schema lockstep.recipe/1', () => {
  it('fills defaults and keeps the op order', () => {
    const r = parseLockstepRecipe({
      ...base,
      ops: [
        { type: 'random_crop', width: 256 },
        { type: 'hflip', p: 0.5 },
      ],
    })
    expect(r.mask.ignoreIndex).toBe(255)
    expect(r.ops).toEqual([
      { type: 'random_crop', p: 1, width: 256, height: 512, padIfNeeded: true, fill: 'constant' },
      { type: 'hflip', p: 0.5 },
    ])
  })

  it('lists every problem by path', () => {
    const v = validateRecipe({
      ...base,
      output: { width: 512, height: 0 },
      extra: 1,
      ops: [
        { type: 'random_crop', width: 512 },
        { type: 'hflip', p: 2 },
        { type: 'rotate', degrees: [30, -30] },
        { type: 'nope' },
        { type: 'hsv_power', saturation: [0.1, 2], foo: 1 },
        7,
      ],
    })
    expect(v.ok).toBe(false)
    if (v.ok) return
    expect(v.problems).toEqual([
      'output.height: expected an integer height in [1, 16384], received 0',
      'extra: unknown field',
      'ops[1].p: expected a probability in [0, 1], received 2',
      'ops[2].degrees: expected [min, max] with min <= max, received [30, -30]',
      `ops[3].type: expected one of ${OP_TYPES.join(', ')}, received "nope"`,
      'ops[4].saturation: expected values within [0.25, 4], received [0.1, 2]',
      'ops[4].foo: unknown field',
      'ops[5]: expected an object with a "type", received 7',
    ])
  })

  it('throws INVALID_RECIPE with the problems in the message and details', () => {
    try {
      parseLockstepRecipe({ ...base, ops: [{ type: 'rotate', degrees: [30, -30] }] })
      expect.unreachable()
    } catch (err) {
      expect(err).toBeInstanceOf(LockstepError)
      const e = err as LockstepError
      expect(e.code).toBe('INVALID_RECIPE')
      expect(e.message).toContain('ops[0].degrees: expected [min, max] with min <= max, received [30, -30]')
      expect(e.details).toEqual({ problems: ['ops[0].degrees: expected [min, max] with min <= max, received [30, -30]'] })
    }
    expect(() => parseLockstepRecipe('{not json')).toThrow(/not JSON/)
    expect(() => parseLockstepRecipe({ schema: 'lockstep.recipe/2', output: { width: 1, height: 1 }, ops: [] })).toThrow(
      /schema: expected "lockstep.recipe\/1", received "lockstep.recipe\/2"/,
    )
  })

  it('a palette op gets the p Albumentations users know (crops and resize 1, the rest 0.5); a recipe leaving p out means 1', () => {
    expect(defaultOp('random_crop').p).toBe(1)
    expect(defaultOp('resize').p).toBe(1)
    expect(defaultOp('hflip').p).toBe(0.5)
    expect(defaultOp('elastic').p).toBe(0.5)
    expect(parseLockstepRecipe({ ...base, ops: [{ type: 'elastic' }] }).ops[0].p).toBe(1)
  })

  it('new parameter kinds: a choice lists its options, an integer range wants integers', () => {
    const v = validateRecipe({
      ...base,
      ops: [
        { type: 'rotate', fill: 'mirror' },
        { type: 'posterize', bits: [2.5, 4] },
        { type: 'coarse_dropout', mask: 'zero' },
      ],
    })
    expect(v.ok).toBe(false)
    if (v.ok) return
    expect(v.problems).toEqual([
      'ops[0].fill: expected one of constant, edge, reflect, symmetric, wrap, received "mirror"',
      'ops[1].bits: expected [min, max] (two integers), received [2.5, 4]',
      'ops[2].mask: expected one of keep, ignore, received "zero"',
    ])
  })

  it('the catalogue defaults are valid recipes, and every op has slider metadata', () => {
    const ops = OP_TYPES.map((t) => defaultOp(t))
    const r = parseLockstepRecipe({ ...base, ops })
    expect(r.ops).toEqual(ops)
    for (const entry of opCatalog) {
      expect(['crop', 'geometry', 'colour', 'noise', 'blur']).toContain(entry.group)
      for (const spec of Object.values(entry.params)) {
        if (spec.kind === 'range' || spec.kind === 'intRange' || spec.kind === 'int' || spec.kind === 'number') expect(spec.min).toBeLessThan(spec.max)
        if (spec.kind === 'choice') expect(spec.options).toContain(spec.default)
      }
    }
  })
})
