// Crash-safe file output: every file is written under a temporary name next to its final one,
// flushed to disk (fsync), then renamed, so a final name only ever holds a complete file, even
// after a power cut. Many small files (the folders format) are committed as a batch: written, then
// fsync'd back to back, so one journal commit of the filesystem covers most of them (measured:
// about a third of the cost of one fsync per file as it is written), then renamed. Errors become
// LockstepErrors that name the path (a full disk, an unwritable folder).
import { promises as fsp } from 'node:fs'
import { constants as osConstants } from 'node:os'
import { dirname } from 'node:path'
import { LockstepError } from '../../shared/errors'
import { ioError } from '../io/durable'
import { nativeAddon } from '../io/native'

export const PARTIAL_SUFFIX = '.partial'

export { ioError }

/** Turns a Node error reading `path` into a LockstepError naming it. */
export function readError(err: unknown, path: string): Error {
  if (err instanceof LockstepError) return err
  const code = (err as NodeJS.ErrnoException)?.code
  if (code === 'ENOENT') return new LockstepError('NOT_FOUND', `Cannot read ${path}: no such file`, { path })
  return new LockstepError('UNREADABLE', `Cannot read ${path}: ${(err as Error)?.message ?? String(err)}`, { path })
}

/** A whole file, or an error naming it. */
export async function readWhole(path: string): Promise<Buffer> {
  try {
    return await fsp.readFile(path)
  } catch (err) {
    throw readError(err, path)
  }
}

/** Where a format's reader gets whole files. */
export interface FileSource {
  get(path: string): Promise<Buffer>
}

/** Whole files read for consecutive manifest lines (an npy batch or a tar serves many): the last few kept. */
export class FileCache implements FileSource {
  private readonly files = new Map<string, Promise<Buffer>>()
  constructor(private readonly keep = 4) {}
  get(path: string): Promise<Buffer> {
    let f = this.files.get(path)
    if (f) this.files.delete(path)
    else f = readWhole(path)
    this.files.set(path, f)
    while (this.files.size > this.keep) this.files.delete(this.files.keys().next().value as string)
    return f
  }
}

/** Reads every time (one-off reads: replay). */
export const NO_CACHE: FileSource = { get: (path) => readWhole(path) }

/** Folders known to exist (one mkdir per folder, not per file). */
const made = new Set<string>()
/** Forgets the folders known to exist: an export starting may find its folder deleted since the last one. */
export function forgetMadeDirs(): void {
  made.clear()
}
export async function ensureDir(dir: string): Promise<void> {
  if (made.has(dir)) return
  try {
    await fsp.mkdir(dir, { recursive: true })
  } catch (err) {
    throw ioError(err, dir, 'creating')
  }
  made.add(dir)
}

/** Removes a file if it exists (no error if it does not). */
export async function removeQuietly(path: string): Promise<void> {
  await fsp.rm(path, { force: true }).catch(() => {})
}

/**
 * Writes every byte of `chunks` at the file's position. A write may be short (a disk filling up
 * takes what fits and says so only on the next call): the rest is written again until done or an
 * error, so a short write is never mistaken for a complete one.
 */
async function writeAll(h: fsp.FileHandle, chunks: Uint8Array[]): Promise<void> {
  const rest = chunks.filter((c) => c.byteLength > 0)
  while (rest.length) {
    const { bytesWritten } = rest.length === 1 ? await h.write(rest[0], 0, rest[0].byteLength) : await h.writev(rest)
    if (bytesWritten <= 0) throw Object.assign(new Error('the write made no progress'), { code: 'EIO' })
    let n = bytesWritten
    while (rest.length && n >= rest[0].byteLength) n -= rest.shift()!.byteLength
    if (n > 0) rest[0] = rest[0].subarray(n)
  }
}

/**
 * A file being written: append chunks, then `commit()` (fsync + rename onto the final name) or
 * `discard()` (delete the temporary file). Nothing is ever visible under `finalPath` half-written.
 */
export class AtomicFile {
  private handle: fsp.FileHandle | null = null
  private readonly tmp: string
  bytes = 0
  private constructor(readonly finalPath: string) {
    this.tmp = finalPath + PARTIAL_SUFFIX
  }

  static async open(finalPath: string): Promise<AtomicFile> {
    const f = new AtomicFile(finalPath)
    await ensureDir(dirname(finalPath))
    try {
      f.handle = await fsp.open(f.tmp, 'w')
    } catch (err) {
      throw ioError(err, f.tmp)
    }
    return f
  }

  /**
   * A file whose first `bytes` bytes are copied from `source` (the file under the final name, say
   * a tar closed early), to be written on and committed over it: until then `source` is untouched.
   */
  static async continuing(finalPath: string, source: string, bytes: number): Promise<AtomicFile> {
    const f = new AtomicFile(finalPath)
    await ensureDir(dirname(finalPath))
    try {
      await fsp.copyFile(source, f.tmp)
      await fsp.truncate(f.tmp, bytes)
      f.handle = await fsp.open(f.tmp, 'a')
    } catch (err) {
      await f.discard()
      throw ioError(err, f.tmp)
    }
    f.bytes = bytes
    return f
  }

  async write(...chunks: Uint8Array[]): Promise<void> {
    const h = this.handle
    if (!h) throw new Error(`${this.finalPath} is closed`)
    try {
      await writeAll(h, chunks)
    } catch (err) {
      await this.discard()
      throw ioError(err, this.finalPath)
    }
    for (const c of chunks) this.bytes += c.byteLength
  }

  /** fsync, close and rename onto the final name. */
  async commit(): Promise<void> {
    await this.sync()
    await this.publish()
  }

  /** Flushes the written bytes to the disk (the file keeps its temporary name). */
  async sync(): Promise<void> {
    const h = this.handle
    if (!h) throw new Error(`${this.finalPath} is closed`)
    try {
      await h.sync()
    } catch (err) {
      await this.discard()
      throw ioError(err, this.finalPath)
    }
  }

  /** Closes and renames onto the final name (after sync(): durable there). */
  async publish(): Promise<void> {
    const h = this.handle
    if (!h) throw new Error(`${this.finalPath} is closed`)
    try {
      await h.close()
      this.handle = null
      await fsp.rename(this.tmp, this.finalPath)
    } catch (err) {
      await this.discard()
      throw ioError(err, this.finalPath)
    }
  }

  async discard(): Promise<void> {
    const h = this.handle
    this.handle = null
    if (h) await h.close().catch(() => {})
    await removeQuietly(this.tmp)
  }
}

/**
 * Files whose bytes are all written, waiting to be committed together: `commit()` fsyncs each
 * (back to back), then renames each onto its final name. Until then none is under a final name.
 */
export class CommitGroup {
  private files: AtomicFile[] = []

  get size(): number {
    return this.files.length
  }

  add(f: AtomicFile): void {
    this.files.push(f)
  }

  async commit(): Promise<void> {
    const files = this.files
    this.files = []
    try {
      for (const f of files) await f.sync()
      for (const f of files) await f.publish()
    } catch (err) {
      await Promise.all(files.map((f) => f.discard()))
      throw err
    }
  }

  /** Deletes the waiting files' temporary copies. */
  async discard(): Promise<void> {
    const files = this.files
    this.files = []
    await Promise.all(files.map((f) => f.discard()))
  }
}

/**
 * Whole files held until commit(), which writes each under its temporary name, fsyncs them back to
 * back and renames each onto its final name: in one job on the thread pool when the native addon
 * is there (native/decoders/files.c; measured: about 0.7 ms of CPU per 100 KB file, against about
 * 2 ms through five fs.promises calls per file), else through AtomicFile and CommitGroup. Either
 * way, a failure leaves no temporary file of the batch and names the file.
 */
export class FileBatch {
  private files: { path: string; data: Uint8Array }[] = []
  /** Bytes held. */
  bytes = 0

  get size(): number {
    return this.files.length
  }

  add(path: string, data: Uint8Array): void {
    this.files.push({ path, data })
    this.bytes += data.byteLength
  }

  async commit(): Promise<void> {
    const files = this.files
    this.files = []
    this.bytes = 0
    if (!files.length) return
    const native = process.env.LOCKSTEP_NATIVE_FILES === '0' ? null : nativeAddon()
    if (native) {
      const failed = await native.writeFiles(
        files.map((f) => f.path + PARTIAL_SUFFIX),
        files.map((f) => f.path),
        files.map((f) => f.data),
      )
      if (failed) throw ioError(errnoError(failed.errno, failed.step), files[failed.index].path, failed.step)
      return
    }
    const group = new CommitGroup()
    const written = await Promise.allSettled(
      files.map(async (f) => {
        const a = await AtomicFile.open(f.path)
        group.add(a)
        await a.write(f.data)
      }),
    )
    const failed = written.find((r) => r.status === 'rejected')
    if (failed) {
      await group.discard()
      throw failed.reason
    }
    await group.commit()
  }

  /** Drops the held files (nothing of them is on disk yet). */
  discard(): void {
    this.files = []
    this.bytes = 0
  }
}

/** An Error with Node's `code` for an errno from native code. */
function errnoError(errno: number, step: string): NodeJS.ErrnoException {
  const code = Object.entries(osConstants.errno).find(([, v]) => v === errno)?.[0] ?? `errno ${errno}`
  return Object.assign(new Error(`${code} while ${step}`), { code, errno })
}

/** Writes a whole file atomically. */
export async function writeAtomic(finalPath: string, ...chunks: Uint8Array[]): Promise<void> {
  const f = await AtomicFile.open(finalPath)
  await f.write(...chunks)
  await f.commit()
}

/** Deletes every leftover `*.partial` file under `dir` (from an export that was killed). */
export async function removePartials(dir: string): Promise<number> {
  let n = 0
  const walk = async (d: string): Promise<void> => {
    let entries: import('node:fs').Dirent[]
    try {
      entries = await fsp.readdir(d, { withFileTypes: true })
    } catch {
      return
    }
    for (const e of entries) {
      const p = `${d}/${e.name}`
      if (e.isDirectory()) await walk(p)
      else if (e.name.endsWith(PARTIAL_SUFFIX)) {
        await removeQuietly(p)
        n++
      }
    }
  }
  await walk(dir)
  return n
}
