// Shared by the labeling tests: a service context with recorded events, dispatch that throws the
// typed error, the wire form of a label map, and PNG fixtures in explicit encodings written by
// fast-png (not by Lockstep's own writer, which is what these tests check).
import { createHash } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { deflateSync } from 'node:zlib'
import { encode as encodePng } from 'fast-png'
import { createContext, dispatch } from '../../src/main/services'
import type { JobInfo } from '../../src/shared/contract/app'

export function context() {
  const events: { name: string; payload: unknown }[] = []
  const ctx = createContext({ emit: (name, payload) => void events.push({ name, payload }) })
  const jobDone = (id: string) =>
    new Promise<JobInfo>((resolve) => {
      const tick = () => {
        const j = ctx.jobs.list().find((x) => x.id === id)
        if (j && j.status !== 'running') resolve(j)
        else setTimeout(tick, 10)
      }
      tick()
    })
  return { ctx, events, jobDone }
}

export type Ctx = ReturnType<typeof createContext>

export async function call<T>(ctx: Ctx, name: string, input: unknown): Promise<T> {
  const reply = await dispatch(name, input, ctx)
  if (!reply.ok) throw Object.assign(new Error(reply.error.message), reply.error)
  return reply.result as T
}

/** The error a call fails with ({ code, message, details }). */
export async function failure(ctx: Ctx, name: string, input: unknown): Promise<{ code: string; message: string; details?: unknown }> {
  const reply = await dispatch(name, input, ctx)
  if (reply.ok) throw new Error(`${name} was expected to fail but returned ${JSON.stringify(reply.result).slice(0, 200)}`)
  return reply.error
}

/** A label map in mask.save's wire form: base64 of deflate(raw little-endian indices). */
export function payload(data: Uint8Array | Uint16Array): string {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  return deflateSync(bytes).toString('base64')
}

export function labelMap(width: number, height: number, at: (x: number, y: number) => number, depth: 8 | 16 = 8): Uint8Array | Uint16Array {
  const out = depth === 16 ? new Uint16Array(width * height) : new Uint8Array(width * height)
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) out[y * width + x] = at(x, y)
  return out
}

export const sha1 = (b: Uint8Array) => createHash('sha1').update(b).digest('hex')
export const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

export function put(file: string, data: Uint8Array): void {
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, data)
}

/** A PNG by fast-png: grey (channels 1) or RGB (3), 8 or 16 bits, or a palette (with alpha entries: tRNS). */
export function fixturePng(
  width: number,
  height: number,
  at: (x: number, y: number) => number,
  o: { depth?: 8 | 16; channels?: 1 | 3; palette?: number[][] } = {},
): Buffer {
  const depth = o.depth ?? 8
  const channels = o.palette ? 1 : (o.channels ?? 1)
  const data = depth === 16 ? new Uint16Array(width * height * channels) : new Uint8Array(width * height * channels)
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < channels; c++) data[(y * width + x) * channels + c] = at(x, y)
  return Buffer.from(encodePng({ width, height, data, depth, channels, ...(o.palette ? { palette: o.palette } : {}) }))
}

/** The chunks of a PNG: type -> data (the first of each type). */
export function pngChunks(b: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>()
  for (let at = 8; at + 12 <= b.length;) {
    const len = b.readUInt32BE(at)
    const type = b.toString('latin1', at + 4, at + 8)
    if (!out.has(type)) out.set(type, b.subarray(at + 8, at + 8 + len))
    at += 12 + len
  }
  return out
}
