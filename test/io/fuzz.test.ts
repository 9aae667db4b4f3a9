// Issue 13 item 6: a mutation fuzzer over the corpus kinds, bounded in time so it fits CI.
// The corpus (written here, by code): JPEG baseline 4:2:0 and 4:4:4, progressive (plain and with
// optimised Huffman tables), restart markers (baseline and progressive), grey, EXIF-oriented,
// tiny and odd sizes; PNG 8- and 16-bit grey, palette (8- and 2-bit), 1-bit grey, RGB, RGBA,
// interlaced, several IDAT chunks, a zlib bomb. Mutations: bit flips, interesting bytes, files
// cut short, bytes inserted and deleted, a PNG's IDAT data changed with its CRC recomputed, header
// fields changed.
//
// 1. native/decoders/test/fuzz.c, every kernel under ASan + UBSan, for FUZZ_SECONDS (default 20):
//    any memory error, leak, undefined behaviour or broken invariant fails the test with the report.
//    check_jpeg's verdict and words on every mutant must equal those of the check before its hot
//    loops were rewritten (test/check_jpeg_old.c, built only here), with and without batched steps.
// 2. In Node, for FUZZ_SECONDS (default 20), on every mutant: the native checks give exactly the JS
//    references' verdicts and words; a file the checks pass decodes without complaint (sharp, the
//    JS label reader, the native region decoder); a file libjpeg-turbo refuses (errors, and
//    warnings about corrupt data) the checks refuse too.
// Counts and findings are printed (the note of issue 13 quotes them).
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { encode as encodePng } from 'fast-png'
import sharp, { type JpegOptions, type PngOptions, type Sharp } from 'sharp'
import { beforeAll, describe, expect, it } from 'vitest'
import { Rng } from '../../src/main/augment/rng'
import { checkJpeg } from '../../src/main/io/check-jpeg'
import { checkPngData, pngRows } from '../../src/main/io/check-png'
import { JPEG_444, JPEG_PROGRESSIVE, JPEG_RESTARTS, loadAddon } from '../../src/main/io/native'
import { decodeLabelRegion, canDecodeLabels, idatOf, walkPng } from '../../src/main/io/png'
import { crc32 } from 'node:zlib'
import { checkBytes } from '../../src/main/io/verify'
import { tmp } from '../export/helpers'
import { jpegScene, labelPng, pngOf, zlibBomb } from '../fixtures/corrupt'
import { drawScene } from '../fixtures/pairs'
import { buildSanitized, canBuildNative as canBuild, runSanitized } from './sanitized-build'

const SECONDS = Number(process.env.FUZZ_SECONDS ?? 20)
const { addon, why } = loadAddon()
if (!addon) console.log(`fuzzer (Node part) skipped: ${why}`)
if (!canBuild) console.log('fuzzer (sanitizer part) skipped: needs gcc and the libjpeg-turbo and zlib headers')

const corpus: Array<{ name: string; kind: 'jpeg' | 'png'; bytes: Buffer }> = []
let dir: string

beforeAll(async () => {
  dir = tmp('lockstep-fuzz-')
  const add = (name: string, bytes: Buffer) => corpus.push({ name, kind: name.endsWith('.jpg') ? 'jpeg' : 'png', bytes })
  const rgb = (w: number, h: number, seed: number) => {
    const s = drawScene(w, h, seed)
    const px = Buffer.from(s.rgb)
    for (let i = 0; i < px.length; i++) px[i] = (px[i] + ((i * 2654435761) >>> 27)) & 255
    return px
  }
  type Prepare = (s: Sharp) => Sharp
  const raw = (w: number, h: number, channels: 1 | 3 = 3) => ({ raw: { width: w, height: h, channels } })
  const jpeg = (px: Buffer | Uint8Array, w: number, h: number, options: JpegOptions = {}, prepare: Prepare = (s) => s) =>
    prepare(sharp(px, raw(w, h)))
      .jpeg(options)
      .toBuffer()
  const png = (px: Buffer | Uint8Array, w: number, h: number, options: PngOptions = {}, prepare: Prepare = (s) => s, channels: 1 | 3 = 3) =>
    prepare(sharp(px, raw(w, h, channels)))
      .png(options)
      .toBuffer()
  add('baseline.jpg', await jpeg(rgb(61, 47, 1), 61, 47, { quality: 90 }))
  add('b444.jpg', await jpeg(rgb(40, 33, 2), 40, 33, { quality: 95, chromaSubsampling: '4:4:4' }))
  add('progressive.jpg', await jpegScene(57, 41, 3, { progressive: true }))
  add('progressive-opt.jpg', await jpeg(rgb(48, 40, 4), 48, 40, { quality: 70, progressive: true, optimiseCoding: true, chromaSubsampling: '4:4:4' }))
  add('grey.jpg', await jpeg(rgb(33, 29, 5), 33, 29, {}, (s) => s.greyscale()))
  add('grey-progressive.jpg', await jpeg(rgb(30, 30, 6), 30, 30, { progressive: true }, (s) => s.greyscale()))
  add('exif.jpg', await jpeg(rgb(24, 16, 7), 24, 16, {}, (s) => s.withMetadata({ orientation: 6 })))
  add('tiny.jpg', await jpeg(rgb(1, 1, 8), 1, 1))
  add('odd.jpg', await jpeg(rgb(17, 13, 9), 17, 13, { quality: 50 }))
  // noise at high quality: long codes, large coefficients and many stuffed 0xFF bytes (the check's
  // code-by-code paths and its byte-by-byte reads); a larger file: long runs of the fast paths
  const noise = (w: number, h: number, seed: number) => {
    const r = Rng.fromParts('fuzz-noise', seed)
    return Buffer.from(Array.from({ length: w * h * 3 }, () => r.int(0, 255)))
  }
  add('noise.jpg', await jpeg(noise(40, 32, 1), 40, 32, { quality: 100 }))
  add('noise-progressive.jpg', await jpeg(noise(32, 24, 2), 32, 24, { quality: 97, progressive: true, optimiseCoding: true }))
  add('medium.jpg', await jpeg(rgb(200, 150, 20), 200, 150, { quality: 90 }))
  // over 16 KiB of scan data: the check's batched steps run in the addon's own build too
  add('large.jpg', await jpeg(noise(160, 120, 5), 160, 120, { quality: 95 }))
  add('large-progressive.jpg', await jpeg(noise(160, 120, 6), 160, 120, { quality: 95, progressive: true }))
  if (addon) {
    const encoded = [
      ['restarts.jpg', rgb(50, 37, 10), 85, JPEG_RESTARTS],
      ['restarts-progressive.jpg', rgb(50, 37, 10), 85, JPEG_RESTARTS | JPEG_PROGRESSIVE],
      ['noise-restarts.jpg', noise(48, 40, 3), 100, JPEG_RESTARTS],
      ['noise-restarts-444-progressive.jpg', noise(40, 24, 4), 98, JPEG_RESTARTS | JPEG_PROGRESSIVE | JPEG_444],
    ] as const
    for (const [name, px, quality, flags] of encoded) {
      const w = name.startsWith('noise') ? (name.includes('444') ? 40 : 48) : 50
      const h = px.length / 3 / w
      const out = Buffer.alloc(px.length * 2 + 4096)
      add(name, Buffer.from(out.subarray(0, await addon.jpegEncode(px, w, h, quality, out, flags))))
    }
  }
  const labels = (w: number, h: number, seed: number) => drawScene(w, h, seed).labels
  add('grey8.png', labelPng(45, 31, labels(45, 31, 11)))
  add(
    'grey16.png',
    labelPng(
      29,
      23,
      Array.from(labels(29, 23, 12), (v) => v * 4097),
      { depth: 16 },
    ),
  )
  const palette = [0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9]
  add(
    'palette8.png',
    Buffer.from(
      encodePng({
        width: 26,
        height: 19,
        data: labels(26, 19, 13),
        depth: 8,
        channels: 1,
        palette: [
          [0, 0, 0],
          [255, 0, 0],
          [0, 255, 0],
          [0, 0, 255],
          [9, 9, 9],
        ],
      }),
    ),
  )
  add(
    'palette2.png',
    pngOf(
      19,
      11,
      2,
      3,
      labels(19, 11, 14).map((v) => v & 3),
      palette.slice(0, 12),
    ),
  )
  add(
    'grey1.png',
    pngOf(
      21,
      9,
      1,
      0,
      labels(21, 9, 15).map((v) => v & 1),
    ),
  )
  add('rgb.png', await png(rgb(23, 17, 16), 23, 17))
  add('rgba.png', await png(rgb(16, 16, 17), 16, 16, {}, (s) => s.ensureAlpha()))
  add('interlaced.png', await png(labels(37, 27, 18), 37, 27, { progressive: true }, undefined, 1))
  add('idats.png', await png(rgb(40, 40, 19), 40, 40, { compressionLevel: 0 }))
  add('bomb.png', zlibBomb(40, 30, 8, 8 << 20))
  add('one.png', labelPng(1, 1, [3]))
  mkdirSync(join(dir, 'corpus'))
  for (const c of corpus) writeFileSync(join(dir, 'corpus', c.name), c.bytes)
}, 60_000)

/** One to three mutations of the kinds fuzz.c makes. */
function mutate(rng: Rng, kind: 'jpeg' | 'png', input: Buffer): Buffer {
  let b = Buffer.from(input)
  for (let k = rng.int(1, 3); k > 0 && b.length; k--) {
    const at = rng.int(0, b.length - 1)
    switch (rng.int(0, 6)) {
      case 0:
        b[at] ^= 1 << rng.int(0, 7)
        break
      case 1:
        b[at] = [0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe, 0xd9, 0xda, 0xc4, 0x10][rng.int(0, 9)]
        break
      case 2:
        b = b.subarray(0, rng.int(0, b.length))
        break
      case 3:
        b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + rng.int(1, 8)))])
        break
      case 4:
        b = Buffer.concat([b.subarray(0, at), Buffer.from(Array.from({ length: rng.int(1, 8) }, () => rng.int(0, 255))), b.subarray(at)])
        break
      case 5: {
        const w = kind === 'png' ? walkPng(b) : null
        if (w?.ok) {
          const [s, e] = w.info.idat[rng.int(0, w.info.idat.length - 1)]
          if (e > s) {
            b[rng.int(s, e - 1)] ^= 1 << rng.int(0, 7)
            b.writeUInt32BE(crc32(b.subarray(s - 4, e)) >>> 0, e)
          }
        } else b[at] = rng.int(0, 255)
        break
      }
      default:
        if (kind === 'png' && b.length >= 33) {
          b[rng.int(16, 28)] = rng.int(0, 255)
          b.writeUInt32BE(crc32(b.subarray(12, 29)) >>> 0, 29)
        } else b[at] = rng.int(0, 255)
    }
  }
  return Buffer.from(b)
}

describe('mutation fuzzer (time-bounded)', () => {
  it.skipIf(!canBuild && process.env.LOCKSTEP_REQUIRE_NATIVE !== '1')(
    'every native kernel under ASan + UBSan: no memory error, leak, undefined behaviour or broken invariant',
    () => {
      const exe = join(dir, 'fuzz')
      const sources = [
        'test/fuzz.c',
        'test/check_jpeg_old.c',
        'jpeg.c',
        'png_labels.c',
        'files.c',
        'check_jpeg.c',
        'ops.c',
        'ops_q.c',
        'ops_geom.c',
        'ops_field.c',
        'ops_filter.c',
        'ops_colour.c',
      ]
      const cc = buildSanitized(exe, sources, ['-DCHECK_JPEG_TEST', '-ffp-contract=off'])
      expect(cc.status, cc.stderr).toBe(0)
      const t0 = Date.now()
      const run = runSanitized(exe, [join(dir, 'corpus'), String(SECONDS), '13'], { cwd: dir, timeout: (SECONDS + 120) * 1000 })
      expect(run.stderr, 'sanitizer report').toBe('')
      expect(run.status).toBe(0)
      const [head, ...perTarget] = run.stdout.trim().split('\n')
      const m = /^ok (\d+) (\d+)$/.exec(head)
      expect(m, run.stdout).not.toBeNull()
      console.log(
        `fuzz.c under ASan+UBSan: corpus ${corpus.length} files, ${m![1]} mutants, ${m![2]} kernel calls in ${((Date.now() - t0) / 1000).toFixed(1)} s (${perTarget.join(', ')}), no finding`,
      )
      expect(Number(m![1])).toBeGreaterThan(100)
      // every check_jpeg verdict was compared with the check before its rewrite (test/check_jpeg_old.c)
      const compared = /^check_jpeg_old_compared (\d+)$/m.exec(run.stdout)
      expect(Number(compared?.[1])).toBeGreaterThan(0)
      expect(compared?.[1]).toBe(/^check_jpeg (\d+)$/m.exec(run.stdout)?.[1])
    },
    (SECONDS + 180) * 1000,
  )

  it.skipIf(!addon)(
    'in Node: native checks equal the JS references; a file the checks pass decodes; a file libjpeg refuses, the checks refuse',
    async () => {
      const rng = Rng.fromParts('fuzz', 1)
      const findings: string[] = []
      const libjpegOnly = new Map<string, number>()
      let mutants = 0
      let soundJs = 0
      const stop = Date.now() + SECONDS * 1000
      while (Date.now() < stop) {
        const seed = corpus[rng.int(0, corpus.length - 1)]
        const b = mutants % 10 ? mutate(rng, seed.kind, seed.bytes) : seed.bytes
        const tag = `${seed.name} mutant ${mutants} (${b.toString('base64').slice(0, 0)})`
        mutants++
        if (seed.kind === 'jpeg') {
          const js = checkJpeg(b, 2e8)
          const c = await addon!.checkJpeg(b, 2e8)
          const jsv =
            js.ok === true
              ? { verdict: 0, message: '' }
              : js.ok === false
                ? { verdict: js.kind === 'TOO_LARGE' ? 2 : 1, message: js.problem }
                : { verdict: 3, message: js.unsupported }
          if (c.verdict !== jsv.verdict || c.message !== jsv.message) findings.push(`${tag}: native check ${JSON.stringify(c)} != JS ${JSON.stringify(jsv)}`)
          // the JS check's fast path for sequential scans gives the reference loop's verdict, word for word
          const ref = checkJpeg(b, 2e8, { fast: false })
          if (JSON.stringify(ref) !== JSON.stringify(js)) findings.push(`${tag}: JS check ${JSON.stringify(js)} != its reference loop ${JSON.stringify(ref)}`)
          else if (js.ok) soundJs++
          const v = await checkBytes(b)
          // libjpeg-turbo decoding the whole image (warnings count as errors there)
          const h = js.ok !== null ? headerOf(b) : null
          if (h && h.width > 0 && h.height > 0 && h.width * h.height < 4e6) {
            const out = new Uint8Array(h.width * h.height * 3)
            const r = await addon!.jpegRegion(b, 0, 0, h.width, h.height, out, false, null).then(
              (ok) => (ok ? 'ok' : 'not taken'),
              (e: Error) => e.message,
            )
            if (r !== 'ok' && r !== 'not taken' && v.ok) libjpegOnly.set(r, (libjpegOnly.get(r) ?? 0) + 1)
          }
          if (v.ok) {
            const decoded = await sharpSays(b)
            if (decoded !== 'ok') findings.push(`${tag}: the checks pass, sharp says ${decoded}`)
          }
        } else {
          const w = walkPng(b, true)
          if (w.ok && w.info.width * w.info.height < 4e6) {
            const layout = pngRows(w.info)
            const z = idatOf(b, w.info)
            const js = checkPngData(z, layout)
            const c = await addon!.checkPng(z, layout.rows, layout.strides)
            if (JSON.stringify(c) !== JSON.stringify(js)) findings.push(`${tag}: native PNG check ${JSON.stringify(c)} != JS ${JSON.stringify(js)}`)
            const v = await checkBytes(b)
            if (v.ok) {
              if (canDecodeLabels(w.info)) {
                try {
                  decodeLabelRegion(b, w.info)
                } catch (err) {
                  findings.push(`${tag}: the checks pass, the label reader says ${(err as Error).message}`)
                }
              }
              const decoded = await sharpSays(b)
              if (decoded !== 'ok') findings.push(`${tag}: the checks pass, sharp says ${decoded}`)
            }
          }
        }
      }
      console.log(
        `fuzzer in Node: corpus ${corpus.length} files, ${mutants} mutants in ${SECONDS} s, ${findings.length} findings${findings.length ? ':\n' + findings.slice(0, 20).join('\n') : ''}`,
      )
      if (libjpegOnly.size) console.log(`libjpeg-turbo refused, the checks passed (by libjpeg's message): ${JSON.stringify([...libjpegOnly])}`)
      expect(findings).toEqual([])
      // libjpeg's warnings about a file's header only (not its data) are not corruption: the checks accept those files
      const benign = /unknown JFIF revision|Invalid SOS parameters for sequential JPEG|Warning: thumbnail image size/
      expect([...libjpegOnly.keys()].filter((m) => !benign.test(m))).toEqual([])
      expect(mutants).toBeGreaterThan(100)
      expect(soundJs).toBeGreaterThan(10) // sound files (seeds, harmless mutants) went through the fast path
    },
    (SECONDS + 120) * 1000,
  )
})

/** 'ok' when sharp decodes the whole file strictly (failOn: 'error'), or its message. */
function sharpSays(b: Buffer): Promise<string> {
  return sharp(b, { failOn: 'error' })
    .raw()
    .toBuffer()
    .then(
      () => 'ok',
      (e: Error) => e.message,
    )
}

function headerOf(b: Buffer): { width: number; height: number } | null {
  for (let p = 2; p + 9 < b.length;) {
    if (b[p] !== 0xff) return null
    const m = b[p + 1]
    if (m === 0xc0 || m === 0xc1 || m === 0xc2) return { height: b.readUInt16BE(p + 5), width: b.readUInt16BE(p + 7) }
    if (m === 0xd8 || (m >= 0xd0 && m <= 0xd7) || m === 0x01 || m === 0xff) {
      p += m === 0xff ? 1 : 2
      continue
    }
    p += 2 + b.readUInt16BE(p + 2)
  }
  return null
}
