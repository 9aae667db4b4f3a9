import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import vue from '@vitejs/plugin-vue'

// main: the Electron entry, the headless CLI and the export and preview workers share one bundle graph.
export default defineConfig({
  main: {
    build: {
      // zod is ~40 small ES modules: bundled, the CLI loads one chunk instead (start-up of
      // `lockstep export` on one pair: see the issue-2 note)
      externalizeDeps: { exclude: ['zod'] },
      rolldownOptions: {
        input: {
          index: resolve(__dirname, 'src/main/index.ts'),
          cli: resolve(__dirname, 'src/main/cli/index.ts'),
          'export-worker': resolve(__dirname, 'src/main/export/worker.ts'),
          'preview-worker': resolve(__dirname, 'src/main/augment/preview-worker.ts'),
          lib: resolve(__dirname, 'src/main/lib.ts'),
        },
      },
    },
  },
  preload: {
    // A sandboxed preload must be CommonJS.
    build: { rolldownOptions: { output: { format: 'cjs', entryFileNames: '[name].cjs' } } },
  },
  renderer: {
    resolve: { alias: { '@shared': resolve(__dirname, 'src/shared') } },
    plugins: [vue()],
  },
})
