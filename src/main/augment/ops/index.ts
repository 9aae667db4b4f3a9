// The op table: one entry per recipe op type.
import { centerCrop, cropNonEmptyMask, padIfNeeded, randomCrop, randomResizedCrop } from './crop'
import { affine, hflip, resize, rot90, rotate, scale, shift, vflip } from './geometry'
import { brightness, contrast, gamma, hsvPower, hue } from './colour'
import { gaussianNoise, saltPepper } from './noise'
import { gaussianBlur } from './blur'
import type { OpTable } from './types'

export const OPS: OpTable = {
  random_crop: randomCrop,
  center_crop: centerCrop,
  crop_non_empty_mask: cropNonEmptyMask,
  random_resized_crop: randomResizedCrop,
  pad_if_needed: padIfNeeded,
  hflip,
  vflip,
  rot90,
  rotate,
  scale,
  shift,
  affine,
  resize,
  brightness,
  contrast,
  hsv_power: hsvPower,
  hue,
  gamma,
  gaussian_noise: gaussianNoise,
  salt_pepper: saltPepper,
  gaussian_blur: gaussianBlur,
}
export type * from './types'
