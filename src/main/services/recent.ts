// Recent projects, kept in one JSON file in the user data folder (both doors: the studio's
// project menu lists them), and the folder a door was asked to open that is not a project yet:
// `lockstep serve --project NEW_DIR` starts with no project and the studio offers to create it.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type { RecentProject } from '../../shared/contract/app'
import type { ProjectProbe } from '../../shared/contract/catalog'
import { LockstepError } from '../../shared/errors'
import { probeProjectDir } from '../catalog/project'
import type { AreaHandlers, ServiceContext } from './context'

const MAX_RECENT = 12
export const RECENT_FILE = 'recent-projects.json'

interface Entry {
  dir: string
  openedAt: number
}

export class RecentProjects {
  /** The folder this door was asked to open that is not a project yet; null once dealt with. */
  suggested: ProjectProbe | null = null
  private memory: Entry[] = []

  /** `file` null: kept in memory only (tests, a door without a user data folder). */
  constructor(private readonly file: string | null) {}

  private read(): Entry[] {
    if (!this.file) return this.memory
    try {
      const raw = JSON.parse(readFileSync(this.file, 'utf8')) as unknown
      const list = Array.isArray((raw as { recent?: unknown })?.recent) ? (raw as { recent: unknown[] }).recent : []
      return list.filter((e): e is Entry => !!e && typeof (e as Entry).dir === 'string' && typeof (e as Entry).openedAt === 'number').slice(0, MAX_RECENT)
    } catch {
      return [] // missing or damaged: an empty list, never an error
    }
  }

  private write(list: Entry[]): void {
    if (!this.file) {
      this.memory = list
      return
    }
    try {
      mkdirSync(dirname(this.file), { recursive: true })
      const tmp = `${this.file}.${process.pid}.tmp`
      writeFileSync(tmp, JSON.stringify({ recent: list }, null, 2))
      renameSync(tmp, this.file)
    } catch (err) {
      console.error(`lockstep: could not save the recent projects to ${this.file}: ${(err as Error).message}`)
    }
  }

  /** Most recent first, each with what its folder is now. */
  list(): RecentProject[] {
    return this.read().map((e) => {
      const probe = probeProjectDir(e.dir)
      return { dir: e.dir, openedAt: e.openedAt, state: probe.state, name: probe.state === 'project' ? probe.name : null }
    })
  }

  add(dir: string): void {
    const abs = resolve(dir)
    this.write([{ dir: abs, openedAt: Date.now() }, ...this.read().filter((e) => e.dir !== abs)].slice(0, MAX_RECENT))
    if (this.suggested?.dir === abs) this.suggested = null
  }

  forget(dir: string): void {
    const abs = resolve(dir)
    this.write(this.read().filter((e) => e.dir !== abs))
  }
}

/**
 * What a door does with the folder it was asked to open: a project is the caller's to open; a
 * missing, empty or other folder is not an error but the studio's suggestion ("create a project
 * here?"); a file or an unreadable folder is an error naming it.
 */
export function projectOrSuggestion(ctx: ServiceContext, dir: string): ProjectProbe {
  const probe = probeProjectDir(dir)
  if (probe.state === 'unusable') throw new LockstepError('INVALID_INPUT', `Cannot open a project: ${probe.reason}`)
  if (probe.state !== 'project') ctx.recent.suggested = probe
  return probe
}

export const recentHandlers: AreaHandlers<'project.probe' | 'project.recent' | 'project.forget'> = {
  'project.probe': async (input) => probeProjectDir(input.dir),
  'project.recent': async (_input, ctx) => {
    const s = ctx.recent.suggested
    // re-probed: the folder may have been made a project meanwhile (lockstep init in a terminal)
    const suggested = s ? probeProjectDir(s.dir) : null
    return { recent: ctx.recent.list(), suggested: suggested && suggested.state !== 'project' ? suggested : null }
  },
  'project.forget': async (input, ctx) => {
    ctx.recent.forget(input.dir)
    return ctx.recent.list()
  },
}
