// `lockstep stream`: serves the npy export's batches on demand to training processes on this
// machine (docs/stream-protocol.md). The options are the export's (one schema family); the server
// lives in the export area and reuses the export's plan of work and render pool.
import { resolve } from 'node:path'
import { EXPORT_LIMITS, streamOptionsSchema } from '../../../shared/contract/export'
import { LockstepError } from '../../../shared/errors'
import type { Catalog } from '../../catalog/catalog'
import { AUTO_WORKERS_RULE } from '../../export/job'
import { parseStreamOptions } from '../../export/start'
import { prepareStream, startStreamServer } from '../../export/stream'
import { parse, type Command, type Options } from '../command'
import { COMMON_ARGS, commonOptions, int, minOf, openSource, parseWithFlags } from './export-args'

const NAME = 'stream'

const HELP = `usage: lockstep stream (--project DIR | --images DIR --masks DIR) (--recipe FILE | --recipe-version ID)
                       (--socket PATH | --port N) [options]

Serves augmented batches to training processes on this machine, over a Unix socket (mode 0600) or
TCP on 127.0.0.1 only, with a random per-launch token (protocol: docs/stream-protocol.md; a Python
client: python/lockstep). Batch (epoch, b) is byte for byte the npy export's batch for the same
options (x uint8 BxHxWx3, or float32 with --normalize; y uint8/uint16 BxHxW), whatever the worker
count, the number of consumers or where a consumer resumes.

sources and recipe: as lockstep export (--project/--split, --images/--masks/--mask-pattern,
  --recipe/--recipe-version)
order
  --seed N                 (default 0)
  --epochs E               serve E epochs, then end each stream; default: endless (epochs roll over)
  --batch-size B           (default 32)
  --steps-per-epoch S      S batches per epoch; past one pass samples are drawn with replacement
  --drop-last              drop each epoch's last short batch
  --normalize N            x as float32: featurewise | samplewise | rescale=F (as lockstep export)
where
  --socket PATH            a Unix domain socket (created with mode 0600)
  --port N                 TCP on 127.0.0.1 (0 = any free port); never another interface
  --token-file F           write the token to F (mode 0600) instead of printing it
running
  --prefetch N             batches rendered ahead of each consumer, 1..64 (default 4): a slow trainer
                           holds the server at about N batches per connection
  --workers N|auto         render threads, 0..${EXPORT_LIMITS.workers}. auto: ${AUTO_WORKERS_RULE}
  --memory MB              ${EXPORT_LIMITS.memoryMb.min}..${EXPORT_LIMITS.memoryMb.max} (default ${EXPORT_LIMITS.memoryMb.default})

Prints one line, "Lockstep stream at unix:PATH token=TOKEN" (or tcp://127.0.0.1:PORT; token=@FILE
with --token-file), and serves until interrupted. Each connection asks for its rank of worldSize
(batch b of an epoch goes to rank b % worldSize), where to start (epoch, batch) and where to stop.`

const ARGS: Options = {
  ...COMMON_ARGS,
  socket: { type: 'string' },
  port: { type: 'string' },
  'token-file': { type: 'string' },
  prefetch: { type: 'string' },
}

export const streamCommand: Command = {
  name: NAME,
  help: HELP,
  async run(argv) {
    const { values: v } = parse(NAME, argv, ARGS)
    if (!!v.socket === (v.port !== undefined)) throw new LockstepError('INVALID_INPUT', `lockstep ${NAME}: give exactly one of --socket PATH and --port N`)
    const port = int(NAME, v.port as string | undefined, '--port')
    if (port !== undefined && (port < 0 || port > 65535))
      throw new LockstepError('INVALID_INPUT', `lockstep ${NAME}: expected --port in 0..65535 but received ${port}`)
    const raw: Record<string, unknown> = {
      ...commonOptions(NAME, v, streamOptionsSchema),
      prefetch: int(NAME, v.prefetch as string | undefined, '--prefetch', minOf(streamOptionsSchema, 'prefetch')),
    }
    const options = parseWithFlags(NAME, { ...raw, epochs: raw.epochs ?? null }, parseStreamOptions)
    let catalog: Catalog | null = null
    try {
      const opened = await openSource(NAME, v)
      catalog = opened.catalog
      const plan = await prepareStream(options, opened.source, { onNote: (text) => process.stderr.write(`lockstep ${NAME}: ${text}\n`) })
      const tokenFile = v['token-file'] ? resolve(v['token-file'] as string) : undefined
      const server = await startStreamServer(plan, { socket: v.socket ? resolve(v.socket as string) : undefined, port, tokenFile })
      process.stdout.write(`Lockstep stream at ${server.address} token=${tokenFile ? `@${tokenFile}` : server.token}\n`)
      await new Promise<void>((done) => {
        const stop = () => {
          process.off('SIGINT', stop)
          process.off('SIGTERM', stop)
          done()
        }
        process.on('SIGINT', stop)
        process.on('SIGTERM', stop)
      })
      await server.close()
      return 0
    } finally {
      catalog?.close()
    }
  },
}
