import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { listFiles, pairFiles, scanPairs } from '../../src/main/catalog/pairing'

describe('pairFiles (two folders)', () => {
  it('pairs by stem with the default patterns, keeping sub-folders in the stem', () => {
    const r = pairFiles(['b.jpg', 'a/x.png', 'c.webp', 'd.tif', 'lone.jpeg'], ['b.png', 'a/x_mask.png', 'c_label.png', 'd.png', 'orphan.png'])
    expect(r.pairs).toEqual([
      { stem: 'a/x', image: 'a/x.png', mask: 'a/x_mask.png' },
      { stem: 'b', image: 'b.jpg', mask: 'b.png' },
      { stem: 'c', image: 'c.webp', mask: 'c_label.png' },
      { stem: 'd', image: 'd.tif', mask: 'd.png' },
    ])
    expect(r.unpairedImages).toEqual([{ stem: 'lone', image: 'lone.jpeg' }])
    expect(r.unpairedMasks).toEqual([{ stem: 'orphan', mask: 'orphan.png' }])
  })

  it('uses only the given pattern and reports other files as unsupported', () => {
    const r = pairFiles(['x.jpg', 'y.bmp', 'notes.txt'], ['x_mask.png', 'x.png'], { patterns: ['{stem}_mask.png'] })
    expect(r.pairs).toEqual([{ stem: 'x', image: 'x.jpg', mask: 'x_mask.png' }])
    // x.png does not match '{stem}_mask.png' in the masks folder: reported, never silently dropped.
    expect(r.unsupported).toEqual(['notes.txt', 'x.png', 'y.bmp'])
  })

  it('an earlier pattern wins when two masks match one stem; the other is reported', () => {
    const r = pairFiles(['x.jpg'], ['x_mask.png', 'x.png'])
    expect(r.pairs[0].mask).toBe('x.png')
    expect(r.duplicates).toEqual([{ stem: 'x', file: 'x_mask.png', kept: 'x.png' }])
  })

  it('two images with one stem: the first in sorted order is kept, the other reported', () => {
    const r = pairFiles(['x.png', 'x.jpg'], ['x_mask.png'])
    expect(r.pairs).toEqual([{ stem: 'x', image: 'x.jpg', mask: 'x_mask.png' }])
    expect(r.duplicates).toEqual([{ stem: 'x', file: 'x.png', kept: 'x.jpg' }])
  })

  it('is independent of input order and case-insensitive on the extension', () => {
    const a = pairFiles(['B.JPG', 'a.jpg'], ['a.PNG', 'B.png'])
    const b = pairFiles(['a.jpg', 'B.JPG'], ['B.png', 'a.PNG'])
    expect(a).toEqual(b)
    expect(a.pairs.map((p) => p.stem)).toEqual(['B', 'a'])
  })

  it('rejects a pattern without exactly one {stem} or without an extension', () => {
    expect(() => pairFiles([], [], { patterns: ['mask.png'] })).toThrow(/exactly one \{stem\}/)
    expect(() => pairFiles([], [], { patterns: ['{stem}_mask'] })).toThrow(/extension/)
  })
})

describe('pairFiles (one folder)', () => {
  it('tells masks from images by the pattern', () => {
    const r = pairFiles(['x.jpg', 'x_mask.png', 'y.png', 'y_mask.png', 'z_mask.png', 'w.tiff'], null)
    expect(r.pairs).toEqual([
      { stem: 'x', image: 'x.jpg', mask: 'x_mask.png' },
      { stem: 'y', image: 'y.png', mask: 'y_mask.png' },
    ])
    expect(r.unpairedImages).toEqual([{ stem: 'w', image: 'w.tiff' }])
    expect(r.unpairedMasks).toEqual([{ stem: 'z', mask: 'z_mask.png' }])
  })

  it("refuses '{stem}.png', which cannot tell a mask from an image", () => {
    expect(() => pairFiles(['x.jpg'], null, { patterns: ['{stem}.png'] })).toThrow(/cannot tell masks from images/)
  })
})

describe('scanPairs on folders', () => {
  const root = mkdtempSync(join(tmpdir(), 'lockstep-pairing-'))
  afterAll(() => rmSync(root, { recursive: true, force: true }))

  it('walks sub-folders, skips hidden files, lists dangling links and excludes a nested masks folder', () => {
    mkdirSync(join(root, 'data/sub'), { recursive: true })
    mkdirSync(join(root, 'data/masks/sub'), { recursive: true })
    for (const f of ['data/a.jpg', 'data/sub/b.png', 'data/.DS_Store', 'data/masks/a.png', 'data/masks/sub/b.png']) writeFileSync(join(root, f), 'x')
    symlinkSync(join(root, 'nowhere.jpg'), join(root, 'data/dangling.jpg'))
    expect(listFiles(join(root, 'data'))).toEqual(['a.jpg', 'dangling.jpg', 'masks/a.png', 'masks/sub/b.png', 'sub/b.png'])
    const r = scanPairs(join(root, 'data'), join(root, 'data/masks'))
    expect(r.pairs.map((p) => p.stem)).toEqual(['a', 'sub/b'])
    expect(r.unpairedImages).toEqual([{ stem: 'dangling', image: 'dangling.jpg' }])
    expect(r.unpairedMasks).toEqual([])
  })

  it('names the missing folder', () => {
    expect(() => scanPairs(join(root, 'nope'), null)).toThrow(/Folder not found: .*nope/)
  })
})
