import assert from 'node:assert/strict'
import { test } from 'node:test'
import { build } from './helpers/app.js'

const t = await build()

test('every response carries X-Request-Id: a fresh UUID without one, a sane incoming one kept', async () => {
  const fresh = await t.app.inject({ url: '/health/live' })
  assert.match(String(fresh.headers['x-request-id']), /^[0-9a-f-]{36}$/)
  const kept = await t.app.inject({ url: '/health/live', headers: { 'x-request-id': 'app-7f3a.42' } })
  assert.equal(kept.headers['x-request-id'], 'app-7f3a.42')
  const other = await t.app.inject({ url: '/health/live' })
  assert.notEqual(other.headers['x-request-id'], fresh.headers['x-request-id'])
})

test('an insane incoming id is replaced, and refusals and 404s carry the id too', async () => {
  const long = await t.app.inject({ url: '/health/live', headers: { 'x-request-id': 'x'.repeat(500) } })
  assert.match(String(long.headers['x-request-id']), /^[0-9a-f-]{36}$/)
  const spaced = await t.app.inject({ url: '/health/live', headers: { 'x-request-id': 'a b"c' } })
  assert.match(String(spaced.headers['x-request-id']), /^[0-9a-f-]{36}$/)
  const missing = await t.app.inject({ url: '/nope/nothing', headers: { 'x-request-id': 'trace-1' } })
  assert.equal(missing.statusCode, 404)
  assert.equal(missing.headers['x-request-id'], 'trace-1')
  const refused = await t.app.inject({ url: '/auth/profile' })
  assert.equal(refused.statusCode, 401)
  assert.match(String(refused.headers['x-request-id']), /^[0-9a-f-]{36}$/)
  const bad = await t.app.inject({ method: 'POST', url: '/auth/login', headers: { 'content-type': 'application/json' }, payload: '{' })
  assert.equal(bad.statusCode, 400)
  assert.ok(bad.headers['x-request-id'])
})
