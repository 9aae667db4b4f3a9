// A minimal POSIX ustar writer: 512-byte headers, data padded to 512, two zero blocks at the end.
// Deterministic: fixed mtime, uid/gid 0, mode 0644, so the same members give the same bytes.

import { open } from 'node:fs/promises'
import { LockstepError } from '../../../shared/errors'
import { readError } from '../files'

const BLOCK = 512

function octal(n: number, width: number): string {
  // width includes the terminating NUL
  return n.toString(8).padStart(width - 1, '0') + '\0'
}

/** The ustar header of a regular file `name` (at most 100 bytes, or 255 with a prefix folder). */
export function tarHeader(name: string, size: number, mtime = 0): Buffer {
  const h = Buffer.alloc(BLOCK, 0)
  let base = name
  let prefix = ''
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', name.length - 1)
    prefix = name.slice(0, cut)
    base = name.slice(cut + 1)
    if (cut < 0 || Buffer.byteLength(base) > 100 || Buffer.byteLength(prefix) > 155) {
      throw new Error(`tar member name too long: ${name}`)
    }
  }
  h.write(base, 0, 100, 'utf8')
  h.write(octal(0o644, 8), 100, 'latin1')
  h.write(octal(0, 8), 108, 'latin1')
  h.write(octal(0, 8), 116, 'latin1')
  h.write(octal(size, 12), 124, 'latin1')
  h.write(octal(mtime, 12), 136, 'latin1')
  h.write('        ', 148, 'latin1') // checksum field counts as spaces
  h.write('0', 156, 'latin1')
  h.write('ustar\0', 257, 'latin1')
  h.write('00', 263, 'latin1')
  h.write('root', 265, 'latin1')
  h.write('root', 297, 'latin1')
  if (prefix) h.write(prefix, 345, 155, 'utf8')
  let sum = 0
  for (let i = 0; i < BLOCK; i++) sum += h[i]
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1')
  return h
}

export function tarPadding(size: number): Buffer {
  const rem = size % BLOCK
  return Buffer.alloc(rem === 0 ? 0 : BLOCK - rem, 0)
}

export const TAR_END = Buffer.alloc(BLOCK * 2, 0)

/** The chunks of one member: header, data, padding. */
export function tarMember(name: string, data: Uint8Array): Uint8Array[] {
  const pad = tarPadding(data.byteLength)
  return pad.byteLength ? [tarHeader(name, data.byteLength), data, pad] : [tarHeader(name, data.byteLength), data]
}

/** The members of a tar this module wrote (regular files), in order; a damaged archive is an error naming it. */
export function* tarMembers(b: Uint8Array, path: string): Generator<{ name: string; data: Uint8Array; end: number }> {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength)
  let pos = 0
  while (pos + BLOCK <= buf.byteLength && buf[pos] !== 0) {
    const field = (at: number, len: number) => buf.toString('utf8', at, at + len).replace(/\0.*$/s, '')
    const base = field(pos, 100)
    const prefix = field(pos + 345, 155)
    const size = parseInt(field(pos + 124, 12), 8)
    const end = pos + BLOCK + Math.ceil(size / BLOCK) * BLOCK
    if (!Number.isFinite(size) || end > buf.byteLength) throw new LockstepError('CORRUPT', `${path} is cut short or damaged at byte ${pos}`, { path })
    yield { name: prefix ? `${prefix}/${base}` : base, data: b.subarray(pos + BLOCK, pos + BLOCK + size), end }
    pos = end
  }
}

/** Bytes of the first `members` members of the tar at `path` (headers read, data skipped); an error if it has fewer. */
export async function tarPrefixLength(path: string, members: number, name = path): Promise<number> {
  let h
  try {
    h = await open(path, 'r')
  } catch (err) {
    throw readError(err, path)
  }
  try {
    const size = (await h.stat()).size
    const header = Buffer.alloc(BLOCK)
    let pos = 0
    for (let n = 0; n < members; n++) {
      const { bytesRead } = await h.read(header, 0, BLOCK, pos)
      if (bytesRead < BLOCK || header[0] === 0)
        throw new LockstepError(
          'CORRUPT',
          `${name} holds ${n} members where the manifest journals ${members}: the folder changed since; export into an empty folder`,
          { path },
        )
      const len = parseInt(header.toString('latin1', 124, 136).replace(/\0.*$/s, ''), 8)
      pos += BLOCK + Math.ceil(len / BLOCK) * BLOCK
      if (!Number.isFinite(len) || pos > size) throw new LockstepError('CORRUPT', `${name} is cut short or damaged`, { path })
    }
    return pos
  } finally {
    await h.close()
  }
}
