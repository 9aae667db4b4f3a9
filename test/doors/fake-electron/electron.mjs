// A fake of the Electron main-process API, just enough to run the BUILT out/main/index.js under
// Node and record what it does. When the app has started, it probes the wiring (protocols, IPC,
// navigation, permissions, menu, second instance) and prints one line: REPORT <json>.
import { EventEmitter } from 'node:events'

const rec = {
  schemes: null,
  singleInstance: null,
  windows: [],
  protocols: {},
  ipc: new Map(),
  menu: null,
  webContentsCreated: null,
  permissionRequest: null,
  permissionCheck: null,
  beforeRequest: null,
  beforeRequestFilter: null,
  dialogs: [],
}
const userData = process.env.FAKE_USER_DATA

class WebContents extends EventEmitter {
  constructor() {
    super()
    this.mainFrame = { url: 'lockstep://app/index.html' }
    this.sent = []
    this.openHandler = null
  }
  send(channel, payload) {
    this.sent.push([channel, payload])
  }
  isDestroyed() {
    return false
  }
  setWindowOpenHandler(h) {
    this.openHandler = h
  }
}

export class BrowserWindow extends EventEmitter {
  constructor(options) {
    super()
    this.options = options
    this.webContents = new WebContents()
    this.url = null
    this.destroyed = false
    rec.windows.push(this)
    app.emit('web-contents-created', {}, this.webContents)
  }
  loadURL(url) {
    this.url = url
    setTimeout(() => this.emit('ready-to-show'), 5)
    return Promise.resolve()
  }
  show() {}
  focus() {}
  restore() {}
  maximize() {}
  isMinimized() {
    return false
  }
  isMaximized() {
    return false
  }
  isDestroyed() {
    return this.destroyed
  }
  getNormalBounds() {
    return { x: 10, y: 20, width: 1000, height: 700 }
  }
}

class App extends EventEmitter {
  constructor() {
    super()
    this.isPackaged = false
  }
  requestSingleInstanceLock(data) {
    rec.singleInstance = data
    return true
  }
  whenReady() {
    return new Promise((r) => setTimeout(r, 10))
  }
  getPath(name) {
    if (name !== 'userData') throw new Error(`unexpected getPath(${name})`)
    return this.userData ?? userData
  }
  setPath(name, value) {
    if (name === 'userData') this.userData = value
  }
  quit() {}
  exit(code) {
    process.exit(code)
  }
  on(event, listener) {
    if (event === 'web-contents-created') rec.webContentsCreated = listener
    return super.on(event, listener)
  }
}
export const app = new App()

export const protocol = {
  registerSchemesAsPrivileged: (schemes) => void (rec.schemes = schemes),
  handle: (scheme, handler) => void (rec.protocols[scheme] = handler),
}
export const ipcMain = {
  handle: (channel, listener) => void rec.ipc.set(channel, listener),
  removeHandler: (channel) => void rec.ipc.delete(channel),
}
export const session = {
  defaultSession: {
    setPermissionRequestHandler: (h) => void (rec.permissionRequest = h),
    setPermissionCheckHandler: (h) => void (rec.permissionCheck = h),
    webRequest: {
      onBeforeRequest: (filter, h) => {
        rec.beforeRequestFilter = filter
        rec.beforeRequest = h
      },
    },
  },
}
export const dialog = {
  showOpenDialog: async (_w, o) => {
    rec.dialogs.push(o)
    return { canceled: false, filePaths: ['/picked/folder'] }
  },
  showErrorBox: (title, message) => rec.dialogs.push({ errorBox: message }),
}
export const Menu = {
  buildFromTemplate: (t) => t,
  setApplicationMenu: (m) => void (rec.menu = m),
}
export const screen = {
  getPrimaryDisplay: () => ({ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }),
  getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }],
}
export default { app, BrowserWindow, protocol, ipcMain, session, dialog, Menu, screen }

async function probe() {
  const win = rec.windows[0]
  const wc = win.webContents
  const invoke = (name, event, input) => rec.ipc.get(`lockstep:call:${name}`)(event, input)
  const ours = { sender: wc, senderFrame: wc.mainFrame }
  const foreign = new WebContents()

  const html = await rec.protocols['lockstep'](new Request('lockstep://app/index.html'))
  const traversal = await rec.protocols['lockstep'](new Request('lockstep://app/%2e%2e/%2e%2e/package.json'))
  const media = await rec.protocols['lockstep-media'](new Request('lockstep-media://app/media/sample/1/../../../../etc/passwd'))

  let prevented = 0
  wc.emit('will-navigate', { preventDefault: () => prevented++ }, 'https://evil.example/')
  wc.emit('will-redirect', { preventDefault: () => prevented++ }, 'https://evil.example/')
  const popup = wc.openHandler({ url: 'https://evil.example/' })
  let permission = null
  rec.permissionRequest(wc, 'media', (ok) => (permission = ok))
  let remote = null
  rec.beforeRequest({ url: 'https://cdn.example/x.js' }, (r) => (remote = r))

  const projectDir = process.env.FAKE_PROJECT
  app.emit('second-instance', {}, ['electron', '.', '--project', projectDir], '/', { argv: ['--project', projectDir], cwd: '/' })
  await new Promise((r) => setTimeout(r, 300))
  const info = await invoke('project.info', ours, {})

  win.emit('close')
  const report = {
    schemes: rec.schemes,
    singleInstance: rec.singleInstance,
    windows: rec.windows.length,
    webPreferences: win.options.webPreferences,
    loadURL: win.url,
    protocols: Object.keys(rec.protocols).sort(),
    html: { status: html.status, csp: html.headers.get('content-security-policy'), body: (await html.text()).slice(0, 15) },
    traversal: traversal.status,
    media: media.status,
    ipcChannels: [...rec.ipc.keys()].sort(),
    trusted: await invoke('job.list', ours, {}),
    foreign: await invoke('job.list', { sender: foreign, senderFrame: foreign.mainFrame }, {}),
    malformed: await invoke('job.cancel', ours, { id: 7 }),
    pickFolder: await invoke('dialog.openFolder', ours, { title: 'Pick' }),
    prevented,
    popup,
    permission,
    permissionCheck: rec.permissionCheck(wc, 'notifications'),
    remote,
    remoteFilter: rec.beforeRequestFilter,
    menu: rec.menu.map((m) => ({ label: m.label, items: (m.submenu ?? []).map((i) => i.label ?? i.role ?? i.type) })),
    project: info,
    events: wc.sent.map(([c]) => c),
    userData: app.getPath('userData'),
  }
  process.stdout.write(`REPORT ${JSON.stringify(report)}\n`)
  process.exit(0)
}
setTimeout(
  () =>
    probe().catch((e) => {
      process.stdout.write(`REPORT ${JSON.stringify({ error: String(e?.stack ?? e) })}\n`)
      process.exit(1)
    }),
  800,
)
