/**
 * GET /transactions[/{id}], PUT /transactions/{id}/status, DELETE /transactions/{id}: visibility,
 * filters, the status machine (every legal and illegal transition), concurrent admins, soft
 * delete with audit, exact sums, and the query plans of the list on PostgreSQL.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { and, eq, inArray, sql } from 'drizzle-orm'
import pg from 'pg'
import { openDatabase, rows } from '../../src/db/client.js'
import { auditLog, transactionStatusHistory, transactions } from '../../src/db/schema.js'
import type { AuthContext } from '../../src/lib/auth-context.js'
import { listPageWithTotalsQuery, type TransactionFilter } from '../../src/modules/transactions/transactions.queries.js'
import { createTransactionsService, TRANSITIONS } from '../../src/modules/transactions/transactions.service.js'
import { build, createUser, login, userWithToken } from '../helpers/app.js'
import { makePayment, makePeriode, makeTransaction } from './transactions.fixtures.js'

const t = await build()
const db = t.db.database.db

const alice = await userWithToken(t, 'member')
const bob = await userWithToken(t, 'member')
const admin = await userWithToken(t, 'admin')
const admin2 = await userWithToken(t, 'admin')
const periode = await makePeriode(t, '2025-01-01', '2025-03-31')
const bank = await makePayment(t)

type Status = 'sent' | 'on_process' | 'completed' | 'rejected'
const STATUSES: Status[] = ['sent', 'on_process', 'completed', 'rejected']

const setStatus = (auth: Record<string, string>, id: number, status: string, note?: string) =>
  t.app.inject({
    method: 'PUT',
    url: `/transactions/${id}/status`,
    headers: auth,
    payload: note === undefined ? { status } : { status, note },
  })

test('members see only what they own or reported; admins see all; newest first; deleted never listed', async () => {
  const own = await makeTransaction(t, { userId: alice.user.id, date: new Date('2025-02-01T03:00:00Z') })
  const reportedForBob = await makeTransaction(t, {
    userId: bob.user.id,
    reportedBy: alice.user.id,
    date: new Date('2025-02-03T03:00:00Z'),
  })
  const bobs = await makeTransaction(t, { userId: bob.user.id, date: new Date('2025-02-02T03:00:00Z') })
  const gone = await makeTransaction(t, { userId: alice.user.id, date: new Date('2025-02-04T03:00:00Z') })
  await db.update(transactions).set({ deletedAt: new Date() }).where(eq(transactions.id, gone.id))

  const mine = await t.app.inject({ url: '/transactions/', headers: alice.auth })
  assert.equal(mine.statusCode, 200, mine.body)
  const ids = mine.json().data.map((x: { id: number }) => x.id)
  assert.deepEqual(ids, [reportedForBob.id, own.id])
  assert.deepEqual(mine.json().meta, {
    page: 1,
    per_page: 2,
    total: 2,
    total_amount: 200000,
    completed_amount: 0,
    pending_amount: 200000,
  })

  const theirs = await t.app.inject({ url: '/transactions', headers: bob.auth })
  assert.deepEqual(
    theirs.json().data.map((x: { id: number }) => x.id),
    [reportedForBob.id, bobs.id],
  )

  // Filtering by someone else's user_id never widens a member's view.
  const snoop = await t.app.inject({ url: `/transactions?user_id=${bob.user.id}`, headers: alice.auth })
  assert.deepEqual(
    snoop.json().data.map((x: { id: number }) => x.id),
    [reportedForBob.id],
  )

  const all = await t.app.inject({ url: '/transactions', headers: admin.auth })
  const allIds = all.json().data.map((x: { id: number }) => x.id)
  for (const id of [own.id, reportedForBob.id, bobs.id]) assert.ok(allIds.includes(id))
  assert.ok(!allIds.includes(gone.id))
  const dates = all.json().data.map((x: { transaction_date: string }) => x.transaction_date)
  assert.deepEqual(dates, [...dates].sort().reverse())
})

test('filters: periode_id, status, payment_id, user_id, from/to as dates (Jakarta days) or instants; pagination', async () => {
  const carol = await userWithToken(t, 'member')
  const mk = (date: string, extra: Partial<{ status: Status; periodeId: number }> = {}) =>
    makeTransaction(t, { userId: carol.user.id, date: new Date(date), ...extra })
  const jan = await mk('2025-01-15T03:00:00Z', { periodeId: periode.id })
  const lateJan31 = await mk('2025-01-31T18:30:00Z', { status: 'completed' }) // 1 Feb 01:30 in Jakarta
  const feb = await mk('2025-02-10T03:00:00Z', { status: 'rejected' })
  await db.update(transactions).set({ paymentId: bank.id }).where(eq(transactions.id, feb.id))

  const q = async (query: string) => {
    const res = await t.app.inject({ url: `/transactions?user_id=${carol.user.id}&${query}`, headers: admin.auth })
    assert.equal(res.statusCode, 200, `${query}: ${res.body}`)
    return res.json().data.map((x: { id: number }) => x.id)
  }
  assert.deepEqual(await q(`periode_id=${periode.id}`), [jan.id])
  assert.deepEqual(await q('status=completed'), [lateJan31.id])
  assert.deepEqual(await q(`payment_id=${bank.id}`), [feb.id])
  // A date bound covers whole days in Asia/Jakarta: 31 Jan 18:30Z is already 1 February there.
  assert.deepEqual(await q('from=2025-02-01'), [feb.id, lateJan31.id])
  assert.deepEqual(await q('to=2025-01-31'), [jan.id])
  assert.deepEqual(await q('from=2025-01-31T18:30:00Z&to=2025-01-31T18:30:00Z'), [lateJan31.id])
  assert.deepEqual(await q('from=2025-01-01&to=2025-01-31 23:59'), [jan.id])

  const page = await t.app.inject({ url: `/transactions?user_id=${carol.user.id}&per_page=2&page=2`, headers: carol.auth })
  assert.deepEqual(page.json().meta, {
    page: 2,
    per_page: 2,
    total: 3,
    total_amount: 300000,
    completed_amount: 100000,
    pending_amount: 100000,
  })
  assert.deepEqual(
    page.json().data.map((x: { id: number }) => x.id),
    [jan.id],
  )

  for (const bad of [
    'status=done',
    'from=yesterday',
    'to=2025-13-01',
    'per_page=1001',
    'page=0',
    'periode_id=abc',
    'status=sent&status=completed',
  ]) {
    const res = await t.app.inject({ url: `/transactions?${bad}`, headers: admin.auth })
    assert.equal(res.statusCode, 422, bad)
  }
  const named = await t.app.inject({ url: '/transactions?from=yesterday', headers: admin.auth })
  assert.equal(named.json().errors[0].field, 'from')
})

test('a list item is exactly the detail JSON without history (payment, periode, confirmer, other people)', async () => {
  // The list maps flat rows itself (no ORM mapping); it must give what GET /transactions/{id} gives.
  const tx = await makeTransaction(t, {
    userId: bob.user.id,
    reportedBy: alice.user.id,
    amount: '123456.78',
    date: new Date('2025-03-07T05:06:07.089Z'),
    periodeId: periode.id,
  })
  await db.update(transactions).set({ paymentId: bank.id }).where(eq(transactions.id, tx.id))
  const bare = await makeTransaction(t, { userId: alice.user.id, date: new Date('2025-03-08T01:00:00Z') })
  assert.equal((await setStatus(admin.auth, tx.id, 'completed')).statusCode, 200)
  for (const viewer of [alice, bob, admin]) {
    const list = await t.app.inject({ url: `/transactions?from=2025-03-07&to=2025-03-08`, headers: viewer.auth })
    assert.equal(list.statusCode, 200, list.body)
    for (const id of viewer === bob ? [tx.id] : [tx.id, bare.id]) {
      const detail = await t.app.inject({ url: `/transactions/${id}`, headers: viewer.auth })
      const { history: _history, ...expected } = detail.json().data
      assert.deepEqual(
        list.json().data.find((x: { id: number }) => x.id === id),
        expected,
      )
    }
  }
  const item = (await t.app.inject({ url: `/transactions/${tx.id}`, headers: alice.auth })).json().data
  assert.equal(item.amount, 123456.78)
  assert.equal(item.transaction_date, '2025-03-07T05:06:07.089Z')
  assert.equal(item.confirmed_by.id, admin.user.id)
  assert.equal(item.confirmed_by.email, null, "members never see another person's email")
  assert.equal(item.payment.id, bank.id)
  assert.equal(item.periode.id, periode.id)
  await db
    .update(transactions)
    .set({ deletedAt: new Date() })
    .where(inArray(transactions.id, [tx.id, bare.id]))
})

test('GET /transactions/{id}: owner, reporter and admin see it with its history; another member gets 404', async () => {
  const tx = await makeTransaction(t, { userId: bob.user.id, reportedBy: alice.user.id })
  await db.insert(transactionStatusHistory).values({ transactionId: tx.id, fromStatus: null, toStatus: 'sent', changedBy: alice.user.id })
  const dave = await userWithToken(t, 'member')
  for (const who of [alice, bob, admin]) {
    const res = await t.app.inject({ url: `/transactions/${tx.id}`, headers: who.auth })
    assert.equal(res.statusCode, 200, res.body)
    assert.equal(res.json().data.id, tx.id)
    assert.equal(res.json().data.history.length, 1)
    assert.equal(res.json().data.history[0].to_status, 'sent')
    assert.equal(res.json().data.history[0].changed_by.id, alice.user.id)
  }
  const hidden = await t.app.inject({ url: `/transactions/${tx.id}`, headers: dave.auth })
  const missing = await t.app.inject({ url: '/transactions/99999999', headers: dave.auth })
  assert.equal(hidden.statusCode, 404)
  assert.equal(missing.statusCode, 404)
  assert.deepEqual(hidden.json(), missing.json())
  const badId = await t.app.inject({ url: '/transactions/abc', headers: admin.auth })
  assert.equal(badId.statusCode, 422)
})

test('members cannot change status or delete (403), not even their own', async () => {
  const tx = await makeTransaction(t, { userId: alice.user.id })
  const change = await setStatus(alice.auth, tx.id, 'completed')
  assert.equal(change.statusCode, 403)
  const other = await setStatus(bob.auth, tx.id, 'completed')
  assert.equal(other.statusCode, 403)
  const del = await t.app.inject({ method: 'DELETE', url: `/transactions/${tx.id}`, headers: bob.auth })
  assert.equal(del.statusCode, 403)
  const [row] = await db.select().from(transactions).where(eq(transactions.id, tx.id))
  assert.equal(row?.status, 'sent')
  assert.equal(row?.deletedAt, null)
})

test('every legal and illegal status transition', async () => {
  for (const from of STATUSES) {
    for (const to of STATUSES) {
      const tx = await makeTransaction(t, { userId: alice.user.id, status: from })
      const res = await setStatus(admin.auth, tx.id, to, 'checked against the bank statement')
      const legal = TRANSITIONS[from].includes(to)
      assert.equal(res.statusCode, legal ? 200 : 409, `${from} -> ${to}: ${res.body}`)
      const [row] = await db.select().from(transactions).where(eq(transactions.id, tx.id))
      assert.equal(row?.status, legal ? to : from, `${from} -> ${to}`)
      const history = await db.select().from(transactionStatusHistory).where(eq(transactionStatusHistory.transactionId, tx.id))
      if (legal) {
        assert.equal(history.length, 1)
        assert.equal(history[0]?.fromStatus, from)
        assert.equal(history[0]?.toStatus, to)
        assert.equal(history[0]?.changedBy, admin.user.id)
        const d = res.json().data
        assert.equal(d.status, to)
        assert.equal(d.history.at(-1).note, 'checked against the bank statement')
        if (to === 'completed' || to === 'rejected') {
          assert.equal(d.confirmed_by.id, admin.user.id)
          assert.ok(row?.confirmedAt)
        } else {
          assert.equal(d.confirmed_by, null)
        }
      } else {
        assert.equal(history.length, 0)
      }
    }
  }
  // The full path sent -> on_process -> completed, recorded step by step.
  const tx = await makeTransaction(t, { userId: alice.user.id })
  assert.equal((await setStatus(admin.auth, tx.id, 'on_process')).statusCode, 200)
  const done = await setStatus(admin2.auth, tx.id, 'completed')
  assert.deepEqual(
    done.json().data.history.map((h: { from_status: string; to_status: string }) => [h.from_status, h.to_status]),
    [
      ['sent', 'on_process'],
      ['on_process', 'completed'],
    ],
  )
  assert.equal(done.json().data.confirmed_by.id, admin2.user.id)
})

test('rejecting needs a note (422); bad status values are 422; missing or deleted transactions are 404', async () => {
  const tx = await makeTransaction(t, { userId: alice.user.id })
  for (const note of [undefined, '', '   ']) {
    const res = await setStatus(admin.auth, tx.id, 'rejected', note)
    assert.equal(res.statusCode, 422)
    assert.equal(res.json().errors[0].field, 'note')
  }
  assert.equal((await setStatus(admin.auth, tx.id, 'approved')).statusCode, 422)
  assert.equal((await setStatus(admin.auth, 99999999, 'completed')).statusCode, 404)
  const ok = await setStatus(admin.auth, tx.id, 'rejected', 'transfer not found in the account')
  assert.equal(ok.statusCode, 200)
  assert.equal(ok.json().data.history[0].note, 'transfer not found in the account')

  const gone = await makeTransaction(t, { userId: alice.user.id })
  await db.update(transactions).set({ deletedAt: new Date() }).where(eq(transactions.id, gone.id))
  assert.equal((await setStatus(admin.auth, gone.id, 'completed')).statusCode, 404)
})

test('two admins confirming the same deposit at once: exactly one 200, one 409, one history row', async () => {
  for (let i = 0; i < 5; i++) {
    const tx = await makeTransaction(t, { userId: alice.user.id })
    const results = await Promise.all([setStatus(admin.auth, tx.id, 'completed'), setStatus(admin2.auth, tx.id, 'rejected', 'duplicate')])
    assert.deepEqual(results.map((r) => r.statusCode).sort(), [200, 409], results.map((r) => r.body).join('\n'))
    const history = await db.select().from(transactionStatusHistory).where(eq(transactionStatusHistory.transactionId, tx.id))
    assert.equal(history.length, 1)
  }
})

test('concurrent status changes over two separate connection pools (PostgreSQL)', { skip: !t.db.url && 'PostgreSQL only' }, async () => {
  const pools = [await openDatabase({ databaseUrl: t.db.url, poolMax: 2 }), await openDatabase({ databaseUrl: t.db.url, poolMax: 2 })]
  try {
    const services = pools.map((p) =>
      createTransactionsService({
        db: p.db,
        storage: t.app.storage,
        signer: t.app.signer,
        timezone: 'Asia/Jakarta',
        log: t.app.log,
        liveness: p.liveness,
      }),
    )
    const auths: AuthContext[] = [
      { userId: admin.user.id, role: 'admin', sessionId: 'x' },
      { userId: admin2.user.id, role: 'admin', sessionId: 'y' },
    ]
    for (let i = 0; i < 10; i++) {
      const tx = await makeTransaction(t, { userId: alice.user.id, status: i % 2 ? 'on_process' : 'sent' })
      const outcomes = await Promise.allSettled([
        services[0]!.changeStatus(auths[0]!, tx.id, { status: 'completed' }),
        services[1]!.changeStatus(auths[1]!, tx.id, { status: 'completed' }),
      ])
      const codes = outcomes.map((o) => (o.status === 'fulfilled' ? 200 : (o.reason as { statusCode?: number }).statusCode)).sort()
      assert.deepEqual(codes, [200, 409])
      const history = await db.select().from(transactionStatusHistory).where(eq(transactionStatusHistory.transactionId, tx.id))
      assert.equal(history.length, 1)
    }
  } finally {
    await Promise.all(pools.map((p) => p.close()))
  }
})

test('DELETE: soft delete with an audit row; completed is 409; a second delete is 404', async () => {
  const tx = await makeTransaction(t, { userId: alice.user.id, status: 'on_process' })
  const res = await t.app.inject({ method: 'DELETE', url: `/transactions/${tx.id}`, headers: admin.auth })
  assert.equal(res.statusCode, 200, res.body)
  assert.deepEqual(Object.keys(res.json()).sort(), ['code', 'data', 'message'])
  const [row] = await db.select().from(transactions).where(eq(transactions.id, tx.id))
  assert.ok(row?.deletedAt)
  assert.equal(row?.deletedBy, admin.user.id)
  const audit = await db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.entity, 'transaction'), eq(auditLog.entityId, tx.id)))
  assert.equal(audit.length, 1)
  assert.equal(audit[0]?.action, 'transaction.delete')
  assert.equal(audit[0]?.actorId, admin.user.id)

  assert.equal((await t.app.inject({ method: 'DELETE', url: `/transactions/${tx.id}`, headers: admin.auth })).statusCode, 404)
  assert.equal((await t.app.inject({ url: `/transactions/${tx.id}`, headers: admin.auth })).statusCode, 404)
  assert.equal((await t.app.inject({ url: `/transactions/${tx.id}`, headers: alice.auth })).statusCode, 404)

  const done = await makeTransaction(t, { userId: alice.user.id, status: 'completed' })
  const refused = await t.app.inject({ method: 'DELETE', url: `/transactions/${done.id}`, headers: admin.auth })
  assert.equal(refused.statusCode, 409)
  const [kept] = await db.select().from(transactions).where(eq(transactions.id, done.id))
  assert.equal(kept?.deletedAt, null)
  assert.equal((await t.app.inject({ method: 'DELETE', url: '/transactions/99999999', headers: admin.auth })).statusCode, 404)
})

test('1,000 deposits of 0.10 sum to exactly 100.00 in SQL and in the list totals', async () => {
  const saver = await createUser(t)
  await db.insert(transactions).values(
    Array.from({ length: 1000 }, (_, i) => ({
      userId: saver.id,
      reportedBy: saver.id,
      amount: '0.10',
      status: 'completed' as const,
      transactionDate: new Date(Date.UTC(2025, 0, 1, 0, i)),
    })),
  )
  const [sum] = await rows<{ total: string }>(db, sql`SELECT sum(amount)::text AS total FROM transactions WHERE user_id = ${saver.id}`)
  assert.equal(sum?.total, '100.00')
  const res = await t.app.inject({ url: `/transactions?user_id=${saver.id}&per_page=1000`, headers: admin.auth })
  assert.equal(res.statusCode, 200)
  assert.equal(res.json().data.length, 1000)
  assert.equal(res.json().meta.total, 1000)
  assert.equal(res.json().meta.total_amount, 100)
  assert.equal(res.json().meta.completed_amount, 100)
  // Without page/per_page every row: the existing client never paginates (and deletes locally what
  // a list leaves out). A page without per_page is 500 rows.
  const all = await t.app.inject({ url: `/transactions?user_id=${saver.id}`, headers: admin.auth })
  assert.equal(all.json().data.length, 1000)
  assert.equal(all.json().meta.total_amount, 100)
  const first = await t.app.inject({ url: `/transactions?user_id=${saver.id}&page=1`, headers: admin.auth })
  assert.equal(first.json().data.length, 500)
  assert.equal(first.json().meta.total_amount, 100)
})

test('list query plans use the indexes, also for member visibility (PostgreSQL)', { skip: !t.db.url && 'PostgreSQL only' }, async () => {
  // A realistic shape: 1,000 members, 100,000 deposits, one in ten reported by a relative.
  const tag = Date.now().toString(36)
  const people = await rows<{ id: number }>(
    db,
    sql.raw(`INSERT INTO users (fullname, username, email)
      SELECT 'Plan ' || i, 'plan${tag}_' || i, 'plan${tag}_' || i || '@example.test' FROM generate_series(1, 1000) i RETURNING id`),
  )
  const first = people[0]!.id
  await db.execute(
    sql.raw(`INSERT INTO transactions (amount, transaction_date, user_id, reported_by, periode_id)
      SELECT 1000, '2020-01-01'::timestamptz + i * interval '7 minutes', ${first} + i % 1000,
             ${first} + CASE WHEN i % 10 = 0 THEN (i * 7 + 3) % 1000 ELSE i % 1000 END,
             CASE WHEN i % 2 = 0 THEN ${periode.id} END
      FROM generate_series(0, 99999) i`),
  )
  await db.execute(sql`ANALYZE transactions`)
  const pool = new pg.Pool({ connectionString: t.db.url, max: 1 })
  const explain = async (filter: TransactionFilter) => {
    const query = listPageWithTotalsQuery(db, filter, 500, 0).toSQL()
    const res = await pool.query(`EXPLAIN ${query.sql}`, query.params)
    return res.rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n')
  }
  try {
    const member = await explain({ visibleTo: first + 5 })
    assert.match(member, /BitmapOr|transactions_user_date_idx/, member)
    assert.match(member, /transactions_reporter_date_idx/, member)
    assert.doesNotMatch(member, /Seq Scan on transactions/, member)
    const all = await explain({})
    assert.match(all, /transactions_date_idx/, all)
    assert.doesNotMatch(all, /Seq Scan on transactions/, all)
    const byOwner = await explain({ userId: first + 7 })
    assert.doesNotMatch(byOwner, /Seq Scan on transactions/, byOwner)
  } finally {
    await pool.end()
  }

  // And the endpoint answers a member's page quickly with one page query and one totals query.
  const someone = await createUser(t)
  await db.execute(
    sql.raw(`INSERT INTO transactions (amount, transaction_date, user_id, reported_by)
      SELECT 1000, '2021-01-01'::timestamptz + i * interval '1 hour', ${someone.id}, ${someone.id} FROM generate_series(1, 800) i`),
  )
  const tokens = await login(t, someone)
  const started = performance.now()
  const res = await t.app.inject({ url: '/transactions?page=1', headers: { authorization: `Bearer ${tokens.access_token}` } })
  const ms = performance.now() - started
  assert.equal(res.statusCode, 200)
  assert.equal(res.json().data.length, 500)
  assert.equal(res.json().meta.total, 800)
  assert.ok(ms < 2000, `member list took ${ms} ms`)
  // The app's call (no page): all 800.
  const all = await t.app.inject({ url: '/transactions', headers: { authorization: `Bearer ${tokens.access_token}` } })
  assert.equal(all.json().data.length, 800)
})
