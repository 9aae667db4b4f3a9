// `lockstep serve`: browser mode. Hosts the built renderer and the whole contract on 127.0.0.1.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { LockstepError } from '../../../shared/errors'
import type { Command } from '../command'
import { intOption, parse } from '../command'
import { dispatch, openDefaultProject, type ServiceContext } from '../../services'
import { startServer } from '../../server'
import { rendererDir } from '../../server/paths'

const HELP = `usage: lockstep serve [--project DIR] [--port N] [--open]

Serves the Lockstep studio to a browser on this machine: the built renderer, the API over a
WebSocket (/api) and media (/media/...), bound to 127.0.0.1 only.

  --project DIR   the project to open (default: the sample project in the user data folder)
  --port N        the port to listen on (default 0: any free port)
  --open          open the URL in the default browser

Prints one line, "Lockstep is serving at http://127.0.0.1:PORT/?token=TOKEN", and runs until
interrupted. The token is new on every launch: opening that URL trades it for an HttpOnly,
SameSite=Strict cookie and redirects to /. Requests whose Host is not 127.0.0.1:PORT or
localhost:PORT, whose Origin is another site, or that lack the token are refused (403).
Scripts may send "Authorization: Bearer TOKEN" or connect to ws://127.0.0.1:PORT/api?token=TOKEN.`

async function openProject(ctx: ServiceContext, dir: string | undefined): Promise<void> {
  if (dir === undefined) {
    await openDefaultProject(ctx) // says why on stderr and serves with no project when it cannot
    return
  }
  const abs = resolve(dir)
  const reply = await dispatch('project.open', { dir: abs }, ctx)
  if (!reply.ok) throw new LockstepError(reply.error.code, reply.error.message, reply.error.details)
}

function openBrowser(url: string): void {
  const [cmd, args] =
    process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]]
  const child = spawn(cmd, args as string[], { stdio: 'ignore', detached: true })
  child.on('error', () => console.error(`lockstep serve: could not start ${cmd}; open the URL yourself`))
  child.unref()
}

export const serveCommand: Command = {
  name: 'serve',
  help: HELP,
  async run(argv) {
    const { values } = parse('serve', argv, {
      project: { type: 'string' },
      port: { type: 'string' },
      open: { type: 'boolean' },
    })
    const port = intOption('serve', values.port, '--port', 0)
    if (port > 65535) throw new LockstepError('INVALID_INPUT', `expected a port in 0..65535 for --port but received ${port}`)
    const dir = rendererDir()
    if (!existsSync(join(dir, 'index.html'))) {
      throw new LockstepError('NOT_FOUND', `The renderer is not built (${join(dir, 'index.html')} is missing): run \`npm run build\` first`)
    }
    let server
    try {
      server = await startServer({ rendererDir: dir, port, setup: (ctx) => openProject(ctx, values.project) })
    } catch (err) {
      const code = (err as { code?: string }).code
      if (code === 'EADDRINUSE') throw new LockstepError('BUSY', `port ${port} is already in use (use --port 0 for any free port)`)
      throw err
    }
    console.log(`Lockstep is serving at ${server.url}`)
    if (values.open) openBrowser(server.url)
    await new Promise<void>((done) => {
      const stop = () => {
        process.off('SIGINT', stop)
        process.off('SIGTERM', stop)
        server.close().then(done, done)
      }
      process.on('SIGINT', stop)
      process.on('SIGTERM', stop)
    })
    return 0
  },
}
