// Where the Electron-ABI build of better-sqlite3 lives in a checkout (made by
// scripts/build-electron-sqlite.mjs); the Node build in node_modules stays for tests and the CLI.
import { existsSync } from 'node:fs'
import { join } from 'node:path'

export const ELECTRON_SQLITE_DIR = '.electron-sqlite'

export function electronSqliteBinding(appRoot: string): string | undefined {
  const file = join(appRoot, ELECTRON_SQLITE_DIR, 'better_sqlite3.node')
  return existsSync(file) ? file : undefined
}
