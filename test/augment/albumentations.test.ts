// Albumentations interop with realistic files: what `A.save(compose, path, data_format='json')`
// writes in 1.3.1, an older file (module-qualified names, always_apply, mask_value) and 2.x
// spellings; round trips; and every transform without a counterpart named.
import { describe, expect, it } from 'vitest'
import { fromAlbumentations, parseRecipe, toAlbumentations } from '../../src/main/augment'
import { convertRecipe } from '../../src/main/augment'
import { LockstepError } from '../../src/shared/errors'

// As written by albumentations 1.3.1: A.save(A.Compose([...]), 'r.json', data_format='json')
const saved131 = JSON.parse(`{"__version__": "1.3.1", "transform": {"__class_fullname__": "Compose", "p": 1.0, "transforms": [
 {"__class_fullname__": "PadIfNeeded", "always_apply": false, "p": 1.0, "min_height": 512, "min_width": 512, "pad_height_divisor": null, "pad_width_divisor": null, "border_mode": 0, "value": 0, "mask_value": 255, "position": "center"},
 {"__class_fullname__": "RandomCrop", "always_apply": false, "p": 1.0, "height": 512, "width": 512},
 {"__class_fullname__": "HorizontalFlip", "always_apply": false, "p": 0.5},
 {"__class_fullname__": "VerticalFlip", "always_apply": false, "p": 0.25},
 {"__class_fullname__": "RandomRotate90", "always_apply": false, "p": 0.5},
 {"__class_fullname__": "ShiftScaleRotate", "always_apply": false, "p": 0.5, "shift_limit_x": [-0.0625, 0.0625], "shift_limit_y": [-0.0625, 0.0625], "scale_limit": [-0.09999999999999998, 0.10000000000000009], "rotate_limit": [-45, 45], "interpolation": 1, "border_mode": 4, "value": null, "mask_value": null, "rotate_method": "largest_box"},
 {"__class_fullname__": "Rotate", "always_apply": false, "p": 0.3, "limit": [-30, 30], "interpolation": 1, "border_mode": 0, "value": 0, "mask_value": 255, "rotate_method": "largest_box", "crop_border": false},
 {"__class_fullname__": "RandomBrightnessContrast", "always_apply": false, "p": 0.5, "brightness_limit": [-0.2, 0.2], "contrast_limit": [-0.2, 0.2], "brightness_by_max": true},
 {"__class_fullname__": "RandomGamma", "always_apply": false, "p": 0.5, "gamma_limit": [80, 120], "eps": null},
 {"__class_fullname__": "HueSaturationValue", "always_apply": false, "p": 0.5, "hue_shift_limit": [-10, 10], "sat_shift_limit": [0, 0], "val_shift_limit": [0, 0]},
 {"__class_fullname__": "GaussNoise", "always_apply": false, "p": 0.5, "var_limit": [10.0, 50.0], "per_channel": true, "mean": 0},
 {"__class_fullname__": "GaussianBlur", "always_apply": false, "p": 0.5, "blur_limit": [3, 7], "sigma_limit": [0, 0]},
 {"__class_fullname__": "CLAHE", "always_apply": false, "p": 0.5, "clip_limit": [1, 4.0], "tile_grid_size": [8, 8]},
 {"__class_fullname__": "OneOf", "p": 0.5, "transforms": [{"__class_fullname__": "MotionBlur", "always_apply": false, "p": 1.0, "blur_limit": [3, 7]}]}
], "bbox_params": null, "keypoint_params": null, "additional_targets": {}, "is_check_shapes": true}}`)

// An older file: module-qualified class names, always_apply, mask_value on crops' neighbours.
const savedOld = JSON.parse(`{"__version__": "0.5.2", "transform": {"__class_fullname__": "albumentations.core.composition.Compose", "p": 1.0, "transforms": [
 {"__class_fullname__": "albumentations.augmentations.transforms.CropNonEmptyMaskIfExists", "always_apply": true, "p": 1.0, "height": 256, "width": 256, "ignore_values": [0], "ignore_channels": null},
 {"__class_fullname__": "albumentations.augmentations.transforms.RandomScale", "always_apply": false, "p": 0.5, "interpolation": 1, "scale_limit": [-0.1, 0.1]},
 {"__class_fullname__": "albumentations.augmentations.transforms.Rotate", "always_apply": false, "p": 0.5, "limit": [-15, 15], "interpolation": 1, "border_mode": 0, "value": null, "mask_value": 0},
 {"__class_fullname__": "albumentations.augmentations.transforms.Resize", "always_apply": true, "p": 1, "height": 224, "width": 224, "interpolation": 1}
], "bbox_params": {}, "keypoint_params": {}, "additional_targets": {}}}`)

describe('Albumentations import', () => {
  it('reads an A.save 1.3.1 file, names what has no counterpart and explains approximations', () => {
    const c = fromAlbumentations(saved131)
    expect(c.unsupported).toEqual(['OneOf'])
    expect(c.recipe.ops.map((o) => o.type)).toEqual([
      'random_crop',
      'hflip',
      'vflip',
      'rot90',
      'affine',
      'rotate',
      'brightness',
      'contrast',
      'gamma',
      'hsv_shift',
      'gaussian_noise',
      'gaussian_blur',
      'clahe',
    ])
    expect(c.recipe.ops[0]).toMatchObject({ type: 'random_crop', width: 512, height: 512, padIfNeeded: true, p: 1, fill: 'constant' })
    // border_mode 4 (REFLECT_101) is the reflect fill
    expect(c.recipe.ops[4]).toMatchObject({ type: 'affine', degrees: [-45, 45], scale: [0.9, 1.1], shiftX: [-0.0625, 0.0625], p: 0.5, fill: 'reflect' })
    expect(c.recipe.ops[5]).toMatchObject({ type: 'rotate', fill: 'constant' })
    expect(c.recipe.ops[8]).toMatchObject({ type: 'gamma', gamma: [0.8, 1.2] })
    expect(c.recipe.ops[9]).toMatchObject({ type: 'hsv_shift', hue: [-20, 20], saturation: [0, 0], value: [0, 0] })
    expect(c.recipe.ops[12]).toMatchObject({ type: 'clahe', clipLimit: [1, 4], tiles: 8 })
    expect(c.recipe.output).toEqual({ width: 512, height: 512 })
    expect(c.recipe.mask.ignoreIndex).toBe(255)
    // parseRecipe refuses a file with unsupported transforms, naming each
    try {
      parseRecipe(saved131, 'r.json')
      expect.unreachable()
    } catch (err) {
      const e = err as LockstepError
      expect(e.code).toBe('INVALID_RECIPE')
      expect(e.message).toContain('OneOf has no Lockstep counterpart')
    }
  })

  it('reads older files (qualified names, always_apply, mask_value) into a valid recipe', () => {
    const r = parseRecipe(savedOld)
    expect(r.mask.ignoreIndex).toBe(0)
    expect(r.output).toEqual({ width: 224, height: 224 })
    expect(r.ops).toEqual([
      { type: 'crop_non_empty_mask', p: 1, width: 256, height: 256, classes: [], ignoreValues: [0], padIfNeeded: false, fill: 'constant' },
      { type: 'scale', p: 0.5, factor: [0.9, 1.1], keepSize: false, fill: 'constant' },
      { type: 'rotate', p: 0.5, degrees: [-15, 15], fill: 'constant' },
      { type: 'resize', p: 1, width: 224, height: 224 },
    ])
  })

  it('reads 2.x spellings (size, fill_mask, std_range, pad_if_needed)', () => {
    const r = parseRecipe({
      __version__: '2.0.5',
      transform: {
        __class_fullname__: 'Compose',
        p: 1,
        transforms: [
          { __class_fullname__: 'RandomResizedCrop', p: 1, size: [320, 480], scale: [0.3, 1], ratio: [0.75, 1.3333333333333333] },
          { __class_fullname__: 'RandomCrop', p: 1, height: 300, width: 300, pad_if_needed: true, fill: 0, fill_mask: 250 },
          { __class_fullname__: 'GaussNoise', p: 0.5, std_range: [0.02, 0.1], mean_range: [0, 0], per_channel: false },
        ],
      },
    })
    expect(r.ops[0]).toMatchObject({ type: 'random_resized_crop', width: 480, height: 320, scale: [0.3, 1] })
    expect(r.ops[1]).toMatchObject({ type: 'random_crop', padIfNeeded: true })
    expect(r.ops[2]).toMatchObject({ type: 'gaussian_noise', std: [5.1, 25.5], perChannel: false })
    expect(r.mask.ignoreIndex).toBe(250)
    expect(r.output).toEqual({ width: 300, height: 300 })
  })
})

describe('Albumentations export and round trips', () => {
  const ours = parseRecipe({
    schema: 'lockstep.recipe/1',
    output: { width: 384, height: 384 },
    mask: { ignoreIndex: 255 },
    ops: [
      { type: 'pad_if_needed', minWidth: 400, minHeight: 400 },
      { type: 'random_crop', width: 384, height: 384, padIfNeeded: true },
      { type: 'hflip', p: 0.5 },
      { type: 'vflip', p: 0.5 },
      { type: 'rot90', p: 0.5 },
      { type: 'rotate', degrees: [-30, 30], p: 0.4 },
      { type: 'scale', factor: [0.75, 1.5], keepSize: false, p: 0.3 },
      { type: 'affine', degrees: [-10, 10], scale: [0.9, 1.1], shiftX: [-0.05, 0.05], shiftY: [-0.1, 0.1], p: 0.5 },
      { type: 'brightness', limit: [-0.3, 0.3], p: 0.5 },
      { type: 'contrast', limit: [-0.25, 0.2], p: 0.5 },
      { type: 'hsv_shift', hue: [-16, 16], saturation: [-30, 20], value: [-10, 10], p: 0.2 },
      { type: 'gamma', gamma: [0.7, 1.4], p: 0.3 },
      { type: 'gaussian_noise', std: [3, 15], p: 0.2 },
      { type: 'gaussian_blur', sigma: [0.5, 2], p: 0.1 },
      { type: 'salt_pepper', amount: [0.01, 0.03], saltRatio: 0.4, p: 0.1 },
      { type: 'center_crop', width: 384, height: 384, padIfNeeded: false },
      { type: 'resize', width: 384, height: 384 },
    ],
  })

  it('ours -> Albumentations -> ours is the identity for every op both have', () => {
    const out = toAlbumentations(ours)
    expect(out.unsupported).toEqual([])
    const json = JSON.parse(JSON.stringify(out.recipe)) // as written to disk
    expect(json.__version__).toBe('1.3.1')
    expect(json.transform.transforms.every((t: { always_apply: boolean }) => t.always_apply === false)).toBe(true)
    const back = parseRecipe(json)
    expect(back).toEqual(ours)
  })

  it('Albumentations -> ours -> Albumentations keeps the transforms and their parameters', () => {
    const supported = {
      ...saved131,
      transform: {
        ...saved131.transform,
        transforms: saved131.transform.transforms.filter(
          (t: { __class_fullname__: string }) => !['OneOf', 'GaussNoise', 'GaussianBlur', 'ShiftScaleRotate'].includes(t.__class_fullname__),
        ),
      },
    }
    const again = toAlbumentations(parseRecipe(supported)).recipe as { transform: { transforms: Record<string, unknown>[] } }
    const names = (ts: Record<string, unknown>[]) => ts.map((t) => t.__class_fullname__)
    expect(names(again.transform.transforms)).toEqual([
      'PadIfNeeded',
      'RandomCrop',
      'HorizontalFlip',
      'VerticalFlip',
      'RandomRotate90',
      'Rotate',
      'RandomBrightnessContrast',
      'RandomBrightnessContrast',
      'RandomGamma',
      'HueSaturationValue',
      'CLAHE',
    ])
    const byName = (n: string) => again.transform.transforms.find((t) => t.__class_fullname__ === n)!
    expect(byName('Rotate')).toMatchObject({ limit: [-30, 30], p: 0.3, mask_value: 255, border_mode: 0 })
    expect(byName('RandomGamma')).toMatchObject({ gamma_limit: [80, 120] })
    expect(byName('HueSaturationValue')).toMatchObject({ hue_shift_limit: [-10, 10] })
  })

  it('ops with no Albumentations counterpart are named, not dropped', () => {
    const r = parseRecipe({
      schema: 'lockstep.recipe/1',
      output: { width: 64, height: 64 },
      ops: [
        { type: 'random_crop', width: 64, height: 64 },
        { type: 'hsv_power' },
        { type: 'rot90', turns: [1] },
        { type: 'crop_non_empty_mask', width: 64, height: 64, classes: [2] },
      ],
    })
    const out = toAlbumentations(r)
    expect(out.unsupported).toEqual(['ops[1] hsv_power', 'ops[2] rot90.turns [1] (RandomRotate90 draws from all four)', 'ops[3] crop_non_empty_mask.classes'])
    const c = convertRecipe(JSON.stringify(r), 'albumentations')
    expect(c.unsupported).toEqual(out.unsupported)
    const l = convertRecipe(saved131, 'lockstep')
    expect(l.unsupported).toEqual(['OneOf'])
    expect((l.recipe as { schema: string }).schema).toBe('lockstep.recipe/1')
  })
})

describe('every op with a counterpart converts both ways', () => {
  // each op with non-default parameters, so a dropped or swapped parameter shows
  const all = parseRecipe({
    schema: 'lockstep.recipe/1',
    output: { width: 256, height: 256 },
    mask: { ignoreIndex: 250 },
    ops: [
      { type: 'pad_if_needed', minWidth: 300, minHeight: 280, fill: 'symmetric' },
      { type: 'random_crop', width: 256, height: 256, padIfNeeded: true, fill: 'edge', p: 1 },
      { type: 'rotate', degrees: [-20, 25], fill: 'wrap', p: 0.4 },
      {
        type: 'affine',
        degrees: [-10, 10],
        scale: [0.8, 1.25],
        shiftX: [-0.1, 0.1],
        shiftY: [0, 0.2],
        shearX: [-12, 8],
        shearY: [-5, 5],
        keepRatio: false,
        scaleY: [0.7, 1.1],
        fill: 'reflect',
        p: 0.6,
      },
      { type: 'elastic', alpha: 120, sigma: 6, affine: 3.6, fill: 'reflect', p: 0.25 },
      { type: 'grid_distortion', steps: 7, distort: [-0.2, 0.25], fill: 'edge', p: 0.2 },
      { type: 'optical_distortion', distort: [-0.3, 0.4], shift: [0, 0], fill: 'reflect', p: 0.2 },
      { type: 'perspective', scale: [0.02, 0.08], fill: 'constant', p: 0.35 },
      { type: 'hsv_shift', hue: [-30, 24], saturation: [-40, 10], value: [-15, 35], p: 0.45 },
      { type: 'color_jitter', brightness: [0.7, 1.3], contrast: [0.9, 1.4], saturation: [0.5, 1.5], hue: [-0.1, 0.15], p: 0.55 },
      { type: 'rgb_shift', r: [-10, 15], g: [-5, 5], b: [0, 30], p: 0.3 },
      { type: 'to_grey', p: 0.1 },
      { type: 'channel_shuffle', p: 0.15 },
      { type: 'clahe', clipLimit: [2, 6], tiles: 4, p: 0.3 },
      { type: 'equalize', p: 0.2 },
      { type: 'posterize', bits: [3, 6], p: 0.25 },
      { type: 'sharpen', alpha: [0.1, 0.3], lightness: [0.6, 0.9], p: 0.3 },
      { type: 'motion_blur', size: [3, 9], p: 0.2 },
      { type: 'median_blur', size: [3, 5], p: 0.2 },
      { type: 'downscale', scale: [0.3, 0.6], p: 0.2 },
      { type: 'multiplicative_noise', multiplier: [0.8, 1.2], perChannel: true, elementwise: true, p: 0.3 },
      { type: 'jpeg', quality: [40, 80], p: 0.4 },
      { type: 'coarse_dropout', holes: [2, 6], height: [10, 20], width: [8, 30], units: 'pixels', fillValue: 17, mask: 'ignore', p: 0.5 },
      { type: 'grid_dropout', ratio: 0.4, unit: [20, 40], randomOffset: true, fillValue: 3, mask: 'keep', p: 0.3 },
    ],
  })

  it('ours -> Albumentations 1.3.1 -> ours gives the same recipe (fill modes, shear, anisotropic zoom, mask rules included)', () => {
    const out = toAlbumentations(all)
    expect(out.unsupported).toEqual([])
    const back = parseRecipe(JSON.parse(JSON.stringify(out.recipe)))
    expect(back).toEqual(all)
  })

  it('HueSaturationValue and ColorJitter convert exactly (the four parameters recipe convert used to refuse)', () => {
    const c = convertRecipe(
      {
        __version__: '1.3.1',
        transform: {
          __class_fullname__: 'Compose',
          p: 1,
          transforms: [
            { __class_fullname__: 'RandomCrop', p: 1, height: 64, width: 64 },
            { __class_fullname__: 'HueSaturationValue', p: 0.7, hue_shift_limit: [-20, 20], sat_shift_limit: [-30, 30], val_shift_limit: [-20, 20] },
            { __class_fullname__: 'ColorJitter', p: 0.8, brightness: [0.8, 1.2], contrast: [0.7, 1.3], saturation: [0.6, 1.4], hue: [-0.2, 0.2] },
            { __class_fullname__: 'ColorJitter', p: 0.5, brightness: 0.2, contrast: 0.3, saturation: 1.5, hue: 0.1 },
          ],
        },
      },
      'lockstep',
    )
    expect(c.unsupported).toEqual([])
    const ops = (c.recipe as { ops: unknown[] }).ops
    expect(ops[1]).toMatchObject({ type: 'hsv_shift', p: 0.7, hue: [-40, 40], saturation: [-30, 30], value: [-20, 20] })
    expect(ops[2]).toMatchObject({ type: 'color_jitter', p: 0.8, brightness: [0.8, 1.2], contrast: [0.7, 1.3], saturation: [0.6, 1.4], hue: [-0.2, 0.2] })
    // torchvision's single numbers: [max(0, 1 - v), 1 + v], hue [-v, v]
    expect(ops[3]).toMatchObject({ type: 'color_jitter', brightness: [0.8, 1.2], contrast: [0.7, 1.3], saturation: [0, 2.5], hue: [-0.1, 0.1] })
  })
})

describe('Albumentations files that are not pipelines are named errors (INVALID_RECIPE)', () => {
  const file = (transform: unknown) => ({ __version__: '1.3.1', transform })
  const compose = (transforms: unknown) => file({ __class_fullname__: 'Compose', p: 1, transforms })
  const refused = (json: unknown): LockstepError => {
    try {
      parseRecipe(json, 'r.json')
    } catch (err) {
      expect(err).toBeInstanceOf(LockstepError)
      expect((err as LockstepError).code).toBe('INVALID_RECIPE')
      // convert (CLI and channel) says the same, and never converts to an empty recipe
      expect(() => convertRecipe(json, 'lockstep')).toThrow(LockstepError)
      return err as LockstepError
    }
    throw new Error('accepted')
  }

  it('transforms that are a string, an object, or missing', () => {
    expect(refused(compose('nope')).message).toContain('transform.transforms: expected a list of transforms, received "nope"')
    expect(refused(compose({ a: 1 })).message).toContain('transform.transforms: expected a list of transforms, received {"a":1}')
    expect(refused(file({ __class_fullname__: 'Compose', p: 1 })).message).toContain('transform.transforms: expected a list of transforms, received nothing')
    expect(refused({ __version__: '1.3.1' }).message).toContain('transform: expected {"__class_fullname__": "Compose", "transforms": [...]}, received nothing')
  })

  it('a transform that is null, a number or has no class name', () => {
    const e = refused(compose([null, 3, { p: 1 }, { __class_fullname__: 'HorizontalFlip', p: 0.5 }]))
    expect(e.details).toEqual({
      problems: [
        'transform.transforms[0]: expected a transform object with "__class_fullname__", received null',
        'transform.transforms[1]: expected a transform object with "__class_fullname__", received 3',
        'transform.transforms[2]: expected a transform object with "__class_fullname__", received {"p":1}',
      ],
    })
  })

  it('p: 1e999 is not a finite number (not "received null")', () => {
    const json = JSON.parse(
      '{"__version__": "1.3.1", "transform": {"__class_fullname__": "Compose", "p": 1, "transforms": [{"__class_fullname__": "HorizontalFlip", "p": 1e999}]}}',
    )
    const e = refused(json)
    expect(e.message).toContain('transform.transforms[0].p: expected a probability in [0, 1], received Infinity (not a finite number)')
    expect(e.message).not.toContain('null')
    // and in a Lockstep recipe
    expect(() =>
      parseRecipe(JSON.parse('{"schema": "lockstep.recipe/1", "output": {"width": 8, "height": 8}, "ops": [{"type": "hflip", "p": 1e999}]}')),
    ).toThrow('ops[0].p: expected a probability in [0, 1], received Infinity (not a finite number)')
  })

  it('a 100,000-deep nesting is refused by depth (an iterative walk), not by a stack overflow', () => {
    const deep = '[{"__class_fullname__": "OneOf", "transforms": '.repeat(100_000) + '[]' + '}]'.repeat(100_000)
    const json = JSON.parse(`{"__version__": "1.3.1", "transform": {"__class_fullname__": "Compose", "transforms": ${deep}}}`)
    expect(refused(json).message).toContain('nested more than 64 levels deep')
    let lockstep: unknown = []
    for (let i = 0; i < 100_000; i++) lockstep = [lockstep]
    expect(() => parseRecipe({ schema: 'lockstep.recipe/1', output: { width: 8, height: 8 }, ops: lockstep })).toThrow(/nested more than 64 levels deep/)
  })
})
