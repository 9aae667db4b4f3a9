// Independent references for the annotation rasteriser, run in Debian's Python (numpy + OpenCV):
// polygons by cv2.pointPolygonTest at every pixel centre (>= 0: inside or on the boundary),
// rectangles and circles by numpy comparisons over the centres. Nothing here shares code with
// src/main/catalog/annotations/raster.ts.
import { spawnSync } from 'node:child_process'

export const PY = '/usr/bin/python3'

export type RefShape =
  | { kind: 'polygon'; points: [number, number][] }
  | { kind: 'rectangle'; points: [[number, number], [number, number]] }
  | { kind: 'circle'; points: [[number, number], [number, number]] }

const SCRIPT = String.raw`
import sys, json, base64
import numpy as np, cv2
job = json.load(sys.stdin)
W, H = job['width'], job['height']
ys, xs = np.mgrid[0:H, 0:W]
xc = xs + 0.5
yc = ys + 0.5
out = []
for s in job['shapes']:
    m = np.zeros((H, W), np.uint8)
    p = np.array(s['points'], np.float64)
    if s['kind'] == 'polygon':
        c = p.astype(np.float32).reshape(-1, 1, 2)
        for y in range(H):
            for x in range(W):
                if cv2.pointPolygonTest(c, (x + 0.5, y + 0.5), False) >= 0:
                    m[y, x] = 1
    elif s['kind'] == 'rectangle':
        x0, x1 = sorted([p[0][0], p[1][0]]); y0, y1 = sorted([p[0][1], p[1][1]])
        m[(xc >= x0) & (xc <= x1) & (yc >= y0) & (yc <= y1)] = 1
    else:
        r2 = (p[1][0] - p[0][0]) ** 2 + (p[1][1] - p[0][1]) ** 2
        m[(xc - p[0][0]) ** 2 + (yc - p[0][1]) ** 2 <= r2] = 1
    out.append(base64.b64encode(m.tobytes()).decode())
print(json.dumps(out))
`

/** One 0/1 mask (row-major, width*height) per shape, from the Python reference. */
export function referenceMasks(width: number, height: number, shapes: RefShape[]): Uint8Array[] {
  const r = spawnSync(PY, ['-c', SCRIPT], { input: JSON.stringify({ width, height, shapes }), encoding: 'utf8', maxBuffer: 1 << 28 })
  if (r.status !== 0) throw new Error(`the Python reference failed: ${r.stderr}`)
  return (JSON.parse(r.stdout) as string[]).map((b) => new Uint8Array(Buffer.from(b, 'base64')))
}

/** pycocotools' compressed RLE string (rleToString), written from its C source's description: for fixtures. */
export function cocoRleString(counts: number[]): string {
  let s = ''
  counts.forEach((c, i) => {
    let x = i > 2 ? c - counts[i - 2] : c
    let more = true
    while (more) {
      let ch = x & 0x1f
      x >>= 5
      more = ch & 0x10 ? x !== -1 : x !== 0
      if (more) ch |= 0x20
      s += String.fromCharCode(ch + 48)
    }
  })
  return s
}

/** Column-major runs of a 0/1 mask (row-major input), starting with a run of 0s. */
export function cocoRuns(mask: Uint8Array, width: number, height: number): number[] {
  const runs: number[] = []
  let cur = 0
  let n = 0
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) {
      const v = mask[y * width + x] ? 1 : 0
      if (v !== cur) {
        runs.push(n)
        cur = v
        n = 0
      }
      n++
    }
  }
  runs.push(n)
  return runs
}
