// Security gate: Electronegativity's programmatic API over src/ (its CLI exits 0 even with
// findings). Any finding of medium severity or higher fails unless electronegativity-allow.json
// lists it with a reason; an allow-list entry that matches nothing fails too.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const require = createRequire(import.meta.url)
const root = join(import.meta.dirname, '../..')

interface Issue {
  id: string
  file: string
  location: { line: number; column: number }
  severity: { name: string; value: number }
  confidence: { name: string; value: number }
  description: string
  manualReview: boolean
}
interface Allow {
  excludedChecks: { check: string; reason: string }[]
  allowed: { id: string; file: string; reason: string }[]
}

describe('Electronegativity', () => {
  it('finds nothing of medium severity or higher in src/ that the allow-list does not explain', async () => {
    const run = require('@doyensec/electronegativity') as (
      o: object,
    ) => Promise<{ issues: Issue[]; errors: { file: string; message: string }[]; atomicChecks: number; globalChecks: number }>
    const { severity } = require('@doyensec/electronegativity/dist/finder/attributes') as { severity: Record<string, { value: number }> }
    const allow = JSON.parse(readFileSync(join(import.meta.dirname, 'electronegativity-allow.json'), 'utf8')) as Allow
    for (const e of [...allow.excludedChecks, ...allow.allowed]) expect(e.reason.length, JSON.stringify(e)).toBeGreaterThan(40)

    const electron = JSON.parse(readFileSync(join(root, 'node_modules/electron/package.json'), 'utf8')).version as string
    const result = await run({
      input: join(root, 'src'),
      isRelative: true,
      electronVersionOverride: electron,
      excludeFromScan: allow.excludedChecks.map((c) => c.check),
    })
    expect(result.atomicChecks).toBeGreaterThan(30)
    expect(result.globalChecks).toBeGreaterThan(3)
    // A file it could not parse is a file it did not check.
    expect(result.errors).toEqual([])

    const serious = result.issues.filter((i) => i.severity.value >= severity.MEDIUM.value)
    const explained = (i: Issue) => allow.allowed.some((a) => a.id === i.id && a.file === i.file)
    const unexplained = serious.filter((i) => !explained(i)).map((i) => `${i.id} ${i.severity.name} at src/${i.file}:${i.location.line}: ${i.description}`)
    expect(unexplained, 'fix these or add them to test/doors/electronegativity-allow.json with a reason').toEqual([])
    const stale = allow.allowed.filter((a) => !serious.some((i) => i.id === a.id && i.file === a.file))
    expect(stale, 'allow-list entries that match no finding: remove them').toEqual([])
  })
})
