// A project: a folder with lockstep.db and caches. The Catalog is the one object the handlers, the
// CLI, export and media talk to; every edit is one transaction. Each concern is a module over the
// one connection (samples, query, split, classes, recipes, exports, results, datasets); the
// methods here open the project and hand each call to its module.
import { existsSync, mkdirSync, statSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import { LockstepError } from '../../shared/errors'
import type {
  ClassInfo,
  Counts,
  DatasetInfo,
  ImportSummary,
  ProjectInfo,
  RecipeSummary,
  RecipeVersionInfo,
  SampleDetail,
  SampleFilter,
  SamplePage,
  Split,
  StatsResult,
  TagCount,
} from '../../shared/contract/catalog'
import type { ExportRecord } from '../../shared/contract/export'
import { listClasses, parsePalette, readPaletteFile, updateClasses, type ClassEdit } from './classes'
import { datasetRoots, findDataset, getDataset, listDatasets } from './datasets'
import { openDatabase, schemaVersion, withBusy, type Db, type OpenOptions } from './db'
import { listExports, recordExport, updateExport, type ExportUpdate } from './exports'
import { queryPage, type PageQuery } from './query'
import { getRecipe, getRecipeVersion, listRecipes, saveRecipe } from './recipes'
import { getStats, importSummary, saveStats } from './results'
import { countSamples, getRecord, getSample, sampleDetail, selectSamples, tagCounts, toRef, updateSamples, type SampleUpdate } from './samples'
import { randomSplit, type RandomSplitInput } from './split'
import { thumbnail } from './thumbnails'
import type { CatalogHandle, Dataset, SampleRecord, SampleRef, Store } from './types'

export type { Dataset, SampleRecord } from './types'

export const DB_FILE = 'lockstep.db'

export interface OpenProjectOptions extends OpenOptions {
  /** create the folder and the catalog if missing (default false: NOT_FOUND) */
  create?: boolean
  name?: string
}

export class Catalog implements CatalogHandle, Store {
  readonly projectDir: string
  readonly dbPath: string
  readonly db: Db
  private closed = false

  private constructor(projectDir: string, db: Db) {
    this.projectDir = projectDir
    this.dbPath = join(projectDir, DB_FILE)
    this.db = db
  }

  /** Opens a project folder (creating it when `create`), migrating its catalog. */
  static open(dir: string, options: OpenProjectOptions = {}): Catalog {
    const projectDir = resolve(dir)
    const file = join(projectDir, DB_FILE)
    if (!existsSync(file)) {
      if (!options.create) {
        if (!existsSync(projectDir)) throw new LockstepError('NOT_FOUND', `Project folder not found: ${projectDir}`)
        throw new LockstepError('NOT_FOUND', `${projectDir} is not a Lockstep project (no ${DB_FILE}); create one first`)
      }
      if (existsSync(projectDir) && !statSync(projectDir).isDirectory()) {
        throw new LockstepError('INVALID_INPUT', `Cannot create a project at ${projectDir}: it is a file`)
      }
      mkdirSync(projectDir, { recursive: true })
    }
    const db = openDatabase(file, options)
    const catalog = new Catalog(projectDir, db)
    withBusy(file, () => db.prepare('INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)').run('name', options.name ?? (basename(projectDir) || 'project')))
    return catalog
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.db.close()
  }

  get isOpen(): boolean {
    return !this.closed
  }

  /** Runs `fn` in one IMMEDIATE transaction, with a clear BUSY error if another process holds the lock too long. */
  tx<T>(fn: () => T): T {
    return withBusy(this.dbPath, () => this.db.transaction(fn).immediate())
  }

  // ------------------------------------------------------------------------------------------
  // Project and datasets

  get name(): string {
    return (this.db.prepare("SELECT value FROM meta WHERE key = 'name'").pluck().get() as string | undefined) ?? basename(this.projectDir)
  }

  datasets(): Dataset[] {
    return listDatasets(this.db)
  }

  dataset(id: number): Dataset | undefined {
    return getDataset(this.db, id)
  }

  findDataset(imagesDir: string, masksDir: string | null): Dataset | undefined {
    return findDataset(this.db, imagesDir, masksDir)
  }

  /** Every folder a sample file may come from (media confines served files to these). */
  datasetRoots(): string[] {
    return datasetRoots(this.db)
  }

  info(): ProjectInfo {
    const counts = this.db.prepare('SELECT dataset_id AS id, COUNT(*) AS n FROM samples GROUP BY dataset_id').all() as { id: number; n: number }[]
    const byDataset = new Map(counts.map((c) => [c.id, c.n]))
    const datasets: DatasetInfo[] = this.datasets().map((d) => ({ ...d, sampleCount: byDataset.get(d.id) ?? 0 }))
    return {
      dir: this.projectDir,
      name: this.name,
      schemaVersion: schemaVersion(this.db),
      datasets,
      sampleCount: counts.reduce((a, c) => a + c.n, 0),
      errorCount: this.db.prepare('SELECT COUNT(*) FROM samples WHERE error_kind IS NOT NULL').pluck().get() as number,
    }
  }

  /** JPEG thumbnail (longest side 256), cached under the project by content hash. */
  thumbnail(id: number, overlay: boolean): Promise<Buffer> {
    return thumbnail(this, id, overlay)
  }

  // ------------------------------------------------------------------------------------------
  // Samples (./samples.ts, ./query.ts, ./split.ts)

  record(id: number): SampleRecord | undefined {
    return getRecord(this.db, id)
  }

  /** What preview, export and media need (absolute paths); undefined for an unknown id. */
  getSample(id: number): SampleRef | undefined {
    return getSample(this.db, id)
  }

  toRef(r: SampleRecord): SampleRef {
    return toRef(this.db, r)
  }

  /** Samples matching a filter, in key order (export's selection). */
  selectSamples(filter: SampleFilter = {}): SampleRef[] {
    return selectSamples(this.db, filter)
  }

  sampleDetail(id: number): SampleDetail {
    return sampleDetail(this.db, id)
  }

  query(q: Partial<PageQuery> = {}): SamplePage {
    return queryPage(this.db, {
      filter: q.filter ?? {},
      sort: q.sort ?? { field: 'key', dir: 'asc' },
      cursor: q.cursor ?? null,
      offset: q.offset,
      limit: q.limit ?? 200,
      withTotal: q.withTotal ?? true,
      plan: q.plan,
      scanWindow: q.scanWindow,
    })
  }

  counts(filter: SampleFilter = {}): Counts {
    return countSamples(this.db, filter)
  }

  /** One transaction: split/status/notes and tag additions/removals on every targeted sample. */
  update(u: SampleUpdate): { updated: number } {
    return updateSamples(this, u)
  }

  /** Seeded, reproducible, optionally stratified random split (./split.ts). */
  randomSplit(input: RandomSplitInput): { counts: Record<'train' | 'val' | 'test', number> } {
    return randomSplit(this, input)
  }

  tags(): TagCount[] {
    return tagCounts(this.db)
  }

  // ------------------------------------------------------------------------------------------
  // Classes (./classes.ts)

  classes(): ClassInfo[] {
    return listClasses(this.db)
  }

  updateClasses(edits: ClassEdit[]): ClassInfo[] {
    withBusy(this.dbPath, () => updateClasses(this.db, edits))
    return this.classes()
  }

  importPalette(input: { path: string } | { text: string; format: 'json' | 'csv' }): ClassInfo[] {
    const edits = 'path' in input ? readPaletteFile(input.path) : parsePalette(input.text, input.format)
    return this.updateClasses(edits)
  }

  // ------------------------------------------------------------------------------------------
  // What jobs leave behind: stats and import summaries (./results.ts)

  getStats(split: Split | 'all'): StatsResult | null {
    return getStats(this.db, split)
  }

  saveStats(stats: StatsResult): void {
    saveStats(this, stats)
  }

  importSummary(jobId?: string): ImportSummary | null {
    return importSummary(this.db, jobId)
  }

  // ------------------------------------------------------------------------------------------
  // Recipes: versions are immutable (./recipes.ts)

  listRecipes(): RecipeSummary[] {
    return listRecipes(this.db)
  }

  getRecipe(id: number, version?: number): RecipeVersionInfo {
    return getRecipe(this.db, id, version)
  }

  /** A recipe version by its row id (what exports record). */
  getRecipeVersion(versionId: number): RecipeVersionInfo {
    return getRecipeVersion(this.db, versionId)
  }

  /** Validates a Lockstep recipe and stores a new immutable version (of `id`, or of a new recipe). */
  saveRecipe(input: { id?: number; name: string; recipe: unknown; note?: string }): RecipeVersionInfo {
    return saveRecipe(this, input)
  }

  // ------------------------------------------------------------------------------------------
  // Exports (EXPORT's history is built on these; ./exports.ts)

  recordExport(e: { recipeVersionId: number | null; seed: number; options: unknown; out: string; startedAt?: number }): number {
    return recordExport(this, e)
  }

  updateExport(id: number, u: ExportUpdate): void {
    updateExport(this, id, u)
  }

  listExports(limit = 100): ExportRecord[] {
    return listExports(this.db, limit)
  }
}
