// annotations.import through dispatch on generated fixtures, one project, four formats in turn:
// labelme (polygon, rectangle, circle, a line; broken, unknown-image and wrong-size files), COCO
// instances (polygons in parts, RLE uncompressed and compressed; overlaps; an image with no
// annotation; a broken annotation), COCO panoptic (segment-id PNGs), VOC/CVAT colour PNGs with
// labelmap.txt (a grey-valued RGB mask, an unknown colour, a wrong size). The masks written must
// equal masks composed here from the independent references (OpenCV / numpy, the test's own RLE).
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { decode as decodePng, encode as encodePng } from 'fast-png'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Catalog } from '../../../src/main/catalog/catalog'
import { runImport } from '../../../src/main/catalog/importer'
import type { ClassInfo, SampleDetail } from '../../../src/shared/contract/catalog'
import type { AnnotationImportSummary, MaskVersionInfo } from '../../../src/shared/contract/labels'
import { imagePng, tempDir } from '../fixtures'
import { call, context, fixturePng, put, type Ctx } from '../labels-helpers'
import { cocoRleString, cocoRuns, referenceMasks, type RefShape } from './reference'

const W = 40
const H = 30

function rgbPng(at: (x: number, y: number) => [number, number, number], w = W, h = H): Buffer {
  const data = new Uint8Array(w * h * 3)
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set(at(x, y), (y * w + x) * 3)
  return Buffer.from(encodePng({ width: w, height: h, data, depth: 8, channels: 3 }))
}

/** The indices of a saved mask (grey PNG) read by fast-png. */
function maskValues(file: string): number[] {
  const png = decodePng(readFileSync(file))
  expect(png.channels).toBe(1)
  return Array.from(png.data as Uint8Array | Uint16Array)
}

/** Paints 0/1 reference masks in order with the given values (later wins). */
function compose(layers: { mask: Uint8Array; value: number }[]): number[] {
  const out = new Array<number>(W * H).fill(0)
  for (const l of layers) for (let i = 0; i < out.length; i++) if (l.mask[i]) out[i] = l.value
  return out
}

const union = (a: Uint8Array, b: Uint8Array) => a.map((v, i) => v | b[i])

function blob(cx: number, cy: number, r: number): Uint8Array {
  const m = new Uint8Array(W * H)
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) m[y * W + x] = 1
  return m
}

describe('annotations.import', () => {
  const t = tempDir('annotations')
  let ctx: Ctx
  let jobDone: (id: string) => Promise<{ status: string }>
  let catalog: Catalog
  const run = async (input: Record<string, unknown>) => {
    const { jobId } = await call<{ jobId: string }>(ctx, 'annotations.import', input)
    expect((await jobDone(jobId)).status).toBe('done')
    return call<AnnotationImportSummary>(ctx, 'annotations.summary', { jobId })
  }
  const indexOf = async () => new Map((await call<ClassInfo[]>(ctx, 'classes.list', {})).map((c) => [c.name, c.index]))
  const sample = (key: string) => catalog.db.prepare('SELECT id FROM samples WHERE key = ?').pluck().get(key) as number

  beforeAll(async () => {
    for (const k of ['a', 'b', 'c', 'd', 'f', 'g', 'h', 'i', 'j', 'k', 'l']) put(join(t.dir, 'images', `${k}.png`), await imagePng(W, H, k.charCodeAt(0)))
    // a has a mask already (classes 0 and 1: 'class 1' is a placeholder name)
    put(
      join(t.dir, 'masks', 'a.png'),
      fixturePng(W, H, (x) => (x < 20 ? 0 : 1)),
    )
    ;({ ctx, jobDone } = context())
    await call(ctx, 'project.create', { dir: join(t.dir, 'proj') })
    catalog = ctx.session.requireCatalog()
    await runImport(catalog, { images: join(t.dir, 'images'), masks: join(t.dir, 'masks') })
  })
  afterAll(() => {
    ctx.session.close()
    t.cleanup()
  })

  it('labelme: polygons, rectangles and circles in file order; broken files, unknown images and wrong sizes named', async () => {
    const dir = join(t.dir, 'images') // labelme keeps its JSON next to the images
    const aShapes: (RefShape & { label: string })[] = [
      {
        kind: 'polygon',
        label: 'car',
        points: [
          [2.5, 3],
          [30, 4.25],
          [25.5, 20],
          [8, 26.5],
        ],
      },
      {
        kind: 'rectangle',
        label: 'person',
        points: [
          [20, 10],
          [36, 28],
        ],
      },
      {
        kind: 'circle',
        label: 'tree',
        points: [
          [10.5, 10.5],
          [15, 13],
        ],
      },
    ]
    const bShapes: (RefShape & { label: string })[] = [
      {
        kind: 'polygon',
        label: 'Road',
        points: [
          [0, 0],
          [40, 0],
          [40, 12.5],
          [20, 18],
          [0, 12.5],
        ],
      },
    ]
    const doc = (imagePath: string, shapes: (RefShape & { label: string })[], extra: object[] = [], size = [W, H]) =>
      JSON.stringify({
        version: '5.4.1',
        imagePath,
        imageWidth: size[0],
        imageHeight: size[1],
        imageData: null,
        shapes: [...shapes.map((s) => ({ label: s.label, points: s.points, shape_type: s.kind, group_id: null, flags: {} })), ...extra],
      })
    writeFileSync(
      join(dir, 'a.json'),
      doc('a.png', aShapes, [
        {
          label: 'edge',
          points: [
            [0, 0],
            [5, 5],
          ],
          shape_type: 'line',
        },
      ]),
    )
    writeFileSync(join(dir, 'b.json'), doc('./b.png', bShapes))
    writeFileSync(join(dir, 'broken.json'), '{"shapes": [')
    writeFileSync(join(dir, 'unknown.json'), doc('zzz.png', bShapes))
    writeFileSync(join(dir, 'c.json'), doc('c.png', bShapes, [], [W + 1, H]))
    const before = readFileSync(join(t.dir, 'masks', 'a.png'))

    const s = await run({ format: 'labelme', path: dir })
    expect(s).toMatchObject({ format: 'labelme', files: 5, written: 1 })
    expect(s.problems).toEqual([
      { file: join(dir, 'broken.json'), message: expect.stringMatching(/^not valid JSON/) },
      { file: join(dir, 'c.json'), message: `declares ${W + 1}x${H}, but image c.png is ${W}x${H}; not written` },
      { file: join(dir, 'unknown.json'), message: `names image ${join(dir, 'zzz.png')}, which is not in the project` },
    ])
    expect(s.notes).toContain('1 line shapes (no area) were skipped')
    expect(s.notes.some((n) => /already had a mask and were kept/.test(n))).toBe(true)
    expect(s.addedClasses.map((c) => c.name).sort()).toEqual(['Road', 'car', 'person', 'tree'])
    // a kept its mask (existing: skip); b got a new one
    expect(readFileSync(join(t.dir, 'masks', 'a.png')).equals(before)).toBe(true)
    const idx = await indexOf()
    const refB = referenceMasks(W, H, bShapes)
    expect(maskValues(join(t.dir, 'masks', 'b.png'))).toEqual(compose([{ mask: refB[0], value: idx.get('Road')! }]))
    expect((await call<SampleDetail>(ctx, 'samples.get', { id: sample('b') })).error).toBeNull()

    // replace: a is rewritten, its old mask versioned with reason 'import'
    const r = await run({ format: 'labelme', path: dir, existing: 'replace' })
    expect(r.written).toBe(2)
    expect(r.addedClasses).toEqual([])
    const refA = referenceMasks(W, H, aShapes)
    expect(maskValues(join(t.dir, 'masks', 'a.png'))).toEqual(compose(aShapes.map((sh, i) => ({ mask: refA[i], value: idx.get(sh.label)! }))))
    const versions = await call<MaskVersionInfo[]>(ctx, 'mask.versions', { sampleId: sample('a') })
    expect(versions).toHaveLength(1)
    expect(versions[0]).toMatchObject({ reason: 'import', bytes: before.length })
  })

  it('COCO instances: polygons in parts and RLE (uncompressed and compressed), smaller objects over larger ones', async () => {
    const bigCar = [1, 1, 38, 1, 38, 28, 1, 28] // area 999
    const dogParts = [
      [5, 5, 15, 5, 15, 15, 5, 15],
      [20.5, 2, 30, 2, 30, 9.5],
    ]
    const catMask = blob(28, 20, 6)
    const dogRle = blob(8, 22, 4)
    const images = [
      { id: 1, file_name: 'train/c.png', width: W, height: H },
      { id: 2, file_name: 'd.png', width: W, height: H },
      { id: 3, file_name: 'e.png', width: W, height: H },
      { id: 4, file_name: 'f.png', width: W, height: H },
      { id: 5, file_name: 'g.png', width: W, height: H },
    ]
    const annotations = [
      { id: 10, image_id: 1, category_id: 3, segmentation: dogParts, iscrowd: 0 },
      { id: 11, image_id: 1, category_id: 1, segmentation: [bigCar], iscrowd: 0 },
      { id: 12, image_id: 1, category_id: 7, segmentation: { size: [H, W], counts: cocoRuns(catMask, W, H) }, iscrowd: 1 },
      { id: 13, image_id: 2, category_id: 3, segmentation: { size: [H, W], counts: cocoRleString(cocoRuns(dogRle, W, H)) }, iscrowd: 0 },
      { id: 14, image_id: 5, category_id: 3, segmentation: { size: [H, W], counts: 'not RLE !' }, iscrowd: 0 },
      { id: 15, image_id: 99, category_id: 3, segmentation: [bigCar], iscrowd: 0 },
    ]
    const categories = [
      { id: 1, name: 'car' },
      { id: 3, name: 'dog' },
      { id: 7, name: 'cat' },
    ]
    const file = join(t.dir, 'instances.json')
    writeFileSync(file, JSON.stringify({ images, annotations, categories }))
    const s = await run({ format: 'coco', path: file })
    expect(s).toMatchObject({ format: 'coco', files: 1, written: 3 })
    expect(s.problems).toEqual([
      { file, message: 'annotation 15 names image_id 99, which the file does not list' },
      { file, message: expect.stringMatching(/^image 5 \(g\.png\): annotation 14: the compressed RLE string has an invalid character/) },
      { file, message: 'image 3 (e.png): names image e.png, which is not in the project' },
    ])
    expect(s.notes).toContain('1 image(s) listed with no annotation were written as all class 0 (background)')
    const idx = await indexOf()
    // car was added by the labelme import; dog's id 3 is 'person' (taken), so it gets the lowest free index; cat's id 7 is free
    expect(s.addedClasses).toEqual([
      { index: idx.get('dog')!, name: 'dog' },
      { index: 7, name: 'cat' },
    ])
    const [car, dog1, dog2] = referenceMasks(W, H, [
      {
        kind: 'polygon',
        points: [
          [1, 1],
          [38, 1],
          [38, 28],
          [1, 28],
        ],
      },
      {
        kind: 'polygon',
        points: [
          [5, 5],
          [15, 5],
          [15, 15],
          [5, 15],
        ],
      },
      {
        kind: 'polygon',
        points: [
          [20.5, 2],
          [30, 2],
          [30, 9.5],
        ],
      },
    ])
    // areas: car 999, dog 100 + 45.125, cat 113 px: car, cat, dog from largest to smallest
    expect(maskValues(join(t.dir, 'masks', 'c.png'))).toEqual(
      compose([
        { mask: car, value: idx.get('car')! },
        { mask: catMask, value: 7 },
        { mask: union(dog1, dog2), value: idx.get('dog')! },
      ]),
    )
    expect(maskValues(join(t.dir, 'masks', 'd.png'))).toEqual(compose([{ mask: dogRle, value: idx.get('dog')! }]))
    expect(maskValues(join(t.dir, 'masks', 'f.png'))).toEqual(new Array(W * H).fill(0))
    expect((await call<SampleDetail>(ctx, 'samples.get', { id: sample('g') })).maskPath).toBeNull()
  })

  it('COCO panoptic: segment ids from the PNG become classes; a placeholder class takes its name', async () => {
    const pngDir = join(t.dir, 'panoptic_val')
    // segment 5 (person) on the left, segment 300 + 2*256 (sky) at the top right, id 0 (VOID) elsewhere
    const segAt = (x: number, y: number) => (x < 15 ? 5 : y < 10 ? 300 + 512 : 0)
    put(
      join(pngDir, 'h.png'),
      rgbPng((x, y) => {
        const id = segAt(x, y)
        return [id & 255, (id >> 8) & 255, id >> 16]
      }),
    )
    const file = join(t.dir, 'panoptic_val.json')
    writeFileSync(
      file,
      JSON.stringify({
        images: [{ id: 8, file_name: 'h.jpg', width: W, height: H }],
        annotations: [
          {
            image_id: 8,
            file_name: 'h.png',
            segments_info: [
              { id: 5, category_id: 2 },
              { id: 812, category_id: 1 },
            ],
          },
        ],
        categories: [
          { id: 2, name: 'person', isthing: 1 },
          { id: 1, name: 'sky', isthing: 0 },
        ],
      }),
    )
    const s = await run({ format: 'coco', path: file })
    expect(s).toMatchObject({ written: 1, problems: [] })
    // 'class 1' (named by default when a.png showed index 1) takes the name 'sky'
    expect(s.addedClasses).toEqual([{ index: 1, name: 'sky' }])
    expect(s.notes).toContain('panoptic: pixels of no segment (id 0, VOID) in 1 image(s) were written as class 0')
    const idx = await indexOf()
    const want: number[] = []
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) want.push(segAt(x, y) === 5 ? idx.get('person')! : segAt(x, y) ? 1 : 0)
    expect(maskValues(join(t.dir, 'masks', 'h.png'))).toEqual(want)
  })

  it('VOC/CVAT colour masks with labelmap.txt; grey-valued RGB read as indices and noted; unknown colours and sizes named', async () => {
    const root = join(t.dir, 'voc')
    put(
      join(root, 'labelmap.txt'),
      Buffer.from('# label:color_rgb:parts:actions\nbackground:0,0,0::\naeroplane:128,0,0::\nbicycle:0,128,0::\nbird:128,128,0::\n'),
    )
    const seg = join(root, 'SegmentationClass')
    const colourAt = (x: number, y: number): [number, number, number] => (x < 10 ? [0, 0, 0] : x < 20 ? [128, 0, 0] : y < 15 ? [0, 128, 0] : [128, 128, 0])
    put(join(seg, 'i.png'), rgbPng(colourAt))
    put(
      join(seg, 'j.png'),
      rgbPng((x) => (x < 20 ? [0, 0, 0] : [3, 3, 3])),
    )
    put(
      join(seg, 'k.png'),
      rgbPng((x) => (x < 5 ? [5, 6, 7] : [128, 0, 0])),
    )
    put(
      join(seg, 'l.png'),
      rgbPng(() => [0, 0, 0], W, H - 1),
    )
    const s = await run({ format: 'voc', path: seg })
    expect(s).toMatchObject({ format: 'voc', files: 4, written: 2 })
    expect(s.problems).toEqual([
      { file: join(seg, 'k.png'), message: `1 colour(s) are not in ${join(root, 'labelmap.txt')}: (5,6,7) 150 px; add them to the labelmap` },
      { file: join(seg, 'l.png'), message: `the PNG is ${W}x${H - 1} but the image is ${W}x${H}` },
    ])
    expect(s.notes).toContain('1 grey-valued RGB mask(s) (R = G = B) with values not in the labelmap were read as class indices (grey levels)')
    const idx = await indexOf()
    const key = (c: [number, number, number]) => ({ '0,0,0': 'background', '128,0,0': 'aeroplane', '0,128,0': 'bicycle', '128,128,0': 'bird' })[c.join(',')]!
    const want: number[] = []
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) want.push(idx.get(key(colourAt(x, y)))!)
    expect(maskValues(join(t.dir, 'masks', 'i.png'))).toEqual(want)
    expect(maskValues(join(t.dir, 'masks', 'j.png'))).toEqual(Array.from({ length: W * H }, (_, i) => (i % W < 20 ? 0 : 3)))
    expect(idx.get('background')).toBe(0)
    expect((await call<SampleDetail>(ctx, 'samples.get', { id: sample('k') })).maskPath).toBeNull()
    // a broken labelmap fails the job, naming every bad line
    writeFileSync(join(root, 'labelmap.txt'), 'background:0,0,0::\nbad:1,2::\nworse:0,0,0::\n')
    const { jobId } = await call<{ jobId: string }>(ctx, 'annotations.import', { format: 'voc', path: seg })
    const job = await jobDone(jobId)
    expect(job).toMatchObject({ status: 'failed', error: { code: 'INVALID_INPUT' } })
    expect((job as unknown as { error: { message: string } }).error.message).toBe(
      `${join(root, 'labelmap.txt')} has 2 problem(s): line 2: the colour "1,2" of bad is not r,g,b with 0..255; line 3: worse has the colour 0,0,0 of background`,
    )
  })

  it('bad paths are refused before a job starts its work', async () => {
    const e = await call<{ jobId: string }>(ctx, 'annotations.import', { format: 'coco', path: join(t.dir, 'images') })
    const job = (await jobDone(e.jobId)) as unknown as { status: string; error: { message: string } }
    expect(job.status).toBe('failed')
    expect(job.error.message).toBe(`COCO annotations are one JSON file; ${join(t.dir, 'images')} is a folder`)
  })
})
