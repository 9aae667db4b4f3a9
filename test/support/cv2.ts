// OpenCV as an independent reference: runs a Python snippet under Debian's /usr/bin/python3 (with
// python3-opencv and numpy) on raw arrays. Inputs are written as .npy files and bound to names in
// the snippet; the snippet assigns its results to `out` (a dict of numpy arrays), which come back
// as raw bytes with their shapes. `hasCv2` says whether the reference is available here.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const PY = '/usr/bin/python3'

export const hasCv2 = spawnSync(PY, ['-c', 'import cv2, numpy'], { encoding: 'utf8' }).status === 0

type Arr = { data: Uint8Array | Uint16Array | Float64Array | Int32Array | Float32Array; shape: number[] }

const DTYPES: Array<[new (...a: never[]) => unknown, string]> = [
  [Uint8Array, '|u1'],
  [Uint16Array, '<u2'],
  [Int32Array, '<i4'],
  [Float32Array, '<f4'],
  [Float64Array, '<f8'],
]

function npy(a: Arr): Buffer {
  const descr = DTYPES.find(([T]) => a.data instanceof T)![1]
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${a.shape.join(', ')}${a.shape.length === 1 ? ',' : ''}), }`
  const total = 10 + header.length + 1
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n'
  const h = Buffer.alloc(10)
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(h)
  h.writeUInt16LE(header.length, 8)
  return Buffer.concat([h, Buffer.from(header, 'latin1'), Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength)])
}

/** Runs `code` with the inputs bound as numpy arrays; returns `out`'s arrays as raw bytes and shapes. */
export function cv2Run(code: string, inputs: Record<string, Arr> = {}): Record<string, { bytes: Buffer; shape: number[]; dtype: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'lockstep-cv2-'))
  try {
    for (const [name, a] of Object.entries(inputs)) writeFileSync(join(dir, `${name}.npy`), npy(a))
    const script = [
      'import sys, json, os, numpy as np, cv2',
      'cv2.setNumThreads(1)',
      `d = ${JSON.stringify(dir)}`,
      ...Object.keys(inputs).map((n) => `${n} = np.load(os.path.join(d, '${n}.npy'))`),
      'out = {}',
      code,
      'meta = {}',
      'for k, v in out.items():',
      '    v = np.ascontiguousarray(v)',
      '    v.tofile(os.path.join(d, k + ".out"))',
      '    meta[k] = {"shape": list(v.shape), "dtype": v.dtype.str}',
      'json.dump(meta, open(os.path.join(d, "meta.json"), "w"))',
    ].join('\n')
    const r = spawnSync(PY, ['-c', script], { encoding: 'utf8', maxBuffer: 1 << 26 })
    if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`)
    const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as Record<string, { shape: number[]; dtype: string }>
    return Object.fromEntries(Object.entries(meta).map(([k, m]) => [k, { bytes: readFileSync(join(dir, `${k}.out`)), shape: m.shape, dtype: m.dtype }]))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** A deterministic random RGB image (values spread over 0..255, with smooth parts). */
export function randomRgb(width: number, height: number, seed = 1): Uint8Array {
  const d = new Uint8Array(width * height * 3)
  let s = (seed * 2654435761) >>> 0
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0
        const smooth = (x * (c + 2) * 7 + y * (5 - c) * 3) & 255
        d[(y * width + x) * 3 + c] = (x + y) % 3 === 0 ? s >>> 24 : smooth
      }
    }
  }
  return d
}
