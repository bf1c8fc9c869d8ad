/**
 * Rate limits on the auth endpoints (AUTH_RATE_LIMIT = N attempts per minute per identifier and
 * account, 10N failures per client address), with 429 + Retry-After capped at 15 minutes; correct
 * logins cost nothing; and, with Redis, one budget shared by every instance.
 * Every run uses fresh identifiers and client addresses, so reruns within the Redis key lifetime
 * (one minute) never see each other's counters.
 */
import assert from 'node:assert/strict'
import { createHash, randomBytes, randomInt } from 'node:crypto'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'drizzle-orm'
import type { LightMyRequestResponse } from 'fastify'
import { MAX_BACKOFF_MS, windowAfter } from '../../src/plugins/rate-limit.js'
import { build, createUser, DEFAULT_PASSWORD, type TestApp, unique } from '../helpers/app.js'
import { TEST_REDIS_URL } from '../helpers/database.js'

const t = await build({ AUTH_RATE_LIMIT: '3' })

/** A loopback address nobody else uses in this run (inject never opens a socket). */
const freshIp = () => `127.${randomInt(1, 255)}.${randomInt(1, 255)}.${randomInt(1, 255)}`

const attempt = (app: TestApp, identifier: string, remoteAddress: string, password = 'Wrong-Password-123') =>
  app.app.inject({ method: 'POST', url: '/auth/login', payload: { identifier, password }, remoteAddress })

function assertLimited(res: LightMyRequestResponse, what: string) {
  assert.equal(res.statusCode, 429, `${what}: ${res.body}`)
  assert.equal(res.json().code, 429)
  assert.equal(res.json().data, null)
  const retry = Number(res.headers['retry-after'])
  assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= MAX_BACKOFF_MS / 1000, `Retry-After ${res.headers['retry-after']}`)
}

test('login: per identifier, across client addresses and phone formats', async () => {
  const phone = `+62813${randomInt(10_000_000, 99_999_999)}`
  const user = await createUser(t, { phone })
  const digits = phone.slice(3)
  const formats = [`0${digits}`, phone, `62${digits}`]
  for (const identifier of formats) {
    const r = await attempt(t, identifier, freshIp())
    assert.equal(r.statusCode, 401, `${identifier}: ${r.body}`)
  }
  // Fourth attempt from yet another address, even with the right password: throttled.
  assertLimited(await attempt(t, `0${digits}`, freshIp(), DEFAULT_PASSWORD), 'same account, new address')
  assert.equal(user.role, 'member')
})

test('login: one budget per account across email, username and phone', async () => {
  const phone = `+62814${randomInt(10_000_000, 99_999_999)}`
  const user = await createUser(t, { phone })
  // Three different identifier forms from three addresses: each form and address is fresh.
  for (const identifier of [user.email, user.username.toUpperCase(), phone]) {
    const r = await attempt(t, identifier, freshIp())
    assert.equal(r.statusCode, 401, `${identifier}: ${r.body}`)
  }
  assertLimited(await attempt(t, `0${phone.slice(3)}`, freshIp(), DEFAULT_PASSWORD), 'same account, fourth form')
})

test('login: per client address, across identifiers (10x the per-account budget, failures only)', async () => {
  const ip = freshIp()
  for (let i = 0; i < 30; i++) {
    assert.equal((await attempt(t, `${unique('nobody')}@example.test`, ip)).statusCode, 401)
  }
  assertLimited(await attempt(t, `${unique('nobody')}@example.test`, ip), 'same address, new identifier')
  // Another address and another account are unaffected.
  const other = await createUser(t)
  assert.equal((await attempt(t, other.username, freshIp(), DEFAULT_PASSWORD)).statusCode, 200)
})

test('forgot-password and reset-password are limited per client address', async () => {
  const ip = freshIp()
  const forgot = () =>
    t.app.inject({ method: 'POST', url: '/auth/forgot-password', payload: { email: `${unique('f')}@example.test` }, remoteAddress: ip })
  for (let i = 0; i < 9; i++) assert.equal((await forgot()).statusCode, 200)
  assertLimited(await forgot(), 'forgot-password')

  const reset = () =>
    t.app.inject({
      method: 'POST',
      url: '/auth/reset-password',
      remoteAddress: ip,
      payload: { reset_token: 'x'.repeat(43), new_password: 'Nope-Nope-Nope-1', confirm_new_password: 'Nope-Nope-Nope-1' },
    })
  for (let i = 0; i < 3; i++) assert.equal((await reset()).statusCode, 400)
  assertLimited(await reset(), 'reset-password')
})

async function redisReady(app: TestApp) {
  for (let i = 0; i < 50 && app.app.redis?.status !== 'ready'; i++) await sleep(100)
  assert.equal(app.app.redis?.status, 'ready', 'Redis connected')
}

test('with Redis, two instances share one budget', { skip: TEST_REDIS_URL ? false : 'TEST_REDIS_URL not set' }, async () => {
  const a = await build({ AUTH_RATE_LIMIT: '3' }, { redis: true })
  const b = await build({ AUTH_RATE_LIMIT: '3' }, { redis: true })
  await Promise.all([redisReady(a), redisReady(b)])
  assert.equal(a.app.limits.degraded(), false)

  const identifier = `${unique('shared')}@example.test`
  assert.equal((await attempt(a, identifier, freshIp())).statusCode, 401)
  assert.equal((await attempt(b, identifier, freshIp())).statusCode, 401)
  assert.equal((await attempt(a, identifier, freshIp())).statusCode, 401)
  // Three attempts were spread over both instances; the fourth is refused by either one.
  assertLimited(await attempt(b, identifier, freshIp()), 'instance b, shared identifier')
  assertLimited(await attempt(a, identifier, freshIp()), 'instance a, shared identifier')

  const ip = freshIp()
  for (let i = 0; i < 30; i++) assert.equal((await attempt(i % 2 ? a : b, `${unique('n')}@example.test`, ip)).statusCode, 401)
  assertLimited(await attempt(b, `${unique('n')}@example.test`, ip), 'instance b, shared address')

  // Keys carry one fixed prefix (it once read "talangraga-rl-undefinedundefined-").
  const redis = a.app.redis
  assert.ok(redis)
  assert.equal(await redis.exists(`talangraga-rl:login:ip:${ip}`), 1)
  const ttl = await redis.pttl(`talangraga-rl:login:ip:${ip}`)
  assert.ok(ttl > 0 && ttl <= MAX_BACKOFF_MS, `ttl ${ttl}`)
})

test('refresh, register and change-password are limited too', async () => {
  const user = await createUser(t)
  const tokens = (await attempt(t, user.username, freshIp(), DEFAULT_PASSWORD)).json().data
  const auth = { authorization: `Bearer ${tokens.access_token}` }

  // Guessing the current password through change-password is throttled per account (3/min here).
  const change = () =>
    t.app.inject({
      method: 'POST',
      url: '/auth/change-password',
      headers: auth,
      remoteAddress: freshIp(),
      payload: { current_password: 'Guess-Guess-123', new_password: 'Brand-New-Pass-77', confirm_new_password: 'Brand-New-Pass-77' },
    })
  for (let i = 0; i < 3; i++) assert.equal((await change()).statusCode, 422)
  assertLimited(await change(), 'change-password')

  // Refresh: successful refreshes cost nothing; 6x the login budget of failures per address.
  const ip = freshIp()
  const refresh = (token = tokens.refresh_token) =>
    t.app.inject({ method: 'POST', url: '/auth/refresh', headers: { authorization: `Bearer ${token}` }, remoteAddress: ip })
  for (let i = 0; i < 30; i++) assert.equal((await refresh()).statusCode, 200, `refresh #${i + 1}`)
  for (let i = 0; i < 18; i++) assert.equal((await refresh('not-a-token')).statusCode, 401, `bad refresh #${i + 1}`)
  assertLimited(await refresh(), 'refresh')

  // Registration allows 6x the login budget per address.
  const regIp = freshIp()
  const register = () => {
    const username = unique('rl')
    return t.app.inject({
      method: 'POST',
      url: '/auth/register',
      remoteAddress: regIp,
      payload: { fullname: 'Rate Limited', username, email: `${username}@example.test`, password: DEFAULT_PASSWORD },
    })
  }
  for (let i = 0; i < 18; i++) assert.equal((await register()).statusCode, 201, `register #${i + 1}`)
  assertLimited(await register(), 'register')
})

test('backoff doubles past the budget but never beyond 15 minutes', () => {
  assert.equal(windowAfter(3, 3, 60_000), 60_000)
  assert.equal(windowAfter(4, 3, 60_000), 120_000)
  assert.equal(windowAfter(5, 3, 60_000), 240_000)
  assert.equal(windowAfter(25, 3, 60_000), MAX_BACKOFF_MS)
  assert.equal(windowAfter(10_000, 3, 60_000), MAX_BACKOFF_MS)
  assert.equal(MAX_BACKOFF_MS, 15 * 60_000)
})

test('25 wrong passwords lock an account for at most 15 minutes, and a reset unlocks it at once', async () => {
  const victim = await createUser(t)
  let last: LightMyRequestResponse | undefined
  for (let i = 0; i < 25; i++) last = await attempt(t, victim.username, freshIp())
  assert.ok(last)
  assertLimited(last, 'victim after 25 attempts')
  // Before the cap this was 11 days.
  assert.ok(Number(last.headers['retry-after']) <= 900, `Retry-After ${last.headers['retry-after']}`)
  assertLimited(await attempt(t, victim.email, freshIp(), DEFAULT_PASSWORD), 'victim, right password, while locked')

  // The owner resets the password (a reset code as the mail would carry it).
  const code = randomBytes(32).toString('base64url')
  await t.db.database.db.execute(
    sql`insert into password_reset_tokens (user_id, token_hash, expires_at)
        values (${victim.id}, ${createHash('sha256').update(code).digest('hex')}, now() + interval '30 minutes')`,
  )
  const newPassword = 'Sajadah-Hijau-Baru-2026'
  const reset = await t.app.inject({
    method: 'POST',
    url: '/auth/reset-password',
    remoteAddress: freshIp(),
    payload: { reset_token: code, new_password: newPassword, confirm_new_password: newPassword },
  })
  assert.equal(reset.statusCode, 200, reset.body)
  for (const identifier of [victim.username, victim.email]) {
    const r = await attempt(t, identifier, freshIp(), newPassword)
    assert.equal(r.statusCode, 200, `${identifier} right after the reset: ${r.body}`)
  }
})

test('60 members logging in correctly from one shared address within a minute all get in', async () => {
  const members = await Promise.all(Array.from({ length: 60 }, () => createUser(t)))
  const mosque = freshIp()
  // A few typos among them, as a real congregation would make.
  for (const m of members.slice(0, 5)) assert.equal((await attempt(t, m.username, mosque)).statusCode, 401)
  for (let i = 0; i < members.length; i += 10) {
    const batch = await Promise.all(members.slice(i, i + 10).map((m) => attempt(t, m.username, mosque, DEFAULT_PASSWORD)))
    for (const r of batch) assert.equal(r.statusCode, 200, `member ${i}: ${r.body}`)
  }
  // The address still has its budget of failures for the next typo.
  assert.equal((await attempt(t, members[0]!.username, mosque)).statusCode, 401)
})

test("a correct login clears the account's failures", async () => {
  const user = await createUser(t)
  for (let i = 0; i < 2; i++) assert.equal((await attempt(t, user.username, freshIp())).statusCode, 401)
  assert.equal((await attempt(t, user.username, freshIp(), DEFAULT_PASSWORD)).statusCode, 200)
  // Without the clear, the third failure would be the last one allowed and the fourth refused.
  for (let i = 0; i < 3; i++) assert.equal((await attempt(t, user.email, freshIp())).statusCode, 401, `failure ${i + 1}`)
})
