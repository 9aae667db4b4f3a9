// Geometry family: flips, quarter turns, rotation, zoom, shift, affine, resize. Each gives a
// forward affine on the canvas; the plan composes them so a pair is resampled once.
import { rotationAbout } from '../affine'
import { fillParam, type AffineOp, type Geometric } from './types'
import { compose, type Affine } from '../affine'

export const hflip: AffineOp<'hflip', Record<string, never>> = {
  type: 'hflip',
  kind: 'affine',
  light: true,
  sample: () => ({}),
  transform: (_p, c) => ({ forward: [-1, 0, c.width, 0, 1, 0], width: c.width, height: c.height }),
}

export const vflip: AffineOp<'vflip', Record<string, never>> = {
  type: 'vflip',
  kind: 'affine',
  light: true,
  sample: () => ({}),
  transform: (_p, c) => ({ forward: [1, 0, 0, 0, -1, c.height], width: c.width, height: c.height }),
}

/** Quarter turns clockwise (as sharp's rotate(90)). */
export const rot90: AffineOp<'rot90', { turns: number }> = {
  type: 'rot90',
  kind: 'affine',
  light: true,
  sample: (rng, spec) => ({ turns: spec.turns.length ? spec.turns[rng.int(0, spec.turns.length - 1)] : 0 }),
  transform(p, c) {
    const { width: w, height: h } = c
    switch (((p.turns % 4) + 4) % 4) {
      case 1:
        return { forward: [0, -1, h, 1, 0, 0], width: h, height: w } // (x, y) -> (h - y, x)
      case 2:
        return { forward: [-1, 0, w, 0, -1, h], width: w, height: h }
      case 3:
        return { forward: [0, 1, 0, -1, 0, w], width: h, height: w } // (x, y) -> (y, w - x)
      default:
        return { forward: [1, 0, 0, 0, 1, 0], width: w, height: h }
    }
  },
}

export const rotate: AffineOp<'rotate', { degrees: number } & Geometric> = {
  type: 'rotate',
  kind: 'affine',
  sample: (rng, spec) => ({ degrees: rng.uniform(spec.degrees[0], spec.degrees[1]), ...fillParam(spec.fill) }),
  transform: (p, c) => ({ forward: rotationAbout(p.degrees, 1, c.width / 2, c.height / 2), width: c.width, height: c.height }),
}

export const scale: AffineOp<'scale', { factor: number; keepSize: boolean } & Geometric> = {
  type: 'scale',
  kind: 'affine',
  sample: (rng, spec) => ({ factor: rng.uniform(spec.factor[0], spec.factor[1]), keepSize: spec.keepSize, ...fillParam(spec.fill) }),
  transform(p, c) {
    const f = p.factor
    if (p.keepSize) return { forward: rotationAbout(0, f, c.width / 2, c.height / 2), width: c.width, height: c.height }
    const width = Math.max(1, Math.round(c.width * f))
    const height = Math.max(1, Math.round(c.height * f))
    return { forward: [width / c.width, 0, 0, 0, height / c.height, 0], width, height }
  },
}

export const shift: AffineOp<'shift', { dx: number; dy: number } & Geometric> = {
  type: 'shift',
  kind: 'affine',
  sample: (rng, spec, meta) => ({
    dx: rng.uniform(spec.x[0], spec.x[1]) * meta.canvas.width,
    dy: rng.uniform(spec.y[0], spec.y[1]) * meta.canvas.height,
    ...fillParam(spec.fill),
  }),
  transform: (p, c) => ({ forward: [1, 0, p.dx, 0, 1, p.dy], width: c.width, height: c.height }),
}

type AffineParams = { degrees: number; scale: number; dx: number; dy: number; shearX?: number; shearY?: number; scaleY?: number } & Geometric

/**
 * Shear (x moves by tan(shearX) * (y - cy), y by tan(shearY) * (x - cx)), zoom (scale, or scale
 * and scaleY), rotation (counter-clockwise) about the centre, then the shift. Without shear and
 * with one scale this is the rotationAbout matrix every earlier plan used, to the bit.
 */
export const affine: AffineOp<'affine', AffineParams> = {
  type: 'affine',
  kind: 'affine',
  sample(rng, spec, meta) {
    const p: AffineParams = {
      degrees: rng.uniform(spec.degrees[0], spec.degrees[1]),
      scale: rng.uniform(spec.scale[0], spec.scale[1]),
      dx: rng.uniform(spec.shiftX[0], spec.shiftX[1]) * meta.canvas.width,
      dy: rng.uniform(spec.shiftY[0], spec.shiftY[1]) * meta.canvas.height,
      ...fillParam(spec.fill),
    }
    // drawn after the four above, so recipes without them sample the same numbers as before
    const shearX = rng.uniform(spec.shearX[0], spec.shearX[1])
    const shearY = rng.uniform(spec.shearY[0], spec.shearY[1])
    const scaleY = rng.uniform(spec.scaleY[0], spec.scaleY[1])
    if (shearX !== 0 || shearY !== 0) Object.assign(p, { shearX, shearY })
    if (!spec.keepRatio) p.scaleY = scaleY
    return p
  },
  transform(p, c) {
    const cx = c.width / 2,
      cy = c.height / 2
    const shx = p.shearX ?? 0,
      shy = p.shearY ?? 0
    let m: Affine
    if (shx === 0 && shy === 0 && p.scaleY === undefined) m = rotationAbout(p.degrees, p.scale, cx, cy)
    else {
      const sy = p.scaleY ?? p.scale
      const toOrigin: Affine = [1, 0, -cx, 0, 1, -cy]
      const zoom: Affine = [p.scale, 0, 0, 0, sy, 0]
      const shear: Affine = [1, Math.tan((shx * Math.PI) / 180), 0, Math.tan((shy * Math.PI) / 180), 1, 0]
      const turn = rotationAbout(p.degrees, 1, 0, 0)
      m = compose([1, 0, cx, 0, 1, cy], compose(turn, compose(shear, compose(zoom, toOrigin))))
    }
    m[2] += p.dx
    m[5] += p.dy
    return { forward: m, width: c.width, height: c.height }
  },
}

export const resize: AffineOp<'resize', { width: number; height: number }> = {
  type: 'resize',
  kind: 'affine',
  sample: (_rng, spec) => ({ width: spec.width, height: spec.height }),
  transform: (p, c) => ({ forward: [p.width / c.width, 0, 0, 0, p.height / c.height, 0], width: p.width, height: p.height }),
}

export const GEOMETRY_OPS = [hflip, vflip, rot90, rotate, scale, shift, affine, resize] as const
