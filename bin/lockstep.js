#!/usr/bin/env node
// The `lockstep` bin: runs the built CLI (out/main/cli.js, made by `npm run build`, which
// `npm install` runs through the prepare script).
import { existsSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'

const cli = fileURLToPath(new URL('../out/main/cli.js', import.meta.url))
if (!existsSync(cli)) {
  console.error('lockstep: the CLI is not built yet; run `npm run build` in the checkout first')
  process.exit(1)
}
await import(pathToFileURL(cli).href)
