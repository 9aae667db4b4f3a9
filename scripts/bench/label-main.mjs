// The main-process side of labeling, timed (issue 11: "a save <= 500 ms including the catalog
// update" on a 4000x3000 pair). A temporary project with one 4000x3000 pair per mask encoding
// (8-bit grey, 16-bit grey, palette); each run edits the label map (a different disc each time,
// as a brush or fill would) and calls the catalog's saveMask with what mask.save receives (the
// deflated, base64 label map): inflate, checks, class counts, encode in the file's encoding,
// history copy, durable writes, the catalog transaction. Then a restore and the version list.
// The renderer's side (stroke, fill, undo, opening) is bench:label's (labels-ui).
//
//   npm run build && node scripts/bench/label-main.mjs [--runs N] [--size 4000x3000]
//   or from another script: (await import('./label-main.mjs')).benchLabelMain({ runs, width, height })
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { deflateSync } from 'node:zlib'
import sharp from 'sharp'

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** Runs the benchmark and returns its figures (also printed, one line each, unless quiet). */
export async function benchLabelMain({ runs = 7, width = 4000, height = 3000, quiet = false } = {}) {
  const { catalog: lib } = await import(new URL('../../out/main/lib.js', import.meta.url).href)
  const say = (s) => quiet || console.log(s)
  const root = mkdtempSync(join(tmpdir(), 'lockstep-bench-label-'))
  try {
    mkdirSync(join(root, 'images'))
    mkdirSync(join(root, 'masks'))
    const base = new Uint8Array(width * height)
    for (let y = 0; y < height; y++) base.fill(y < height / 2 ? 0 : 1, y * width, (y + 1) * width)
    const image = await sharp({ create: { width, height, channels: 3, background: { r: 90, g: 120, b: 150 } } })
      .jpeg({ quality: 85 })
      .toBuffer()
    const { encode } = await import('fast-png')
    const grey = Buffer.from(encode({ width, height, data: base, depth: 8, channels: 1 }))
    const g16 = Buffer.from(encode({ width, height, data: Uint16Array.from(base), depth: 16, channels: 1 }))
    const pal = Buffer.from(
      encode({
        width,
        height,
        data: base,
        depth: 8,
        channels: 1,
        palette: [
          [0, 0, 0],
          [200, 30, 30],
          [30, 200, 30],
        ],
      }),
    )
    for (const [name, mask] of [
      ['grey8', grey],
      ['grey16', g16],
      ['palette', pal],
    ]) {
      writeFileSync(join(root, 'images', `${name}.jpg`), image)
      writeFileSync(join(root, 'masks', `${name}.png`), mask)
    }
    const catalog = lib.Catalog.open(join(root, 'proj'), { create: true })
    await lib.runImport(catalog, { images: join(root, 'images'), masks: join(root, 'masks') })
    const figures = {}
    for (const name of ['grey8', 'grey16', 'palette']) {
      const id = catalog.db.prepare('SELECT id FROM samples WHERE key = ?').pluck().get(name)
      const times = []
      const cpu = [] // this process's CPU (main thread + zlib's thread-pool work): less sensitive to a busy machine than wall time
      for (let r = 0; r < runs; r++) {
        // a disc of class 2 at a different place each run (about 4% of the image)
        const labels = base.slice()
        const cx = Math.round(width * (0.2 + 0.6 * (r / Math.max(1, runs - 1)))),
          cy = Math.round(height / 2),
          rad = Math.round(height / 9)
        for (let y = cy - rad; y <= cy + rad; y++) {
          const half = Math.floor(Math.sqrt(rad * rad - (y - cy) ** 2))
          labels.fill(2, y * width + cx - half, y * width + cx + half + 1)
        }
        const data = deflateSync(labels).toString('base64') // the renderer's work (CompressionStream)
        const baseHash = catalog.sampleDetail(id).maskHash
        const c0 = process.cpuUsage()
        const t0 = performance.now()
        await lib.saveMask(catalog, { sampleId: id, width, height, depth: 8, data, baseHash })
        times.push(performance.now() - t0)
        const c = process.cpuUsage(c0)
        cpu.push((c.user + c.system) / 1000)
      }
      const versions = await lib.maskVersions(catalog, id)
      const t1 = performance.now()
      await lib.restoreMask(catalog, id, versions[versions.length - 1].id)
      const restore = performance.now() - t1
      figures[name] = {
        medianMs: median(times),
        maxMs: Math.max(...times),
        cpuMedianMs: median(cpu),
        restoreMs: restore,
        runs: times.map((t) => Math.round(t)),
      }
      say(
        `mask.save ${width}x${height} ${name.padEnd(7)}: median ${median(times).toFixed(0)} ms wall (${median(cpu).toFixed(0)} ms CPU), max ${Math.max(...times).toFixed(0)} ms (runs ${figures[name].runs.join(', ')}); restore ${restore.toFixed(0)} ms`,
      )
    }
    catalog.close()
    return figures
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (flag, fallback) => {
    const i = process.argv.indexOf(flag)
    return i >= 0 ? process.argv[i + 1] : fallback
  }
  const [width, height] = arg('--size', '4000x3000').split('x').map(Number)
  console.log(`bench label-main: mask.save on ${width}x${height} (target: <= 500 ms including the catalog update)`)
  await benchLabelMain({ runs: Number(arg('--runs', 7)), width, height })
}
