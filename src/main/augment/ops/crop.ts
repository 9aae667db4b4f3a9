// Crop family: every crop is a window (x, y, width, height) on the current canvas, in whole
// pixels; a window reaching outside the canvas is padded with the fill (image 0, mask ignoreIndex).
import { LockstepError } from '../../../shared/errors'
import type { OpOf } from '../../../shared/recipe'
import { apply, invert } from '../affine'
import type { Rng } from '../rng'
import { fillParam, type AffineOp, type Geometric, type SampleMeta, type Size } from './types'

/** A window on the canvas: its top-left corner (negative: padding) and size. */
export type Window = { x: number; y: number; width: number; height: number } & Geometric

export function windowTransform(p: Window): { forward: [number, number, number, number, number, number]; width: number; height: number } {
  return { forward: [1, 0, -p.x, 0, 1, -p.y], width: p.width, height: p.height }
}

function tooSmall(op: string, w: number, h: number, canvas: Size): LockstepError {
  return new LockstepError('INVALID_INPUT', `${op}: the ${w}x${h} window does not fit the ${canvas.width}x${canvas.height} image and padIfNeeded is off`)
}

/** Offset of a window of size `w` on a side of length `n`: random when it fits, centred (negative: padding) when not. */
function offset(rng: Rng, n: number, w: number): number {
  return n >= w ? rng.int(0, n - w) : -Math.floor((w - n) / 2)
}

export const randomCrop: AffineOp<'random_crop', Window> = {
  type: 'random_crop',
  kind: 'affine',
  light: true,
  sample(rng, spec, meta) {
    const { width: W, height: H } = meta.canvas
    if (!spec.padIfNeeded && (W < spec.width || H < spec.height)) throw tooSmall('random_crop', spec.width, spec.height, meta.canvas)
    const x = offset(rng, W, spec.width)
    const y = offset(rng, H, spec.height)
    return { x, y, width: spec.width, height: spec.height, ...fillParam(spec.fill) }
  },
  transform: windowTransform,
}

export const centerCrop: AffineOp<'center_crop', Window> = {
  type: 'center_crop',
  kind: 'affine',
  light: true,
  sample(_rng, spec, meta) {
    const { width: W, height: H } = meta.canvas
    if (!spec.padIfNeeded && (W < spec.width || H < spec.height)) throw tooSmall('center_crop', spec.width, spec.height, meta.canvas)
    return { x: Math.floor((W - spec.width) / 2), y: Math.floor((H - spec.height) / 2), width: spec.width, height: spec.height, ...fillParam(spec.fill) }
  },
  transform: windowTransform,
}

export const padIfNeeded: AffineOp<'pad_if_needed', Window> = {
  type: 'pad_if_needed',
  kind: 'affine',
  sample(_rng, spec, meta) {
    const { width: W, height: H } = meta.canvas
    const width = Math.max(W, spec.minWidth)
    const height = Math.max(H, spec.minHeight)
    return { x: -Math.floor((width - W) / 2), y: -Math.floor((height - H) / 2), width, height, ...fillParam(spec.fill) }
  },
  transform: windowTransform,
}

/**
 * Picks one foreground pixel uniformly among those visible on the canvas (mapped from the source
 * mask through the geometry so far), then a window containing it at a random offset, as
 * Albumentations' CropNonEmptyMaskIfExists does. No foreground: a plain random crop.
 */
export const cropNonEmptyMask: AffineOp<'crop_non_empty_mask', Window & { foreground: boolean }> = {
  type: 'crop_non_empty_mask',
  kind: 'affine',
  needsLabels: true,
  sample(rng, spec, meta: SampleMeta) {
    const labels = meta.labels
    if (!labels) throw new LockstepError('INTERNAL', 'crop_non_empty_mask needs the decoded mask: pass it to plan() as ctx.labels')
    const { width: W, height: H } = meta.canvas
    const w = spec.width,
      h = spec.height
    if (!spec.padIfNeeded && (W < w || H < h)) throw tooSmall('crop_non_empty_mask', w, h, meta.canvas)
    const wanted = spec.classes.length ? new Set(spec.classes) : null
    const ignored = new Set([...spec.ignoreValues, meta.ignoreIndex])
    const toCanvas = invert(meta.toSource)
    const fg = (v: number) => (wanted ? wanted.has(v) : v !== 0) && !ignored.has(v)
    // visible foreground pixels, as canvas pixel positions
    const xs: number[] = []
    const ys: number[] = []
    const { data, width: sw, height: sh } = labels
    for (let sy = 0; sy < sh; sy++) {
      for (let sx = 0, i = sy * sw; sx < sw; sx++, i++) {
        if (!fg(data[i])) continue
        const [cx, cy] = apply(toCanvas, sx + 0.5, sy + 0.5)
        const px = Math.floor(cx),
          py = Math.floor(cy)
        if (px >= 0 && py >= 0 && px < W && py < H) {
          xs.push(px)
          ys.push(py)
        }
      }
    }
    if (xs.length === 0) {
      return { x: offsetOf(rng, W, w), y: offsetOf(rng, H, h), width: w, height: h, foreground: false, ...fillParam(spec.fill) }
    }
    const k = rng.int(0, xs.length - 1)
    const px = xs[k],
      py = ys[k]
    const x = W >= w ? rng.int(Math.max(0, px - w + 1), Math.min(px, W - w)) : -Math.floor((w - W) / 2)
    const y = H >= h ? rng.int(Math.max(0, py - h + 1), Math.min(py, H - h)) : -Math.floor((h - H) / 2)
    return { x, y, width: w, height: h, foreground: true, ...fillParam(spec.fill) }
  },
  transform: windowTransform,
}
const offsetOf = offset

/** torchvision/Albumentations RandomResizedCrop: 10 tries at a random area and aspect, else a centre crop. */
export const randomResizedCrop: AffineOp<'random_resized_crop', Window & { cropWidth: number; cropHeight: number }> = {
  type: 'random_resized_crop',
  kind: 'affine',
  sample(rng, spec: OpOf<'random_resized_crop'>, meta) {
    const { width: W, height: H } = meta.canvas
    const area = W * H
    const [lr0, lr1] = [Math.log(spec.ratio[0]), Math.log(spec.ratio[1])]
    for (let attempt = 0; attempt < 10; attempt++) {
      const target = rng.uniform(spec.scale[0], spec.scale[1]) * area
      const aspect = Math.exp(rng.uniform(lr0, lr1))
      const w = Math.round(Math.sqrt(target * aspect))
      const h = Math.round(Math.sqrt(target / aspect))
      if (w > 0 && h > 0 && w <= W && h <= H) {
        return { x: rng.int(0, W - w), y: rng.int(0, H - h), cropWidth: w, cropHeight: h, width: spec.width, height: spec.height }
      }
    }
    const inRatio = W / H
    let w = W,
      h = H
    if (inRatio < spec.ratio[0]) h = Math.round(W / spec.ratio[0])
    else if (inRatio > spec.ratio[1]) w = Math.round(H * spec.ratio[1])
    return { x: Math.floor((W - w) / 2), y: Math.floor((H - h) / 2), cropWidth: w, cropHeight: h, width: spec.width, height: spec.height }
  },
  transform(p) {
    const sx = p.width / p.cropWidth
    const sy = p.height / p.cropHeight
    return { forward: [sx, 0, -p.x * sx, 0, sy, -p.y * sy], width: p.width, height: p.height }
  },
}

export const CROP_OPS = [randomCrop, centerCrop, cropNonEmptyMask, randomResizedCrop, padIfNeeded] as const
