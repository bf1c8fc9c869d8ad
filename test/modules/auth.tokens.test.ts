/**
 * Token attacks (forged, tampered, swapped, expired, orphaned) and the two refresh-token
 * policies: `reuse` (default, the existing client keeps its first refresh token) and `rotate`
 * (single use, immediate parent tolerated within the grace interval, any other reuse kills the session).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { eq } from 'drizzle-orm'
import { createSigner } from 'fast-jwt'
import type { LightMyRequestResponse } from 'fastify'
import { sessions, users } from '../../src/db/schema.js'
import { build, createUser, login, type TestApp } from '../helpers/app.js'

const t = await build()

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
const profile = (app: TestApp, token: string) => app.app.inject({ method: 'GET', url: '/auth/profile', headers: bearer(token) })
const refresh = (app: TestApp, token: string) => app.app.inject({ method: 'POST', url: '/auth/refresh', headers: bearer(token) })

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
const decode = (token: string) => {
  const [h, p] = token.split('.')
  return {
    header: JSON.parse(Buffer.from(String(h), 'base64url').toString()) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(String(p), 'base64url').toString()) as Record<string, unknown>,
  }
}

function assertInvalidToken(res: LightMyRequestResponse, what: string) {
  assert.equal(res.statusCode, 401, `${what}: ${res.body}`)
  assert.equal(res.json().code, 401, what)
  assert.equal(res.json().data, null, what)
  assert.match(String(res.headers['www-authenticate']), /^Bearer realm="talangraga", error="invalid_token"/, what)
}

test('forged and tampered access tokens are 401 invalid_token', async () => {
  const victim = await createUser(t, { role: 'admin' })
  const attacker = await createUser(t)
  const tokens = await login(t, attacker)
  const { header, payload } = decode(tokens.access_token)
  assert.equal(header.alg, 'HS256')
  assert.equal(header.typ, 'at+jwt')
  const signature = tokens.access_token.split('.')[2]

  const forged: Record<string, string> = {
    'alg none': `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(payload)}.`,
    'alg none, kept signature': `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(payload)}.${signature}`,
    'tampered sub': `${b64(header)}.${b64({ ...payload, sub: String(victim.id) })}.${signature}`,
    'tampered exp': `${b64(header)}.${b64({ ...payload, exp: Number(payload.exp) + 86_400 })}.${signature}`,
    'wrong secret': createSigner({
      key: 'another-secret-0123456789abcdef0123456789',
      algorithm: 'HS256',
      header: { alg: 'HS256', typ: 'at+jwt' },
    })({
      ...payload,
      sub: String(victim.id),
    }),
    // The refresh secret is a real key of this server: it must still not sign access tokens.
    'signed with the refresh secret': createSigner({
      key: 'test-refresh-secret-0123456789abcdef0123456789',
      algorithm: 'HS256',
      header: { alg: 'HS256', typ: 'at+jwt' },
    })(payload),
    'HS512 with the right secret': createSigner({
      key: 'test-access-secret-0123456789abcdef0123456789',
      algorithm: 'HS512',
      header: { alg: 'HS512', typ: 'at+jwt' },
    })(payload),
    garbage: 'not.a.jwt',
  }
  for (const [what, token] of Object.entries(forged)) assertInvalidToken(await profile(t, token), what)
  // The genuine token still works: the failures above are about the forgeries.
  assert.equal((await profile(t, tokens.access_token)).statusCode, 200)
  // Verified once, the genuine token is remembered (tokens.ts): its forgeries are still refused.
  for (const [what, token] of Object.entries(forged)) assertInvalidToken(await profile(t, token), `${what}, after the genuine one`)
  assert.equal((await profile(t, tokens.access_token)).statusCode, 200)
})

test('a correctly signed token with a foreign audience or type is refused', async () => {
  const user = await createUser(t)
  const { payload } = decode((await login(t, user)).access_token)
  const sign = (header: { typ: string }, extra: Record<string, unknown>) =>
    createSigner({ key: 'test-access-secret-0123456789abcdef0123456789', algorithm: 'HS256', header: { alg: 'HS256', ...header } })({
      ...payload,
      ...extra,
    })
  assertInvalidToken(await profile(t, sign({ typ: 'JWT' }, {})), 'typ JWT')
  assertInvalidToken(await profile(t, sign({ typ: 'at+jwt' }, { aud: 'talangraga:refresh' })), 'refresh audience')
  assertInvalidToken(await profile(t, sign({ typ: 'at+jwt' }, { iss: 'someone-else' })), 'foreign issuer')
  assertInvalidToken(await profile(t, sign({ typ: 'at+jwt' }, { sid: 'not-a-session' })), 'bad sid')
})

test('refresh and access tokens are not interchangeable', async () => {
  const user = await createUser(t)
  const tokens = await login(t, user)
  assertInvalidToken(await profile(t, tokens.refresh_token), 'refresh token as access token')
  assertInvalidToken(await refresh(t, tokens.access_token), 'access token at /auth/refresh')
  assertInvalidToken(
    await t.app.inject({ method: 'POST', url: '/auth/logout', headers: bearer(tokens.access_token) }),
    'access token at /auth/logout',
  )
  // Neither attempt harmed the session.
  assert.equal((await profile(t, tokens.access_token)).statusCode, 200)
  assert.equal((await refresh(t, tokens.refresh_token)).statusCode, 200)
})

test('tokens of a deleted user and of a deactivated user stop working at once', async () => {
  const db = t.db.database.db
  const gone = await createUser(t)
  const goneTokens = await login(t, gone)
  await db.delete(users).where(eq(users.id, gone.id))
  assertInvalidToken(await profile(t, goneTokens.access_token), 'deleted user access')
  assertInvalidToken(await refresh(t, goneTokens.refresh_token), 'deleted user refresh')

  const off = await createUser(t)
  const offTokens = await login(t, off)
  await db.update(users).set({ isActive: false }).where(eq(users.id, off.id))
  assertInvalidToken(await profile(t, offTokens.access_token), 'deactivated user access')
  assertInvalidToken(await refresh(t, offTokens.refresh_token), 'deactivated user refresh')
  // ...and the deactivated user cannot log in again either.
  const again = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { identifier: off.username, password: off.password } })
  assert.equal(again.statusCode, 401)
})

test('a session past its absolute lifetime is refused even with valid JWTs', async () => {
  const user = await createUser(t)
  const tokens = await login(t, user)
  await t.db.database.db
    .update(sessions)
    .set({ absoluteExpiresAt: new Date(Date.now() - 1000) })
    .where(eq(sessions.userId, user.id))
  assertInvalidToken(await profile(t, tokens.access_token), 'access past absolute lifetime')
  assertInvalidToken(await refresh(t, tokens.refresh_token), 'refresh past absolute lifetime')
})

test('tokens are HS256 with their own typ and audience, and a refresh token never outlives its session', async () => {
  const user = await createUser(t)
  const tokens = await login(t, user)
  const access = decode(tokens.access_token)
  assert.deepEqual(access.header, { alg: 'HS256', typ: 'at+jwt' })
  assert.equal(access.payload.aud, 'talangraga:access')
  assert.equal(access.payload.iss, 'talangraga')
  assert.equal(Number(access.payload.exp) - Number(access.payload.iat), t.app.tokens.accessTtlSeconds)
  const first = decode(tokens.refresh_token)
  assert.deepEqual(first.header, { alg: 'HS256', typ: 'rt+jwt' })
  assert.equal(first.payload.aud, 'talangraga:refresh')
  assert.equal(Number(first.payload.exp) - Number(first.payload.iat), t.app.tokens.refreshTtlSeconds)
  // Ten minutes of the session left: the next refresh token lives ten minutes, not the full TTL.
  const ends = new Date(Date.now() + 600_000)
  await t.db.database.db.update(sessions).set({ absoluteExpiresAt: ends }).where(eq(sessions.userId, user.id))
  const res = await refresh(t, tokens.refresh_token)
  assert.equal(res.statusCode, 200, res.body)
  const next = decode(res.json().data.refresh_token).payload
  assert.ok(Number(next.exp) <= Math.ceil(ends.getTime() / 1000), `exp ${next.exp} is past the session's end ${ends.toISOString()}`)
  assert.ok(Number(next.exp) - Number(next.iat) >= 595)
  assert.equal((await profile(t, res.json().data.access_token)).statusCode, 200)
})

test('default policy `reuse`: the same refresh token works again and again', async () => {
  const user = await createUser(t)
  const tokens = await login(t, user)
  for (let i = 0; i < 3; i++) {
    const res = await refresh(t, tokens.refresh_token)
    assert.equal(res.statusCode, 200, `refresh #${i + 1}: ${res.body}`)
    assert.equal((await profile(t, res.json().data.access_token)).statusCode, 200)
  }
  const [row] = await t.db.database.db.select().from(sessions).where(eq(sessions.userId, user.id))
  assert.equal(row?.revokedAt, null)
})

test('an expired refresh token is 401 (REFRESH_TOKEN_EXPIRE_DAYS as a small decimal)', async () => {
  // 0.00002 days = 1.7 s, i.e. 2 whole JWT seconds.
  const short = await build({ REFRESH_TOKEN_EXPIRE_DAYS: '0.00002' })
  const user = await createUser(short)
  const tokens = await login(short, user)
  assert.equal((await refresh(short, tokens.refresh_token)).statusCode, 200)
  await sleep(3000)
  const res = await refresh(short, tokens.refresh_token)
  assertInvalidToken(res, 'expired refresh token')
  assert.match(res.json().message, /expired/i)
})

test('policy `rotate`: single use, parent tolerated within grace, reuse outside grace revokes the session', async () => {
  const rot = await build({ REFRESH_TOKEN_POLICY: 'rotate', REFRESH_GRACE_SECONDS: '1' })
  const user = await createUser(rot)
  const t0 = await login(rot, user)

  const r1 = await refresh(rot, t0.refresh_token)
  assert.equal(r1.statusCode, 200, r1.body)
  const t1 = r1.json().data
  assert.notEqual(t1.refresh_token, t0.refresh_token)

  // A concurrent refresh with the immediate parent, inside the grace interval, still succeeds.
  const parentAgain = await refresh(rot, t0.refresh_token)
  assert.equal(parentAgain.statusCode, 200, parentAgain.body)

  const r2 = await refresh(rot, t1.refresh_token)
  assert.equal(r2.statusCode, 200, r2.body)
  const t2 = r2.json().data
  assert.notEqual(t2.refresh_token, t1.refresh_token)
  assert.equal((await profile(rot, t2.access_token)).statusCode, 200)

  await sleep(1300)
  // t1 was already exchanged and the grace interval is over: replay detected.
  const replay = await refresh(rot, t1.refresh_token)
  assertInvalidToken(replay, 'replayed refresh token')

  // The whole session is gone: the newest refresh token and the live access token too.
  assertInvalidToken(await refresh(rot, t2.refresh_token), 'newest refresh after reuse')
  assertInvalidToken(await profile(rot, t2.access_token), 'access after reuse')
  const [row] = await rot.db.database.db.select().from(sessions).where(eq(sessions.userId, user.id))
  assert.ok(row?.revokedAt, 'session revoked in the database')
  assert.equal(row?.revokedReason, 'refresh_token_reuse')
})

test('policy `rotate`: a grandparent token is reuse even inside the grace interval', async () => {
  const rot = await build({ REFRESH_TOKEN_POLICY: 'rotate', REFRESH_GRACE_SECONDS: '30' })
  const user = await createUser(rot)
  const t0 = await login(rot, user)
  const t1 = (await refresh(rot, t0.refresh_token)).json().data
  const t2 = (await refresh(rot, t1.refresh_token)).json().data
  assertInvalidToken(await refresh(rot, t0.refresh_token), 'grandparent')
  assertInvalidToken(await profile(rot, t2.access_token), 'access after grandparent reuse')
})
