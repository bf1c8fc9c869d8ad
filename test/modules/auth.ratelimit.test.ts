/**
 * Rate limits on the auth endpoints (AUTH_RATE_LIMIT attempts per minute, per client address and
 * per identifier), with 429 + Retry-After; and, with Redis, one budget shared by every instance.
 * Every run uses fresh identifiers and client addresses, so reruns within the Redis key lifetime
 * (one minute) never see each other's counters.
 */
import assert from 'node:assert/strict'
import { randomInt } from 'node:crypto'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import type { LightMyRequestResponse } from 'fastify'
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
  assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= 3600, `Retry-After ${res.headers['retry-after']}`)
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

test('login: per client address, across identifiers', async () => {
  const ip = freshIp()
  for (let i = 0; i < 3; i++) {
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
  for (let i = 0; i < 3; i++) assert.equal((await forgot()).statusCode, 200)
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
  for (const app of [a, b, a]) assert.equal((await attempt(app, `${unique('n')}@example.test`, ip)).statusCode, 401)
  assertLimited(await attempt(b, `${unique('n')}@example.test`, ip), 'instance b, shared address')
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

  // Refresh allows 6x the login budget per address (apps refresh often), then stops.
  const ip = freshIp()
  const refresh = () =>
    t.app.inject({ method: 'POST', url: '/auth/refresh', headers: { authorization: `Bearer ${tokens.refresh_token}` }, remoteAddress: ip })
  for (let i = 0; i < 18; i++) assert.equal((await refresh()).statusCode, 200, `refresh #${i + 1}`)
  assertLimited(await refresh(), 'refresh')

  // Registration allows 3x the login budget per address.
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
  for (let i = 0; i < 9; i++) assert.equal((await register()).statusCode, 201, `register #${i + 1}`)
  assertLimited(await register(), 'register')
})
