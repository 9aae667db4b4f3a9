// Starts the built CLI's `lockstep serve` as a child process and reads its URL line.
import { spawn, type ChildProcess } from 'node:child_process'
import { resolve } from 'node:path'

export interface Served {
  url: string
  origin: string
  child: ChildProcess
  output: () => string
  stop: () => Promise<void>
}

const BIN = resolve(import.meta.dirname, '../../bin/lockstep.js')

export function serve(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 30_000): Promise<Served> {
  // never a real browser from a test (serve opens one where a display exists)
  const child = spawn(process.execPath, [BIN, 'serve', ...args], {
    env: { ...process.env, LOCKSTEP_NO_BROWSER: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout.on('data', (d) => (out += d))
  child.stderr.on('data', (d) => (out += d))
  const stop = () =>
    new Promise<void>((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done()
      const t = setTimeout(() => child.kill('SIGKILL'), 5000)
      child.once('exit', () => {
        clearTimeout(t)
        done()
      })
      child.kill('SIGTERM')
    })
  return new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => {
      void stop()
      reject(new Error(`lockstep serve printed no URL within ${timeoutMs} ms:\n${out}`))
    }, timeoutMs)
    const onData = () => {
      const m = /Lockstep is serving at (http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+)/.exec(out)
      if (!m) return
      clearTimeout(timer)
      child.stdout.off('data', onData)
      const url = m[1]
      resolveUrl({ url, origin: new URL(url).origin, child, output: () => out, stop })
    }
    child.stdout.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`lockstep serve exited with ${code} before printing its URL:\n${out}`))
    })
  })
}
