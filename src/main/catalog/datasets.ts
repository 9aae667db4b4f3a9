// The datasets table: the folders a project's samples come from.
import type { Db } from './db'
import type { Dataset } from './types'

interface DatasetRow {
  id: number
  name: string
  images_dir: string
  masks_dir: string | null
  mask_patterns: string
  created_at: number
  last_scan_at: number | null
}

function toDataset(r: DatasetRow): Dataset {
  return {
    id: r.id,
    name: r.name,
    imagesDir: r.images_dir,
    masksDir: r.masks_dir,
    maskPatterns: JSON.parse(r.mask_patterns) as string[],
    lastScanAt: r.last_scan_at,
  }
}

export function listDatasets(db: Db): Dataset[] {
  return (db.prepare('SELECT * FROM datasets ORDER BY id').all() as DatasetRow[]).map(toDataset)
}

export function getDataset(db: Db, id: number): Dataset | undefined {
  const r = db.prepare('SELECT * FROM datasets WHERE id = ?').get(id) as DatasetRow | undefined
  return r && toDataset(r)
}

export function findDataset(db: Db, imagesDir: string, masksDir: string | null): Dataset | undefined {
  const r = db.prepare("SELECT * FROM datasets WHERE images_dir = ? AND ifnull(masks_dir, '') = ?").get(imagesDir, masksDir ?? '') as DatasetRow | undefined
  return r && toDataset(r)
}

/** Every folder a sample file may come from (media confines served files to these). */
export function datasetRoots(db: Db): string[] {
  const roots = new Set<string>()
  for (const d of listDatasets(db)) {
    roots.add(d.imagesDir)
    if (d.masksDir) roots.add(d.masksDir)
  }
  return [...roots]
}
