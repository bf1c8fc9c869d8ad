/**
 * Faults, for real: the app runs against its own PostgreSQL cluster and its own redis-server
 * (started here on free ports, never the shared ones), which the tests stop and start again.
 *   - PostgreSQL down: requests answer 503 in the envelope within DATABASE_TIMEOUT_MS, ready is
 *     503, an upload that could not be recorded leaves no file, and the same process serves again
 *     when PostgreSQL is back.
 *   - Redis down: the server keeps serving with per-process rate limits (still enforced), says so
 *     in the log and in /health/ready, and shares limits again when Redis returns.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import pg from 'pg'
import sharp from 'sharp'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import {
  http,
  PASSWORD,
  type PgCluster,
  type RedisServer,
  SECRET_A,
  SECRET_R,
  servicesAvailable,
  startPgCluster,
  startRedis,
  waitFor,
} from './support.js'

const TIMEOUT_MS = 1500

/** Every regular file below `dir` (relative paths); none when it does not exist. */
function filesUnder(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
  } catch {
    return []
  }
}

async function startApp(env: Record<string, string>) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'talangraga-faults-'))
  const logs: string[] = []
  const config = loadConfig({
    DATA_DIR: dataDir,
    SECRET_KEY: SECRET_A,
    REFRESH_SECRET_KEY: SECRET_R,
    DATABASE_TIMEOUT_MS: String(TIMEOUT_MS),
    LOG_LEVEL: 'info',
    // Load shedding would measure the busy test machine; these tests are about database faults.
    MAX_EVENT_LOOP_DELAY_MS: '0',
    ...env,
  })
  const app = await buildApp(config, { logger: { level: 'info', stream: { write: (line: string) => logs.push(line) } } })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as { port: number }
  return {
    app,
    base: `http://127.0.0.1:${port}`,
    dataDir,
    logs,
    async close() {
      await app.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

async function registerAndLogin(base: string, suffix: string) {
  const user = { fullname: 'Fault Tester', username: `fault${suffix}`, email: `fault${suffix}@example.test`, password: PASSWORD }
  const reg = await http(base, 'POST', '/auth/register', { body: user })
  assert.equal(reg.status, 201, reg.text)
  const login = await http(base, 'POST', '/auth/login', { body: { identifier: user.username, password: PASSWORD } })
  assert.equal(login.status, 200, login.text)
  const data = login.json?.data as { access_token: string; refresh_token: string; user: { id: number } }
  return { user, tokens: data, userId: data.user.id }
}

/** A registration form with a profile image (stored before the database write). */
function registerForm(png: Buffer) {
  const form = new FormData()
  const suffix = `x${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`
  form.set('fullname', 'Half Written')
  form.set('username', `half${suffix}`)
  form.set('email', `half${suffix}@example.test`)
  form.set('password', PASSWORD)
  form.set('image_profile', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'me.png')
  return form
}

async function postForm(base: string, url: string, form: FormData, token?: string) {
  const started = performance.now()
  const res = await fetch(`${base}${url}`, {
    method: 'POST',
    body: form,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    signal: AbortSignal.timeout(30_000),
  })
  const body = (await res.json()) as { code: number; message: string; data: unknown }
  return { status: res.status, body, ms: performance.now() - started }
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now()
  const value = await fn()
  return { ms: performance.now() - start, value }
}

function assertUnavailable(res: Awaited<ReturnType<typeof http>>, ms: number) {
  assert.equal(res.status, 503, res.text)
  assert.equal(res.json?.code, 503)
  assert.equal(res.json?.data, null)
  assert.equal(typeof res.json?.message, 'string')
  assert.ok(ms < TIMEOUT_MS + 1000, `answered in ${Math.round(ms)} ms, not past DATABASE_TIMEOUT_MS`)
}

test('service faults against private PostgreSQL and Redis', { timeout: 240_000 }, async (t) => {
  if (!servicesAvailable(t, { binaries: true })) return
  let pgc: PgCluster | undefined
  let redis: RedisServer | undefined
  t.after(async () => {
    await redis?.kill()
    await pgc?.destroy()
  })
  pgc = await startPgCluster()
  redis = await startRedis()
  const cluster = pgc
  const redisServer = redis

  await t.test('PostgreSQL stopped mid-run: fast 503s, ready 503, no half-written upload, recovery in the same process', async (st) => {
    const s = await startApp({ DATABASE_URL: cluster.url, REDIS_URL: redisServer.url, AUTH_RATE_LIMIT: '100' })
    try {
      const { user, tokens, userId } = await registerAndLogin(s.base, Date.now().toString(36))
      assert.equal((await http(s.base, 'GET', '/auth/profile', { token: tokens.access_token })).status, 200)
      assert.equal((await http(s.base, 'GET', '/health/ready')).status, 200)
      const filesDir = path.join(s.dataDir, 'files')
      const filesBefore = filesUnder(filesDir)
      const png = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#3a7' } })
        .png()
        .toBuffer()

      await cluster.stop()

      const profile = await timed(() => http(s.base, 'GET', '/auth/profile', { token: tokens.access_token }))
      assertUnavailable(profile.value, profile.ms)
      const login = await timed(() => http(s.base, 'POST', '/auth/login', { body: { identifier: user.email, password: PASSWORD } }))
      assertUnavailable(login.value, login.ms)
      const ready = await timed(() => http(s.base, 'GET', '/health/ready'))
      assert.equal(ready.value.status, 503)
      assert.equal(ready.value.json?.code, 503)
      assert.deepEqual(ready.value.json?.data, { status: 'unavailable', database: 'down', redis: 'up', rate_limits: 'shared' })
      assert.ok(ready.ms < 3000)

      // While the database is down nothing is accepted (the identity check fails first).
      const down = await postForm(s.base, '/auth/register', registerForm(png))
      assert.equal(down.status, 503)
      assert.ok(down.ms < TIMEOUT_MS + 2000)
      assert.deepEqual(filesUnder(filesDir), filesBefore)

      await cluster.start()
      await waitFor('ready again', async () => (await http(s.base, 'GET', '/health/ready')).status === 200, 30_000)
      // Same process, same session: the token issued before the outage works again.
      assert.equal((await http(s.base, 'GET', '/auth/profile', { token: tokens.access_token })).status, 200)
      const again = await http(s.base, 'POST', '/auth/login', { body: { identifier: user.email, password: PASSWORD } })
      assert.equal(again.status, 200, again.text)
      assert.ok(
        s.logs.some((l) => l.includes('database unavailable')),
        'outage logged',
      )

      // The connection dies exactly at the write, after the upload was processed and stored:
      // a trigger terminates the session's own backend on INSERT. The stored image must be
      // removed again and the request answered 503: nothing half-written.
      const pgc = new pg.Client({ connectionString: cluster.url })
      await pgc.connect()
      try {
        await pgc.query(`CREATE FUNCTION ops_test_die() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NEW; END $$`)
        await pgc.query('CREATE TRIGGER ops_test_die BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION ops_test_die()')
        const res = await postForm(s.base, '/auth/register', registerForm(png))
        assert.equal(res.status, 503, JSON.stringify(res.body))
        assert.equal(res.body.code, 503)
        assert.deepEqual(filesUnder(filesDir), filesBefore, 'the stored profile image was removed again')
        const { rows } = await pgc.query("SELECT count(*)::int AS n FROM users WHERE fullname = 'Half Written'")
        assert.equal(rows[0].n, 0)

        // Deposits, when the transactions module is present: same property for the receipt.
        if (s.app.hasRoute({ method: 'POST', url: '/transactions' })) {
          await pgc.query('CREATE TRIGGER ops_test_die BEFORE INSERT ON transactions FOR EACH ROW EXECUTE FUNCTION ops_test_die()')
          const deposit = new FormData()
          deposit.set('userId', String(userId))
          deposit.set('amount', '150000')
          deposit.set('transaction_date', '2026-03-01 10:00')
          deposit.set('file', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'receipt.png')
          const dep = await postForm(s.base, '/transactions', deposit, tokens.access_token)
          assert.equal(dep.status, 503, JSON.stringify(dep.body))
          assert.deepEqual(filesUnder(filesDir), filesBefore, 'the stored receipt was removed again')
          const { rows: txs } = await pgc.query('SELECT count(*)::int AS n FROM transactions')
          assert.equal(txs[0].n, 0)
          st.diagnostic('deposit with the connection dying at the write: 503, receipt removed')
        } else st.diagnostic('transactions module absent: deposit check skipped')
      } finally {
        await pgc.query('DROP TRIGGER IF EXISTS ops_test_die ON users')
        await pgc.query('DROP TRIGGER IF EXISTS ops_test_die ON transactions')
        await pgc.query('DROP FUNCTION IF EXISTS ops_test_die()')
        await pgc.end()
      }
      assert.equal((await http(s.base, 'GET', '/auth/profile', { token: tokens.access_token })).status, 200, 'pool recovered')
    } finally {
      await s.close()
    }
  })

  await t.test('Redis down: keeps serving with per-process limits, says so, shares again when Redis returns', async () => {
    // A fresh (non-persistent) Redis: no counters left from the previous subtest.
    await redisServer.kill()
    await redisServer.start()
    const s = await startApp({ DATABASE_URL: cluster.url, REDIS_URL: redisServer.url, AUTH_RATE_LIMIT: '3' })
    try {
      const ready = await http(s.base, 'GET', '/health/ready')
      assert.deepEqual(ready.json?.data, { status: 'ok', database: 'up', redis: 'up', rate_limits: 'shared' })
      const { user } = await registerAndLogin(s.base, `r${Date.now().toString(36)}`)

      await redisServer.kill()
      const redisState = async () => ((await http(s.base, 'GET', '/health/ready')).json?.data as { redis?: string } | undefined)?.redis
      await waitFor('redis reported down', async () => (await redisState()) === 'down')
      const degraded = await http(s.base, 'GET', '/health/ready')
      assert.equal(degraded.status, 200, 'Redis down is degraded, not unavailable')
      assert.deepEqual(degraded.json?.data, { status: 'degraded', database: 'up', redis: 'down', rate_limits: 'per_process' })
      assert.match(degraded.json?.message ?? '', /degraded/)
      assert.ok(
        s.logs.some((l) => /Redis unreachable/.test(l) && /"level":40/.test(l)),
        'the fallback is in the log as a warning',
      )

      // Still serving, and the limits still hold (never fail open).
      const ok = await timed(() => http(s.base, 'POST', '/auth/login', { body: { identifier: user.username, password: PASSWORD } }))
      assert.equal(ok.value.status, 200, ok.value.text)
      assert.ok(ok.ms < 10_000, `login answered in ${Math.round(ok.ms)} ms with Redis down`)
      const target = { identifier: `ghost${Date.now().toString(36)}`, password: 'not-the-password' }
      const statuses: number[] = []
      for (let i = 0; i < 5; i++) statuses.push((await http(s.base, 'POST', '/auth/login', { body: target })).status)
      assert.ok(statuses.includes(429), `per-process limit enforced: ${statuses.join(',')}`)

      await redisServer.start()
      await waitFor('redis back', async () => (await redisState()) === 'up', 30_000)
      const back = await http(s.base, 'GET', '/health/ready')
      assert.deepEqual(back.json?.data, { status: 'ok', database: 'up', redis: 'up', rate_limits: 'shared' })
      assert.ok(s.logs.some((l) => l.includes('Redis reachable again')))
    } finally {
      await s.close()
    }
  })
})
