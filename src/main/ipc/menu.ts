// The native menu as a plain template (Electron's MenuItemConstructorOptions shape), built from
// the state and a table of actions, so it is tested without Electron.
import { basename } from 'node:path'

export interface MenuActions {
  newProject(): void
  openProject(): void
  openRecent(dir: string): void
  clearRecent(): void
  importFolder(): void
  exportDataset(): void
  quit(): void
}

export interface MenuItem {
  label?: string
  role?: string
  type?: 'separator' | 'submenu' | 'normal'
  accelerator?: string
  enabled?: boolean
  click?: () => void
  submenu?: MenuItem[]
}

export function buildMenuTemplate(opts: { platform: NodeJS.Platform; recent: readonly string[]; projectOpen: boolean; actions: MenuActions }): MenuItem[] {
  const { actions, recent } = opts
  const mac = opts.platform === 'darwin'
  const recentItems: MenuItem[] = recent.length
    ? [
        ...recent.map((dir) => ({ label: `${basename(dir)} — ${dir}`, click: () => actions.openRecent(dir) })),
        { type: 'separator' as const },
        { label: 'Clear Recent', click: () => actions.clearRecent() },
      ]
    : [{ label: 'No Recent Projects', enabled: false }]
  const file: MenuItem = {
    label: 'File',
    submenu: [
      { label: 'New Project…', accelerator: 'CmdOrCtrl+Shift+N', click: () => actions.newProject() },
      { label: 'Open Project…', accelerator: 'CmdOrCtrl+O', click: () => actions.openProject() },
      { label: 'Open Recent', submenu: recentItems },
      { type: 'separator' },
      { label: 'Import…', accelerator: 'CmdOrCtrl+I', enabled: opts.projectOpen, click: () => actions.importFolder() },
      { label: 'Export…', accelerator: 'CmdOrCtrl+E', enabled: opts.projectOpen, click: () => actions.exportDataset() },
      ...(mac ? [] : [{ type: 'separator' as const }, { label: 'Quit', accelerator: 'CmdOrCtrl+Q', click: () => actions.quit() }]),
    ],
  }
  const edit: MenuItem = {
    label: 'Edit',
    submenu: [{ role: 'undo' }, { role: 'redo' }, { type: 'separator' }, { role: 'cut' }, { role: 'copy' }, { role: 'paste' }, { role: 'selectAll' }],
  }
  const view: MenuItem = {
    label: 'View',
    submenu: [{ role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { type: 'separator' }, { role: 'togglefullscreen' }],
  }
  const appMenu: MenuItem[] = mac
    ? [
        {
          label: 'Lockstep',
          submenu: [
            { role: 'about' },
            { type: 'separator' },
            { role: 'hide' },
            { role: 'hideOthers' },
            { role: 'unhide' },
            { type: 'separator' },
            { label: 'Quit Lockstep', accelerator: 'Cmd+Q', click: () => actions.quit() },
          ],
        },
      ]
    : []
  return [...appMenu, file, edit, view, { role: 'windowMenu' }]
}
