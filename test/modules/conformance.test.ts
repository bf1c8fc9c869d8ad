/**
 * Protocol conformance found by the attack run: RFC 6750 for non-Bearer credentials, access tokens
 * issued in the future, concurrent global logouts, and path ids that are plain decimal integers.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createSigner } from 'fast-jwt'
import { users } from '../../src/db/schema.js'
import { build, createUser, login, userWithToken } from '../helpers/app.js'

const t = await build()
const admin = await userWithToken(t, 'admin')

test('Authorization: Basic is a 401 without an error code (RFC 6750 §3.1)', async () => {
  const res = await t.app.inject({ method: 'GET', url: '/auth/profile', headers: { authorization: 'Basic dXNlcjpwYXNz' } })
  assert.equal(res.statusCode, 401)
  assert.equal(res.json().code, 401)
  const challenge = String(res.headers['www-authenticate'])
  assert.match(challenge, /^Bearer /)
  assert.doesNotMatch(challenge, /error=/)
  // A malformed Bearer header is still an invalid_token.
  const bad = await t.app.inject({ method: 'GET', url: '/auth/profile', headers: { authorization: 'Bearer a b' } })
  assert.match(String(bad.headers['www-authenticate']), /invalid_token/)
})

test('an access token issued in the future (beyond the clock tolerance) is refused', async () => {
  const claims = JSON.parse(Buffer.from(admin.tokens.access_token.split('.')[1] as string, 'base64url').toString())
  const sign = createSigner({
    key: 'test-access-secret-0123456789abcdef0123456789',
    algorithm: 'HS256',
    header: { alg: 'HS256', typ: 'at+jwt' },
  })
  const at = (iat: number) => sign({ ...claims, iat, exp: iat + 1800 })
  const now = Math.floor(Date.now() / 1000)
  const ok = await t.app.inject({ method: 'GET', url: '/auth/profile', headers: { authorization: `Bearer ${at(now)}` } })
  assert.equal(ok.statusCode, 200, 'the same claims signed now are accepted')
  const future = await t.app.inject({ method: 'GET', url: '/auth/profile', headers: { authorization: `Bearer ${at(now + 3600)}` } })
  assert.equal(future.statusCode, 401, future.body)
  assert.match(String(future.headers['www-authenticate']), /invalid_token/)
})

test('two concurrent logout?scope=global on one account both succeed quickly', async () => {
  const user = await createUser(t)
  const [a, b] = await Promise.all([login(t, user), login(t, user)])
  const started = Date.now()
  const results = await Promise.all(
    [a, b].map((tokens) =>
      t.app.inject({ method: 'POST', url: '/auth/logout?scope=global', headers: { authorization: `Bearer ${tokens?.refresh_token}` } }),
    ),
  )
  const ms = Date.now() - started
  for (const r of results) assert.equal(r.statusCode, 200, r.body)
  assert.ok(ms < 2500, `answered in ${ms} ms (they used to wait 2-3 s, then 409)`)
  for (const tokens of [a, b]) {
    const res = await t.app.inject({ method: 'GET', url: '/auth/profile', headers: { authorization: `Bearer ${tokens?.access_token}` } })
    assert.equal(res.statusCode, 401)
  }
})

test('path ids are plain decimal integers: " 1", "+1", "1e0", "0x1" are 422, not id 1', async () => {
  const victim = await createUser(t)
  for (const id of [`%20${victim.id}`, `+${victim.id}`, `${victim.id}e0`, `0x${victim.id.toString(16)}`, `${victim.id}.0`]) {
    const get = await t.app.inject({ method: 'GET', url: `/users/${id}`, headers: admin.auth })
    assert.equal(get.statusCode, 422, `GET /users/${id}: ${get.body}`)
    const del = await t.app.inject({ method: 'DELETE', url: `/auth/delete/${id}`, headers: admin.auth })
    assert.equal(del.statusCode, 422, `DELETE /auth/delete/${id}: ${del.body}`)
  }
  const rows = await t.db.database.db.select({ id: users.id }).from(users)
  assert.ok(
    rows.some((r) => r.id === victim.id),
    'nobody was deleted',
  )
  assert.equal((await t.app.inject({ method: 'GET', url: `/users/${victim.id}`, headers: admin.auth })).statusCode, 200)
  // Query strings and form fields follow the same rule.
  const list = await t.app.inject({ method: 'GET', url: '/transactions?page=1e0', headers: admin.auth })
  assert.equal(list.statusCode, 422, list.body)
})
