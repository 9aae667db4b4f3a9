// One writer job (import, re-scan, stats) per project at a time, across processes. SQLite's own
// locks keep every transaction safe; this lock keeps two imports from interleaving their scans.
// The lock file holds the owner's pid; a lock whose process is gone (killed) is taken over.
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { hostname } from 'node:os'
import { LockstepError } from '../../shared/errors'

/** Whether a process with this id exists on this machine. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export interface JobLock {
  release(): void
}

export function acquireJobLock(projectDir: string, what: string): JobLock {
  const file = join(projectDir, 'job.lock')
  const me = `${process.pid}\n${hostname()}\n${what}\n`
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx')
      writeSync(fd, me)
      closeSync(fd)
      let released = false
      return {
        release() {
          if (released) return
          released = true
          try {
            if (readFileSync(file, 'utf8') === me) unlinkSync(file)
          } catch {
            // already gone
          }
        },
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      let owner: string
      try {
        owner = readFileSync(file, 'utf8')
      } catch {
        continue // released meanwhile
      }
      const [pidText, host, ownerWhat] = owner.split('\n')
      const pid = Number(pidText)
      const sameHost = host === hostname()
      if (owner && sameHost && Number.isInteger(pid) && pid > 0 && !alive(pid)) {
        try {
          unlinkSync(file) // stale: its process was killed
        } catch {
          // someone else took it over first
        }
        continue
      }
      if (!owner) continue
      throw new LockstepError(
        'BUSY',
        `Project ${projectDir} is busy: ${ownerWhat || 'another job'} is running in process ${pid}${sameHost ? '' : ` on ${host}`}; wait for it to finish (or delete ${file} if that process is gone)`,
        { pid, what: ownerWhat },
      )
    }
  }
  throw new LockstepError('BUSY', `Project ${projectDir} is busy: could not take ${file}`)
}
