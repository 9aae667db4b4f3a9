// `lockstep replay`: reproduces one output of an export from its manifest line (the recorded plan
// and the source files), byte for byte.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { LockstepError } from '../../../shared/errors'
import { replay } from '../../augment/render'
import { ENCODERS_VERSION } from '../../io/image'
import { writeAtomic } from '../../export/files'
import { requireSoundSource } from '../../export/sources'
import { formatPlugin, needsOf } from '../../export/formats'
import { IMAGE_EXT, type ReadBack } from '../../export/types'
import { foldersFiles } from '../../export/writers/folders'
import { normalizeRgb, type Normalization } from '../../export/normalize'
import type { RenderedPair } from '../../augment/render'
import type { ImageFormat } from '../../../shared/contract/export'
import { intOption, parse, requireOption, type Command } from '../command'

const NAME = 'replay'

const HELP = `usage: lockstep replay --manifest FILE --line K (--out DIR | --check)

Renders output K (1-based line number of the manifest.jsonl an export wrote) again from its recorded
plan and its source files, with the image format and quality of that export (read from the
export.json beside the manifest), and writes it to DIR under the same relative names the folders
format uses (images/<key>.<ext>, masks/<key>.png). The bytes equal the original output's. Fails if
a source file changed since the export (its sha256 no longer matches the manifest).

  --check    compare the replayed output with what every format of the export holds for that line
             (the folders files, the npy rows, the webdataset members); exit 1 naming any difference`

interface ManifestLine {
  epoch: number
  batch: number
  index: number
  /** absent in manifests written before draws existed: draw 0 */
  draw?: number
  sampleId: string
  source: { image: string; mask: string; imageSha256: string | null; maskSha256: string | null }
  plan?: unknown
  files?: Record<string, unknown>
  error?: { message: string }
}

/** The source's sha256, once the whole-file checks found it sound (a replay reads only a crop's window of it). */
async function sha256(path: string, role: 'image' | 'mask'): Promise<string> {
  let bytes: Buffer
  try {
    bytes = await readFile(path)
  } catch (err) {
    throw new LockstepError('NOT_FOUND', `Cannot read source ${path}: ${(err as Error).message}`)
  }
  const hash = createHash('sha256').update(bytes).digest('hex')
  await requireSoundSource(bytes, path, role, hash)
  return hash
}

export const replayCommand: Command = {
  name: NAME,
  help: HELP,
  async run(argv) {
    const { values: v } = parse(NAME, argv, { manifest: { type: 'string' }, line: { type: 'string' }, out: { type: 'string' }, check: { type: 'boolean' } })
    const manifest = resolve(requireOption(NAME, v.manifest, '--manifest'))
    const k = intOption(NAME, requireOption(NAME, v.line, '--line'), '--line', 1, 1)
    const out = v.check ? null : resolve(requireOption(NAME, v.out, '--out'))
    let text: string
    try {
      text = readFileSync(manifest, 'utf8')
    } catch (err) {
      throw new LockstepError(
        'NOT_FOUND',
        `Cannot read manifest ${manifest}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
      )
    }
    const lines = text.split('\n').filter((l) => l.length > 0)
    if (k > lines.length) throw new LockstepError('INVALID_INPUT', `${manifest} has ${lines.length} lines; --line ${k} is past its end`)
    let line: ManifestLine
    try {
      line = JSON.parse(lines[k - 1]) as ManifestLine
    } catch {
      throw new LockstepError('CORRUPT', `${manifest} line ${k} is not JSON`)
    }
    if (line.error || !line.plan)
      throw new LockstepError(
        'INVALID_INPUT',
        `${manifest} line ${k} records a failed output (${line.error?.message ?? 'no plan'}); there is nothing to replay`,
      )
    const descPath = join(dirname(manifest), 'export.json')
    let desc: { options?: { imageFormat?: ImageFormat; quality?: number }; order?: { outputsPerEpoch?: number }; options_?: unknown; [k: string]: unknown }
    try {
      desc = JSON.parse(readFileSync(descPath, 'utf8'))
    } catch (err) {
      throw new LockstepError('NOT_FOUND', `Cannot read ${descPath} (the export's settings, next to the manifest): ${(err as Error).message}`)
    }
    const encoders = typeof desc.encoders === 'number' ? desc.encoders : 1
    if (encoders !== ENCODERS_VERSION) {
      process.stderr.write(
        `lockstep replay: warning: ${descPath} was written by encoders version ${encoders} and this Lockstep has version ${ENCODERS_VERSION}: the pixels and class indices are the same, the file bytes may differ\n`,
      )
    }
    const format = desc.options?.imageFormat ?? 'jpeg'
    const quality = desc.options?.quality ?? 90
    for (const [role, path, want] of [
      ['image', line.source.image, line.source.imageSha256],
      ['mask', line.source.mask, line.source.maskSha256],
    ] as const) {
      const hash = await sha256(path, role)
      if (want && hash !== want) {
        throw new LockstepError(
          'INVALID_INPUT',
          `Source ${role} ${path} changed since the export (sha256 differs from ${manifest} line ${k}); the output cannot be reproduced`,
        )
      }
    }
    // Render with the same outputs the export asked for (the engine may take another path when
    // raw pixels are also wanted), so the encoded bytes are the export's.
    const formats = (desc as { options?: { formats?: string[] } }).options?.formats ?? ['folders']
    const r = await replay(
      line.plan,
      { image: line.source.image, mask: line.source.mask },
      { image: { format, quality }, ...(needsOf(formats).raw ? { raw: true } : {}) },
    )
    const epochs = (desc as { options?: { epochs?: number } }).options?.epochs ?? 1
    if (!out) return check(dirname(manifest), line, formats, r, k, (desc as { normalize?: Normalization }).normalize ?? null)
    const rel = foldersFiles(line, epochs, IMAGE_EXT[format])
    await writeAtomic(join(out, rel.image), r.image!)
    if (r.mask) await writeAtomic(join(out, rel.mask), r.mask)
    console.log(
      `replayed ${manifest} line ${k} (${line.sampleId}, epoch ${line.epoch}) to ${join(out, rel.image)}${r.mask ? ` and ${join(out, rel.mask)}` : ''}`,
    )
    return 0
  },
}

/** The replayed output's bytes as `format` stores them (npy: rows of the batch's dtype, x normalised as the export did). */
function expected(r: RenderedPair, got: ReadBack, normalize: Normalization | null): ReadBack {
  const raw = r.raw
  let y: Uint8Array | undefined
  if (raw?.labels) {
    // a batch holding any 16-bit mask stores every row as little-endian uint16
    const wide = got.y && got.y.byteLength === raw.labels.length * 2
    y = wide ? new Uint8Array(Uint16Array.from(raw.labels).buffer) : new Uint8Array(raw.labels.buffer, raw.labels.byteOffset, raw.labels.byteLength)
  }
  const x = raw && normalize ? new Uint8Array(normalizeRgb(raw.image, normalize).buffer) : raw?.image
  return { image: r.image, mask: r.mask, x, y }
}

async function check(dir: string, line: ManifestLine, formats: string[], r: RenderedPair, k: number, normalize: Normalization | null): Promise<number> {
  const problems: string[] = []
  for (const name of formats) {
    const got = await formatPlugin(name).read(dir, line)
    const want = expected(r, got, normalize)
    for (const part of ['image', 'mask', 'x', 'y'] as const) {
      const a = got[part]
      const b = want[part]
      if (a && (!b || Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) !== 0))
        problems.push(`${name} ${part}`)
    }
  }
  if (problems.length) {
    process.stderr.write(`lockstep replay: line ${k} (${line.sampleId}, epoch ${line.epoch}) differs from the export in: ${problems.join(', ')}\n`)
    return 1
  }
  console.log(`line ${k} (${line.sampleId}, epoch ${line.epoch}) replays byte for byte in ${formats.join(', ')}`)
  return 0
}
