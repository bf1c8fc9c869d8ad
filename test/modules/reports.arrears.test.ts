/**
 * Dues and arrears (SPEC §7) against a table computed by hand: members × periodes, joining dates
 * (in APP_TIMEZONE, Asia/Jakarta), periodes without a target, pending, rejected, deleted and
 * future-dated deposits, overpayment, an inactive member and an admin. GET /reports/arrears and
 * the `arrears` of /reports/members/{id|me}.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { eq } from 'drizzle-orm'
import { periodes, transactions, users } from '../../src/db/schema.js'
import { build, createUser, login, userWithToken } from '../helpers/app.js'
import { makeTransaction } from './transactions.fixtures.js'

const t = await build()
const db = t.db.database.db
const admin = await userWithToken(t, 'admin')

async function periode(name: string, start: string, end: string, target: string | null) {
  const [row] = await db.insert(periodes).values({ periodeName: name, startDate: start, endDate: end, targetAmount: target }).returning()
  return row as typeof periodes.$inferSelect
}
const P1 = await periode('Q1 2025', '2025-01-01', '2025-03-31', '1000000.00')
const P2 = await periode('Q2 2025', '2025-04-01', '2025-06-30', '1500000.50')
const P3 = await periode('Q3 2025 (no target)', '2025-07-01', '2025-09-30', null)
const P4 = await periode('Q4 2025', '2025-10-01', '2025-12-31', '500000.00')
const P5 = await periode('Q1 2026', '2026-01-01', '2026-03-31', '700000.00')

async function member(fullname: string, joinedAt: string, opts: { active?: boolean; role?: 'admin' | 'member' } = {}) {
  const u = await createUser(t, { fullname, role: opts.role ?? 'member', active: opts.active ?? true })
  await db
    .update(users)
    .set({ createdAt: new Date(joinedAt) })
    .where(eq(users.id, u.id))
  return u
}
const deposit = (
  userId: number,
  periodeId: number,
  amount: string,
  date: string,
  status: 'completed' | 'sent' | 'rejected' = 'completed',
) => makeTransaction(t, { userId, periodeId, amount, date: new Date(date), status })

// Ana, joined 2024-12-01: owes P1, P2, P4 (P3 has no target; P5 starts after as_of).
const ana = await member('Ana', '2024-12-01T03:00:00Z')
await deposit(ana.id, P1.id, '1000000.00', '2025-02-01T03:00:00Z')
await deposit(ana.id, P2.id, '500000.25', '2025-05-01T03:00:00Z')
await deposit(ana.id, P2.id, '1000000.00', '2025-05-02T03:00:00Z', 'sent') // pending: not paid
await deposit(ana.id, P2.id, '1000000.00', '2025-05-03T03:00:00Z', 'rejected')
await deposit(ana.id, P3.id, '300000.00', '2025-08-01T03:00:00Z')
// Budi, joined 2025-05-15: P1 ended before he joined; P2 overpaid (no credit to other periodes);
// his P4 deposit is dated after as_of.
const budi = await member('Budi', '2025-05-15T03:00:00Z')
await deposit(budi.id, P2.id, '2000000.00', '2025-06-01T03:00:00Z')
await deposit(budi.id, P4.id, '100000.00', '2025-10-20T03:00:00Z')
// Citra, joined 2025-10-10 (inside the running P4, which counts in full); a deleted deposit never counts.
const citra = await member('Citra', '2025-10-10T03:00:00Z')
const gone = await deposit(citra.id, P4.id, '500000.00', '2025-10-11T03:00:00Z')
await db.update(transactions).set({ deletedAt: new Date() }).where(eq(transactions.id, gone.id))
// Gita joined 2025-03-31 17:30 UTC = 2025-04-01 00:30 in Jakarta: P1 does not count. Her P4 deposit
// at 2025-10-15 16:30 UTC is 23:30 on as_of in Jakarta: it counts.
const gita = await member('Gita', '2025-03-31T17:30:00Z')
await deposit(gita.id, P4.id, '200000.00', '2025-10-15T16:30:00Z')
// Fajar paid everything; Dewi is inactive; Eko is an admin: none of them is listed.
const fajar = await member('Fajar', '2025-01-01T03:00:00Z')
await deposit(fajar.id, P1.id, '1000000.00', '2025-01-05T03:00:00Z')
await deposit(fajar.id, P2.id, '1500000.50', '2025-04-05T03:00:00Z')
await deposit(fajar.id, P4.id, '500000.00', '2025-10-05T03:00:00Z')
await member('Dewi', '2024-01-01T03:00:00Z', { active: false })
await member('Eko', '2024-01-01T03:00:00Z', { role: 'admin' })

/** The hand-computed table for as_of = 2025-10-15. */
const EXPECTED = [
  {
    user: { id: gita.id, fullname: 'Gita', username: gita.username },
    amount: 1800000.5,
    periodes: [
      { id: P2.id, periode_name: 'Q2 2025', expected: 1500000.5, paid: 0, missing: 1500000.5 },
      { id: P4.id, periode_name: 'Q4 2025', expected: 500000, paid: 200000, missing: 300000 },
    ],
  },
  {
    user: { id: ana.id, fullname: 'Ana', username: ana.username },
    amount: 1500000.25,
    periodes: [
      { id: P2.id, periode_name: 'Q2 2025', expected: 1500000.5, paid: 500000.25, missing: 1000000.25 },
      { id: P4.id, periode_name: 'Q4 2025', expected: 500000, paid: 0, missing: 500000 },
    ],
  },
  {
    user: { id: budi.id, fullname: 'Budi', username: budi.username },
    amount: 500000,
    periodes: [{ id: P4.id, periode_name: 'Q4 2025', expected: 500000, paid: 0, missing: 500000 }],
  },
  {
    user: { id: citra.id, fullname: 'Citra', username: citra.username },
    amount: 500000,
    periodes: [{ id: P4.id, periode_name: 'Q4 2025', expected: 500000, paid: 0, missing: 500000 }],
  },
]

test('GET /reports/arrears?as_of: exactly the hand-computed table, largest first', async () => {
  const res = await t.app.inject({ url: '/reports/arrears?as_of=2025-10-15', headers: admin.auth })
  assert.equal(res.statusCode, 200, res.body)
  assert.deepEqual(res.json().data, EXPECTED)
})

test('as_of moves the table: before Q4 started only Q1-Q2 count; after it Budi’s late deposit counts', async () => {
  const early = await t.app.inject({ url: '/reports/arrears?as_of=2025-09-30', headers: admin.auth })
  const rows = early.json().data as { user: { id: number }; amount: number }[]
  assert.deepEqual(
    rows.map((r) => [r.user.id, r.amount]),
    [
      [gita.id, 1500000.5],
      [ana.id, 1000000.25],
    ],
  )
  const later = await t.app.inject({ url: '/reports/arrears?as_of=2025-10-20', headers: admin.auth })
  const budiRow = (later.json().data as { user: { id: number }; amount: number }[]).find((r) => r.user.id === budi.id)
  assert.equal(budiRow?.amount, 400000)
})

test('the member report carries arrears (as of today); admins only for the list; as_of is validated', async () => {
  const token = (await login(t, ana)).access_token
  const me = await t.app.inject({ url: '/reports/members/me', headers: { authorization: `Bearer ${token}` } })
  assert.equal(me.statusCode, 200, me.body)
  // Today (after Q1 2026 started): Q1 2026 is owed as well.
  assert.deepEqual(me.json().data.arrears, {
    amount: 2200000.25,
    periodes: [
      { id: P2.id, periode_name: 'Q2 2025', expected: 1500000.5, paid: 500000.25, missing: 1000000.25 },
      { id: P4.id, periode_name: 'Q4 2025', expected: 500000, paid: 0, missing: 500000 },
      { id: P5.id, periode_name: 'Q1 2026', expected: 700000, paid: 0, missing: 700000 },
    ],
  })
  const paidUp = await t.app.inject({ url: `/reports/members/${fajar.id}`, headers: admin.auth })
  assert.deepEqual(paidUp.json().data.arrears, {
    amount: 700000,
    periodes: [{ id: P5.id, periode_name: 'Q1 2026', expected: 700000, paid: 0, missing: 700000 }],
  })
  const forbidden = await t.app.inject({ url: '/reports/arrears', headers: { authorization: `Bearer ${token}` } })
  assert.equal(forbidden.statusCode, 403)
  const bad = await t.app.inject({ url: '/reports/arrears?as_of=2025-13-01', headers: admin.auth })
  assert.equal(bad.statusCode, 422)
  assert.match(bad.body, /as_of/)
})
