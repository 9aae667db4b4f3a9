#!/usr/bin/env node
// npm run bench:catalog — the catalog's three figures (needs `npm run build` first):
//   1. import of N generated small pairs (16x16 PNG image + mask; headers, hashes and the
//      inline class histograms) in pairs/s;
//   2. a filtered, sorted 200-row page from a 1,000,000-sample catalog (rows inserted directly),
//      median and p95 ms over several filter/sort shapes at random depths (class present and
//      absent filters among them: a common class absent matches nothing);
//   2b. random access: a 200-row page at a random offset (a jump into the grid), median and p95;
//   3. a bulk tag of 100,000 samples (one transaction), in seconds.
// Options: --pairs N (default 100000), --rows N (default 1000000), --keep (keep /tmp data).
// Targets on 2 cores: import >= 2,000 pairs/s; page p95 <= 15 ms at 1M rows; bulk tag <= 2 s.
import { existsSync, rmSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { tmpdir, cpus, loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { writeManyPairs } from './catalog-data.mjs'

const { values } = parseArgs({
  options: { pairs: { type: 'string' }, rows: { type: 'string' }, keep: { type: 'boolean' }, 'skip-import': { type: 'boolean' } },
})
const PAIRS = Number(values.pairs ?? 100_000)
const ROWS = Number(values.rows ?? 1_000_000)
const lib = fileURLToPath(new URL('../../out/main/lib.js', import.meta.url))
if (!existsSync(lib)) {
  console.error('bench:catalog: out/main/lib.js is missing; run `npm run build` first')
  process.exit(1)
}
const { catalog } = await import(pathToFileURL(lib).href)
const { Catalog, runImport } = catalog

const root = join(tmpdir(), 'lockstep-bench-catalog')
const ms = (t) => Number(process.hrtime.bigint() - t) / 1e6
const now = () => process.hrtime.bigint()
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]
}
const results = {}
console.log(
  `bench:catalog on ${cpus().length} cores, load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')} (shared machine: expect noise)`,
)

// ---------------------------------------------------------------------------------------------
// 1. Import
if (!values['skip-import']) {
  const data = join(root, `pairs-${PAIRS}`)
  if (!existsSync(join(data, 'masks'))) {
    rmSync(data, { recursive: true, force: true })
    const t = now()
    await writeManyPairs(data, PAIRS)
    console.log(`generated ${PAIRS} pairs in ${(ms(t) / 1000).toFixed(1)} s (${data})`)
  }
  const project = join(root, 'import-project')
  rmSync(project, { recursive: true, force: true })
  const c = Catalog.open(project, { create: true })
  const t = now()
  const s = await runImport(c, { images: join(data, 'images'), masks: join(data, 'masks') })
  const wall = ms(t) / 1000
  c.close()
  results.import = { pairs: PAIRS, seconds: wall, pairsPerSecond: PAIRS / wall, headerPhasePairsPerSecond: s.rate, classesFound: s.classesFound }
  console.log(
    `1. import ${PAIRS} pairs: ${wall.toFixed(2)} s wall = ${Math.round(PAIRS / wall)} pairs/s ` +
      `(headers+hashes+class histograms phase ${Math.round(s.rate)} pairs/s; target >= 2000)`,
  )
}

// ---------------------------------------------------------------------------------------------
// 2. Pages from a 1M catalog built by direct inserts
{
  const project = join(root, `rows-${ROWS}`)
  let c
  if (existsSync(join(project, 'lockstep.db'))) c = Catalog.open(project)
  else {
    mkdirSync(root, { recursive: true })
    c = Catalog.open(project, { create: true })
    const t = now()
    const db = c.db
    const SPLITS = ['train', 'train', 'train', 'val', 'test', 'unassigned']
    const STATUSES = ['unreviewed', 'accepted', 'rejected', 'needs-fix']
    let x = 123456789
    const rnd = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 4294967296
    c.tx(() =>
      db
        .prepare(
          "INSERT INTO datasets(id, name, images_dir, masks_dir, mask_patterns, created_at) VALUES (1, 'bench', '/data/images', '/data/masks', '[\"{stem}.png\"]', 0)",
        )
        .run(),
    )
    const ins = db.prepare(`INSERT INTO samples(id, dataset_id, key, image_path, mask_path, width, height, channels, bit_depth, image_hash, mask_hash,
        split, status, error_kind, error_message, class_hash, class_set, scan_id, created_at, updated_at)
        VALUES (?, 1, ?, ?, ?, ?, ?, 3, 8, ?, ?, ?, ?, ?, ?, ?, ?, 1, 0, ?)`)
    const cls = db.prepare('INSERT INTO sample_classes(class_idx, sample_id, pixels) VALUES (?, ?, ?)')
    const CHUNK = 50_000
    for (let start = 1; start <= ROWS; start += CHUNK) {
      c.tx(() => {
        for (let id = start; id < Math.min(ROWS + 1, start + CHUNK); id++) {
          const key = `city${String(id % 50).padStart(2, '0')}/frame_${String((id * 7919) % 1_000_003).padStart(7, '0')}_${id}`
          const err = rnd() < 0.02 ? 'SIZE_MISMATCH' : null
          const hash = ((id * 2654435761) >>> 0).toString(16).padStart(8, '0').repeat(5)
          const hasRare = rnd() < 0.05
          ins.run(
            id,
            key,
            `${key}.jpg`,
            `${key}.png`,
            256 + Math.floor(rnd() * 8) * 128,
            256 + Math.floor(rnd() * 6) * 128,
            hash,
            hash,
            SPLITS[Math.floor(rnd() * SPLITS.length)],
            STATUSES[Math.floor(rnd() * 4)],
            err,
            err ? 'mismatch' : null,
            hash,
            hasRare ? '0,1,7' : '0,1',
            Math.floor(rnd() * 1e9),
          )
          cls.run(0, id, 1000)
          cls.run(1, id, 500)
          if (hasRare) cls.run(7, id, 20)
        }
      })
    }
    c.tx(() => {
      db.exec("INSERT INTO classes(idx, name, color) VALUES (0, 'background', '#000000'), (1, 'road', '#800000'), (7, 'rare', '#808000')")
      db.exec(
        'UPDATE classes SET pixel_count = (SELECT SUM(pixels) FROM sample_classes WHERE class_idx = idx), sample_count = (SELECT COUNT(*) FROM sample_classes WHERE class_idx = idx)',
      )
    })
    c.update({ target: { filter: { pathContains: 'city0' } }, addTags: ['night'] }) // ~20%
    c.db.exec('ANALYZE')
    console.log(`built ${ROWS} rows (+ class rows, tags) by direct inserts in ${(ms(t) / 1000).toFixed(1)} s`)
  }
  const ids = c.db.prepare('SELECT id FROM samples').pluck().all()
  const shapes = [
    { name: 'split=train, sort key asc', filter: { split: ['train'] }, sort: { field: 'key', dir: 'asc' } },
    { name: 'split=train & status=accepted, sort width desc', filter: { split: ['train'], status: ['accepted'] }, sort: { field: 'width', dir: 'desc' } },
    { name: 'tag night & healthy, sort key asc', filter: { tags: ['night'], error: ['none'] }, sort: { field: 'key', dir: 'asc' } },
    { name: 'class 7 present, split=val, sort updatedAt desc', filter: { classPresent: [7], split: ['val'] }, sort: { field: 'updatedAt', dir: 'desc' } },
    { name: 'path contains "frame_00", sort key asc', filter: { pathContains: 'frame_00' }, sort: { field: 'key', dir: 'asc' } },
    { name: 'class 7 present, sort key asc', filter: { classPresent: [7] }, sort: { field: 'key', dir: 'asc' } },
    { name: 'class 7 absent, sort key asc', filter: { classAbsent: [7] }, sort: { field: 'key', dir: 'asc' } },
    { name: 'class 1 absent (no mask lacks it), sort key asc', filter: { classAbsent: [1] }, sort: { field: 'key', dir: 'asc' } },
    { name: 'class 7 absent & split=test, sort width desc', filter: { classAbsent: [7], split: ['test'] }, sort: { field: 'width', dir: 'desc' } },
  ]
  const ITER = 40
  const all = []
  results.pages = []
  for (const shape of shapes) {
    // random depths: start from the cursor of a random sample's first page, then page on.
    // The first page of a view (with its total count, as the app asks) is timed separately.
    const tc = now()
    const counted = c.query({ filter: shape.filter, sort: shape.sort, limit: 200, withTotal: true })
    const countMs = ms(tc)
    const times = []
    let cursor = null
    for (let i = 0; i < ITER; i++) {
      if (i % 4 === 0) {
        // jump: a fresh first page, then follow nextCursor three times (pages 1..4 of a random region)
        const pivot = c.record(ids[Math.floor(Math.random() * ids.length)])
        const v = { key: pivot.key, width: pivot.width, updatedAt: pivot.updated_at, id: pivot.id }[shape.sort.field]
        cursor = Buffer.from(JSON.stringify({ f: shape.sort.field, d: shape.sort.dir, v, id: pivot.id })).toString('base64url')
      }
      const t = now()
      const page = c.query({ filter: shape.filter, sort: shape.sort, cursor, limit: 200, withTotal: false })
      times.push(ms(t))
      cursor = page.nextCursor
    }
    all.push(...times)
    const r = { shape: shape.name, medianMs: pct(times, 50), p95Ms: pct(times, 95), firstPageWithTotalMs: countMs, total: counted.total }
    results.pages.push(r)
    console.log(
      `2. page of 200, ${shape.name}: median ${r.medianMs.toFixed(2)} ms, p95 ${r.p95Ms.toFixed(2)} ms (matches ${counted.total}; first page with total count ${countMs.toFixed(1)} ms)`,
    )
  }
  results.pageAll = { medianMs: pct(all, 50), p95Ms: pct(all, 95) }
  console.log(
    `2. all page shapes at ${ROWS} rows: median ${results.pageAll.medianMs.toFixed(2)} ms, p95 ${results.pageAll.p95Ms.toFixed(2)} ms (target p95 <= 15)`,
  )

  // 2b. Random access: a page at a random offset (the grid jumping to a position), one call each
  results.jumps = []
  for (const shape of [
    { name: 'no filter, sort key asc', filter: {}, sort: { field: 'key', dir: 'asc' } },
    { name: 'split=train, sort key asc', filter: { split: ['train'] }, sort: { field: 'key', dir: 'asc' } },
    { name: 'class 7 absent, sort key asc', filter: { classAbsent: [7] }, sort: { field: 'key', dir: 'asc' } },
  ]) {
    const total = c.query({ filter: shape.filter, sort: shape.sort, limit: 1, withTotal: true }).total
    const times = []
    for (let i = 0; i < 20; i++) {
      const offset = Math.floor(Math.random() * total)
      const t = now()
      const page = c.query({ filter: shape.filter, sort: shape.sort, offset, limit: 200, withTotal: false })
      times.push(ms(t))
      if (!page.rows.length) throw new Error(`no rows at offset ${offset} of ${total}`)
    }
    const r = { shape: shape.name, total, medianMs: pct(times, 50), p95Ms: pct(times, 95), maxMs: Math.max(...times) }
    results.jumps.push(r)
    console.log(
      `2b. page of 200 at a random offset, ${shape.name}: median ${r.medianMs.toFixed(2)} ms, p95 ${r.p95Ms.toFixed(2)} ms (of ${total} matches; one call, no page before it)`,
    )
  }

  // -------------------------------------------------------------------------------------------
  // 3. Bulk tag of 100,000 samples (explicit ids), then removal
  const pick = []
  for (let i = 0; i < ids.length && pick.length < 100_000; i += Math.max(1, Math.floor(ids.length / 100_000))) pick.push(ids[i])
  const t = now()
  const r = c.update({ target: { ids: pick }, addTags: ['bench-bulk'] })
  const tagSeconds = ms(t) / 1000
  const t2 = now()
  c.update({ target: { ids: pick }, removeTags: ['bench-bulk'] })
  const untagSeconds = ms(t2) / 1000
  results.bulkTag = { samples: r.updated, seconds: tagSeconds, untagSeconds }
  console.log(`3. bulk tag of ${r.updated} samples: ${tagSeconds.toFixed(2)} s (remove: ${untagSeconds.toFixed(2)} s; target <= 2 s)`)
  c.close()
}

console.log(JSON.stringify(results))
if (!values.keep) {
  rmSync(join(root, `pairs-${PAIRS}`), { recursive: true, force: true })
  rmSync(join(root, `rows-${ROWS}`), { recursive: true, force: true })
  rmSync(join(root, 'import-project'), { recursive: true, force: true })
}
