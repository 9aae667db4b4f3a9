// One error shape for every door (IPC, WebSocket, CLI): a stable code a program can branch on,
// a message a person can act on (it names the file and the problem), and optional details.
export type ErrorCode =
  | 'INVALID_INPUT' // a payload or option failed its schema
  | 'INVALID_RECIPE'
  | 'NOT_FOUND'
  | 'UNREADABLE' // the file exists but cannot be read (permissions, I/O)
  | 'CORRUPT' // decoder rejected the bytes (truncated, garbage)
  | 'UNSUPPORTED_FORMAT'
  | 'TOO_LARGE' // decompression bomb guard (limitInputPixels)
  | 'SIZE_MISMATCH'
  | 'MISSING_MASK'
  | 'MISSING_IMAGE'
  | 'NO_PROJECT'
  | 'SCHEMA_TOO_NEW'
  | 'BUSY' // locked by another process
  | 'DISK_FULL'
  | 'CANCELLED'
  | 'FORBIDDEN'
  | 'INTERNAL'

export interface ErrorPayload {
  code: ErrorCode
  message: string
  details?: unknown
}

export class LockstepError extends Error implements ErrorPayload {
  readonly code: ErrorCode
  readonly details?: unknown
  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message)
    this.name = 'LockstepError'
    this.code = code
    this.details = details
  }
  toJSON(): ErrorPayload {
    return this.details === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, details: this.details }
  }
}

/** Flattens anything thrown into the wire shape; unknown errors never leak a stack. */
export function toErrorPayload(err: unknown): ErrorPayload {
  if (err instanceof LockstepError) return err.toJSON()
  const sys = err as { code?: unknown; path?: string }
  if (err instanceof Error && sys.code === 'ENOSPC') {
    const path = sys.path
    return { code: 'DISK_FULL', message: `No space left on device${path ? ` writing ${path}` : ''}` }
  }
  const message = err instanceof Error ? err.message : String(err)
  return { code: 'INTERNAL', message }
}

export function isErrorPayload(x: unknown): x is ErrorPayload {
  return !!x && typeof x === 'object' && typeof (x as ErrorPayload).code === 'string' && typeof (x as ErrorPayload).message === 'string'
}
