// Opening a project's SQLite file: WAL, foreign keys, a busy timeout, and ordered migrations
// keyed by PRAGMA user_version (each in its own IMMEDIATE transaction, re-checked inside it, so
// two processes opening a fresh project at once migrate it exactly once).
import Database from 'better-sqlite3'
import { LockstepError } from '../../shared/errors'
import { migrations as defaultMigrations, type Migration } from './migrations'

export type Db = Database.Database

let nativeBinding: string | undefined

/**
 * better-sqlite3 is a V8 addon: Node's build does not load in Electron. The Electron main process
 * calls this with the path of an Electron-ABI build before opening any project.
 */
export function configureSqlite(options: { nativeBinding?: string }): void {
  nativeBinding = options.nativeBinding
}

export interface OpenOptions {
  /** ms to wait for another process's write lock before failing with BUSY (default 5000) */
  busyTimeout?: number
  /** for tests of the migration machinery */
  migrations?: Migration[]
  readonly?: boolean
}

function isBusy(err: unknown): boolean {
  const code = (err as { code?: string }).code
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code === 'SQLITE_BUSY_SNAPSHOT'
}

/** Runs `fn` and turns SQLite's busy/locked errors into a clear BUSY error naming the file. */
export function withBusy<T>(file: string, fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    if (isBusy(err)) {
      throw new LockstepError('BUSY', `${file} is locked by another process (another Lockstep is writing to this project); try again when it finishes`)
    }
    throw err
  }
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number
}

/** Applies every migration above the file's user_version; refuses a file from a newer Lockstep. */
export function migrate(db: Db, file: string, list: Migration[] = defaultMigrations): number {
  const latest = list.length ? list[list.length - 1].version : 0
  list.forEach((m, i) => {
    if (m.version !== i + 1) throw new LockstepError('INTERNAL', `Migration ${m.name} has version ${m.version}, expected ${i + 1}`)
  })
  const refuseNewer = (v: number) => {
    if (v > latest) {
      throw new LockstepError(
        'SCHEMA_TOO_NEW',
        `${file} has catalog schema version ${v}, but this Lockstep knows versions up to ${latest}: it was written by a newer Lockstep; update Lockstep to open it (the file was not changed)`,
        { found: v, supported: latest },
      )
    }
  }
  refuseNewer(schemaVersion(db))
  for (const m of list) {
    if (schemaVersion(db) >= m.version) continue
    withBusy(file, () =>
      db
        .transaction(() => {
          const now = schemaVersion(db) // another process may have migrated while we waited
          refuseNewer(now)
          if (now >= m.version) return
          db.exec(m.sql)
          db.pragma(`user_version = ${m.version}`)
        })
        .immediate(),
    )
  }
  return schemaVersion(db)
}

/** Opens (creating if needed) a catalog file, configured and migrated. */
export function openDatabase(file: string, options: OpenOptions = {}): Db {
  let db: Db
  try {
    db = new Database(file, {
      timeout: options.busyTimeout ?? 5000,
      readonly: options.readonly ?? false,
      ...(nativeBinding ? { nativeBinding } : {}),
    })
  } catch (err) {
    const code = (err as { code?: string }).code
    if (code === 'SQLITE_CANTOPEN') throw new LockstepError('UNREADABLE', `Cannot open catalog ${file}: ${(err as Error).message}`)
    if (code === 'SQLITE_NOTADB') throw new LockstepError('CORRUPT', `${file} is not a Lockstep catalog (not an SQLite database)`)
    throw err
  }
  try {
    withBusy(file, () => {
      if (!options.readonly) db.pragma('journal_mode = WAL')
      db.pragma('foreign_keys = ON')
      db.pragma('synchronous = NORMAL') // WAL + NORMAL: durable across process crashes, fast commits
      db.pragma(`busy_timeout = ${options.busyTimeout ?? 5000}`)
      // 64 MB of page cache (default 2 MB): a million-row catalog has a dozen indexes to keep warm
      db.pragma('cache_size = -65536')
    })
    if (!options.readonly) migrate(db, file, options.migrations)
    else if (schemaVersion(db) > (options.migrations ?? defaultMigrations).length) migrate(db, file, options.migrations)
    return db
  } catch (err) {
    db.close()
    const code = (err as { code?: string }).code
    if (code === 'SQLITE_NOTADB') throw new LockstepError('CORRUPT', `${file} is not a Lockstep catalog (not an SQLite database)`)
    throw err
  }
}
