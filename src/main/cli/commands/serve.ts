// `lockstep serve`: browser mode. Hosts the built renderer and the whole contract on 127.0.0.1.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { LockstepError } from '../../../shared/errors'
import type { Command } from '../command'
import { intOption, parse } from '../command'
import { defaultUserDataDir, dispatch, openDefaultProject, projectOrSuggestion, type ServiceContext } from '../../services'
import { startServer } from '../../server'
import { rendererDir } from '../../server/paths'

const HELP = `usage: lockstep serve [--project DIR] [--port N] [--open | --no-open]

Serves the Lockstep studio to a browser on this machine: the built renderer, the API over a
WebSocket (/api) and media (/media/...), bound to 127.0.0.1 only.

  --project DIR   the project to open (default: the sample project in the user data folder).
                  A folder that is not a project yet (missing, empty, or holding other files)
                  is not an error: the studio starts with no project and offers to create it there
  --port N        the port to listen on (default 0: any free port)
  --open          open the URL in the default browser even where no display is detected
  --no-open       do not open a browser

Prints one line, "Lockstep is serving at http://127.0.0.1:PORT/?token=TOKEN", and runs until
interrupted. Where a display exists it opens that address in the default browser (xdg-open,
open, start); never when LOCKSTEP_NO_BROWSER or CI is set. Otherwise it says to open the address.
The token is new on every launch: opening that URL trades it for an HttpOnly,
SameSite=Strict cookie and redirects to /. Requests whose Host is not 127.0.0.1:PORT or
localhost:PORT, whose Origin is another site, or that lack the token are refused (403).
Scripts may send "Authorization: Bearer TOKEN" or connect to ws://127.0.0.1:PORT/api?token=TOKEN.`

async function openProject(ctx: ServiceContext, dir: string | undefined): Promise<void> {
  if (dir === undefined) {
    await openDefaultProject(ctx) // says why on stderr and serves with no project when it cannot
    return
  }
  const probe = projectOrSuggestion(ctx, resolve(dir))
  if (probe.state === 'project') {
    const reply = await dispatch('project.open', { dir: probe.dir }, ctx)
    if (!reply.ok) throw new LockstepError(reply.error.code, reply.error.message, reply.error.details)
    return
  }
  const what = probe.state === 'missing' ? 'does not exist yet' : probe.state === 'empty' ? 'is an empty folder' : 'is not a Lockstep project yet'
  console.log(`${probe.dir} ${what}: the studio offers to create a project there (or run: lockstep init ${JSON.stringify(probe.dir)})`)
}

/** Whether to open a browser: where a display exists, unless told not to (LOCKSTEP_NO_BROWSER, CI, --no-open). */
export function browserPolicy(
  flags: { open?: boolean; noOpen?: boolean },
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): { open: boolean; why: string } {
  const set = (v: string | undefined) => v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false'
  if (flags.noOpen) return { open: false, why: '--no-open' }
  if (set(env.LOCKSTEP_NO_BROWSER)) return { open: false, why: 'LOCKSTEP_NO_BROWSER is set' }
  if (flags.open) return { open: true, why: '--open' }
  if (set(env.CI)) return { open: false, why: 'CI is set' }
  if (platform !== 'darwin' && platform !== 'win32' && !env.DISPLAY && !env.WAYLAND_DISPLAY) return { open: false, why: 'no display here' }
  return { open: true, why: 'a display exists' }
}

function openBrowser(url: string, port: number): void {
  const [cmd, args] = process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]]
  const failed = (why: string) => console.log(`Could not open a browser (${cmd}: ${why}); ${openYourself(port)}`)
  const child = spawn(cmd, args, { stdio: 'ignore', detached: true })
  child.on('error', (err) => failed((err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not installed' : err.message))
  child.on('exit', (code) => {
    if (code) failed(`exit status ${code}`)
  })
  child.unref()
}

const openYourself = (port: number) =>
  `open the address above in a browser on this machine (from another one: ssh -L ${port}:127.0.0.1:${port} THIS_HOST, then open it there)`

export const serveCommand: Command = {
  name: 'serve',
  help: HELP,
  async run(argv) {
    const { values } = parse('serve', argv, {
      project: { type: 'string' },
      port: { type: 'string' },
      open: { type: 'boolean' },
      'no-open': { type: 'boolean' },
    })
    const port = intOption('serve', values.port, '--port', 0)
    if (port > 65535) throw new LockstepError('INVALID_INPUT', `expected a port in 0..65535 for --port but received ${port}`)
    const dir = rendererDir()
    if (!existsSync(join(dir, 'index.html'))) {
      throw new LockstepError('NOT_FOUND', `The renderer is not built (${join(dir, 'index.html')} is missing): run \`npm run build\` first`)
    }
    let server
    try {
      server = await startServer({ rendererDir: dir, port, userDataDir: defaultUserDataDir(), setup: (ctx) => openProject(ctx, values.project) })
    } catch (err) {
      const code = (err as { code?: string }).code
      if (code === 'EADDRINUSE') throw new LockstepError('BUSY', `port ${port} is already in use (use --port 0 for any free port)`)
      throw err
    }
    console.log(`Lockstep is serving at ${server.url}`)
    const browser = browserPolicy({ open: values.open, noOpen: values['no-open'] })
    if (browser.open) {
      console.log('Opening it in your default browser…')
      openBrowser(server.url, server.port)
    } else console.log(`Not opening a browser (${browser.why}): ${openYourself(server.port)}`)
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
