// What the desktop app remembers between launches (window bounds, recent projects), in one JSON
// file in the user data folder. Plain Node, tested without Electron.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

export interface Bounds {
  x: number
  y: number
  width: number
  height: number
}

export interface AppState {
  bounds?: Bounds
  maximized?: boolean
  /** Most recent first, absolute paths. */
  recent: string[]
}

export const DEFAULT_SIZE = { width: 1400, height: 900 }
export const MIN_SIZE = { width: 800, height: 560 }
const MAX_RECENT = 10

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && Math.abs(v) < 1e6

/** Reads the state; a missing or damaged file gives the defaults (never throws). */
export function loadState(file: string): AppState {
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'))
  } catch {
    return { recent: [] }
  }
  const r = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>
  const state: AppState = { recent: [] }
  const b = r.bounds as Record<string, unknown> | undefined
  if (b && isInt(b.x) && isInt(b.y) && isInt(b.width) && isInt(b.height) && b.width > 0 && b.height > 0) {
    state.bounds = { x: Math.round(b.x), y: Math.round(b.y), width: Math.round(b.width), height: Math.round(b.height) }
  }
  if (r.maximized === true) state.maximized = true
  if (Array.isArray(r.recent)) state.recent = r.recent.filter((p): p is string => typeof p === 'string' && p.length > 0).slice(0, MAX_RECENT)
  return state
}

/** Writes atomically (temporary file, then rename). */
export function saveState(file: string, state: AppState): void {
  mkdirSync(dirname(file), { recursive: true })
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, JSON.stringify(state, null, 2))
  renameSync(tmp, file)
}

export function addRecent(state: AppState, dir: string): AppState {
  return { ...state, recent: [dir, ...state.recent.filter((d) => d !== dir)].slice(0, MAX_RECENT) }
}

/**
 * The bounds to open with: the remembered ones when they still overlap a display's work area by
 * at least 100×100 px (a monitor may have been unplugged), clamped to the minimum size; otherwise
 * the default size centred on the primary work area.
 */
export function fitBounds(saved: Bounds | undefined, workAreas: Bounds[]): Bounds {
  const primary = workAreas[0] ?? { x: 0, y: 0, ...DEFAULT_SIZE }
  if (saved) {
    const width = Math.max(MIN_SIZE.width, saved.width)
    const height = Math.max(MIN_SIZE.height, saved.height)
    const visible = workAreas.some((a) => {
      const w = Math.min(saved.x + width, a.x + a.width) - Math.max(saved.x, a.x)
      const h = Math.min(saved.y + height, a.y + a.height) - Math.max(saved.y, a.y)
      return w >= 100 && h >= 100
    })
    if (visible) return { x: saved.x, y: saved.y, width, height }
  }
  const width = Math.min(DEFAULT_SIZE.width, primary.width)
  const height = Math.min(DEFAULT_SIZE.height, primary.height)
  return { x: primary.x + Math.round((primary.width - width) / 2), y: primary.y + Math.round((primary.height - height) / 2), width, height }
}
