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
    expect(c.unsupported).toEqual(['CLAHE', 'OneOf'])
    expect(c.recipe.ops.map((o) => o.type)).toEqual([
      'random_crop', 'hflip', 'vflip', 'rot90', 'affine', 'rotate', 'brightness', 'contrast', 'gamma', 'hue', 'gaussian_noise', 'gaussian_blur',
    ])
    expect(c.recipe.ops[0]).toMatchObject({ type: 'random_crop', width: 512, height: 512, padIfNeeded: true, p: 1 })
    expect(c.recipe.ops[4]).toMatchObject({ type: 'affine', degrees: [-45, 45], scale: [0.9, 1.1], shiftX: [-0.0625, 0.0625], p: 0.5 })
    expect(c.recipe.ops[8]).toMatchObject({ type: 'gamma', gamma: [0.8, 1.2] })
    expect(c.recipe.ops[9]).toMatchObject({ type: 'hue', degrees: [-20, 20] })
    expect(c.recipe.output).toEqual({ width: 512, height: 512 })
    expect(c.recipe.mask.ignoreIndex).toBe(255)
    expect(c.notes.some((n) => n.startsWith('ShiftScaleRotate: border_mode 4'))).toBe(true)
    // parseRecipe refuses a file with unsupported transforms, naming each
    try {
      parseRecipe(saved131, 'r.json')
      expect.unreachable()
    } catch (err) {
      const e = err as LockstepError
      expect(e.code).toBe('INVALID_RECIPE')
      expect(e.message).toContain('CLAHE has no Lockstep counterpart')
      expect(e.message).toContain('OneOf has no Lockstep counterpart')
    }
  })

  it('reads older files (qualified names, always_apply, mask_value) into a valid recipe', () => {
    const r = parseRecipe(savedOld)
    expect(r.mask.ignoreIndex).toBe(0)
    expect(r.output).toEqual({ width: 224, height: 224 })
    expect(r.ops).toEqual([
      { type: 'crop_non_empty_mask', p: 1, width: 256, height: 256, classes: [], ignoreValues: [0], padIfNeeded: false },
      { type: 'scale', p: 0.5, factor: [0.9, 1.1], keepSize: false },
      { type: 'rotate', p: 0.5, degrees: [-15, 15] },
      { type: 'resize', p: 1, width: 224, height: 224 },
    ])
  })

  it('reads 2.x spellings (size, fill_mask, std_range, pad_if_needed)', () => {
    const r = parseRecipe({ __version__: '2.0.5', transform: { __class_fullname__: 'Compose', p: 1, transforms: [
      { __class_fullname__: 'RandomResizedCrop', p: 1, size: [320, 480], scale: [0.3, 1], ratio: [0.75, 1.3333333333333333] },
      { __class_fullname__: 'RandomCrop', p: 1, height: 300, width: 300, pad_if_needed: true, fill: 0, fill_mask: 250 },
      { __class_fullname__: 'GaussNoise', p: 0.5, std_range: [0.02, 0.1], mean_range: [0, 0], per_channel: false },
    ] } })
    expect(r.ops[0]).toMatchObject({ type: 'random_resized_crop', width: 480, height: 320, scale: [0.3, 1] })
    expect(r.ops[1]).toMatchObject({ type: 'random_crop', padIfNeeded: true })
    expect(r.ops[2]).toMatchObject({ type: 'gaussian_noise', std: [5.1, 25.5], perChannel: false })
    expect(r.mask.ignoreIndex).toBe(250)
    expect(r.output).toEqual({ width: 300, height: 300 })
  })
})

describe('Albumentations export and round trips', () => {
  const ours = parseRecipe({
    schema: 'lockstep.recipe/1', output: { width: 384, height: 384 }, mask: { ignoreIndex: 255 },
    ops: [
      { type: 'pad_if_needed', minWidth: 400, minHeight: 400 },
      { type: 'random_crop', width: 384, height: 384, padIfNeeded: true },
      { type: 'hflip', p: 0.5 }, { type: 'vflip', p: 0.5 }, { type: 'rot90', p: 0.5 },
      { type: 'rotate', degrees: [-30, 30], p: 0.4 },
      { type: 'scale', factor: [0.75, 1.5], keepSize: false, p: 0.3 },
      { type: 'affine', degrees: [-10, 10], scale: [0.9, 1.1], shiftX: [-0.05, 0.05], shiftY: [-0.1, 0.1], p: 0.5 },
      { type: 'brightness', limit: [-0.3, 0.3], p: 0.5 }, { type: 'contrast', limit: [-0.25, 0.2], p: 0.5 },
      { type: 'hue', degrees: [-16, 16], p: 0.2 }, { type: 'gamma', gamma: [0.7, 1.4], p: 0.3 },
      { type: 'gaussian_noise', std: [3, 15], p: 0.2 }, { type: 'gaussian_blur', sigma: [0.5, 2], p: 0.1 },
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
    const supported = { ...saved131, transform: { ...saved131.transform, transforms: saved131.transform.transforms.filter((t: { __class_fullname__: string }) => !['CLAHE', 'OneOf', 'GaussNoise', 'GaussianBlur', 'ShiftScaleRotate'].includes(t.__class_fullname__)) } }
    const again = toAlbumentations(parseRecipe(supported)).recipe as { transform: { transforms: Record<string, unknown>[] } }
    const names = (ts: Record<string, unknown>[]) => ts.map((t) => t.__class_fullname__)
    expect(names(again.transform.transforms)).toEqual([
      'PadIfNeeded', 'RandomCrop', 'HorizontalFlip', 'VerticalFlip', 'RandomRotate90', 'Rotate',
      'RandomBrightnessContrast', 'RandomBrightnessContrast', 'RandomGamma', 'HueSaturationValue',
    ])
    const byName = (n: string) => again.transform.transforms.find((t) => t.__class_fullname__ === n)!
    expect(byName('Rotate')).toMatchObject({ limit: [-30, 30], p: 0.3, mask_value: 255, border_mode: 0 })
    expect(byName('RandomGamma')).toMatchObject({ gamma_limit: [80, 120] })
    expect(byName('HueSaturationValue')).toMatchObject({ hue_shift_limit: [-10, 10] })
  })

  it('ops with no Albumentations counterpart are named, not dropped', () => {
    const r = parseRecipe({ schema: 'lockstep.recipe/1', output: { width: 64, height: 64 }, ops: [
      { type: 'random_crop', width: 64, height: 64 }, { type: 'hsv_power' }, { type: 'rot90', turns: [1] }, { type: 'crop_non_empty_mask', width: 64, height: 64, classes: [2] },
    ] })
    const out = toAlbumentations(r)
    expect(out.unsupported).toEqual(['ops[1] hsv_power', 'ops[2] rot90.turns [1] (RandomRotate90 draws from all four)', 'ops[3] crop_non_empty_mask.classes'])
    const c = convertRecipe(JSON.stringify(r), 'albumentations')
    expect(c.unsupported).toEqual(out.unsupported)
    const l = convertRecipe(saved131, 'lockstep')
    expect(l.unsupported).toEqual(['CLAHE', 'OneOf'])
    expect((l.recipe as { schema: string }).schema).toBe('lockstep.recipe/1')
  })
})
