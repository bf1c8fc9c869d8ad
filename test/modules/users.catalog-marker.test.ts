/**
 * The transaction lists' catalog marker (the `ledger` row of data_versions, migration 0003) moves
 * only when a user field that a list nests changes (fullname, username, email, user_type,
 * image_profile_key). Everything an account does on its own — logins, failed logins, a password
 * upgraded at login, refreshes, logouts, password changes, a profile saved without a new name, its
 * language or notification setting — leaves it alone: every such write would otherwise update that
 * one row, and all of them would queue behind each other on it until commit.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import bcrypt from 'bcryptjs'
import { eq } from 'drizzle-orm'
import type { InjectOptions } from 'fastify'
import { dataVersions, users } from '../../src/db/schema.js'
import { build, createUser, DEFAULT_PASSWORD, login, userWithToken } from '../helpers/app.js'
import { makePeriode, makeTransaction } from './transactions.fixtures.js'

const t = await build()
const db = t.db.database.db

async function marker() {
  const [row] = await db.select().from(dataVersions).where(eq(dataVersions.name, 'ledger'))
  assert.ok(row, 'the ledger row exists')
  return row.version
}

/** Runs `what` and asserts that the catalog marker is where it was. */
async function leavesMarker(label: string, what: () => Promise<void>) {
  const before = await marker()
  await what()
  assert.equal(await marker(), before, `${label} moved the catalog marker`)
}

/** leavesMarker for one request that must answer 200. */
function requestLeavesMarker(label: string, request: InjectOptions) {
  return leavesMarker(label, async () => {
    const res = await t.app.inject(request)
    assert.equal(res.statusCode, 200, res.body)
  })
}

test('logins, failed logins and a password upgraded at login leave the catalog marker alone', async () => {
  const member = await createUser(t)
  await leavesMarker('a login', async () => {
    await login(t, member)
  })
  await leavesMarker('a failed login', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/auth/login',
      payload: { identifier: member.username, password: 'Wrong-Password-123!' },
    })
    assert.equal(res.statusCode, 401, res.body)
  })
  await leavesMarker('a login with an unknown identifier', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/auth/login',
      payload: { identifier: 'nobody-here', password: DEFAULT_PASSWORD },
    })
    assert.equal(res.statusCode, 401, res.body)
  })
  // A legacy hash is replaced at login: an UPDATE of users, but not of a column lists show.
  const legacy = await createUser(t, { passwordHash: await bcrypt.hash(DEFAULT_PASSWORD, 4) })
  await leavesMarker('a login that upgrades the hash', async () => {
    await login(t, legacy)
  })
  const [upgraded] = await db.select({ hash: users.passwordHash }).from(users).where(eq(users.id, legacy.id))
  assert.match(upgraded?.hash ?? '', /^\$argon2id\$/, 'the login did write the users row')
})

test('refresh, logout, password change, profile saves without a new name and settings leave it alone', async () => {
  const me = await userWithToken(t)
  await requestLeavesMarker('a refresh', { method: 'POST', url: '/auth/refresh', payload: { refresh_token: me.tokens.refresh_token } })
  await requestLeavesMarker('a password change', {
    method: 'POST',
    url: '/users/me/change-password',
    headers: me.auth,
    payload: { current_password: DEFAULT_PASSWORD, new_password: 'Zamzam-Mekkah-2027!', confirm_new_password: 'Zamzam-Mekkah-2027!' },
  })
  await leavesMarker('a profile save with the same name and a new language', async () => {
    const res = await t.app.inject({
      method: 'PUT',
      url: '/users/me/update',
      headers: me.auth,
      payload: {
        fullname: `Test ${me.user.username}`,
        username: me.user.username,
        email: me.user.email,
        locale: 'id',
        domisili: 'Bandung',
      },
    })
    assert.equal(res.statusCode, 200, res.body)
    assert.equal(res.json().data.domisili, 'Bandung')
  })
  await requestLeavesMarker('a notification setting', {
    method: 'PUT',
    url: '/users/me/notification-settings',
    headers: me.auth,
    payload: { email: false },
  })
  await requestLeavesMarker('a logout', { method: 'POST', url: '/auth/logout', payload: { refresh_token: me.tokens.refresh_token } })
})

test('a new name moves the marker, and a cached list shows it at once', async () => {
  const me = await userWithToken(t)
  const periode = await makePeriode(t, '2031-01-01', '2031-01-31')
  const deposit = await makeTransaction(t, { userId: me.user.id, periodeId: periode.id })
  const list = async () => {
    const res = await t.app.inject({ url: `/transactions?periode_id=${periode.id}`, headers: me.auth })
    assert.equal(res.statusCode, 200, res.body)
    const item = (res.json().data as { id: number; user: { fullname: string } }[]).find((i) => i.id === deposit.id)
    assert.ok(item, 'the deposit is listed')
    return item.user.fullname
  }
  assert.equal(await list(), `Test ${me.user.username}`)
  assert.equal(await list(), `Test ${me.user.username}`) // now answered from the cache

  const before = await marker()
  const res = await t.app.inject({ method: 'PUT', url: '/users/me/update', headers: me.auth, payload: { fullname: 'Siti Aminah Baru' } })
  assert.equal(res.statusCode, 200, res.body)
  assert.notEqual(await marker(), before, 'a new name moves the catalog marker')
  assert.equal(await list(), 'Siti Aminah Baru')
})
