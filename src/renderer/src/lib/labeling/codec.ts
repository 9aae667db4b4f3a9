// The label map on the wire and in drafts: raw little-endian class indices, row-major, deflated
// (zlib, RFC 1950) with the browser's CompressionStream, base64 for `mask.save` (see
// src/shared/contract/labels.ts).
import type { Depth, LabelArray } from './tiles'

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

/** The bytes of a label array in little-endian order (a view when the host already is). */
export function littleEndianBytes(data: LabelArray): Uint8Array {
  if (data instanceof Uint8Array) return data
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  if (LITTLE_ENDIAN) return bytes
  const out = new Uint8Array(bytes.length)
  for (let i = 0; i < bytes.length; i += 2) {
    out[i] = bytes[i + 1]
    out[i + 1] = bytes[i]
  }
  return out
}

/** Label values from little-endian bytes. */
export function fromLittleEndian(bytes: Uint8Array, depth: Depth): LabelArray {
  if (depth === 8) return bytes
  const out = new Uint16Array(bytes.length >> 1)
  for (let i = 0; i < out.length; i++) out[i] = bytes[2 * i] | (bytes[2 * i + 1] << 8)
  return out
}

async function pipe(bytes: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  // one write of the whole buffer: about twice as fast as a Blob's 64 KB stream chunks
  const writer = stream.writable.getWriter()
  void writer.write(bytes as Uint8Array<ArrayBuffer>).catch(() => {})
  void writer.close().catch(() => {})
  return new Uint8Array(await new Response(stream.readable).arrayBuffer())
}

export function deflate(bytes: Uint8Array): Promise<Uint8Array> {
  return pipe(bytes, new CompressionStream('deflate'))
}

export function inflate(bytes: Uint8Array): Promise<Uint8Array> {
  return pipe(bytes, new DecompressionStream('deflate'))
}

export function toBase64(bytes: Uint8Array): string {
  const parts: string[] = []
  for (let i = 0; i < bytes.length; i += 0x8000) parts.push(String.fromCharCode(...bytes.subarray(i, i + 0x8000)))
  return btoa(parts.join(''))
}
