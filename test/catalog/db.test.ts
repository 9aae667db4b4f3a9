import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { migrate, openDatabase, schemaVersion } from '../../src/main/catalog/db'
import { Catalog } from '../../src/main/catalog/catalog'
import { LATEST_SCHEMA_VERSION, migrations as defaultMigrations, type Migration } from '../../src/main/catalog/migrations'
import { tempDir } from './fixtures'

describe('catalog database', () => {
  const t = tempDir('db')
  afterAll(() => t.cleanup())

  it('opens with WAL, foreign keys and a busy timeout, at the latest schema', () => {
    const c = Catalog.open(join(t.dir, 'p1'), { create: true })
    try {
      expect(c.db.pragma('journal_mode', { simple: true })).toBe('wal')
      expect(c.db.pragma('foreign_keys', { simple: true })).toBe(1)
      expect(c.db.pragma('busy_timeout', { simple: true })).toBe(5000)
      expect(schemaVersion(c.db)).toBe(LATEST_SCHEMA_VERSION)
      expect(c.info().schemaVersion).toBe(LATEST_SCHEMA_VERSION)
      // every filter/sort column is indexed
      const indexed = (c.db.prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'samples'").pluck().all() as string[]).join('\n')
      for (const col of ['split', 'status', 'error_kind', 'width', 'height', 'updated_at', 'key']) expect(indexed).toContain(col)
    } finally {
      c.close()
    }
  })

  it('migration 3 copies each tagged sample key into sample_tags (upgrading a v2 file with tags)', () => {
    const file = join(t.dir, 'v2.db')
    const db = openDatabase(file, { migrations: defaultMigrations.slice(0, 2) })
    expect(schemaVersion(db)).toBe(2)
    db.exec(`INSERT INTO datasets(id, name, images_dir, mask_patterns, created_at) VALUES (1, 'd', '/i', '[]', 0);
      INSERT INTO samples(id, dataset_id, key, scan_id, created_at, updated_at) VALUES (1, 1, 'b', 1, 0, 0), (2, 1, 'a', 1, 0, 0), (3, 1, 'c', 1, 0, 0);
      INSERT INTO tags(id, name) VALUES (1, 't');
      INSERT INTO sample_tags(tag_id, sample_id) VALUES (1, 1), (1, 2);`)
    migrate(db, file, defaultMigrations)
    expect(schemaVersion(db)).toBe(LATEST_SCHEMA_VERSION)
    expect(db.prepare('SELECT sample_id, sort_key FROM sample_tags INDEXED BY sample_tags_key WHERE tag_id = 1 ORDER BY sort_key').raw().all()).toEqual([
      [2, 'a'],
      [1, 'b'],
    ])
    db.close()
  })

  it('opening a missing project without create names the folder', () => {
    expect(() => Catalog.open(join(t.dir, 'nope'))).toThrow(/Project folder not found: .*nope/)
  })

  it('applies ordered migrations, each in its own transaction; a failing one leaves the previous version intact', () => {
    const file = join(t.dir, 'm.db')
    const list: Migration[] = [
      { version: 1, name: 'one', sql: 'CREATE TABLE a (x INTEGER);' },
      { version: 2, name: 'two', sql: "ALTER TABLE a ADD COLUMN y TEXT; INSERT INTO a VALUES (1, 'v2');" },
    ]
    const db = openDatabase(file, { migrations: list.slice(0, 1) })
    expect(schemaVersion(db)).toBe(1)
    db.prepare('INSERT INTO a(x) VALUES (7)').run()
    const broken: Migration[] = [...list, { version: 3, name: 'broken', sql: 'CREATE TABLE b (z); THIS IS NOT SQL;' }]
    expect(() => migrate(db, file, broken)).toThrow()
    // 2 committed, 3 rolled back entirely (table b does not exist)
    expect(schemaVersion(db)).toBe(2)
    expect(db.prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 'b'").pluck().get()).toBe(0)
    expect(db.prepare('SELECT x, y FROM a ORDER BY x').all()).toEqual([
      { x: 1, y: 'v2' },
      { x: 7, y: null },
    ])
    db.close()
  })

  it('refuses a catalog written by a newer Lockstep, clearly, without changing the file', () => {
    const dir = join(t.dir, 'newer')
    Catalog.open(dir, { create: true }).close()
    const file = join(dir, 'lockstep.db')
    const raw = new Database(file)
    raw.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 5}`)
    raw.pragma('wal_checkpoint(TRUNCATE)')
    raw.close()
    const before = readFileSync(file)
    let err: unknown
    try {
      Catalog.open(dir)
    } catch (e) {
      err = e
    }
    expect(err).toMatchObject({ code: 'SCHEMA_TOO_NEW' })
    expect((err as Error).message).toContain(file)
    expect((err as Error).message).toMatch(
      new RegExp(`schema version ${LATEST_SCHEMA_VERSION + 5}.*knows versions up to ${LATEST_SCHEMA_VERSION}.*update Lockstep`),
    )
    expect(readFileSync(file).equals(before)).toBe(true)
  })

  it('a file that is not SQLite is reported as such', () => {
    const dir = join(t.dir, 'junk')
    Catalog.open(dir, { create: true }).close()
    const file = join(dir, 'lockstep.db')
    for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) rmSync(f)
    writeFileSync(file, 'definitely not a database, just some text that is long enough to have a header'.repeat(20))
    expect(() => Catalog.open(dir)).toThrow(/not a Lockstep catalog/)
  })

  it('recipe versions are immutable, also to direct SQL', () => {
    const c = Catalog.open(join(t.dir, 'recipes'), { create: true })
    try {
      const recipe = { schema: 'lockstep.recipe/1', output: { width: 64, height: 64 }, mask: { ignoreIndex: 255 }, ops: [] }
      const v1 = c.saveRecipe({ name: 'base', recipe, note: 'first' })
      const v2 = c.saveRecipe({ id: v1.recipeId, name: 'base', recipe: { ...recipe, output: { width: 32, height: 32 } } })
      expect([v1.version, v2.version]).toEqual([1, 2])
      expect(c.getRecipe(v1.recipeId).version).toBe(2)
      expect((c.getRecipe(v1.recipeId, 1).recipe as { output: { width: number } }).output.width).toBe(64)
      expect(c.getRecipeVersion(v1.versionId).version).toBe(1)
      expect(c.listRecipes()).toMatchObject([{ id: v1.recipeId, name: 'base', latestVersion: 2, versionCount: 2 }])
      expect(() => c.db.prepare('UPDATE recipe_versions SET json = ? WHERE id = ?').run('{}', v1.versionId)).toThrow(/immutable/)
      expect(() => c.db.prepare('DELETE FROM recipe_versions').run()).toThrow(/immutable/)
      expect(() => c.saveRecipe({ name: 'bad', recipe: { schema: 'lockstep.recipe/1', ops: [{ type: 'nope' }] } })).toThrow(
        expect.objectContaining({ code: 'INVALID_RECIPE' }),
      )
      expect(c.listRecipes()).toHaveLength(1) // nothing stored for the invalid one
      expect(() => c.getRecipe(v1.recipeId, 9)).toThrow(/has no version 9/)
    } finally {
      c.close()
    }
  })

  it('records and updates exports for the export area', () => {
    const c = Catalog.open(join(t.dir, 'exports'), { create: true })
    try {
      const a = c.recordExport({ recipeVersionId: null, seed: 3, options: { epochs: 2 }, out: '/tmp/a', startedAt: 1000 })
      const b = c.recordExport({ recipeVersionId: null, seed: 4, options: {}, out: '/tmp/b', startedAt: 2000 })
      c.updateExport(a, { status: 'done', outputs: 10, failed: 0, endedAt: 1500 })
      const list = c.listExports()
      expect(list.map((e) => e.id)).toEqual([b, a])
      expect(list[1]).toMatchObject({ status: 'done', outputs: 10, failed: 0, seed: 3, options: { epochs: 2 }, endedAt: 1500 })
      expect(list[0]).toMatchObject({ status: 'running', endedAt: null })
      expect(() => c.updateExport(999, { status: 'failed' })).toThrow(/Export 999 is not recorded/)
    } finally {
      c.close()
    }
  })
})
