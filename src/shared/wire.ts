// The wire shapes shared by every door. Browser mode's WebSocket (path /api, same origin, the
// per-launch token is checked on upgrade) carries exactly these JSON messages.
import type { ErrorPayload } from './errors'

export type Reply<R = unknown> = { ok: true; result: R } | { ok: false; error: ErrorPayload }

export type ClientMessage = { type: 'call'; id: number; channel: string; input: unknown }
export type ServerMessage = ({ type: 'reply'; id: number } & Reply) | { type: 'event'; name: string; payload: unknown }
