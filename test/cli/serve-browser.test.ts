// `lockstep serve` opens the default browser where a display exists (here: a stand-in xdg-open on
// PATH that records what it was asked to open), never with LOCKSTEP_NO_BROWSER or CI set, and
// otherwise says plainly to open the printed address.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { browserPolicy } from '../../src/main/cli/commands/serve'
import { tempDir } from '../catalog/fixtures'
import { serve } from '../e2e/serve'

const tmp = tempDir('lockstep-serve-browser-')
afterAll(() => tmp.cleanup())
const bin = join(tmp.dir, 'bin')
const opened = join(tmp.dir, 'opened.txt')
mkdirSync(bin)
writeFileSync(join(bin, 'xdg-open'), `#!/bin/sh\necho "$@" >> "${opened}"\n`)
chmodSync(join(bin, 'xdg-open'), 0o755)

async function run(env: NodeJS.ProcessEnv): Promise<string> {
  const s = await serve(['--project', join(tmp.dir, 'p'), '--port', '0'], {
    PATH: `${bin}:${process.env.PATH}`,
    LOCKSTEP_USER_DATA: join(tmp.dir, 'ud'),
    CI: '',
    ...env,
  })
  await new Promise((r) => setTimeout(r, 1500)) // the opener runs detached
  await s.stop()
  return s.output()
}

describe.skipIf(process.platform !== 'linux')('lockstep serve and the browser', () => {
  it('opens the printed address with xdg-open where a display exists', async () => {
    const out = await run({ DISPLAY: ':99', LOCKSTEP_NO_BROWSER: '' })
    const url = /Lockstep is serving at (\S+)/.exec(out)![1]
    expect(out).toContain('Opening it in your default browser')
    expect(readFileSync(opened, 'utf8').trim()).toBe(url)
  })

  it('says to open the address itself where there is no display, or when told not to', async () => {
    writeFileSync(opened, '')
    const noDisplay = await run({ DISPLAY: '', WAYLAND_DISPLAY: '', LOCKSTEP_NO_BROWSER: '' })
    expect(noDisplay).toMatch(
      /Not opening a browser \(no display here\): open the address above in a browser on this machine \(from another one: ssh -L (\d+):127\.0\.0\.1:\1 THIS_HOST/,
    )
    const told = await run({ DISPLAY: ':99', LOCKSTEP_NO_BROWSER: '1' })
    expect(told).toContain('Not opening a browser (LOCKSTEP_NO_BROWSER is set)')
    expect(readFileSync(opened, 'utf8')).toBe('')
    expect(existsSync(join(tmp.dir, 'p', 'lockstep.db'))).toBe(false) // serving a new folder creates nothing by itself
  })

  it('decides from flags and environment: --no-open and LOCKSTEP_NO_BROWSER win, CI never opens', () => {
    const linux = 'linux' as const
    expect(browserPolicy({}, { DISPLAY: ':0' }, linux)).toEqual({ open: true, why: 'a display exists' })
    expect(browserPolicy({}, { WAYLAND_DISPLAY: 'wayland-0' }, linux).open).toBe(true)
    expect(browserPolicy({}, {}, linux)).toEqual({ open: false, why: 'no display here' })
    expect(browserPolicy({}, {}, 'darwin').open).toBe(true)
    expect(browserPolicy({}, { DISPLAY: ':0', CI: 'true' }, linux)).toEqual({ open: false, why: 'CI is set' })
    expect(browserPolicy({ open: true }, {}, linux).open).toBe(true)
    expect(browserPolicy({ open: true }, { LOCKSTEP_NO_BROWSER: '1' }, linux).open).toBe(false)
    expect(browserPolicy({ noOpen: true }, { DISPLAY: ':0' }, linux)).toEqual({ open: false, why: '--no-open' })
    expect(browserPolicy({}, { DISPLAY: ':0', LOCKSTEP_NO_BROWSER: '0' }, linux).open).toBe(true)
  })
})
