import { resolve } from 'node:path'
import { defineConfig } from 'vitest/config'
import vue from '@vitejs/plugin-vue'

export default defineConfig({
  plugins: [vue()],
  resolve: { alias: { '@shared': resolve(import.meta.dirname, 'src/shared') } },
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // expect.poll waits for what a user would see (a grid reloaded after an undo, a field's error
    // after a round trip): 1 s (the default) is a tick on a loaded 2-core machine, not a verdict
    expect: { poll: { timeout: 15_000 } },
    // 2 cores: sharp and SQLite tests are I/O and CPU heavy; two forks keep them from starving.
    pool: 'forks',
    maxWorkers: 2,
  },
})
