// Durable whole-file writes for files that replace others in place (a mask saved by the labeling
// tools, a history copy): the bytes go to a hidden temporary file in the same folder (a dataset
// scan skips dot-files, so a leftover is never cataloged), are fsync'd, renamed onto the final
// name (atomic on POSIX filesystems), and the folder is fsync'd so the rename itself survives a
// power cut. A reader sees the old file or the new one, never part of either. Errors name the path.
import { promises as fsp } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { basename, dirname, join } from 'node:path'
import { LockstepError } from '../../shared/errors'

/** Turns a Node I/O error on `path` into a LockstepError naming it. */
export function ioError(err: unknown, path: string, doing = 'writing'): Error {
  if (err instanceof LockstepError) return err
  const code = (err as NodeJS.ErrnoException)?.code
  const why = (err as Error)?.message ?? String(err)
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new LockstepError('DISK_FULL', `No space left on device ${doing} ${path}`, { path })
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new LockstepError('FORBIDDEN', `Cannot write ${path}: the folder is not writable (${code})`, { path })
    case 'ENOTDIR':
    case 'EEXIST':
      return new LockstepError('INVALID_INPUT', `Cannot write ${path}: a file is in the way of a folder (${code})`, { path })
    default:
      return new LockstepError('UNREADABLE', `Cannot write ${path}: ${why}`, { path })
  }
}

/** Prefix of the temporary files writeFileDurable leaves behind when killed mid-write. */
export const DURABLE_TEMP_PREFIX = '.lockstep-'

/** fsync of a folder: makes the entries created or renamed in it durable. */
export async function fsyncDir(dir: string): Promise<void> {
  let h: fsp.FileHandle | undefined
  try {
    h = await fsp.open(dir, 'r')
    await h.sync()
  } catch (err) {
    // some filesystems refuse to fsync a folder (EINVAL, EISDIR): the rename is all they offer
    const code = (err as NodeJS.ErrnoException).code
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EBADF' && code !== 'EPERM') throw ioError(err, dir, 'syncing')
  } finally {
    await h?.close().catch(() => {})
  }
}

/**
 * Writes `bytes` to `path` crash-safely: temporary file in the same folder, fsync, rename, fsync
 * of the folder. On failure the temporary file is removed and `path` is untouched.
 */
export async function writeFileDurable(path: string, bytes: Uint8Array): Promise<void> {
  const dir = dirname(path)
  const tmp = join(dir, `${DURABLE_TEMP_PREFIX}${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  let h: fsp.FileHandle | undefined
  try {
    h = await fsp.open(tmp, 'wx')
    let off = 0
    while (off < bytes.byteLength) off += (await h.write(bytes, off, bytes.byteLength - off)).bytesWritten
    await h.sync()
    await h.close()
    h = undefined
    await fsp.rename(tmp, path)
  } catch (err) {
    await h?.close().catch(() => {})
    await fsp.rm(tmp, { force: true }).catch(() => {})
    throw ioError(err, path)
  }
  await fsyncDir(dir)
}

/** Creates a folder (and its parents) and makes the new entries durable. */
export async function mkdirDurable(dir: string): Promise<void> {
  let first: string | undefined
  try {
    first = await fsp.mkdir(dir, { recursive: true })
  } catch (err) {
    throw ioError(err, dir, 'creating')
  }
  if (first === undefined) return
  // fsync every new folder's parent, from the first one created down to `dir`'s parent
  for (let d = dir; ; d = dirname(d)) {
    await fsyncDir(dirname(d))
    if (d === first || dirname(d) === d) break
  }
}
