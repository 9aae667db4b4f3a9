// The architecture's boundaries, checked over the source: only the two Electron entry points
// import electron, nothing else touches ipcRenderer/ipcMain (GitHub Desktop keeps a lint rule for
// the same thing), and the imports between parts follow ./architecture.json, a copy of
// ../shared/architecture.json: no "never" pair, a door imports no other door (but `lockstep
// serve` may start the server), services import no door, areas do not import the services.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, posix, relative, sep } from 'node:path'
import ts from 'typescript'
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

interface Architecture {
  parts: Record<string, string[]>
  arrows: [string, string][]
  never: [string, string, string][]
}
const architecture = JSON.parse(readFileSync(join(import.meta.dirname, 'architecture.json'), 'utf8')) as Architecture
const DOORS = ['Ipc', 'Server', 'Cli']
const AREAS = ['Augment', 'Catalog', 'Export']

const root = join(import.meta.dirname, '../..')
const toRepo = (p: string) => relative(root, p).split(sep).join('/')

/** The part a repository path (a file, or a module path without extension) belongs to. */
function partOf(path: string): string | undefined {
  const candidates = [path, `${path}.ts`, `${path}/`]
  for (const [part, places] of Object.entries(architecture.parts)) {
    if (places.some((place) => candidates.some((c) => (place.endsWith('/') ? c.startsWith(place) : c === place)))) return part
  }
  return undefined
}

interface Edge {
  from: string
  to: string
  fromPart: string
  toPart: string
}

/** Every relative import (static, type-only, re-export, dynamic) between two different parts. */
function edges(): Edge[] {
  const out: Edge[] = []
  for (const f of all.filter((f) => /\.(ts|mts)$/.test(f.path))) {
    const from = toRepo(join(src, f.path))
    const fromPart = partOf(from)
    if (!fromPart) continue
    for (const { fileName } of ts.preProcessFile(f.text, true, true).importedFiles) {
      if (!fileName.startsWith('.')) continue
      const to = posix.normalize(posix.join(posix.dirname(from), fileName))
      const toPart = partOf(to)
      if (toPart && toPart !== fromPart) out.push({ from, to, fromPart, toPart })
    }
  }
  return out
}

/** The imports that break the house's rules, each with the rule it breaks. */
function violations(list: Edge[]): string[] {
  const arrow = (a: string, b: string) => architecture.arrows.some(([x, y]) => x === a && y === b)
  const out: string[] = []
  for (const e of list) {
    const why: string[] = []
    const never = architecture.never.find(([a, b]) => a === e.fromPart && b === e.toPart)
    if (never) why.push(`never ${e.fromPart} -> ${e.toPart}: ${never[2]}`)
    if (DOORS.includes(e.fromPart) && DOORS.includes(e.toPart) && !arrow(e.fromPart, e.toPart)) why.push('a door imports another door')
    if (e.fromPart === 'Services' && DOORS.includes(e.toPart)) why.push('a service imports a door')
    if (AREAS.includes(e.fromPart) && e.toPart === 'Services') why.push('an area imports the services layer')
    if (why.length) out.push(`${e.from} -> ${e.to} (${[...new Set(why)].join('; ')})`)
  }
  return out
}

describe('the house as drawn in architecture.json', () => {
  const found = edges()

  it('reads the imports between parts (the check below sees the code)', () => {
    const pairs = new Set(found.map((e) => `${e.fromPart} -> ${e.toPart}`))
    for (const known of [
      'Ipc -> Services',
      'Server -> Services',
      'Server -> Media',
      'Services -> Catalog',
      'Export -> Augment',
      'Catalog -> Io',
      'Cli -> Server',
    ]) {
      expect(pairs, known).toContain(known)
    }
  })

  it('no never pair, no door on another door, no service on a door, no area on the services', () => {
    expect(violations(found)).toEqual([])
  })

  it('flags each kind of bad import', () => {
    const edge = (from: string, to: string): Edge => ({ from, to, fromPart: partOf(from)!, toPart: partOf(to)! })
    const bad = [
      edge('src/main/services/app.ts', 'src/main/ipc/dialogs'),
      edge('src/main/services/app.ts', 'src/main/cli/command'),
      edge('src/main/ipc/protocols.ts', 'src/main/server/security'),
      edge('src/main/index.ts', 'src/main/server/index'),
      edge('src/main/server/index.ts', 'src/main/cli/index'),
      edge('src/main/catalog/catalog.ts', 'src/main/services'),
      edge('src/main/export/job.ts', 'src/main/services/context'),
      edge('src/main/catalog/catalog.ts', 'src/main/augment'),
      edge('src/main/io/png.ts', 'src/main/augment/rng'),
      edge('src/main/map-limit.ts', 'src/main/catalog/db'),
    ]
    expect(violations(bad)).toHaveLength(bad.length)
    expect(violations([edge('src/main/cli/commands/serve.ts', 'src/main/server'), edge('src/main/ipc/protocols.ts', 'src/main/media/headers')])).toEqual([])
  })
})
