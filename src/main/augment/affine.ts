// 2-D affine maps in continuous pixel coordinates (pixel (i, j) covers [i, i+1) x [j, j+1); its
// centre is (i + 0.5, j + 0.5)). [a, b, c, d, e, f] maps (x, y) to (a x + b y + c, d x + e y + f).
export type Affine = [number, number, number, number, number, number]

export const IDENTITY: Affine = [1, 0, 0, 0, 1, 0]

/** p -> outer(inner(p)) */
export function compose(outer: Affine, inner: Affine): Affine {
  const [a1, b1, c1, d1, e1, f1] = outer
  const [a2, b2, c2, d2, e2, f2] = inner
  return [a1 * a2 + b1 * d2, a1 * b2 + b1 * e2, a1 * c2 + b1 * f2 + c1, d1 * a2 + e1 * d2, d1 * b2 + e1 * e2, d1 * c2 + e1 * f2 + f1]
}

export function invert(m: Affine): Affine {
  const [a, b, c, d, e, f] = m
  const det = a * e - b * d
  if (det === 0 || !Number.isFinite(det)) throw new Error('singular transform')
  const ia = e / det,
    ib = -b / det,
    id = -d / det,
    ie = a / det
  return [ia, ib, -(ia * c + ib * f), id, ie, -(id * c + ie * f)]
}

export function apply(m: Affine, x: number, y: number): [number, number] {
  return [m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5]]
}

/** A signed permutation with integer offsets: every output pixel is a copy of one source pixel. */
export function isExact(m: Affine): boolean {
  const [a, b, c, d, e, f] = m
  const unit = (v: number) => v === 0 || v === 1 || v === -1
  if (![a, b, d, e].every(unit) || !Number.isInteger(c) || !Number.isInteger(f)) return false
  return (a !== 0 && b === 0 && d === 0 && e !== 0) || (a === 0 && b !== 0 && d !== 0 && e === 0)
}

/** Rotation by `degrees` counter-clockwise on screen (y down) and zoom `s`, about (cx, cy). */
export function rotationAbout(degrees: number, s: number, cx: number, cy: number): Affine {
  const t = (degrees * Math.PI) / 180
  const al = s * Math.cos(t)
  const be = s * Math.sin(t)
  // OpenCV's getRotationMatrix2D: the forward map (source -> destination).
  return [al, be, (1 - al) * cx - be * cy, -be, al, be * cx + (1 - al) * cy]
}
