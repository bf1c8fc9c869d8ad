/**
 * The mobile client's session life cycle over HTTP: login, authenticated calls, access-token
 * expiry, refresh-and-retry, logout (local and global), and the session list.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import type { LightMyRequestResponse } from 'fastify'
import { assertNoSecrets, build, createUser, login, type TestApp, userWithToken } from '../helpers/app.js'

const t = await build()

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
const profile = (app: TestApp, token: string) => app.app.inject({ method: 'GET', url: '/auth/profile', headers: bearer(token) })
const refresh = (app: TestApp, token: string) => app.app.inject({ method: 'POST', url: '/auth/refresh', headers: bearer(token) })

function assertInvalidToken(res: LightMyRequestResponse) {
  assert.equal(res.statusCode, 401, res.body)
  assert.equal(res.json().code, 401)
  assert.match(String(res.headers['www-authenticate']), /^Bearer realm="talangraga", error="invalid_token"/)
}

test('login answers tokens, the user without secrets, and no-store', async () => {
  const user = await createUser(t)
  const res = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { identifier: user.username, password: user.password } })
  assert.equal(res.statusCode, 200, res.body)
  assertNoSecrets(res)
  assert.equal(res.headers['cache-control'], 'no-store')
  const body = res.json()
  assert.equal(body.code, 200)
  assert.equal(body.data.token_type, 'bearer')
  assert.equal(body.data.expires_in, 30 * 60)
  assert.equal(body.data.user.id, user.id)
  assert.equal(body.data.user.username, user.username)
  assert.ok(body.data.access_token && body.data.refresh_token)
  assert.notEqual(body.data.access_token, body.data.refresh_token)

  const me = await profile(t, body.data.access_token)
  assert.equal(me.statusCode, 200)
  assertNoSecrets(me)
  assert.equal(me.json().data.id, user.id)
  assert.equal(me.json().data.email, user.email)
})

test('a missing token is 401 with a bare Bearer challenge (no error code)', async () => {
  for (const url of ['/auth/profile', '/auth/sessions']) {
    const res = await t.app.inject({ method: 'GET', url })
    assert.equal(res.statusCode, 401)
    assert.equal(res.headers['www-authenticate'], 'Bearer realm="talangraga"')
    assert.deepEqual(Object.keys(res.json()).sort(), ['code', 'data', 'message'])
  }
  const res = await t.app.inject({ method: 'POST', url: '/auth/refresh' })
  assert.equal(res.statusCode, 401)
  assert.equal(res.headers['www-authenticate'], 'Bearer realm="talangraga"')
})

test('mobile flow: expiry, refresh-and-retry, logout kills refresh and access token at once', async () => {
  // 0.02 minutes = 1.2 s access tokens (1 s after rounding to whole JWT seconds).
  const short = await build({ ACCESS_TOKEN_EXPIRE_MINUTES: '0.02' })
  const user = await createUser(short)
  const tokens = await login(short, user)
  assert.equal((await profile(short, tokens.access_token)).statusCode, 200)

  await sleep(1500)
  const expired = await profile(short, tokens.access_token)
  assertInvalidToken(expired)
  assert.equal(expired.json().message, 'Access token expired, please refresh your token')
  assert.match(String(expired.headers['www-authenticate']), /error="invalid_token"/)

  const refreshed = await refresh(short, tokens.refresh_token)
  assert.equal(refreshed.statusCode, 200, refreshed.body)
  assert.equal(refreshed.headers['cache-control'], 'no-store')
  const fresh = refreshed.json().data
  assert.equal(fresh.token_type, 'bearer')
  assert.ok(fresh.access_token && fresh.refresh_token)
  const retried = await profile(short, fresh.access_token)
  assert.equal(retried.statusCode, 200)
  assert.equal(retried.json().data.id, user.id)

  const out = await short.app.inject({ method: 'POST', url: '/auth/logout', headers: bearer(tokens.refresh_token) })
  assert.equal(out.statusCode, 200, out.body)
  assert.equal(out.json().data, null)

  assertInvalidToken(await refresh(short, tokens.refresh_token))
  assertInvalidToken(await refresh(short, fresh.refresh_token))
  // The access token minted a moment ago has ~1 s left, but its session is gone.
  assertInvalidToken(await profile(short, fresh.access_token))
})

test('refresh and logout also take the refresh token in the body, but not both ways at once', async () => {
  const user = await createUser(t)
  const tokens = await login(t, user)
  const viaBody = await t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: tokens.refresh_token } })
  assert.equal(viaBody.statusCode, 200, viaBody.body)

  const both = await t.app.inject({
    method: 'POST',
    url: '/auth/refresh',
    headers: bearer(tokens.refresh_token),
    payload: { refresh_token: tokens.refresh_token },
  })
  assert.equal(both.statusCode, 400)
  assert.match(String(both.headers['www-authenticate']), /error="invalid_request"/)

  const out = await t.app.inject({ method: 'POST', url: '/auth/logout', payload: { refresh_token: tokens.refresh_token } })
  assert.equal(out.statusCode, 200)
  assertInvalidToken(await profile(t, tokens.access_token))
  // Logging out twice: the session is already gone.
  assertInvalidToken(await t.app.inject({ method: 'POST', url: '/auth/logout', payload: { refresh_token: tokens.refresh_token } }))
})

test('every login is a new session; logout of one leaves the others alive', async () => {
  const user = await createUser(t)
  const a = await login(t, user)
  const b = await login(t, user)
  const out = await t.app.inject({ method: 'POST', url: '/auth/logout', headers: bearer(a.refresh_token) })
  assert.equal(out.statusCode, 200)
  assertInvalidToken(await profile(t, a.access_token))
  assert.equal((await profile(t, b.access_token)).statusCode, 200)
  assert.equal((await refresh(t, b.refresh_token)).statusCode, 200)
})

test('logout scope=global revokes every session of the user, scope=others all but the caller', async () => {
  const user = await createUser(t)
  const other = await userWithToken(t)
  const s1 = await login(t, user)
  const s2 = await login(t, user)
  const s3 = await login(t, user)

  const others = await t.app.inject({ method: 'POST', url: '/auth/logout?scope=others', headers: bearer(s1.refresh_token) })
  assert.equal(others.statusCode, 200)
  assert.equal((await profile(t, s1.access_token)).statusCode, 200)
  assertInvalidToken(await profile(t, s2.access_token))
  assertInvalidToken(await profile(t, s3.access_token))

  const s4 = await login(t, user)
  const global = await t.app.inject({ method: 'POST', url: '/auth/logout?scope=global', headers: bearer(s4.refresh_token) })
  assert.equal(global.statusCode, 200)
  for (const s of [s1, s4]) {
    assertInvalidToken(await profile(t, s.access_token))
    assertInvalidToken(await refresh(t, s.refresh_token))
  }
  // Another user's session is untouched.
  assert.equal((await profile(t, other.tokens.access_token)).statusCode, 200)

  const bad = await t.app.inject({ method: 'POST', url: '/auth/logout?scope=everyone', headers: bearer(s4.refresh_token) })
  assert.equal(bad.statusCode, 422)
  assert.equal(bad.json().errors[0].field, 'scope')
})

test('GET /auth/sessions lists only the caller’s live sessions, marking the current one', async () => {
  const user = await createUser(t)
  const other = await userWithToken(t)
  const a = await login(t, user)
  const b = await t.app.inject({
    method: 'POST',
    url: '/auth/login',
    headers: { 'user-agent': 'talangraga-android/1.0' },
    remoteAddress: '127.0.0.9',
    payload: { identifier: user.email, password: user.password },
  })
  const bTokens = b.json().data

  const res = await t.app.inject({ method: 'GET', url: '/auth/sessions', headers: bearer(bTokens.access_token) })
  assert.equal(res.statusCode, 200)
  assert.equal(res.headers['cache-control'], 'no-store')
  const list = res.json().data as { id: string; current: boolean; ip_address: string; user_agent: string | null }[]
  assert.equal(list.length, 2)
  const current = list.filter((s) => s.current)
  assert.equal(current.length, 1)
  assert.equal(current[0]?.ip_address, '127.0.0.9')
  assert.equal(current[0]?.user_agent, 'talangraga-android/1.0')
  for (const s of list) assert.doesNotMatch(JSON.stringify(s), /token|hash/i)

  const otherList = await t.app.inject({ method: 'GET', url: '/auth/sessions', headers: other.auth })
  assert.equal(otherList.json().data.length, 1)

  // Revoke the non-current session (a's) from b.
  const aSession = list.find((s) => !s.current)
  assert.ok(aSession)
  const del = await t.app.inject({ method: 'DELETE', url: `/auth/sessions/${aSession.id}`, headers: bearer(bTokens.access_token) })
  assert.equal(del.statusCode, 200, del.body)
  assertInvalidToken(await profile(t, a.access_token))
  assertInvalidToken(await refresh(t, a.refresh_token))
  const after = await t.app.inject({ method: 'GET', url: '/auth/sessions', headers: bearer(bTokens.access_token) })
  assert.equal(after.json().data.length, 1)

  // Someone else's session, an already-revoked one and an unknown one: all 404, nothing revoked.
  const otherSession = (otherList.json().data as { id: string }[])[0]?.id
  for (const id of [otherSession, aSession.id, '00000000-0000-4000-8000-000000000000']) {
    const res404 = await t.app.inject({ method: 'DELETE', url: `/auth/sessions/${id}`, headers: bearer(bTokens.access_token) })
    assert.equal(res404.statusCode, 404, String(id))
    assert.equal(res404.json().code, 404)
  }
  assert.equal((await profile(t, other.tokens.access_token)).statusCode, 200)

  const notUuid = await t.app.inject({ method: 'DELETE', url: '/auth/sessions/42', headers: bearer(bTokens.access_token) })
  assert.equal(notUuid.statusCode, 422)
  assert.equal(notUuid.json().errors[0].field, 'id')
})

test('revoking one’s own current session ends it too', async () => {
  const { tokens, auth } = await userWithToken(t)
  const list = (await t.app.inject({ method: 'GET', url: '/auth/sessions', headers: auth })).json().data as { id: string }[]
  assert.equal(list.length, 1)
  const del = await t.app.inject({ method: 'DELETE', url: `/auth/sessions/${list[0]?.id}`, headers: auth })
  assert.equal(del.statusCode, 200)
  assertInvalidToken(await profile(t, tokens.access_token))
})

test('a malformed Authorization header is rejected', async () => {
  const res = await t.app.inject({ method: 'GET', url: '/auth/profile', headers: { authorization: 'Bearer a b c' } })
  assert.equal(res.statusCode, 401)
  assert.match(String(res.headers['www-authenticate']), /error="invalid_token"/)
})
