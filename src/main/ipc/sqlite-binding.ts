// Where the Electron-ABI build of better-sqlite3 is: in a checkout, .electron-sqlite/ (made by
// scripts/build-electron-sqlite.mjs); in a packaged app, resources/electron-sqlite/ (copied there
// by electron-builder's extraResources). node_modules keeps the Node build for tests and the CLI,
// so packaging never rebuilds node_modules in place (npmRebuild: false).
import { existsSync } from 'node:fs'
import { join } from 'node:path'

export const ELECTRON_SQLITE_DIR = '.electron-sqlite'
export const BINDING_FILE = 'better_sqlite3.node'

export function electronSqliteBinding(where: { packaged: boolean; resourcesPath?: string; appRoot: string }): string | undefined {
  const file =
    where.packaged && where.resourcesPath ? join(where.resourcesPath, 'electron-sqlite', BINDING_FILE) : join(where.appRoot, ELECTRON_SQLITE_DIR, BINDING_FILE)
  return existsSync(file) ? file : undefined
}
