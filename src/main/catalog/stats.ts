// The stats job: per-channel mean and std over a split (the featurewise centering Keras's
// ImageDataGenerator.fit computes: over every pixel of every image, population std), and per-class
// pixel counts and the number of samples containing each class. Stored per split.
import { LockstepError } from '../../shared/errors'
import type { Split, StatsResult } from '../../shared/contract/catalog'
import { decodeImage } from '../io'
import type { Catalog } from './catalog'
import { filterWhere } from './query'
import { classPass, type ImportControl } from './importer'
import { mapLimit } from '../map-limit'

/** Running per-channel moments, merged image by image (Chan et al.): exact in float64 at any size. */
export class Moments {
  n = 0
  mean = [0, 0, 0]
  m2 = [0, 0, 0]
  addImage(rgb: Uint8Array): void {
    const px = rgb.length / 3
    if (!px) return
    const s = [0, 0, 0]
    const q = [0, 0, 0]
    for (let i = 0; i < rgb.length; i += 3) {
      const r = rgb[i],
        g = rgb[i + 1],
        b = rgb[i + 2]
      s[0] += r
      s[1] += g
      s[2] += b
      q[0] += r * r
      q[1] += g * g
      q[2] += b * b
    }
    for (let c = 0; c < 3; c++) {
      const mb = s[c] / px
      const m2b = q[c] - s[c] * mb // exact integer sums up to 2^53
      const n = this.n + px
      const delta = mb - this.mean[c]
      this.mean[c] = this.mean[c] + (delta * px) / n
      this.m2[c] = this.m2[c] + m2b + (delta * delta * this.n * px) / n
    }
    this.n += px
  }
  std(): number[] {
    return this.m2.map((m) => (this.n ? Math.sqrt(m / this.n) : 0))
  }
  /** Moments of several images merged in the order given (the same order gives the same numbers, bit for bit). */
  static merge(parts: ReadonlyArray<Moments | null>): Moments {
    const total = new Moments()
    for (const m of parts) {
      if (!m) continue
      for (let c = 0; c < 3; c++) {
        const n = total.n + m.n
        const delta = m.mean[c] - total.mean[c]
        total.mean[c] = total.mean[c] + (delta * m.n) / n
        total.m2[c] = total.m2[c] + m.m2[c] + (delta * delta * total.n * m.n) / n
      }
      total.n += m.n
    }
    return total
  }
}

export async function computeStats(catalog: Catalog, split: Split | 'all', control: ImportControl & { concurrency?: number } = {}): Promise<StatsResult> {
  const db = catalog.db
  const filter = split === 'all' ? {} : { split: [split] }
  const where = filterWhere(db, filter)
  const ids = db
    .prepare(`SELECT s.id FROM samples s WHERE ${where.sql} AND s.error_kind IS NULL ORDER BY s.key, s.id`)
    .pluck()
    .all(...where.params) as number[]
  const skipped = db
    .prepare(`SELECT COUNT(*) FROM samples s WHERE ${where.sql} AND s.error_kind IS NOT NULL`)
    .pluck()
    .get(...where.params) as number
  if (!ids.length) throw new LockstepError('NOT_FOUND', `No healthy samples in split ${split} to compute statistics over`)

  // Masks not read yet (or changed since) are read first.
  await classPass(catalog, undefined, { ids, signal: control.signal, progress: control.progress, concurrency: control.concurrency ?? 4 })

  // Per-image moments in completion order would change the float rounding: keep one slot per image
  // and merge in key order, so the same split gives the same numbers bit for bit.
  const perImage = new Array<Moments | null>(ids.length).fill(null)
  const index = new Map(ids.map((id, i) => [id, i]))
  let done = 0
  const live = ids.filter((id) => catalog.getSample(id)?.error === null)
  await mapLimit(live, control.concurrency ?? 2, async (id) => {
    if (control.signal?.aborted) return
    const ref = catalog.getSample(id)!
    const img = await decodeImage(ref.imagePath)
    const m = new Moments()
    m.addImage(img.data)
    perImage[index.get(id)!] = m
    done++
    control.progress?.(done, live.length, 'reading images')
  })
  if (control.signal?.aborted) throw new LockstepError('CANCELLED', 'The stats job was cancelled')
  const total = Moments.merge(perImage)
  const used = perImage.map((m, i) => (m ? ids[i] : -1)).filter((x) => x >= 0)
  const names = new Map(catalog.classes().map((c) => [c.index, c.name]))
  const classes = (
    db
      .prepare(
        `SELECT class_idx AS "index", SUM(pixels) AS pixels, COUNT(*) AS samples FROM sample_classes
         WHERE sample_id IN (SELECT value FROM json_each(?)) GROUP BY class_idx ORDER BY class_idx`,
      )
      .all(JSON.stringify(used)) as { index: number; pixels: number; samples: number }[]
  ).map((c) => ({ ...c, name: names.get(c.index) ?? `class ${c.index}` }))
  const stats: StatsResult = {
    split,
    sampleCount: used.length,
    pixelCount: total.n,
    mean: total.mean as [number, number, number],
    std: total.std() as [number, number, number],
    classes,
    // broken before, plus masks the class pass found broken
    skipped: skipped + (ids.length - live.length),
    computedAt: Date.now(),
  }
  catalog.saveStats(stats)
  return stats
}
