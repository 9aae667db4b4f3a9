export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—'
  return n.toLocaleString('en-US')
}

export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—'
  const units = ['B', 'KB', 'MB', 'GB', 'TB']
  let v = n
  let u = 0
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024
    u++
  }
  return `${v < 10 && u > 0 ? v.toFixed(1) : Math.round(v)} ${units[u]}`
}

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—'
  const s = Math.round(seconds)
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`
}

export function formatTime(ms: number | null | undefined): string {
  if (!ms) return '—'
  const d = new Date(ms)
  return `${d.toLocaleDateString('en-CA')} ${d.toTimeString().slice(0, 5)}`
}

/** Human words for a catalog error kind. */
export const ERROR_LABELS: Record<string, string> = {
  MISSING_MASK: 'No mask',
  MISSING_IMAGE: 'No image',
  SIZE_MISMATCH: 'Size mismatch',
  CORRUPT: 'Corrupt file',
  UNSUPPORTED_FORMAT: 'Unsupported format',
  TOO_LARGE: 'Too large',
  UNREADABLE: 'Unreadable',
}

/** "1 output", "2 outputs": a count with its noun in the right number. */
export function plural(n: number | null | undefined, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`
}

/**
 * A parameter value as the editor shows it: to the decimals of its step (at least two), so an
 * imported 3.16227766017 shows as 3.16. The stored value is not changed.
 */
export function formatParam(v: number, step: number): string {
  if (!Number.isFinite(v)) return String(v)
  const stepDecimals = (String(step).split('.')[1] ?? '').length
  return String(Number(v.toFixed(Math.max(2, stepDecimals))))
}
