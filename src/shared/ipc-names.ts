// Names shared by the preload and the ipcMain binding (no imports, so the preload stays small).
export const callChannel = (name: string): string => `lockstep:call:${name}`
export const eventChannel = (name: string): string => `lockstep:event:${name}`
/** Electron serves media under this origin (protocol.handle); browser mode under its own origin. */
export const MEDIA_BASE = 'lockstep-media://app'
/** The renderer's own origin in Electron: built files served by protocol.handle. */
export const APP_ORIGIN = 'lockstep://app'
