// The preload of the sandboxed, context-isolated window: exposes exactly `window.lockstep`, one
// function per contract channel and one subscribe per event (see ./bridge.ts), never ipcRenderer.
import { contextBridge, ipcRenderer } from 'electron'
import { buildBridge } from './bridge'

contextBridge.exposeInMainWorld('lockstep', buildBridge(ipcRenderer))
