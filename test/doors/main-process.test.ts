// The BUILT Electron main process (out/main/index.js) run under Node with a fake `electron`
// module (test/doors/fake-electron): the real glue of src/main/index.ts, probed from outside.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Catalog } from '../../src/main/catalog'
import { channelNames } from '../../src/shared/contract'
import { electronCsp } from '../../src/main/ipc/protocols'

const root = join(import.meta.dirname, '../..')
const dir = mkdtempSync(join(tmpdir(), 'lockstep-main-'))
/** The REPORT line test/doors/fake-electron/electron.mjs prints after driving the built main process. */
interface MainReport {
  error?: string
  windows: number
  loadURL: string
  webPreferences: { preload: string } & Record<string, unknown>
  singleInstance: unknown
  schemes: { scheme: string }[]
  protocols: string[]
  html: unknown
  traversal: number
  media: number
  ipcChannels: string[]
  trusted: unknown
  foreign: { error: { code: string } }
  malformed: { error: { code: string } }
  pickFolder: unknown
  prevented: number
  popup: unknown
  permission: boolean
  permissionCheck: boolean
  remote: unknown
  remoteFilter: { urls: string[] }
  menu: { label: string; items: string[] }[]
  project: unknown
  events: string[]
  userData: string
}

let report: MainReport
let stderr = ''

beforeAll(() => {
  expect(existsSync(join(root, 'out/main/index.js')), 'run `npm run build` first').toBe(true)
  Catalog.open(join(dir, 'second'), { create: true, name: 'Second launch' }).close()
  const r = spawnSync(process.execPath, ['--import', join(import.meta.dirname, 'fake-electron/register.mjs'), join(root, 'out/main/index.js')], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, LOCKSTEP_USER_DATA: join(dir, 'userdata'), FAKE_USER_DATA: join(dir, 'wrong'), FAKE_PROJECT: join(dir, 'second') },
  })
  stderr = r.stderr
  const line = r.stdout.split('\n').find((l) => l.startsWith('REPORT '))
  if (!line) throw new Error(`no report (exit ${r.status}):\n${r.stdout}\n${r.stderr}`)
  report = JSON.parse(line.slice(7))
  if (report.error) throw new Error(report.error)
}, 90_000)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('the Electron main process (built, with a fake electron)', () => {
  it('opens one sandboxed, context-isolated window on lockstep://app with our preload', () => {
    expect(report.windows).toBe(1)
    expect(report.loadURL).toBe('lockstep://app/index.html')
    expect(report.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    })
    expect(report.webPreferences.preload).toBe(join(root, 'out/preload/index.cjs'))
    expect(report.singleInstance).toEqual({ argv: [], cwd: root })
  })

  it('serves the renderer and media only through its two privileged protocols', () => {
    expect(report.schemes.map((s) => s.scheme)).toEqual(['lockstep', 'lockstep-media'])
    expect(report.protocols).toEqual(['lockstep', 'lockstep-media'])
    expect(report.html).toEqual({ status: 200, csp: electronCsp, body: '<!doctype html>' })
    expect(report.traversal).toBe(404)
    expect(report.media).toBe(404)
  })

  it('binds every channel, checks the sender, parses the payload, and has a native folder picker', () => {
    expect(report.ipcChannels).toEqual(channelNames.map((c) => `lockstep:call:${c}`).sort())
    expect(report.trusted).toEqual({ ok: true, result: [] })
    expect(report.foreign.error.code).toBe('FORBIDDEN')
    expect(report.malformed.error.code).toBe('INVALID_INPUT')
    expect(report.pickFolder).toEqual({ ok: true, result: { path: '/picked/folder' } })
  })

  it('refuses navigation, new windows, permissions and any remote request', () => {
    expect(report.prevented).toBe(2)
    expect(report.popup).toEqual({ action: 'deny' })
    expect(report.permission).toBe(false)
    expect(report.permissionCheck).toBe(false)
    expect(report.remote).toEqual({ cancel: true })
    expect(report.remoteFilter.urls).toEqual(expect.arrayContaining(['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*']))
  })

  it('has the native menu, and a second launch with --project opens that project', () => {
    expect(report.menu[0].label).toBe('File')
    expect(report.menu[0].items).toEqual(['New Project…', 'Open Project…', 'Open Recent', 'separator', 'Import…', 'Export…', 'separator', 'Quit'])
    expect(report.project).toMatchObject({ ok: true, result: { dir: join(dir, 'second'), name: 'Second launch' } })
    expect(report.events).toContain('lockstep:event:catalog.changed')
    expect(report.events).toContain('lockstep:event:app.command')
  })

  it('keeps its state in LOCKSTEP_USER_DATA: bounds and recent projects are remembered', () => {
    expect(report.userData).toBe(join(dir, 'userdata'))
    const state = JSON.parse(readFileSync(join(dir, 'userdata', 'window-state.json'), 'utf8'))
    expect(state.bounds).toEqual({ x: 10, y: 20, width: 1000, height: 700 })
    expect(state.recent[0]).toBe(join(dir, 'second'))
    // under Node (no process.versions.electron) the Node build of better-sqlite3 is the right one
    expect(stderr).not.toContain('better_sqlite3.node is missing')
  })
})
