// `lockstep merge`: checks the folders of an export run in shards (--shard i/n) and assembles them
// into the export one process would have written.
import { LockstepError } from '../../../shared/errors'
import { mergeShards } from '../../export/merge'
import { parse, type Command } from '../command'

const NAME = 'merge'

const HELP = `usage: lockstep merge SHARD_DIR... [--out DIR] [--copy]

Checks the output folders of one export run as shards (lockstep export --shard i/n, e.g. a
Kubernetes Indexed Job or a Slurm array writing to shared storage):
  - every folder holds the same export (export.json equal but for the shard)
  - no overlap: each shard i/n once; no gap: every i of n present
  - each shard complete: its manifest journals exactly its outputs (an interrupted one is named:
    run its export again, it resumes)
  - every output's bytes, in every format (folders files, npy rows, webdataset members), against the
    sha256 its manifest line records (manifests written before hashes existed: files are read and
    checked for structure only)
With --out DIR (a folder that holds no export: new, empty, or the one holding the shard folders),
assembles the export: every file hard-linked into DIR (copied across
devices, or with --copy), one manifest.jsonl and one export.json: byte for byte the export a single
process writes with the same options.
Exit status: 0 all good, 1 something missing or wrong (each problem on stderr), 2 bad usage.`

export const mergeCommand: Command = {
  name: NAME,
  help: HELP,
  async run(argv) {
    const { values: v, positionals } = parse(NAME, argv, { out: { type: 'string' }, copy: { type: 'boolean' } }, true)
    if (!positionals.length) throw new LockstepError('INVALID_INPUT', `lockstep ${NAME}: give the shard folders (see lockstep ${NAME} --help)`)
    const r = await mergeShards(positionals, v.out ?? null, { copy: v.copy === true })
    for (const p of r.problems.slice(0, 200)) process.stderr.write(`lockstep ${NAME}: ${p}\n`)
    if (r.problems.length > 200) process.stderr.write(`lockstep ${NAME}: ... and ${r.problems.length - 200} more problems\n`)
    if (r.problems.length) {
      process.stderr.write(`lockstep ${NAME}: ${r.problems.length} problem(s) in ${positionals.length} folder(s); nothing was assembled\n`)
      return 1
    }
    const hashes =
      r.hashed === r.outputs
        ? 'every output checked against its sha256'
        : `${r.hashed} of ${r.outputs} outputs checked against a sha256 (the others' manifest lines record none)`
    console.log(`${r.shards} shard(s), ${r.outputs} outputs, no overlap, no gap, ${hashes}${r.out ? `; assembled in ${r.out} (${r.files} files)` : ''}`)
    return 0
  },
}
