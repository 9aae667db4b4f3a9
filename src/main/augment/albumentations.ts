// Albumentations interop: import files written by `A.save(compose, path, data_format='json')`
// (1.x, including older files with `always_apply`/`mask_value` and module-qualified class
// names, and the 2.x spellings `fill`/`fill_mask`/`size`/`std_range`), and export ours in the
// 1.3.1 layout. Every transform or parameter with no counterpart is named in `unsupported`;
// approximations are explained in `notes`. Nothing is dropped silently.
import { defaultOp, RECIPE_SCHEMA, type OpOf, type OpSpec, type Recipe } from '../../shared/recipe'

export interface Conversion<T> {
  recipe: T
  /** transforms (or parameters, as `Class.param`) with no counterpart */
  unsupported: string[]
  /** approximations and choices made, one sentence each */
  notes: string[]
}

type Json = Record<string, unknown>
const tidy = (v: number) => Number(v.toPrecision(12))
const pair = (v: unknown, fallback: [number, number]): [number, number] => {
  if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'number' && typeof v[1] === 'number') return [v[0], v[1]]
  if (typeof v === 'number') return [-Math.abs(v), Math.abs(v)]
  return fallback
}
const isZero = (r: [number, number]) => r[0] === 0 && r[1] === 0

export function isAlbumentations(json: unknown): json is Json {
  if (!json || typeof json !== 'object') return false
  const j = json as Json
  return '__version__' in j || (typeof j.transform === 'object' && j.transform !== null && '__class_fullname__' in (j.transform as Json))
}

const className = (t: Json) => String(t.__class_fullname__ ?? '').split('.').pop() ?? ''

function probability(t: Json): number {
  if (t.always_apply === true) return 1
  return typeof t.p === 'number' ? t.p : 0.5
}

const BORDER_CONSTANT = 0

/** Albumentations JSON -> Lockstep recipe (not yet validated: the caller runs validateRecipe). */
export function fromAlbumentations(json: unknown): Conversion<Recipe> {
  const unsupported: string[] = []
  const notes: string[] = []
  const ops: OpSpec[] = []
  let ignoreIndex: number | null = null
  const root = (json as Json).transform as Json | undefined
  const list = Array.isArray(root?.transforms) ? (root!.transforms as Json[]) : []
  if (!root || className(root) !== 'Compose') unsupported.push(root ? className(root) || '(unnamed root)' : '(no "transform")')
  let size: { width: number; height: number } | null = null

  const fills = (name: string, t: Json) => {
    const border = t.border_mode
    if (typeof border === 'number' && border !== BORDER_CONSTANT) notes.push(`${name}: border_mode ${border} (reflect/replicate) imported as a constant fill (image 0, mask ignoreIndex)`)
    const value = t.value ?? t.fill
    if (typeof value === 'number' && value !== 0) notes.push(`${name}: image fill ${value} imported as 0`)
    const mv = t.mask_value ?? t.fill_mask
    if (typeof mv === 'number') {
      if (ignoreIndex === null) ignoreIndex = mv
      else if (ignoreIndex !== mv) notes.push(`${name}: mask fill ${mv} differs from an earlier ${ignoreIndex}; the recipe uses ${ignoreIndex}`)
    }
  }
  const hw = (t: Json): { width: number; height: number } => {
    if (Array.isArray(t.size)) return { height: Number(t.size[0]), width: Number(t.size[1]) }
    return { height: Number(t.height), width: Number(t.width) }
  }

  for (let i = 0; i < list.length; i++) {
    const t = list[i]!
    const name = className(t)
    const p = probability(t)
    switch (name) {
      case 'RandomCrop':
      case 'CenterCrop': {
        const s = hw(t)
        size = s
        const prev = ops[ops.length - 1]
        // PadIfNeeded(h, w) then a crop of the same size: the two are our crop with padIfNeeded
        const merged = prev?.type === 'pad_if_needed' && prev.p === 1 && prev.minWidth === s.width && prev.minHeight === s.height
        if (merged) ops.pop()
        const type = name === 'RandomCrop' ? 'random_crop' : 'center_crop'
        ops.push({ ...defaultOp(type, p), width: s.width, height: s.height, padIfNeeded: merged || t.pad_if_needed === true })
        fills(name, t)
        break
      }
      case 'PadIfNeeded': {
        if (typeof t.min_height !== 'number' || typeof t.min_width !== 'number') {
          unsupported.push('PadIfNeeded.pad_height_divisor')
          break
        }
        if (t.position !== undefined && t.position !== 'center') notes.push(`PadIfNeeded: position ${JSON.stringify(t.position)} imported as centre`)
        ops.push({ ...defaultOp('pad_if_needed', p), minWidth: t.min_width, minHeight: t.min_height })
        fills(name, t)
        break
      }
      case 'CropNonEmptyMaskIfExists': {
        const s = hw(t)
        size = s
        if (Array.isArray(t.ignore_channels) && t.ignore_channels.length) unsupported.push('CropNonEmptyMaskIfExists.ignore_channels')
        ops.push({ ...defaultOp('crop_non_empty_mask', p), width: s.width, height: s.height, classes: [], ignoreValues: Array.isArray(t.ignore_values) ? (t.ignore_values as number[]) : [], padIfNeeded: false })
        break
      }
      case 'RandomResizedCrop': {
        const s = hw(t)
        size = s
        ops.push({ ...defaultOp('random_resized_crop', p), width: s.width, height: s.height, scale: pair(t.scale, [0.08, 1]), ratio: pair(t.ratio, [0.75, 1.3333]) })
        break
      }
      case 'Resize': {
        const s = hw(t)
        size = s
        ops.push({ ...defaultOp('resize', p), ...s })
        break
      }
      case 'HorizontalFlip':
        ops.push(defaultOp('hflip', p))
        break
      case 'VerticalFlip':
        ops.push(defaultOp('vflip', p))
        break
      case 'RandomRotate90':
        ops.push({ ...defaultOp('rot90', p), turns: [0, 1, 2, 3] })
        break
      case 'Rotate':
      case 'SafeRotate': {
        if (name === 'SafeRotate' || t.crop_border === true) {
          unsupported.push(name === 'SafeRotate' ? 'SafeRotate' : 'Rotate.crop_border')
          break
        }
        ops.push({ ...defaultOp('rotate', p), degrees: pair(t.limit, [-90, 90]) })
        fills(name, t)
        break
      }
      case 'RandomScale': {
        const lim = pair(t.scale_limit, [-0.1, 0.1])
        ops.push({ ...defaultOp('scale', p), factor: [tidy(1 + lim[0]), tidy(1 + lim[1])], keepSize: false })
        break
      }
      case 'ShiftScaleRotate': {
        const sx = pair(t.shift_limit_x ?? t.shift_limit, [-0.0625, 0.0625])
        const sy = pair(t.shift_limit_y ?? t.shift_limit, [-0.0625, 0.0625])
        const sc = pair(t.scale_limit, [-0.1, 0.1])
        const rot = pair(t.rotate_limit, [-45, 45])
        ops.push({ ...defaultOp('affine', p), degrees: rot, scale: [tidy(1 + sc[0]), tidy(1 + sc[1])], shiftX: sx, shiftY: sy })
        fills(name, t)
        break
      }
      case 'Affine': {
        const scale = t.scale as unknown
        let sr: [number, number] = [1, 1]
        if (scale && typeof scale === 'object' && !Array.isArray(scale)) {
          const sxr = pair((scale as Json).x, [1, 1]), syr = pair((scale as Json).y, [1, 1])
          if (sxr[0] !== syr[0] || sxr[1] !== syr[1] || t.keep_ratio === false) unsupported.push('Affine.scale (different x and y)')
          sr = sxr
        } else if (scale !== undefined && scale !== null) sr = typeof scale === 'number' ? [scale, scale] : pair(scale, [1, 1])
        const shear = t.shear as unknown
        const shearZero = shear === undefined || shear === null || (typeof shear === 'object' && Object.values(shear as Json).every((v) => isZero(pair(v, [0, 0])))) || (typeof shear === 'number' && shear === 0)
        if (!shearZero) unsupported.push('Affine.shear')
        if (t.translate_px !== undefined && t.translate_px !== null) unsupported.push('Affine.translate_px')
        const tp = (t.translate_percent ?? null) as Json | [number, number] | null
        const tx = tp && !Array.isArray(tp) ? pair(tp.x, [0, 0]) : tp ? pair(tp, [0, 0]) : [0, 0]
        const ty = tp && !Array.isArray(tp) ? pair(tp.y, [0, 0]) : tp ? pair(tp, [0, 0]) : [0, 0]
        ops.push({ ...defaultOp('affine', p), degrees: pair(t.rotate, [0, 0]), scale: sr, shiftX: tx as [number, number], shiftY: ty as [number, number] })
        fills(name, t)
        break
      }
      case 'RandomBrightnessContrast': {
        const b = pair(t.brightness_limit, [-0.2, 0.2])
        const c = pair(t.contrast_limit, [-0.2, 0.2])
        if (t.brightness_by_max === false) notes.push('RandomBrightnessContrast: brightness_by_max=false imported as brightness by max (255)')
        if (!isZero(b) && !isZero(c) && p < 1) notes.push(`RandomBrightnessContrast: brightness and contrast each get p=${p} independently`)
        if (!isZero(b)) ops.push({ ...defaultOp('brightness', p), limit: b })
        if (!isZero(c)) ops.push({ ...defaultOp('contrast', p), limit: c })
        break
      }
      case 'ColorJitter': {
        const fac = (v: unknown): [number, number] => (typeof v === 'number' ? [Math.max(0, 1 - v), 1 + v] : pair(v, [1, 1]))
        const br = fac(t.brightness), co = fac(t.contrast), sa = fac(t.saturation)
        const hu: [number, number] = typeof t.hue === 'number' ? [-t.hue, t.hue] : pair(t.hue, [0, 0])
        if (!(co[0] === 1 && co[1] === 1)) unsupported.push('ColorJitter.contrast')
        if (!(sa[0] === 1 && sa[1] === 1)) unsupported.push('ColorJitter.saturation')
        // brightness is a multiplier: our contrast op (out = alpha * in)
        if (!(br[0] === 1 && br[1] === 1)) ops.push({ ...defaultOp('contrast', p), limit: [tidy(br[0] - 1), tidy(br[1] - 1)] })
        if (!isZero(hu)) ops.push({ ...defaultOp('hue', p), degrees: [tidy(hu[0] * 360), tidy(hu[1] * 360)] })
        notes.push('ColorJitter: brightness imported as contrast (a multiplier), hue as degrees; applied in a fixed order')
        break
      }
      case 'HueSaturationValue': {
        const h = pair(t.hue_shift_limit, [-20, 20])
        if (!isZero(pair(t.sat_shift_limit, [-30, 30]))) unsupported.push('HueSaturationValue.sat_shift_limit')
        if (!isZero(pair(t.val_shift_limit, [-20, 20]))) unsupported.push('HueSaturationValue.val_shift_limit')
        // uint8 images: OpenCV hue units of 2 degrees
        if (!isZero(h)) ops.push({ ...defaultOp('hue', p), degrees: [h[0] * 2, h[1] * 2] })
        break
      }
      case 'RandomGamma': {
        const g = pair(t.gamma_limit, [80, 120])
        ops.push({ ...defaultOp('gamma', p), gamma: [tidy(g[0] / 100), tidy(g[1] / 100)] })
        break
      }
      case 'GaussNoise': {
        let std: [number, number]
        if (Array.isArray(t.std_range)) {
          const r = pair(t.std_range, [0.2, 0.44])
          std = [tidy(r[0] * 255), tidy(r[1] * 255)]
        } else {
          const v = pair(t.var_limit, [10, 50])
          std = [tidy(Math.sqrt(v[0])), tidy(Math.sqrt(v[1]))]
          notes.push('GaussNoise: var_limit imported as std = sqrt(var), drawn uniformly in std')
        }
        const mean = typeof t.mean === 'number' ? t.mean : Array.isArray(t.mean_range) ? pair(t.mean_range, [0, 0]) : 0
        if (typeof mean === 'number' ? mean !== 0 : !isZero(mean)) unsupported.push('GaussNoise.mean')
        ops.push({ ...defaultOp('gaussian_noise', p), std, perChannel: t.per_channel !== false })
        break
      }
      case 'SaltAndPepper': {
        ops.push({ ...defaultOp('salt_pepper', p), amount: pair(t.amount, [0.01, 0.06]), saltRatio: pair(t.salt_vs_pepper, [0.5, 0.5])[0] })
        break
      }
      case 'GaussianBlur': {
        const sl = pair(t.sigma_limit, [0, 0])
        let sigma: [number, number]
        if (sl[1] > 0) sigma = [Math.max(0.1, sl[0]), sl[1]]
        else {
          const bl = pair(t.blur_limit, [3, 7])
          const fromK = (k: number) => tidy(0.3 * ((Math.max(3, k) - 1) * 0.5 - 1) + 0.8)
          sigma = [fromK(bl[0]), fromK(bl[1])]
          notes.push(`GaussianBlur: kernel sizes ${bl[0]}-${bl[1]} imported as sigma ${sigma[0]}-${sigma[1]} (OpenCV's sigma for a kernel size)`)
        }
        ops.push({ ...defaultOp('gaussian_blur', p), sigma })
        break
      }
      default:
        unsupported.push(name || `transforms[${i}]`)
    }
  }
  if (!size) notes.push('no crop or resize fixes the output size: output set to 512x512 (a final resize)')
  const out = size ?? { width: 512, height: 512 }
  return {
    recipe: { schema: RECIPE_SCHEMA, output: { width: out.width, height: out.height }, mask: { ignoreIndex: ignoreIndex ?? 255 }, ops },
    unsupported,
    notes,
  }
}

/** Lockstep recipe -> Albumentations 1.3.1 JSON (`A.load(path)` reads it). */
export function toAlbumentations(recipe: Recipe): Conversion<Json> {
  const unsupported: string[] = []
  const notes: string[] = []
  const transforms: Json[] = []
  const ign = recipe.mask.ignoreIndex
  const T = (name: string, p: number, args: Json = {}) => transforms.push({ __class_fullname__: name, always_apply: false, p, ...args })
  const fill = { border_mode: BORDER_CONSTANT, value: 0, mask_value: ign }
  recipe.ops.forEach((op: OpSpec, i) => {
    if (op.enabled === false) {
      notes.push(`ops[${i}] ${op.type} is disabled and was left out`)
      return
    }
    const p = op.p
    switch (op.type) {
      case 'random_crop':
      case 'center_crop':
        if (op.padIfNeeded) T('PadIfNeeded', 1, { min_height: op.height, min_width: op.width, pad_height_divisor: null, pad_width_divisor: null, position: 'center', ...fill })
        T(op.type === 'random_crop' ? 'RandomCrop' : 'CenterCrop', p, { height: op.height, width: op.width })
        break
      case 'pad_if_needed':
        T('PadIfNeeded', p, { min_height: op.minHeight, min_width: op.minWidth, pad_height_divisor: null, pad_width_divisor: null, position: 'center', ...fill })
        break
      case 'crop_non_empty_mask': {
        const o = op as OpOf<'crop_non_empty_mask'>
        if (o.classes.length) unsupported.push(`ops[${i}] crop_non_empty_mask.classes`)
        if (o.padIfNeeded) notes.push(`ops[${i}] crop_non_empty_mask: padIfNeeded has no counterpart (Albumentations raises on small images)`)
        T('CropNonEmptyMaskIfExists', p, { height: o.height, width: o.width, ignore_values: o.ignoreValues.length ? o.ignoreValues : null, ignore_channels: null })
        break
      }
      case 'random_resized_crop':
        T('RandomResizedCrop', p, { height: op.height, width: op.width, scale: op.scale, ratio: op.ratio, interpolation: 1 })
        break
      case 'resize':
        T('Resize', p, { height: op.height, width: op.width, interpolation: 1 })
        break
      case 'hflip':
        T('HorizontalFlip', p)
        break
      case 'vflip':
        T('VerticalFlip', p)
        break
      case 'rot90': {
        const set = [...new Set(op.turns)].sort().join(',')
        if (set === '0,1,2,3') T('RandomRotate90', p)
        else unsupported.push(`ops[${i}] rot90.turns ${JSON.stringify(op.turns)} (RandomRotate90 draws from all four)`)
        break
      }
      case 'rotate':
        T('Rotate', p, { limit: op.degrees, interpolation: 1, ...fill, rotate_method: 'largest_box', crop_border: false })
        break
      case 'scale':
        if (op.keepSize) T('ShiftScaleRotate', p, { shift_limit_x: [0, 0], shift_limit_y: [0, 0], scale_limit: [tidy(op.factor[0] - 1), tidy(op.factor[1] - 1)], rotate_limit: [0, 0], interpolation: 1, ...fill, rotate_method: 'largest_box' })
        else T('RandomScale', p, { scale_limit: [tidy(op.factor[0] - 1), tidy(op.factor[1] - 1)], interpolation: 1 })
        break
      case 'shift':
        T('ShiftScaleRotate', p, { shift_limit_x: op.x, shift_limit_y: op.y, scale_limit: [0, 0], rotate_limit: [0, 0], interpolation: 1, ...fill, rotate_method: 'largest_box' })
        break
      case 'affine':
        T('ShiftScaleRotate', p, { shift_limit_x: op.shiftX, shift_limit_y: op.shiftY, scale_limit: [tidy(op.scale[0] - 1), tidy(op.scale[1] - 1)], rotate_limit: op.degrees, interpolation: 1, ...fill, rotate_method: 'largest_box' })
        break
      case 'brightness':
        T('RandomBrightnessContrast', p, { brightness_limit: op.limit, contrast_limit: [0, 0], brightness_by_max: true })
        break
      case 'contrast':
        T('RandomBrightnessContrast', p, { brightness_limit: [0, 0], contrast_limit: op.limit, brightness_by_max: true })
        break
      case 'hue':
        T('HueSaturationValue', p, { hue_shift_limit: [tidy(op.degrees[0] / 2), tidy(op.degrees[1] / 2)], sat_shift_limit: [0, 0], val_shift_limit: [0, 0] })
        break
      case 'gamma':
        T('RandomGamma', p, { gamma_limit: [tidy(op.gamma[0] * 100), tidy(op.gamma[1] * 100)], eps: null })
        break
      case 'gaussian_noise':
        T('GaussNoise', p, { var_limit: [tidy(op.std[0] ** 2), tidy(op.std[1] ** 2)], per_channel: op.perChannel, mean: 0 })
        break
      case 'salt_pepper':
        T('SaltAndPepper', p, { amount: op.amount, salt_vs_pepper: [op.saltRatio, op.saltRatio] })
        notes.push(`ops[${i}] salt_pepper: SaltAndPepper exists from Albumentations 1.4.21`)
        break
      case 'gaussian_blur':
        T('GaussianBlur', p, { blur_limit: [0, 0], sigma_limit: op.sigma })
        break
      case 'hsv_power':
        unsupported.push(`ops[${i}] hsv_power`)
        break
    }
  })
  return {
    recipe: {
      __version__: '1.3.1',
      transform: { __class_fullname__: 'Compose', p: 1.0, transforms, bbox_params: null, keypoint_params: null, additional_targets: {}, is_check_shapes: true },
    },
    unsupported,
    notes,
  }
}
