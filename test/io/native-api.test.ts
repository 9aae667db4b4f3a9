// Issue 13 item 6: the native addon is an API safe for any caller, not only for Lockstep's own
// wrappers. Each misuse below runs in a child process (a crash fails the case by name instead of
// killing the test runner): arithmetic that would overflow (mapRegion's bounds), buffers detached
// while a job runs followed by garbage collection (the job works on its own copies, and an `out`
// that is gone rejects the promise), and arguments of every wrong kind (a TypeError or RangeError
// naming the function, never a silent truncation such as 1.5 -> 1 or NaN -> 0).
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { beforeAll, describe, expect, it } from 'vitest'
import { addonPath, loadAddon } from '../../src/main/io/native'
import { tmp } from '../export/helpers'
import { jpegScene, labelPng } from '../fixtures/corrupt'
import { drawScene } from '../fixtures/pairs'

const { addon, why } = loadAddon()
if (!addon) console.log(`native API tests skipped: ${why}`)

let dir: string
beforeAll(async () => {
  dir = tmp('lockstep-native-api-')
  writeFileSync(join(dir, 'a.jpg'), await jpegScene(64, 48, 3))
  writeFileSync(join(dir, 'a.rgb'), await sharp(join(dir, 'a.jpg')).raw().toBuffer())
  writeFileSync(join(dir, 'a.png'), labelPng(64, 48, drawScene(64, 48, 3).labels))
})

/** Runs `body` (async JS with `addon`, `jpg`, `rgb`, `png`, `zlib`, `dir` in scope) in a child; returns what it printed. */
function child(body: string): { status: number | null; signal: string | null; out: string; err: string } {
  const script = `
    const addon = require(${JSON.stringify(addonPath())})
    const fs = require('node:fs'), path = require('node:path'), zlib = require('node:zlib')
    const dir = ${JSON.stringify(dir)}
    const jpg = fs.readFileSync(path.join(dir, 'a.jpg'))
    const rgb = fs.readFileSync(path.join(dir, 'a.rgb'))
    const png = fs.readFileSync(path.join(dir, 'a.png'))
    const zlibStream = png.subarray(41, png.length - 16)
    const detach = (u8) => { structuredClone(u8.buffer, { transfer: [u8.buffer] }) }
    const collect = () => { for (let i = 0; i < 3; i++) global.gc() }
    const threw = (f) => { try { f(); return 'no error' } catch (e) { return e.name + ': ' + e.message } }
    ;(async () => { ${body} })().catch((e) => { console.log('REJECTED ' + e.message); process.exitCode = 3 })
  `
  const r = spawnSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8', timeout: 60_000 })
  return { status: r.status, signal: r.signal, out: r.stdout, err: r.stderr }
}

function ok(r: ReturnType<typeof child>): string {
  expect(r.signal, `crashed: ${r.err}`).toBeNull()
  expect(r.status, r.err + r.out).toBe(0)
  return r.out
}

describe.skipIf(!addon)('the native addon as an API (misuse cases, each in its own process)', () => {
  it("mapRegion: bounds whose product overflows 64 bits are refused, not read (the issue's SIGSEGV)", () => {
    const out = ok(
      child(`
      const src = new Uint8Array(1 << 20), out = new Uint8Array(16)
      console.log(threw(() => addon.mapRegion(src, 2147483647, 0, 2147483646, 1, 1, out, false, null)))
      console.log(threw(() => addon.mapRegion(src, 1431655766, 0, 0, 1, 1, out, false, null)))
      console.log(threw(() => addon.mapRegion(src, 16, 0, 0, 16, 1, new Uint8Array(47), false, null)))
      addon.mapRegion(src, 16, 0, 0, 4, 1, out, true, null)
      console.log('in bounds: done')`),
    )
    expect(out).toMatch(
      /^RangeError: mapRegion: region outside the source\nRangeError: mapRegion: region outside the source\nRangeError: mapRegion: out is smaller than width x height x 3\nin bounds: done\n$/,
    )
  })

  it("jpegRegion: `out` detached while the job runs, then garbage collected: the promise rejects, the process lives (the issue's crash)", () => {
    const out = ok(
      child(`
      for (let i = 0; i < 200; i++) {
        const out = new Uint8Array(64 * 48 * 3)
        const p = addon.jpegRegion(jpg, 0, 0, 64, 48, out, false, null)
        detach(out); collect()
        const reuse = Array.from({ length: 20 }, () => new Uint8Array(64 * 48 * 3).fill(7)) // take the freed memory back
        console.log(await p.then(() => 'resolved', (e) => e.message), reuse.length)
      }`),
    )
    expect(new Set(out.trim().split('\n'))).toEqual(new Set(['the output buffer was detached or shrunk while the job ran 20']))
  })

  it('every job works on its own copy of its inputs: src, zlib, rgb and file data detached mid-job give the same result', () => {
    const out = ok(
      child(`
      const want = new Uint8Array(64 * 48 * 3)
      await addon.jpegRegion(jpg, 0, 0, 64, 48, want, false, null)
      const src = Uint8Array.from(jpg), got = new Uint8Array(want.length)
      const p = addon.jpegRegion(src, 0, 0, 64, 48, got, false, null); detach(src); collect()
      console.log('jpegRegion', await p, Buffer.from(got).equals(Buffer.from(want)))
      const z = Uint8Array.from(zlibStream), l1 = new Uint8Array(64 * 48), l2 = new Uint8Array(64 * 48)
      await addon.pngLabels(zlibStream, 64, 48, 0, 0, 64, 48, l1)
      const q = addon.pngLabelsChecked(z, 64, 48, 0, 0, 64, 48, l2); detach(z); collect()
      console.log('pngLabelsChecked', (await q).kind, Buffer.from(l1).equals(Buffer.from(l2)))
      const r = Uint8Array.from(rgb), enc = new Uint8Array(100000)
      const e = addon.jpegEncode(r, 64, 48, 90, enc); detach(r); collect()
      console.log('jpegEncode', (await e) > 100)
      const j = Uint8Array.from(jpg); const c = addon.checkJpeg(j, 1e6); detach(j); collect()
      console.log('checkJpeg', JSON.stringify(await c))
      const data = Uint8Array.from([1, 2, 3, 4]); const f = path.join(dir, 'w.bin')
      const w = addon.writeFiles([f + '.tmp'], [f], [data]); detach(data); collect()
      console.log('writeFiles', await w, [...fs.readFileSync(f)].join(','))`),
    )
    expect(out).toBe('jpegRegion true true\npngLabelsChecked 0 true\njpegEncode true\ncheckJpeg {"verdict":0,"message":""}\nwriteFiles null 1,2,3,4\n')
  })

  it('arguments of every wrong kind: a TypeError or RangeError naming the function, never a silent truncation', () => {
    const cases: Array<[string, RegExp]> = [
      ['addon.jpegRegion(jpg, 0, 0, 64, 48, new Uint8Array(9216), false)', /TypeError: jpegRegion\(src/],
      ['addon.jpegRegion(jpg, 0, 0, 64, 48, new Uint8Array(9216), false, null, 1)', /TypeError: jpegRegion\(src/],
      ['addon.jpegRegion(jpg, 0.5, 0, 64, 48, new Uint8Array(9216), false, null)', /RangeError: jpegRegion: left and top must be integers/],
      ['addon.jpegRegion(jpg, NaN, 0, 64, 48, new Uint8Array(9216), false, null)', /RangeError: jpegRegion: left and top/],
      ['addon.jpegRegion(jpg, -1, 0, 64, 48, new Uint8Array(9216), false, null)', /RangeError: jpegRegion: left and top/],
      [
        'addon.jpegRegion(jpg, 0, 0, 0, 48, new Uint8Array(9216), false, null)',
        /RangeError: jpegRegion: left and top must be integers >= 0, width and height integers >= 1/,
      ],
      ['addon.jpegRegion(jpg, 0, 0, "64", 48, new Uint8Array(9216), false, null)', /RangeError: jpegRegion/],
      ['addon.jpegRegion(jpg, 0, 0, 2**31, 48, new Uint8Array(9216), false, null)', /RangeError: jpegRegion/],
      ['addon.jpegRegion(jpg, 0, 0, 64, 48, new Uint8Array(9215), false, null)', /RangeError: jpegRegion: out is smaller/],
      ['addon.jpegRegion(jpg, 0, 0, 64, 48, new Uint16Array(9216), false, null)', /TypeError: jpegRegion: src and out must be Uint8Arrays/],
      ['addon.jpegRegion("jpg", 0, 0, 64, 48, new Uint8Array(9216), false, null)', /TypeError: jpegRegion: src and out/],
      ['addon.jpegRegion(jpg, 0, 0, 64, 48, new Uint8Array(9216), 1, null)', /TypeError: jpegRegion: flop must be a boolean/],
      [
        'addon.jpegRegion(jpg, 0, 0, 64, 48, new Uint8Array(9216), false, new Uint8Array(255))',
        /TypeError: jpegRegion: lut must be null or a Uint8Array of 256 values/,
      ],
      ['addon.jpegRegion(jpg, 0, 0, 64, 48, new Uint8Array(9216), false, undefined)', /TypeError: jpegRegion: lut/],
      ['addon.jpegRegion(jpg, 0, 0, 20000, 20000, new Uint8Array(9216), false, null)', /RangeError: jpegRegion: (out is smaller|region larger)/],
      ['addon.pngLabels(zlibStream, 64, 48, 60, 0, 10, 1, new Uint8Array(10))', /RangeError: pngLabels: region outside the image/],
      ['addon.pngLabels(zlibStream, 2**31 - 2, 2**31 - 2, 0, 0, 1, 1, new Uint8Array(1))', /RangeError: pngLabels: image larger than the pixel limit/],
      ['addon.pngLabels(zlibStream, 64, 48, 0, 0, 64, 48, new Uint8Array(100))', /RangeError: pngLabels: out is smaller/],
      ['addon.pngLabelsChecked(zlibStream, 64, 48.5, 0, 0, 64, 48, new Uint8Array(3072))', /RangeError: pngLabels: image sizes/],
      ['addon.checkPng(zlibStream, [48], [65, 1])', /RangeError: checkPng: 1 to 7 passes/],
      ['addon.checkPng(zlibStream, [48], [1])', /RangeError: checkPng: strides must be integers >= 2/],
      ['addon.checkPng(zlibStream, [2**31], [65])', /RangeError: checkPng: rows must be integers >= 0/],
      ['addon.checkPng(zlibStream, [2**31 - 1], [2**34])', /RangeError: checkPng: more image data than the pixel limit allows/],
      ['addon.checkPng(zlibStream, 48, 65)', /TypeError: checkPng: rows and strides must be arrays/],
      ['addon.checkJpeg(jpg, 0)', /RangeError: checkJpeg: maxPixels/],
      ['addon.checkJpeg(jpg, 1e12)', /RangeError: checkJpeg: maxPixels/],
      ['addon.checkJpeg([1, 2], 1000)', /TypeError: checkJpeg: src must be a Uint8Array/],
      ['addon.jpegEncode(rgb, 64, 48, 0, new Uint8Array(1000))', /RangeError: jpegEncode: .*quality from 1 to 100/],
      ['addon.jpegEncode(rgb, 64, 48, 90, new Uint8Array(1000), 8)', /RangeError: jpegEncode: flags must be an integer from 0 to 7/],
      ['addon.jpegEncode(rgb, 64, 49, 90, new Uint8Array(1000))', /RangeError: jpegEncode: rgb is smaller/],
      ['addon.jpegEncode(rgb, 64, 48, 90, new Uint8Array(0))', /RangeError: jpegEncode: out is empty/],
      ['addon.writeFiles(["a"], ["b", "c"], [new Uint8Array(1)])', /RangeError: writeFiles: the arrays differ in length/],
      ['addon.writeFiles(["/tmp/x\\u0000y"], ["/tmp/z"], [new Uint8Array(1)])', /TypeError: writeFiles: paths must be strings without NUL/],
      ['addon.writeFiles([1], ["/tmp/z"], [new Uint8Array(1)])', /TypeError: writeFiles: paths must be strings/],
      ['addon.writeFiles(["/tmp/y"], ["/tmp/z"], ["data"])', /TypeError: writeFiles: datas must be Uint8Arrays/],
      ['addon.mapRegion(rgb, 64, 0, 0, 64, 48, new Uint8Array(9216), false)', /TypeError: mapRegion\(src/],
      ['addon.mapRegion(rgb, 64, 0, 0, 65, 48, new Uint8Array(99999), false, null)', /RangeError: mapRegion: region outside the source/],
      ['addon.mapRegion(rgb, 0, 0, 0, 1, 1, new Uint8Array(3), false, null)', /RangeError: mapRegion: srcWidth/],
    ]
    const out = ok(child(cases.map(([call]) => `console.log(threw(() => ${call}))`).join('\n')))
    const lines = out.trim().split('\n')
    expect(lines).toHaveLength(cases.length)
    cases.forEach(([call, want], i) => expect(lines[i], call).toMatch(want))
  })
})
