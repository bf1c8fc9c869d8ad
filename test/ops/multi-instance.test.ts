/**
 * Several instances behave as one service: two real server processes on different ports against
 * one PostgreSQL and one Redis (logout on A is a 401 on B at once; rate limits are shared), the
 * migrations they start at the same moment apply once, and `--cluster N` runs N workers after one
 * migration (and is refused on the embedded single-process database).
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import pg from 'pg'
import { openDatabase } from '../../src/db/client.js'
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '../helpers/database.js'
import { http, PASSWORD, ROOT, type ServerProcess, scratchDatabase, servicesAvailable, startServer, waitFor } from './support.js'

const journal = JSON.parse(readFileSync(path.join(ROOT, 'src/db/migrations/meta/_journal.json'), 'utf8')) as { entries: unknown[] }

/** drizzle's bookkeeping: every migration recorded exactly once. */
async function assertMigratedOnce(url: string) {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  try {
    const { rows } = await c.query<{ hash: string; n: string }>(
      'SELECT hash, count(*) AS n FROM drizzle.__drizzle_migrations GROUP BY hash',
    )
    assert.equal(rows.length, journal.entries.length, 'one row per migration in the journal')
    for (const r of rows) assert.equal(Number(r.n), 1, `migration ${r.hash} recorded once`)
  } finally {
    await c.end()
  }
}

/** Redis database 11: our counters do not mix with other test files sharing the same Redis. */
function isolatedRedis(url: string) {
  const u = new URL(url)
  u.pathname = '/11'
  return u.toString()
}

test('two migrations started at the same moment on a fresh database apply each migration once', async (t) => {
  if (!servicesAvailable(t)) return
  const scratch = await scratchDatabase(TEST_DATABASE_URL as string)
  t.after(() => scratch.drop())
  const a = await openDatabase({ databaseUrl: scratch.url, poolMax: 2 })
  const b = await openDatabase({ databaseUrl: scratch.url, poolMax: 2 })
  try {
    await Promise.all([a.migrate(), b.migrate(), a.migrate()])
  } finally {
    await a.close()
    await b.close()
  }
  await assertMigratedOnce(scratch.url)
})

test('two server processes share sessions and rate limits through PostgreSQL and Redis', async (t) => {
  if (!servicesAvailable(t, { redis: true })) return
  const scratch = await scratchDatabase(TEST_DATABASE_URL as string)
  const dataDir = mkdtempSync(path.join(tmpdir(), 'talangraga-multi-'))
  const servers: ServerProcess[] = []
  t.after(async () => {
    await Promise.all(servers.map((s) => s.stop()))
    await scratch.drop()
    rmSync(dataDir, { recursive: true, force: true })
  })
  const env = {
    DATABASE_URL: scratch.url,
    REDIS_URL: isolatedRedis(TEST_REDIS_URL as string),
    DATA_DIR: dataDir,
    AUTH_RATE_LIMIT: '5',
  }
  // Both start on the un-migrated database at once: the advisory lock serialises their migrations.
  const [A, B] = await Promise.all([startServer(env), startServer(env)])
  servers.push(A as ServerProcess, B as ServerProcess)
  const a = (A as ServerProcess).url
  const b = (B as ServerProcess).url
  await assertMigratedOnce(scratch.url)
  for (const base of [a, b]) {
    const ready = await http(base, 'GET', '/health/ready')
    assert.equal(ready.status, 200)
    assert.deepEqual(ready.json?.data, { status: 'ok', database: 'up', redis: 'up', rate_limits: 'shared' })
  }

  const suffix = Date.now().toString(36)
  const user = { fullname: 'Siti Multi', username: `siti${suffix}`, email: `siti${suffix}@example.test`, password: PASSWORD }
  assert.equal((await http(a, 'POST', '/auth/register', { body: user })).status, 201)

  // Logged in on A, the tokens work on B; logging out on A ends them on B at once.
  const login = await http(a, 'POST', '/auth/login', { body: { identifier: user.username, password: PASSWORD } })
  assert.equal(login.status, 200, login.text)
  const tokens = login.json?.data as { access_token: string; refresh_token: string }
  assert.equal((await http(b, 'GET', '/auth/profile', { token: tokens.access_token })).status, 200)
  assert.equal((await http(b, 'POST', '/auth/refresh', { body: { refresh_token: tokens.refresh_token } })).status, 200)
  assert.equal((await http(a, 'POST', '/auth/logout', { body: { refresh_token: tokens.refresh_token } })).status, 200)
  const after = await http(b, 'GET', '/auth/profile', { token: tokens.access_token })
  assert.equal(after.status, 401)
  assert.equal(after.json?.code, 401)
  assert.match(after.headers.get('www-authenticate') ?? '', /invalid_token/)
  assert.equal((await http(b, 'POST', '/auth/refresh', { body: { refresh_token: tokens.refresh_token } })).status, 401)

  // Wrong passwords on A until A limits; B, which has seen none of them, limits at once.
  const target = { identifier: `nobody${suffix}@example.test`, password: 'wrong-password-1' }
  let attemptsOnA = 0
  for (; attemptsOnA < 10; attemptsOnA++) {
    const res = await http(a, 'POST', '/auth/login', { body: target })
    if (res.status === 429) break
    assert.equal(res.status, 401)
  }
  assert.ok(attemptsOnA >= 3 && attemptsOnA <= 5, `A limited after ${attemptsOnA} failed attempts (AUTH_RATE_LIMIT=5)`)
  const onB = await http(b, 'POST', '/auth/login', { body: target })
  assert.equal(onB.status, 429, 'the counter is shared: B refuses the first attempt it sees')
  assert.equal(onB.json?.code, 429)
  assert.ok(Number(onB.headers.get('retry-after')) >= 1)
})

test('cluster mode is refused on the embedded single-process database with one clear line', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'talangraga-cluster-'))
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts', '--cluster', '2'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let err = ''
    child.stderr.on('data', (d) => {
      err += d
    })
    const code = await new Promise((r) => child.once('exit', r))
    assert.equal(code, 1)
    assert.match(err, /cluster mode \(2 workers\) needs DATABASE_URL; the embedded PGlite database is single-process/)
    assert.equal(err.trim().split('\n').length, 1, 'one line')
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
  // A nonsense worker count is a configuration error too.
  const bad = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      WEB_CONCURRENCY: 'lots',
      DATABASE_URL: 'postgres://x@127.0.0.1:1/x',
      SECRET_KEY: 'a'.repeat(32),
      REFRESH_SECRET_KEY: 'b'.repeat(32),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let badErr = ''
  bad.stderr.on('data', (d) => {
    badErr += d
  })
  assert.equal(await new Promise((r) => bad.once('exit', r)), 1)
  assert.match(badErr, /WEB_CONCURRENCY must be a whole number/)
})

test('--cluster 2: the primary migrates once, workers share the port and serve, SIGTERM stops them all', async (t) => {
  if (!servicesAvailable(t)) return
  const scratch = await scratchDatabase(TEST_DATABASE_URL as string)
  const dataDir = mkdtempSync(path.join(tmpdir(), 'talangraga-cluster-'))
  let server: ServerProcess | undefined
  t.after(async () => {
    await server?.stop('SIGKILL')
    await scratch.drop()
    rmSync(dataDir, { recursive: true, force: true })
  })
  const admin = { email: `root${Date.now().toString(36)}@example.test`, password: 'Zamzam-Water-Bottle-77' }
  server = await startServer({ DATABASE_URL: scratch.url, DATA_DIR: dataDir, ADMIN_EMAIL: admin.email, ADMIN_PASSWORD: admin.password }, [
    '--cluster',
    '2',
  ])
  const readyPids = () =>
    new Set(
      server
        ?.output()
        .split('\n')
        .filter((l) => l.includes('Talangraga Umroh API ready'))
        .map((l) => JSON.parse(l).pid),
    )
  await waitFor('both workers listening', async () => readyPids().size === 2)
  await assertMigratedOnce(scratch.url)
  // The bootstrap admin was created once, by the primary, not raced by the workers.
  const c = new pg.Client({ connectionString: scratch.url })
  await c.connect()
  const { rows } = await c.query("SELECT count(*)::int AS n FROM users WHERE user_type = 'admin'")
  await c.end()
  assert.equal(rows[0].n, 1)
  const results = await Promise.all(
    Array.from({ length: 6 }, () =>
      http(server!.url, 'POST', '/auth/login', { body: { identifier: admin.email, password: admin.password } }),
    ),
  )
  for (const r of results) assert.equal(r.status, 200, r.text)
  assert.equal(readyPids().size, 2, 'two workers, still both up')
  assert.equal(await server.stop('SIGTERM'), 0)
})
