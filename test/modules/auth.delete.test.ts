/**
 * DELETE /auth/delete/{id}: admin only, never oneself, never the last active admin, and never
 * destroying money records (a user they name is anonymised and deactivated instead of removed).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { and, eq, ne } from 'drizzle-orm'
import { auditLog, sessions, transactionStatusHistory, transactions, users } from '../../src/db/schema.js'
import { build, createUser, login, userWithToken } from '../helpers/app.js'

const t = await build()
const db = t.db.database.db

const del = (id: number, headers: Record<string, string>) => t.app.inject({ method: 'DELETE', url: `/auth/delete/${id}`, headers })
const profile = (token: string) => t.app.inject({ method: 'GET', url: '/auth/profile', headers: { authorization: `Bearer ${token}` } })
const userRow = async (id: number) => (await db.select().from(users).where(eq(users.id, id)))[0]

/** A periode-less deposit straight into the table, as money records from any source would be. */
async function insertTransaction(values: { userId: number; reportedBy: number; confirmedBy?: number }) {
  const [row] = await db
    .insert(transactions)
    .values({ amount: '150000.00', transactionDate: new Date(), status: 'sent', ...values })
    .returning()
  assert.ok(row)
  return row
}

test('members get 403, anonymous callers 401', async () => {
  const member = await userWithToken(t, 'member')
  const victim = await createUser(t)
  const res = await del(victim.id, member.auth)
  assert.equal(res.statusCode, 403)
  assert.equal(res.json().code, 403)
  assert.match(String(res.headers['www-authenticate']), /insufficient_scope/)
  assert.equal((await del(victim.id, {})).statusCode, 401)
  assert.ok(await userRow(victim.id), 'nothing deleted')
})

test('an admin removes a user without money records; their sessions die with them', async () => {
  const admin = await userWithToken(t, 'admin')
  const victim = await createUser(t)
  const tokens = await login(t, victim)
  const res = await del(victim.id, admin.auth)
  assert.equal(res.statusCode, 200, res.body)
  assert.equal(res.json().data, null)
  assert.equal(await userRow(victim.id), undefined)
  assert.equal((await profile(tokens.access_token)).statusCode, 401)
  const audit = await db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.entity, 'user'), eq(auditLog.entityId, victim.id)))
  assert.equal(audit[0]?.action, 'user.deleted')

  assert.equal((await del(victim.id, admin.auth)).statusCode, 404, 'already gone')
  assert.equal((await del(2_000_000_000, admin.auth)).statusCode, 404)
  assert.equal((await t.app.inject({ method: 'DELETE', url: '/auth/delete/abc', headers: admin.auth })).statusCode, 422)
})

test('a user with money records is deactivated and anonymised, not removed', async () => {
  const admin = await userWithToken(t, 'admin')
  const victim = await createUser(t, { phone: '+6281399990001' })
  const tokens = await login(t, victim)
  const tx = await insertTransaction({ userId: victim.id, reportedBy: victim.id })

  const res = await del(victim.id, admin.auth)
  assert.equal(res.statusCode, 200, res.body)
  const row = await userRow(victim.id)
  assert.ok(row, 'row kept')
  assert.equal(row.isActive, false)
  assert.ok(row.anonymisedAt)
  assert.equal(row.email, null)
  assert.equal(row.phoneNumber, null)
  assert.equal(row.passwordHash, null)
  assert.notEqual(row.username, victim.username)
  assert.notEqual(row.fullname, `Test ${victim.username}`)
  const kept = await db.select().from(transactions).where(eq(transactions.id, tx.id))
  assert.equal(kept[0]?.userId, victim.id)
  assert.equal(kept[0]?.amount, '150000.00')

  assert.equal((await profile(tokens.access_token)).statusCode, 401)
  const live = await db
    .select()
    .from(sessions)
    .where(and(eq(sessions.userId, victim.id)))
  assert.ok(live.every((s) => s.revokedAt !== null))
  const relogin = await t.app.inject({
    method: 'POST',
    url: '/auth/login',
    payload: { identifier: victim.email, password: victim.password },
  })
  assert.equal(relogin.statusCode, 401)
  // The freed email can be registered again by a new person.
  assert.equal((await del(victim.id, admin.auth)).statusCode, 404, 'an anonymised user is gone for the API')
})

test('an admin who only reported, confirmed or handled someone’s deposit is kept too', async () => {
  const admin = await userWithToken(t, 'admin')
  const owner = await createUser(t)
  const reporter = await createUser(t, { role: 'admin' })
  const confirmer = await createUser(t, { role: 'admin' })
  const handler = await createUser(t, { role: 'admin' })
  const tx = await insertTransaction({ userId: owner.id, reportedBy: reporter.id, confirmedBy: confirmer.id })
  await db
    .insert(transactionStatusHistory)
    .values({ transactionId: tx.id, fromStatus: 'sent', toStatus: 'on_process', changedBy: handler.id })
  for (const u of [reporter, confirmer, handler]) {
    const res = await del(u.id, admin.auth)
    assert.equal(res.statusCode, 200, `${u.username}: ${res.body}`)
    const row = await userRow(u.id)
    assert.ok(row?.anonymisedAt, `${u.username} anonymised`)
  }
})

test('an admin cannot delete themself', async () => {
  const admin = await userWithToken(t, 'admin')
  const res = await del(admin.user.id, admin.auth)
  assert.equal(res.statusCode, 403)
  assert.equal((await profile(admin.tokens.access_token)).statusCode, 200)
})

test('the last active admin is never deleted, even when two admins delete each other at once', async () => {
  const a = await userWithToken(t, 'admin')
  const b = await userWithToken(t, 'admin')
  // Leave exactly these two active admins in this file's database.
  await db
    .update(users)
    .set({ isActive: false })
    .where(and(eq(users.userType, 'admin'), ne(users.id, a.user.id), ne(users.id, b.user.id)))

  const [ra, rb] = await Promise.all([del(b.user.id, a.auth), del(a.user.id, b.auth)])
  const statuses = [ra.statusCode, rb.statusCode].sort()
  assert.equal(statuses.filter((s) => s === 200).length, 1, `exactly one wins: ${ra.body} / ${rb.body}`)
  // The loser is refused either by the last-admin rule (409) or, if the winner committed first,
  // because its own session died with its account (401).
  const loser = ra.statusCode === 200 ? rb : ra
  assert.ok([401, 409].includes(loser.statusCode), loser.body)
  const activeAdmins = await db
    .select()
    .from(users)
    .where(and(eq(users.userType, 'admin'), eq(users.isActive, true)))
  assert.equal(activeAdmins.length, 1)
})
