// Prints one plain closing line, `Tests: N passed, N failed, N skipped`, after vitest's own
// summary, so a CI log reader sees the counts whatever runner it knows. Skipped tests print
// their reason in their own output; this line only counts them.
import type { Reporter, TestModule } from 'vitest/node'

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0
    let failed = 0
    let skipped = 0
    for (const mod of testModules) {
      for (const test of mod.children.allTests()) {
        const state = test.result().state
        if (state === 'passed') passed++
        else if (state === 'failed') failed++
        else if (state === 'skipped') skipped++
      }
      if (mod.state() === 'failed' && [...mod.children.allTests()].length === 0) failed++ // a file that failed to load
    }
    process.stdout.write(`\nTests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`)
  }
}
