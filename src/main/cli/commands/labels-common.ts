// Shared by the labeling commands (classes, mask, annotations): the project, a sample named by id
// or key, and Ctrl-C as a job's cancel.
import { resolve } from 'node:path'
import { LockstepError } from '../../../shared/errors'
import { Catalog } from '../../catalog/catalog'

export function openProject(dir: string | undefined): Catalog {
  return Catalog.open(resolve(dir ?? '.'))
}

/** A sample by id (digits) or by key; a key in several datasets needs the id. */
export function sampleId(catalog: Catalog, command: string, ref: string | undefined): number {
  if (!ref) throw new LockstepError('INVALID_INPUT', `lockstep ${command}: --sample is required (an id or a key; see lockstep ${command} --help)`)
  if (/^\d+$/.test(ref) && catalog.record(Number(ref))) return Number(ref)
  const ids = catalog.db.prepare('SELECT id FROM samples WHERE key = ?').pluck().all(ref) as number[]
  if (ids.length === 1) return ids[0]
  if (ids.length > 1)
    throw new LockstepError('INVALID_INPUT', `lockstep ${command}: ${ref} is the key of ${ids.length} samples (ids ${ids.join(', ')}); give the id`)
  throw new LockstepError('NOT_FOUND', `lockstep ${command}: no sample with id or key ${JSON.stringify(ref)}`)
}

/** An AbortController aborted by Ctrl-C, and how to stop listening. */
export function interruptible(what: string): { signal: AbortSignal; done(): void } {
  const controller = new AbortController()
  const onSigint = () => controller.abort(new LockstepError('CANCELLED', `Interrupted; ${what}`))
  process.once('SIGINT', onSigint)
  return { signal: controller.signal, done: () => process.off('SIGINT', onSigint) }
}
