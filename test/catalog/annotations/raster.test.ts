// The rasteriser against independent references: OpenCV's pointPolygonTest at every pixel centre
// for polygons (random, concave, self-intersecting, vertices and edges exactly on pixel centres,
// partly outside the image), numpy for rectangles and circles, and COCO RLE against runs and
// pycocotools-format strings made by an encoder written separately in the test.
import { describe, expect, it } from 'vitest'
import { decodeRleCounts, fillCircle, fillPolygon, fillRectangle, fillRle, type Canvas } from '../../../src/main/catalog/annotations/raster'
import { Rng } from '../../../src/main/augment/rng'
import { cocoRleString, cocoRuns, referenceMasks, type RefShape } from './reference'

const W = 37
const H = 29

function canvas(): Canvas {
  return { width: W, height: H, data: new Uint8Array(W * H) }
}

/** Quarter-pixel coordinates (what annotation tools write are short binary fractions), some outside the image. */
function coord(rng: Rng, max: number): number {
  return rng.int(-16, max * 4 + 16) / 4
}

function shapes(seed: number): RefShape[] {
  const rng = Rng.fromParts('raster', seed)
  const out: RefShape[] = []
  for (let i = 0; i < 40; i++) {
    const n = rng.int(3, 9)
    out.push({ kind: 'polygon', points: Array.from({ length: n }, () => [coord(rng, W), coord(rng, H)] as [number, number]) })
  }
  // axis-aligned edges on pixel centres and on pixel borders, a vertex exactly on a centre
  out.push({
    kind: 'polygon',
    points: [
      [2.5, 2.5],
      [12.5, 2.5],
      [12.5, 9.5],
      [2.5, 9.5],
    ],
  })
  out.push({
    kind: 'polygon',
    points: [
      [3, 3],
      [13, 3],
      [13, 10],
      [3, 10],
    ],
  })
  out.push({
    kind: 'polygon',
    points: [
      [5.5, 1.5],
      [9.5, 6.5],
      [1.5, 6.5],
    ],
  })
  out.push({
    kind: 'polygon',
    points: [
      [20, 5],
      [30.5, 5.5],
      [25.5, 5.5],
      [22.5, 20.5],
      [20.5, 10.5],
    ],
  })
  // a bow tie (self-intersecting: even-odd) and a star with a hole
  out.push({
    kind: 'polygon',
    points: [
      [1, 1],
      [20, 20],
      [20, 1],
      [1, 20],
    ],
  })
  out.push({
    kind: 'polygon',
    points: [
      [18, 1],
      [22.5, 27],
      [8, 10],
      [32, 10],
      [14, 27],
    ],
  })
  for (let i = 0; i < 15; i++)
    out.push({
      kind: 'rectangle',
      points: [
        [coord(rng, W), coord(rng, H)],
        [coord(rng, W), coord(rng, H)],
      ],
    })
  out.push({
    kind: 'rectangle',
    points: [
      [10, 10],
      [20, 20],
    ],
  })
  for (let i = 0; i < 15; i++)
    out.push({
      kind: 'circle',
      points: [
        [coord(rng, W), coord(rng, H)],
        [coord(rng, W), coord(rng, H)],
      ],
    })
  out.push({
    kind: 'circle',
    points: [
      [10.5, 10.5],
      [13.5, 10.5],
    ],
  })
  return out
}

function draw(s: RefShape): Uint8Array {
  const c = canvas()
  if (s.kind === 'polygon') fillPolygon(c, s.points, 1)
  else if (s.kind === 'rectangle') fillRectangle(c, s.points[0], s.points[1], 1)
  else fillCircle(c, s.points[0], s.points[1], 1)
  return c.data as Uint8Array
}

function diff(a: Uint8Array, b: Uint8Array): string {
  const bad: string[] = []
  for (let i = 0; i < a.length && bad.length < 8; i++) if (a[i] !== b[i]) bad.push(`(${i % W},${Math.floor(i / W)}) ours ${a[i]} ref ${b[i]}`)
  return bad.join('; ')
}

describe('annotation rasteriser', () => {
  it('polygons, rectangles and circles equal the OpenCV / numpy references pixel for pixel', () => {
    for (const seed of [1, 2]) {
      const list = shapes(seed)
      const ref = referenceMasks(W, H, list)
      list.forEach((s, i) => {
        const ours = draw(s)
        const d = diff(ours, ref[i])
        expect(d, `${s.kind} ${JSON.stringify(s.points)}`).toBe('')
      })
      // the fixtures are not trivial: most shapes cover some pixels and leave others
      const covered = ref.filter((m) => m.some((v) => v) && m.some((v) => !v)).length
      expect(covered).toBeGreaterThan(list.length * 0.6)
    }
  })

  it('a rectangle from (10,10) to (20,20) covers exactly the 10x10 pixels 10..19', () => {
    const c = canvas()
    fillRectangle(c, [20, 20], [10, 10], 7)
    let n = 0
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        if (c.data[y * W + x] !== 7) continue
        n++
        expect(x >= 10 && x < 20 && y >= 10 && y < 20).toBe(true)
      }
    }
    expect(n).toBe(100)
  })

  it('COCO RLE: uncompressed counts and the compressed string give the same mask, column-major', () => {
    const rng = Rng.fromParts('rle', 3)
    for (let t = 0; t < 20; t++) {
      const mask = new Uint8Array(W * H)
      // blobs, so runs are long and short, and the deltas negative and positive
      for (let k = 0; k < 4; k++) {
        const cx = rng.int(0, W),
          cy = rng.int(0, H),
          r = rng.int(1, 9)
        for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) mask[y * W + x] = 1
      }
      if (t === 0) mask.fill(0)
      if (t === 1) mask.fill(1)
      const runs = cocoRuns(mask, W, H)
      const str = cocoRleString(runs)
      expect(decodeRleCounts(str)).toEqual(runs)
      for (const counts of [runs, str]) {
        const c = canvas()
        c.data.fill(9)
        fillRle(c, [H, W], counts, 1)
        const want = Array.from(mask, (v) => (v ? 1 : 9))
        expect(Array.from(c.data)).toEqual(want)
      }
    }
  })

  it('a known pycocotools string decodes to its counts', () => {
    // pycocotools.mask.encode of a 4x3 (h=4, w=3) mask with columns [0,1,1,0],[1,1,1,1],[0,0,0,0]:
    // runs 1,2,1+... written out by hand: 0:1, 1:2, 0:1, 1:4, 0:4
    const runs = [1, 2, 1, 4, 4]
    expect(decodeRleCounts(cocoRleString(runs))).toEqual(runs)
    // large values, negative deltas
    const big = [0, 1_000_000, 3, 7, 999_990, 12]
    expect(decodeRleCounts(cocoRleString(big))).toEqual(big)
  })

  it('a broken RLE is refused in words', () => {
    const c = canvas()
    expect(() => fillRle(c, [H, W], [5, W * H], 1)).toThrow(/covers .* pixels but the image has/)
    expect(() => fillRle(c, [H + 1, W], [W * (H + 1)], 1)).toThrow(/the RLE is 37x30 but the image is 37x29/)
    expect(() => decodeRleCounts('0P')).toThrow(/ends inside a count/)
    expect(() => decodeRleCounts('0 ')).toThrow(/invalid character/)
  })
})
