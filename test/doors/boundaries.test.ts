// The architecture's boundaries, checked over the source: only the two Electron entry points
// import electron, and nothing else touches ipcRenderer/ipcMain (GitHub Desktop keeps a lint
// rule for the same thing).
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'

const src = join(import.meta.dirname, '../../src')
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f)
    return statSync(p).isDirectory() ? files(p) : /\.(ts|vue|mts|js)$/.test(f) ? [p] : []
  })
}
const all = files(src).map((p) => ({ path: relative(src, p), text: readFileSync(p, 'utf8') }))

describe('source boundaries', () => {
  it('only src/main/index.ts and src/preload/index.ts import electron', () => {
    const importers = all.filter((f) => /from\s+['"]electron['"]|require\(\s*['"]electron['"]\s*\)/.test(f.text)).map((f) => f.path)
    expect(importers.sort()).toEqual(['main/index.ts', 'preload/index.ts'])
  })

  it('ipcRenderer and ipcMain are used only by the preload, the main entry and the binding', () => {
    const users = all.filter((f) => /\bipc(Renderer|Main)\b/.test(f.text.replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, ''))).map((f) => f.path)
    expect(users.sort()).toEqual(['main/index.ts', 'main/ipc/bind.ts', 'preload/index.ts'])
  })

  it('the renderer never reaches for Node or Electron', () => {
    const bad = all.filter((f) => f.path.startsWith('renderer/') && /from\s+['"](node:|electron|fs['"]|path['"]|child_process)/.test(f.text)).map((f) => f.path)
    expect(bad).toEqual([])
  })
})
