/**
 * /metrics (Prometheus, prom-client) and the request log lines: the route refuses without the
 * METRICS_TOKEN and does not exist without one configured; a served request shows up under its
 * route pattern and status; rate-limit refusals are counted; "request completed" lines of an
 * authenticated request carry the user id beside the request id.
 */
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { test } from 'node:test'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { build, userWithToken } from '../helpers/app.js'

const TOKEN = 'metrics-token-0123456789abcdef'

test('/metrics needs the bearer token and shows the requests served, by route pattern', async () => {
  const t = await build({ METRICS_TOKEN: TOKEN })
  const { user, tokens, auth } = await userWithToken(t, 'member')
  const seen = await t.app.inject({ method: 'GET', url: `/users/${user.id}`, headers: auth })
  assert.equal(seen.statusCode, 200, seen.body)

  const none = await t.app.inject({ method: 'GET', url: '/metrics' })
  assert.equal(none.statusCode, 401)
  assert.equal(none.json().code, 401)
  assert.equal(none.json().data, null)
  const wrong = await t.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${TOKEN}x` } })
  assert.equal(wrong.statusCode, 401)
  // A user's access token is not the metrics token.
  const userToken = await t.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${tokens.access_token}` } })
  assert.equal(userToken.statusCode, 401)

  const ok = await t.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } })
  assert.equal(ok.statusCode, 200)
  assert.match(ok.headers['content-type'] as string, /^text\/plain; version=0\.0\.4/)
  // The pattern, not /users/<id>: one series however many users there are.
  assert.match(ok.body, /http_requests_total\{method="GET",route="\/users\/:id",status="200"\} 1/)
  assert.doesNotMatch(ok.body, new RegExp(`route="/users/${user.id}"`))
  assert.match(ok.body, /http_request_duration_seconds_bucket\{le="[^"]+",method="GET",route="\/users\/:id",status="200"\}/)
  assert.match(ok.body, /http_requests_total\{method="GET",route="\/metrics",status="401"\} 3/)
  assert.match(ok.body, /process_resident_memory_bytes \d+/)
  assert.match(ok.body, /nodejs_eventloop_lag_seconds /)
  if (t.app.database.kind === 'pg') assert.match(ok.body, /db_pool_connections\{state="total"\} \d+/)
  if (t.app.database.kind === 'pg') assert.match(ok.body, /^db_auth_changes_listening 1$/m, "the test database's listener is up")
})

test('/metrics counts rate-limit refusals', async () => {
  const t = await build({ METRICS_TOKEN: TOKEN, AUTH_RATE_LIMIT: '2' })
  for (let i = 0; i < 4; i++) {
    await t.app.inject({ method: 'POST', url: '/auth/login', payload: { identifier: 'nobody-here', password: 'Wrong-password-123' } })
  }
  const ok = await t.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } })
  assert.match(ok.body, /rate_limit_refusals_total\{route="\/auth\/login"\} [1-9]/)
})

test('without METRICS_TOKEN there is no /metrics route', async () => {
  const t = await build()
  const res = await t.app.inject({ method: 'GET', url: '/metrics' })
  assert.equal(res.statusCode, 404)
  assert.equal(res.json().data, null)
})

test('the "request completed" line of an authenticated request names the user and the request id', async () => {
  const t = await build()
  const { user, auth } = await userWithToken(t, 'member')
  const lines: Record<string, unknown>[] = []
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l))
      done()
    },
  })
  const config = loadConfig({
    DATA_DIR: t.dataDir,
    LOG_LEVEL: 'info',
    SECRET_KEY: t.app.config.secrets.access,
    REFRESH_SECRET_KEY: t.app.config.secrets.refresh,
  })
  const app = await buildApp(config, { database: t.db.database, logger: { level: 'info', stream } })
  try {
    const res = await app.inject({ method: 'GET', url: '/auth/profile', headers: auth })
    assert.equal(res.statusCode, 200, res.body)
    const anonymous = await app.inject({ method: 'GET', url: '/health/live' })
    assert.equal(anonymous.statusCode, 200)
  } finally {
    await app.close()
  }
  const completed = lines.filter((l) => l.msg === 'request completed')
  assert.equal(completed.length, 2)
  const [profile, health] = completed as [Record<string, unknown>, Record<string, unknown>]
  assert.equal(profile.userId, user.id)
  assert.match(String(profile.reqId), /^[0-9a-f-]{36}$/)
  assert.equal(health.userId, undefined)
  assert.match(String(health.reqId), /^[0-9a-f-]{36}$/)
})

test('logs are JSON unless in development on a terminal with pino-pretty installed', async () => {
  const { loggerOptions } = await import('../../src/app.js')
  const dev = loadConfig({
    NODE_ENV: 'development',
    DATA_DIR: '/tmp/unused-log-test',
    SECRET_KEY: 'x'.repeat(32),
    REFRESH_SECRET_KEY: 'y'.repeat(32),
  })
  const prod = loadConfig({
    NODE_ENV: 'production',
    DATA_DIR: '/tmp/unused-log-test',
    SECRET_KEY: 'x'.repeat(32),
    REFRESH_SECRET_KEY: 'y'.repeat(32),
  })
  assert.equal((loggerOptions(dev, true) as { transport?: { target: string } }).transport?.target, 'pino-pretty')
  assert.equal((loggerOptions(dev, false) as { transport?: unknown }).transport, undefined)
  assert.equal((loggerOptions(prod, true) as { transport?: unknown }).transport, undefined)
})
