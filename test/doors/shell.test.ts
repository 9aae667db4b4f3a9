// The desktop shell's plain modules: launch arguments, remembered window state, the native menu,
// and the channel-name lists the preload is generated from.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parseLaunchArgs, userArgs } from '../../src/main/ipc/argv'
import { addRecent, fitBounds, loadState, saveState, MIN_SIZE } from '../../src/main/ipc/window-state'
import { buildMenuTemplate, type MenuActions, type MenuItem } from '../../src/main/ipc/menu'
import { channelNameList, eventNameList } from '../../src/shared/channel-names'
import { channelNames, eventNames } from '../../src/shared/contract'
import { defaultUserDataDir } from '../../src/main/services/project'
import { electronSqliteBinding } from '../../src/main/ipc/sqlite-binding'

const dir = mkdtempSync(join(tmpdir(), 'lockstep-shell-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('launch arguments', () => {
  it('takes --project DIR, --project=DIR or a positional folder, relative to the launch cwd', () => {
    expect(parseLaunchArgs(['--project', 'data/p'], '/home/u')).toEqual({ project: '/home/u/data/p' })
    expect(parseLaunchArgs(['--project=/abs/p'], '/x')).toEqual({ project: '/abs/p' })
    expect(parseLaunchArgs(['--no-sandbox', '--enable-logging=file', 'proj'], '/w')).toEqual({ project: '/w/proj' })
    expect(parseLaunchArgs(['https://evil.example/', '--inspect'], '/w')).toEqual({})
    expect(parseLaunchArgs([], '/w')).toEqual({})
  })
  it('drops the executable (and the app path when unpackaged)', () => {
    expect(userArgs(['/opt/Lockstep/lockstep', 'p'], true)).toEqual(['p'])
    expect(userArgs(['/usr/bin/electron', '.', 'p'], false)).toEqual(['p'])
  })
})

describe('window state', () => {
  it('round-trips bounds and recent projects, and survives a damaged file', () => {
    const file = join(dir, 'state', 'window-state.json')
    expect(loadState(file)).toEqual({ recent: [] })
    let s = addRecent(addRecent({ recent: [] }, '/p/a'), '/p/b')
    s = addRecent(s, '/p/a')
    expect(s.recent).toEqual(['/p/a', '/p/b'])
    saveState(file, { ...s, bounds: { x: 10, y: 20, width: 900, height: 700 }, maximized: true })
    expect(loadState(file)).toEqual({ recent: ['/p/a', '/p/b'], bounds: { x: 10, y: 20, width: 900, height: 700 }, maximized: true })
    writeFileSync(file, '{"bounds":{"x":"1e999","y":0,"width":-5,"height":3},"recent":[1,"/ok",null]')
    expect(loadState(file)).toEqual({ recent: [] })
    writeFileSync(file, '{"bounds":{"x":"a","y":0,"width":-5,"height":3},"recent":[1,"/ok",null]}')
    expect(loadState(file)).toEqual({ recent: ['/ok'] })
    let many = { recent: [] as string[] }
    for (let i = 0; i < 15; i++) many = addRecent(many, `/p/${i}`)
    expect(many.recent).toHaveLength(10)
    expect(many.recent[0]).toBe('/p/14')
  })

  it('reopens where it was, unless that display is gone; never below the minimum size', () => {
    const screens = [{ x: 0, y: 0, width: 1920, height: 1080 }]
    expect(fitBounds({ x: 100, y: 50, width: 1000, height: 700 }, screens)).toEqual({ x: 100, y: 50, width: 1000, height: 700 })
    expect(fitBounds({ x: 100, y: 50, width: 200, height: 100 }, screens)).toEqual({ x: 100, y: 50, ...MIN_SIZE })
    // was on a second monitor at x=2500 that is now unplugged: centred on the primary
    expect(fitBounds({ x: 2500, y: 0, width: 1000, height: 700 }, screens)).toEqual({ x: 260, y: 90, width: 1400, height: 900 })
    expect(fitBounds({ x: 2500, y: 0, width: 1000, height: 700 }, [...screens, { x: 1920, y: 0, width: 1920, height: 1080 }]).x).toBe(2500)
    expect(fitBounds(undefined, [{ x: 0, y: 0, width: 1280, height: 720 }])).toEqual({ x: 0, y: 0, width: 1280, height: 720 })
  })
})

describe('native menu', () => {
  const calls: string[] = []
  const actions: MenuActions = {
    newProject: () => calls.push('new'),
    openProject: () => calls.push('open'),
    openRecent: (d) => calls.push(`recent ${d}`),
    clearRecent: () => calls.push('clear'),
    importFolder: () => calls.push('import'),
    exportDataset: () => calls.push('export'),
    quit: () => calls.push('quit'),
  }
  const find = (items: MenuItem[], label: string): MenuItem | undefined => {
    for (const i of items) {
      if (i.label === label) return i
      const sub = i.submenu && find(i.submenu, label)
      if (sub) return sub
    }
    return undefined
  }

  it('has new/open project, recent projects, import, export and quit, each wired to its action', () => {
    const t = buildMenuTemplate({ platform: 'linux', recent: ['/data/cells', '/data/roads'], projectOpen: true, actions })
    for (const [label, expected] of [
      ['New Project…', 'new'],
      ['Open Project…', 'open'],
      ['cells — /data/cells', 'recent /data/cells'],
      ['Clear Recent', 'clear'],
      ['Import…', 'import'],
      ['Export…', 'export'],
      ['Quit', 'quit'],
    ] as const) {
      const item = find(t, label)
      expect(item, label).toBeDefined()
      calls.length = 0
      item!.click!()
      expect(calls).toEqual([expected])
    }
  })

  it('disables import/export without a project and shows an empty recent list', () => {
    const t = buildMenuTemplate({ platform: 'linux', recent: [], projectOpen: false, actions })
    expect(find(t, 'Import…')!.enabled).toBe(false)
    expect(find(t, 'Export…')!.enabled).toBe(false)
    expect(find(t, 'No Recent Projects')!.enabled).toBe(false)
    const mac = buildMenuTemplate({ platform: 'darwin', recent: [], projectOpen: true, actions })
    expect(mac[0].label).toBe('Lockstep')
    expect(find(mac, 'Quit Lockstep')).toBeDefined()
  })
})

describe('channel names for the preload', () => {
  it('list exactly the contract channels and events', () => {
    expect([...channelNameList].sort()).toEqual([...channelNames].sort())
    expect([...eventNameList].sort()).toEqual([...eventNames].sort())
  })
  it('are generated (the file says how to regenerate it)', () => {
    expect(readFileSync(join(import.meta.dirname, '../../src/shared/channel-names.ts'), 'utf8')).toContain('node scripts/gen-channel-names.mjs')
  })
})

describe('Electron build of better-sqlite3', () => {
  it('comes from .electron-sqlite in a checkout and resources/electron-sqlite when packaged, never node_modules', () => {
    const appRoot = join(dir, 'app')
    const resources = join(dir, 'res')
    expect(electronSqliteBinding({ packaged: false, appRoot })).toBeUndefined()
    mkdirSync(join(appRoot, '.electron-sqlite'), { recursive: true })
    writeFileSync(join(appRoot, '.electron-sqlite', 'better_sqlite3.node'), '')
    expect(electronSqliteBinding({ packaged: false, appRoot, resourcesPath: resources })).toBe(join(appRoot, '.electron-sqlite', 'better_sqlite3.node'))
    expect(electronSqliteBinding({ packaged: true, appRoot, resourcesPath: resources })).toBeUndefined()
    mkdirSync(join(resources, 'electron-sqlite'), { recursive: true })
    writeFileSync(join(resources, 'electron-sqlite', 'better_sqlite3.node'), '')
    expect(electronSqliteBinding({ packaged: true, appRoot, resourcesPath: resources })).toBe(join(resources, 'electron-sqlite', 'better_sqlite3.node'))
  })
})

describe('user data folder', () => {
  it('matches Electron userData for an app named lockstep, overridable', () => {
    expect(defaultUserDataDir({ LOCKSTEP_USER_DATA: '/tmp/u' }, 'linux')).toBe('/tmp/u')
    expect(defaultUserDataDir({ XDG_CONFIG_HOME: '/cfg' }, 'linux')).toBe('/cfg/lockstep')
    expect(defaultUserDataDir({ APPDATA: 'C:/Users/u/AppData/Roaming' }, 'win32')).toBe(join('C:/Users/u/AppData/Roaming', 'lockstep'))
  })
})
