// `npm run build`: compile src/ to dist/ (the production server runs plain JavaScript: no
// TypeScript loader in memory or on the start-up path), copy the SQL migrations beside it, and
// build the treasurer's console (console/, Vite) into dist/console, which the server serves at /console.
import { execFileSync } from 'node:child_process'
import { cpSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { stdio: 'inherit' })
rmSync('dist/db/migrations', { recursive: true, force: true })
cpSync('src/db/migrations', 'dist/db/migrations', { recursive: true })
const { build } = await import('vite')
await build({ configFile: 'console/vite.config.ts', logLevel: 'warn' })
