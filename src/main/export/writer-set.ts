// The writer set: one writer per format of the export, fed every output in output order. It says
// how far every writer has its outputs durably on disk, which is how far the journal may go.
import { checkFormats } from './formats'
import type { Slot } from './order'
import type { RenderedOutput, ResumeFrom, Writer, WriterContext } from './types'

export class WriterSet {
  readonly writers: Writer[]

  /** Writers for `formats` (each once, in the order given), each with its own options. */
  constructor(formats: readonly string[], ctx: Omit<WriterContext, 'options'>, options: Record<string, Record<string, number>> = {}) {
    this.writers = checkFormats(formats).map((f) => f.create({ ...ctx, options: options[f.name] ?? {} }))
  }

  /** What the render must produce for these writers. */
  get needs(): { encoded: boolean; raw: boolean } {
    return { encoded: this.writers.some((w) => w.needs.encoded), raw: this.writers.some((w) => w.needs.raw) }
  }

  async begin(from: ResumeFrom): Promise<void> {
    for (const w of this.writers) await w.begin(from)
  }

  /** Hands one output to every writer; returns each format's record of where it went. */
  async write(output: RenderedOutput): Promise<Record<string, unknown>> {
    const files: Record<string, unknown> = {}
    for (const w of this.writers) files[w.format] = await w.write(output)
    return files
  }

  /** An output whose source failed: no files, but batch and tar boundaries still close. */
  async skip(slot: Slot): Promise<void> {
    for (const w of this.writers) await w.skip(slot)
  }

  /** The ordinal before which every writer has every output on disk (any such point is one a re-run can start from). */
  durableUpTo(): number {
    return Math.min(...this.writers.map((w) => w.committed))
  }

  async end(): Promise<void> {
    for (const w of this.writers) await w.end()
  }

  /** Keeps every output handed over (batches and tars closed short), or deletes partial files where that fails. */
  async abort(): Promise<void> {
    for (const w of this.writers) await w.abort().catch(() => {})
  }
}
