/**
 * `npm run openapi [-- out.json]`: the OpenAPI document exactly as the server serves it at
 * /openapi.json, built from the same app factory on a throw-away in-memory database (no server,
 * no data directory). Used by the lint step and by the console's typed-client generation.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { openDatabase } from '../src/db/client.js'

const out = process.argv[2] ?? 'openapi.json'
mkdirSync(path.dirname(path.resolve(out)), { recursive: true })
const dataDir = mkdtempSync(path.join(tmpdir(), 'talangraga-openapi-'))
try {
  const database = await openDatabase({ pgliteDir: 'memory://', poolMax: 1, timeoutMs: 10_000 })
  await database.migrate()
  const config = loadConfig({
    DATA_DIR: dataDir,
    SECRET_KEY: 'openapi-dump-only-0123456789abcdef0123456789',
    REFRESH_SECRET_KEY: 'openapi-dump-only-refresh-0123456789abcdef01',
    LOG_LEVEL: 'silent',
  })
  const app = await buildApp(config, { database, logger: false })
  await app.ready()
  const res = await app.inject({ method: 'GET', url: '/openapi.json' })
  writeFileSync(out, `${JSON.stringify(JSON.parse(res.body), null, 2)}\n`)
  await app.close()
  await database.close()
} finally {
  rmSync(dataDir, { recursive: true, force: true })
}
