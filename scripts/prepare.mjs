// npm's `prepare`: builds out/ after `npm install` / `npm ci` in this checkout. Skipped when npm
// runs it for `npx lockstep` (npm exec installs the checkout into its cache as a file: dependency
// and prepares it): that would rebuild out/ under a running studio or test run; `npm run build`
// and `npm start` build when asked.
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'

if (process.env.npm_command === 'exec') process.exit(0)
const root = join(import.meta.dirname, '..')
const r = spawnSync(process.execPath, [join(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'], { cwd: root, stdio: 'inherit' })
process.exit(r.status ?? 1)
