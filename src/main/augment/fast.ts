// The native op kernels (io/native OpKernels), each used only after it reproduced its JS
// reference on a generated input in this process (once per kernel, a few microseconds): "one
// truth, many kernels". A kernel that disagrees (a compiler that fused a multiply-add, a libm
// that differs) is not used, and says so once on stderr; the JS reference then does the work, to
// the same bytes. LOCKSTEP_NATIVE=0 or an addon built without the kernels: the JS references.
import { nativeOpKernels, type OpKernels } from '../io/native'

const verdicts = new Map<string, boolean>()
let enabled = true

/** Switches the kernels off (or on again) in this process, as LOCKSTEP_NATIVE=0 does at start-up (tests compare both). */
export function useNativeOps(on: boolean): void {
  enabled = on
}

/** Each kernel checked so far in this process, and whether it agreed with its reference. */
export function nativeOpVerdicts(): Record<string, boolean> {
  return Object.fromEntries(verdicts)
}

/** The kernels, when `name` agrees with its reference here (`agrees` runs both on a small input). */
export function fast(name: keyof OpKernels, agrees: (k: OpKernels) => boolean): OpKernels | null {
  const k = enabled ? nativeOpKernels() : null
  if (!k) return null
  let ok = verdicts.get(name)
  if (ok === undefined) {
    try {
      ok = agrees(k)
    } catch {
      ok = false
    }
    verdicts.set(name, ok)
    if (!ok) process.stderr.write(`lockstep: not using the native ${name}: it differs from its JS reference on this machine\n`)
  }
  return ok ? k : null
}

/** A deterministic test image for the kernels' checks (values over the whole 0..255 range). */
export function checkRgb(w: number, h: number, seed = 1): Uint8Array {
  const d = new Uint8Array(w * h * 3)
  let s = seed >>> 0 || 1
  for (let i = 0; i < d.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    d[i] = i % 7 === 0 ? s >>> 24 : (i * 37 + (s >>> 28)) & 255
  }
  return d
}

export const sameBytes = (a: ArrayLike<number>, b: ArrayLike<number>): boolean => {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return false
  return true
}
