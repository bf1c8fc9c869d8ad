/**
 * Helmet's security headers on every kind of answer: success, refusal by the auth guard, unknown
 * route, a body the parser refuses, an error thrown by a handler. They are computed once from
 * helmet (src/plugins/security-headers.ts), so these values are helmet's defaults without CSP.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { build, userWithToken } from './helpers/app.js'

const t = await build()

const EXPECTED = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'SAMEORIGIN',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
}

test('every answer carries the security headers, and no CSP outside the console and the docs', async () => {
  const member = await userWithToken(t)
  const answers = {
    ok: await t.app.inject({ url: '/auth/profile', headers: member.auth }),
    unauthenticated: await t.app.inject({ url: '/auth/profile' }),
    forbidden: await t.app.inject({ url: '/audit', headers: member.auth }),
    unknown: await t.app.inject({ url: '/nope/nothing' }),
    'bad JSON': await t.app.inject({ method: 'POST', url: '/auth/login', headers: { 'content-type': 'application/json' }, payload: '{' }),
    invalid: await t.app.inject({ method: 'POST', url: '/auth/login', payload: { identifier: 'x' } }),
  }
  const statuses = Object.fromEntries(Object.entries(answers).map(([k, r]) => [k, r.statusCode]))
  assert.deepEqual(statuses, { ok: 200, unauthenticated: 401, forbidden: 403, unknown: 404, 'bad JSON': 400, invalid: 422 })
  for (const [what, res] of Object.entries(answers)) {
    for (const [name, value] of Object.entries(EXPECTED)) assert.equal(res.headers[name], value, `${what}: ${name}`)
    assert.equal(res.headers['content-security-policy'], undefined, what)
    assert.ok(res.headers['x-request-id'], what)
  }
})
