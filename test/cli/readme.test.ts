// The README's command-line walk-through runs as written, in order, on a fresh folder (issue 14,
// item 10). The commands are read from README.md itself, so an edit that breaks them fails here.
// The only rewrite: /tmp/... paths point into a fresh temporary folder.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..', '..')

/** The commands of the first code block under "## The command line", continuation lines joined. */
export function readmeCommands(markdown: string): string[] {
  const section = markdown.split(/^## The command line$/m)[1]
  if (!section) throw new Error('README.md has no "## The command line" section')
  const block = /^```[^\n]*\n([\s\S]*?)^```/m.exec(section)
  if (!block) throw new Error('README.md\'s "The command line" section has no code block')
  return block[1]
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
}

interface Ran {
  code: number | null
  stdout: string
  stderr: string
}

function sh(command: string, env: NodeJS.ProcessEnv, untilLine?: RegExp): Promise<Ran & { url?: string }> {
  return new Promise((done, fail) => {
    const child = spawn('bash', ['-c', command], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    let stdout = ''
    let stderr = ''
    const timer = setTimeout(() => {
      process.kill(-child.pid!, 'SIGKILL')
      fail(new Error(`timed out: ${command}\n${stdout}\n${stderr}`))
    }, 240_000)
    child.stdout.on('data', async (d) => {
      stdout += d
      const m = untilLine?.exec(stdout)
      if (m) {
        // a long-running command (serve): it answered; check it, then stop it (the whole group: npx, node)
        untilLine = undefined
        const url = m[1]
        try {
          const res = await fetch(url, { redirect: 'manual' })
          stdout += `\n[test] GET ${url} -> ${res.status}\n`
        } finally {
          process.kill(-child.pid!, 'SIGTERM')
        }
      }
    })
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', fail)
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      done({ code: signal === 'SIGTERM' ? 0 : code, stdout, stderr })
    })
  })
}

describe("README's command-line walk-through", () => {
  const dir = mkdtempSync(join(tmpdir(), 'lockstep-readme-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const commands = readmeCommands(readFileSync(join(ROOT, 'README.md'), 'utf8'))
  const env = { LOCKSTEP_USER_DATA: join(dir, 'userdata'), LOCKSTEP_NO_BROWSER: '1' }
  const results: { command: string; ran: Ran }[] = []

  it('has the steps a user needs, the split before the statistics of a split', () => {
    const verbs = commands.map((c) =>
      c
        .split(/\s+/)
        .slice(2, 4)
        .filter((w) => !w.startsWith('-'))
        .join(' ')
        .replace(/ \S*\/\S*$/, ''),
    )
    const at = (v: string) => verbs.findIndex((x) => x.startsWith(v))
    for (const v of ['init', 'import', 'split', 'stats', 'export', 'replay', 'recipe convert', 'serve']) expect(at(v), v).toBeGreaterThanOrEqual(0)
    expect(at('split')).toBeGreaterThan(at('import'))
    expect(at('split')).toBeLessThan(at('stats'))
    expect(commands.every((c) => c.startsWith('npx lockstep '))).toBe(true)
  })

  it('runs every command, in order, exit status 0', { timeout: 600_000 }, async () => {
    // npx installs this checkout into its cache to run it, and npm prepares such an install: a
    // prepare that rebuilt out/ pulled the renderer from under the tests running beside this one
    const built = statSync(join(ROOT, 'out', 'renderer', 'index.html')).mtimeMs
    for (const raw of commands) {
      const command = raw.replace(/(^|\s)\/tmp\//g, `$1${dir}/`)
      const ran = await sh(command, env, / serve /.test(command) ? /Lockstep is serving at (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/ : undefined)
      results.push({ command, ran })
      expect({ command: raw, code: ran.code, stderr: ran.code ? ran.stderr : '' }).toEqual({ command: raw, code: 0, stderr: '' })
    }
    expect(statSync(join(ROOT, 'out', 'renderer', 'index.html')).mtimeMs, 'out/ was rebuilt by running the commands').toBe(built)
  })

  it('did what each step says', () => {
    const out = (verb: string) => results.find((r) => r.command.startsWith(`npx lockstep ${verb}`))!.ran.stdout
    expect(out('--help')).toMatch(/usage: lockstep <command>/)
    expect(readdirSync(join(dir, 'preview')).filter((f) => /-\d+\.png$/.test(f))).toHaveLength(8)
    expect(out('init')).toMatch(/Created project "Sample streets"/)
    expect(out('split')).toMatch(/train \d+.*val \d+.*test \d+/)
    const ls = JSON.parse(out('ls')) as { rows: unknown[]; total: number }
    expect(ls.rows.length).toBeGreaterThan(0)
    const stats = /split train: (\d+) samples/.exec(out('stats'))
    expect(Number(stats?.[1])).toBeGreaterThan(0)
    const manifest = readFileSync(join(dir, 'export', 'manifest.jsonl'), 'utf8')
      .trim()
      .split('\n')
    // every sample of the sample set is healthy and unreviewed: 5 epochs of all of them
    expect(manifest.length).toBe(5 * ls.total)
    expect(existsSync(join(dir, 'one'))).toBe(true)
    expect(JSON.parse(readFileSync(join(dir, 'recipe.json'), 'utf8')).schema).toBe('lockstep.recipe/1')
    expect(out('serve')).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+ -> 303/)
  })
})
