/**
 * How production starts the server (scripts/start.sh: the container entrypoint and npm start; migrate,
 * then exec the server): on the embedded default, and against PostgreSQL when available. The
 * server must become ready, serve, and stop cleanly on SIGTERM (exec: the signal reaches node).
 * The script runs the compiled server, so the file builds dist/ first, as the image does.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { before, test } from 'node:test'
import { TEST_DATABASE_URL } from '../helpers/database.js'
import { http, ROOT, scratchDatabase, servicesAvailable, startServer } from './support.js'

const ENTRYPOINT = path.join(ROOT, 'scripts', 'start.sh')

before(() => {
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'pipe' })
})

async function runEntrypoint(env: Record<string, string>) {
  const server = await startServer({ NODE_ENV: 'production', ...env }, [], ENTRYPOINT)
  try {
    const ready = await http(server.url, 'GET', '/health/ready')
    assert.equal(ready.status, 200, ready.text)
    assert.match(server.output(), /migrations applied/)
    const docs = await http(server.url, 'GET', '/openapi.json')
    assert.equal(docs.status, 200)
    // exec: the script's pid is now node's, started with the memory settings (docs/operations.md).
    const pid = server.proc.pid as number
    assert.match(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), /--max-old-space-size=512\0dist\/server\.js/)
    assert.match(readFileSync(`/proc/${pid}/environ`, 'utf8'), /(^|\0)MALLOC_MMAP_THRESHOLD_=131072\0/)
  } finally {
    assert.equal(await server.stop('SIGTERM'), 0, 'graceful exit on SIGTERM')
  }
  return server
}

test('scripts/start.sh on the embedded default: migrates, serves, stops on SIGTERM', { timeout: 120_000 }, async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'talangraga-entry-'))
  try {
    await runEntrypoint({ DATA_DIR: dataDir })
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
})

test('scripts/start.sh against PostgreSQL', { timeout: 120_000 }, async (t) => {
  if (!servicesAvailable(t)) return
  const scratch = await scratchDatabase(TEST_DATABASE_URL as string)
  const dataDir = mkdtempSync(path.join(tmpdir(), 'talangraga-entry-'))
  try {
    await runEntrypoint({ DATA_DIR: dataDir, DATABASE_URL: scratch.url })
  } finally {
    await scratch.drop()
    rmSync(dataDir, { recursive: true, force: true })
  }
})
