// Electron lifecycle and windows only. Everything testable lives in plain modules under
// src/main/ipc (sender check, protocols, argv, window state, menu) and src/main/server.
import { app, BrowserWindow, dialog, ipcMain, Menu, protocol, screen, session, type MenuItemConstructorOptions } from 'electron'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { configureSqlite } from './catalog/db'
import { createContext, dispatch, openDefaultProject, projectOrSuggestion, type EventSink, type ServiceContext } from './services'
import { bindIpc, windowEventSink } from './ipc/bind'
import { nativeDialogHandlers } from './ipc/dialogs'
import { appProtocolHandler, mediaProtocolHandler, APP_SCHEME, MEDIA_SCHEME } from './ipc/protocols'
import { parseLaunchArgs, userArgs, type LaunchRequest } from './ipc/argv'
import { addRecent, fitBounds, loadState, saveState, MIN_SIZE, type AppState } from './ipc/window-state'
import { buildMenuTemplate } from './ipc/menu'
import { electronSqliteBinding } from './ipc/sqlite-binding'
import { APP_ORIGIN } from '../shared/ipc-names'
import type { ChannelName, InputOf } from '../shared/contract'

const here = fileURLToPath(new URL('.', import.meta.url))
const rendererDir = join(here, '../renderer')
const preloadPath = join(here, '../preload/index.cjs')

protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  { scheme: MEDIA_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true, stream: true } },
])

// Tests and portable setups keep their state apart (same variable as `lockstep serve`).
if (process.env.LOCKSTEP_USER_DATA) app.setPath('userData', process.env.LOCKSTEP_USER_DATA)

let win: BrowserWindow | null = null
let ctx: ServiceContext
let state: AppState
let stateFile: string
const launch: LaunchRequest = parseLaunchArgs(userArgs(process.argv, app.isPackaged), process.cwd())

if (!app.requestSingleInstanceLock({ argv: userArgs(process.argv, app.isPackaged), cwd: process.cwd() })) {
  app.quit()
} else {
  app.on('second-instance', (_event, argv, cwd, additionalData) => {
    const data = additionalData as { argv?: string[]; cwd?: string } | undefined
    const request = parseLaunchArgs(data?.argv ?? userArgs(argv, app.isPackaged), data?.cwd ?? cwd)
    if (win) {
      if (win.isMinimized()) win.restore()
      win.focus()
    }
    if (request.project) void openProject(request.project)
  })
  app.on('web-contents-created', (_event, contents) => {
    // Nothing in the window navigates away, opens windows or embeds webviews.
    contents.on('will-navigate', (e) => e.preventDefault())
    contents.on('will-redirect', (e) => e.preventDefault())
    contents.on('will-attach-webview', (e) => e.preventDefault())
    contents.setWindowOpenHandler(() => ({ action: 'deny' }))
  })
  app.on('window-all-closed', () => app.quit())
  app.whenReady().then(start, (err: unknown) => {
    console.error(`lockstep: ${(err as Error).message}`)
    app.exit(1)
  })
}

async function call<C extends ChannelName>(name: C, input: InputOf<C>): Promise<boolean> {
  const reply = await dispatch(name, input, ctx)
  if (!reply.ok) dialog.showErrorBox('Lockstep', reply.error.message)
  return reply.ok
}

/** A launch's --project: opened if it is a project; otherwise the studio offers to create it there. */
async function openOrOffer(dir: string): Promise<void> {
  try {
    if (projectOrSuggestion(ctx, dir).state === 'project') await openProject(dir)
  } catch (err) {
    dialog.showErrorBox('Lockstep', (err as Error).message)
  }
}

/** A project opened from the menu or a second launch: the renderer shows its catalog. */
async function openProject(dir: string): Promise<void> {
  if (await call('project.open', { dir })) ctx.events.emit('app.command', { command: 'project-opened' })
}

async function pickFolder(title: string): Promise<string | null> {
  const r = win
    ? await dialog.showOpenDialog(win, { title, properties: ['openDirectory', 'createDirectory'] })
    : await dialog.showOpenDialog({ title, properties: ['openDirectory', 'createDirectory'] })
  return r.canceled ? null : (r.filePaths[0] ?? null)
}

function rememberState(): void {
  try {
    saveState(stateFile, state)
  } catch (err) {
    console.error(`lockstep: could not save ${stateFile}: ${(err as Error).message}`)
  }
}

function refreshMenu(): void {
  const template = buildMenuTemplate({
    platform: process.platform,
    recent: state.recent,
    projectOpen: ctx.session.projectDir !== null,
    actions: {
      newProject: async () => {
        const dir = await pickFolder('New project: choose an empty folder')
        if (dir && (await call('project.create', { dir }))) ctx.events.emit('app.command', { command: 'project-opened' })
      },
      openProject: async () => {
        const dir = await pickFolder('Open project')
        if (dir) await openProject(dir)
      },
      openRecent: (dir) => void openProject(dir),
      clearRecent: () => {
        state = { ...state, recent: [] }
        rememberState()
        refreshMenu()
      },
      // The renderer's import form asks for the images and masks folders (with native pickers).
      importFolder: () => ctx.events.emit('app.command', { command: 'import' }),
      exportDataset: () => ctx.events.emit('app.command', { command: 'export' }),
      quit: () => app.quit(),
    },
  })
  Menu.setApplicationMenu(Menu.buildFromTemplate(template as MenuItemConstructorOptions[]))
}

/** Sees every service event: a project opened goes to the recent list and the menu. */
const recorder: EventSink = {
  emit(name, payload) {
    if (name === 'catalog.changed' && (payload as { what?: string }).what === 'project') {
      const dir = ctx.session.projectDir
      if (dir) state = addRecent(state, dir)
      rememberState()
      refreshMenu()
    }
  },
}

function createWindow(): BrowserWindow {
  const displays = [screen.getPrimaryDisplay(), ...screen.getAllDisplays()].map((d) => d.workArea)
  const bounds = fitBounds(state.bounds, displays)
  const w = new BrowserWindow({
    ...bounds,
    minWidth: MIN_SIZE.width,
    minHeight: MIN_SIZE.height,
    show: false,
    title: 'Lockstep',
    backgroundColor: '#15171c',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      disableBlinkFeatures: 'Auxclick',
      safeDialogs: true,
      spellcheck: false,
    },
  })
  if (state.maximized) w.maximize()
  w.once('ready-to-show', () => w.show())
  let timer: NodeJS.Timeout | undefined
  const track = () => {
    clearTimeout(timer)
    timer = setTimeout(() => {
      if (w.isDestroyed()) return
      state = { ...state, bounds: w.getNormalBounds(), maximized: w.isMaximized() }
      rememberState()
    }, 400)
  }
  w.on('resize', track)
  w.on('move', track)
  w.on('close', () => {
    clearTimeout(timer)
    state = { ...state, bounds: w.getNormalBounds(), maximized: w.isMaximized() }
    rememberState()
  })
  w.on('closed', () => {
    win = null
  })
  void w.loadURL(`${APP_ORIGIN}/index.html`)
  return w
}

async function start(): Promise<void> {
  if (process.versions.electron) {
    // better-sqlite3 is a V8 addon: the Electron main process needs its Electron-ABI build.
    const binding = electronSqliteBinding({ packaged: app.isPackaged, resourcesPath: process.resourcesPath, appRoot: join(here, '../..') })
    if (binding) configureSqlite({ nativeBinding: binding })
    else
      console.error(
        'lockstep: the Electron build of better-sqlite3 is missing; run `node scripts/build-electron-sqlite.mjs` (projects will not open until then)',
      )
  }
  stateFile = join(app.getPath('userData'), 'window-state.json')
  state = loadState(stateFile)

  const ses = session.defaultSession
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false))
  ses.setPermissionCheckHandler(() => false)
  // Only our two protocols: nothing remote is ever loaded (devtools excepted).
  ses.webRequest.onBeforeRequest({ urls: ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*', 'ftp://*/*'] }, (_details, callback) =>
    callback({ cancel: true }),
  )

  ctx = createContext(
    windowEventSink(() => win, recorder),
    { userDataDir: app.getPath('userData') },
  )
  protocol.handle(APP_SCHEME, appProtocolHandler(rendererDir))
  protocol.handle(MEDIA_SCHEME, mediaProtocolHandler(ctx))
  bindIpc(
    ipcMain,
    ctx,
    () => win,
    nativeDialogHandlers(dialog, () => win),
  )

  refreshMenu()
  win = createWindow()

  const last = state.recent.find((d) => existsSync(d))
  if (launch.project) await openOrOffer(launch.project)
  else if (last) await openProject(last)
  else await openDefaultProject(ctx, app.getPath('userData'))
  refreshMenu()
}
