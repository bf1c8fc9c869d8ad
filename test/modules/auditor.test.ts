/**
 * The auditor role (SPEC §8): reads everything an admin reads, changes nothing. Every write
 * operation of the OpenAPI document is called with an auditor's token and must be 403, except the
 * public ones (an auditor's token gives no more than no token there) and the caller's own password
 * and sessions (marked `ownAccount`: a board member must be able to secure their own login).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { build, createUser, login, userWithToken } from '../helpers/app.js'
import { makePeriode, makeTransaction } from './transactions.fixtures.js'

const t = await build()
const admin = await userWithToken(t, 'admin')
const auditor = await userWithToken(t, 'auditor')
const member = await userWithToken(t, 'member')

/**
 * Writes an auditor may make, all on their own account: change their password, revoke one of their
 * sessions (`ownAccount` routes), and refresh or log out (these take the refresh token, not the
 * access token, and act only on the session it belongs to).
 */
const OWN_ACCOUNT = new Set([
  'POST /auth/change-password',
  'POST /users/me/change-password',
  'DELETE /auth/sessions/{id}',
  'POST /auth/refresh',
  'POST /auth/logout',
])
const WRITES = ['post', 'put', 'patch', 'delete']

type Operation = { security?: unknown[] }

test('every write operation in the OpenAPI document is 403 for an auditor (listed exceptions aside)', async () => {
  const doc = (await t.app.inject({ url: '/openapi.json' })).json() as { paths: Record<string, Record<string, Operation>> }
  const allowed: string[] = []
  let checked = 0
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      if (!WRITES.includes(method)) continue
      const name = `${method.toUpperCase()} ${path}`
      // Public operations (login, register, refresh, logout, password reset) are anyone's.
      if (Array.isArray(op.security) && op.security.length === 0) continue
      const url = path.replace(/\{[^}]+\}/g, '1')
      const res = await t.app.inject({ method: method.toUpperCase() as 'POST', url, headers: auditor.auth, payload: {} })
      checked += 1
      if (res.statusCode === 403) {
        assert.equal(res.json().data, null, name)
        assert.match(res.json().message, /Auditors can read everything but change nothing|permission/, name)
      } else allowed.push(name)
    }
  }
  assert.deepEqual(allowed.sort(), [...OWN_ACCOUNT].sort())
  assert.ok(checked > 20, `walked ${checked} write operations`)
})

test('the own-account exceptions work for an auditor', async () => {
  const board = await createUser(t, { role: 'auditor' })
  const tokens = await login(t, board)
  const res = await t.app.inject({
    method: 'POST',
    url: '/auth/change-password',
    headers: { authorization: `Bearer ${tokens.access_token}` },
    payload: { current_password: board.password, new_password: 'Zamzam-Air-Suci-2027', confirm_new_password: 'Zamzam-Air-Suci-2027' },
  })
  assert.equal(res.statusCode, 200, res.body)
})

test('an auditor reads what an admin reads: every deposit, full user records, admin reports, receipts, audit', async () => {
  const periode = await makePeriode(t, '2032-01-01', '2032-06-30')
  const tx = await makeTransaction(t, { userId: member.user.id, periodeId: periode.id })
  await t.app.inject({ method: 'PUT', url: `/transactions/${tx.id}/status`, headers: admin.auth, payload: { status: 'completed' } })
  for (const url of [
    '/transactions',
    `/transactions/${tx.id}`,
    `/transactions/${tx.id}/receipt.pdf`,
    `/users/${member.user.id}`,
    `/reports/members/${member.user.id}`,
    `/reports/members/${member.user.id}/statement.pdf`,
    `/reports/periodes/${periode.id}`,
    '/reports/summary',
    '/reports/transactions.csv',
    '/audit',
    '/audit.csv',
    '/settings',
  ]) {
    const asAdmin = await t.app.inject({ url, headers: admin.auth })
    const asAuditor = await t.app.inject({ url, headers: auditor.auth })
    assert.equal(asAuditor.statusCode, 200, `${url}: ${asAuditor.body.slice(0, 200)}`)
    assert.equal(asAdmin.statusCode, 200, url)
    if (String(asAuditor.headers['content-type']).startsWith('application/json') && url !== '/audit') {
      assert.deepEqual(asAuditor.json().data, asAdmin.json().data, url)
    }
  }
  const list = (await t.app.inject({ url: '/transactions', headers: auditor.auth })).json()
  assert.ok(
    list.data.some((x: { id: number }) => x.id === tx.id),
    'deposits of others are listed',
  )
  const users = (await t.app.inject({ url: '/users', headers: auditor.auth })).json()
  assert.ok('email' in users.data[0], 'full records, not the member directory')
  assert.equal((await t.app.inject({ method: 'HEAD', url: '/transactions', headers: auditor.auth })).statusCode, 200)
})

test('admins create and change auditors; nobody else can make one', async () => {
  const created = await t.app.inject({
    method: 'POST',
    url: '/users',
    headers: admin.auth,
    payload: {
      fullname: 'Dewan Pengawas',
      username: 'dewan1',
      email: 'dewan1@example.test',
      password: 'Ka-bah-Mekkah-2026!',
      user_type: 'auditor',
    },
  })
  assert.equal(created.statusCode, 201, created.body)
  assert.equal(created.json().data.user_type, 'auditor')

  const promoted = await createUser(t)
  const res = await t.app.inject({ method: 'PUT', url: `/users/${promoted.id}`, headers: admin.auth, payload: { user_type: 'auditor' } })
  assert.equal(res.statusCode, 200, res.body)
  assert.equal(res.json().data.user_type, 'auditor')
  const promotedTokens = await login(t, promoted)
  assert.equal((await t.app.inject({ url: '/audit', headers: { authorization: `Bearer ${promotedTokens.access_token}` } })).statusCode, 200)
  // Demoted back: the very next request is a member's.
  await t.app.inject({ method: 'PUT', url: `/users/${promoted.id}`, headers: admin.auth, payload: { user_type: 'member' } })
  assert.equal((await t.app.inject({ url: '/audit', headers: { authorization: `Bearer ${promotedTokens.access_token}` } })).statusCode, 403)

  const publicRegister = await t.app.inject({
    method: 'POST',
    url: '/auth/register',
    payload: {
      fullname: 'Penyusup',
      username: 'penyusup1',
      email: 'penyusup1@example.test',
      password: 'Ka-bah-Mekkah-2026!',
      user_type: 'auditor',
    },
  })
  assert.equal(publicRegister.statusCode, 201, publicRegister.body)
  assert.equal(publicRegister.json().data.user_type, 'member')
  const self = await t.app.inject({ method: 'PUT', url: '/users/me/update', headers: member.auth, payload: { user_type: 'auditor' } })
  assert.notEqual(self.json().data?.user_type, 'auditor')
})
