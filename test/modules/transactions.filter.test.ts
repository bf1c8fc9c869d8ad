/**
 * The one transaction filter (transactions.filter.ts): a table of query strings and the filter each
 * one parses to, then a table of queries run through every consumer — GET /transactions (all rows
 * and a page), the CSV export and the summary's totals — which must select the same rows.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { eq } from 'drizzle-orm'
import { transactions } from '../../src/db/schema.js'
import { AppError } from '../../src/lib/errors.js'
import { type FilterInput, parseFilter } from '../../src/modules/transactions/transactions.filter.js'
import type { TransactionFilter } from '../../src/modules/transactions/transactions.queries.js'
import { build, userWithToken } from '../helpers/app.js'
import { makePayment, makePeriode, makeTransaction } from './transactions.fixtures.js'

const TZ = 'Asia/Jakarta'
const admin = { userId: 1, role: 'admin' as const }
const member = { userId: 7, role: 'member' as const }
const at = (iso: string) => new Date(iso)

const parseTable: { name: string; auth: typeof admin | typeof member; input: FilterInput; owned?: boolean; want: TransactionFilter }[] = [
  { name: 'admin, nothing', auth: admin, input: {}, want: {} },
  { name: 'member sees owned or reported', auth: member, input: {}, want: { visibleTo: 7 } },
  { name: 'member summary: owned only', auth: member, input: {}, owned: true, want: { ownedBy: 7 } },
  { name: 'admin summary: everything', auth: admin, input: {}, owned: true, want: {} },
  {
    name: 'ids and a status',
    auth: admin,
    input: { periode_id: 3, payment_id: 4, user_id: 5, status: 'completed' },
    want: { periodeId: 3, paymentId: 4, userId: 5, status: 'completed' },
  },
  { name: 'pending = sent + on_process', auth: admin, input: { status: 'pending' }, want: { pending: true } },
  { name: 'a date: from its local midnight', auth: admin, input: { from: '2025-11-20' }, want: { from: at('2025-11-19T17:00:00Z') } },
  {
    name: 'a date as `to`: the whole local day',
    auth: admin,
    input: { to: '2025-11-20' },
    want: { toExclusive: at('2025-11-20T17:00:00Z') },
  },
  {
    name: 'an hour offset without minutes',
    auth: admin,
    input: { from: '2025-11-20T10:00+07' },
    want: { from: at('2025-11-20T03:00:00Z') },
  },
  {
    name: 'an offset with minutes',
    auth: admin,
    input: { to: '2025-11-20T10:00:00+05:30' },
    want: { toInclusive: at('2025-11-20T04:30:00Z') },
  },
  {
    name: 'Z and fractions',
    auth: admin,
    input: { to: '2025-11-20T10:00:00.250Z' },
    want: { toInclusive: at('2025-11-20T10:00:00.250Z') },
  },
  { name: 'local wall time, space', auth: admin, input: { from: '2025-11-20 23:59' }, want: { from: at('2025-11-20T16:59:00Z') } },
  { name: 'local wall time with seconds', auth: admin, input: { from: '2025-11-20T08:00:05' }, want: { from: at('2025-11-20T01:00:05Z') } },
]

for (const row of parseTable) {
  test(`parse: ${row.name}`, () => {
    const got = parseFilter(row.auth, row.input, TZ, row.owned ? 'owned' : 'visible')
    const defined = Object.fromEntries(Object.entries(got).filter(([, v]) => v !== undefined))
    assert.deepEqual(defined, row.want)
  })
}

const badTable: { input: FilterInput; fields: string[] }[] = [
  { input: { from: 'yesterday' }, fields: ['from'] },
  { input: { to: '2025-13-01' }, fields: ['to'] },
  { input: { to: '2025-02-30' }, fields: ['to'] },
  { input: { from: '2025-01-01T25:00' }, fields: ['from'] },
  { input: { from: '31-12-2025', to: '2025-01-01T10:00+19' }, fields: ['from', 'to'] },
]
for (const row of badTable) {
  test(`parse refuses ${JSON.stringify(row.input)} naming ${row.fields.join(', ')}`, () => {
    assert.throws(
      () => parseFilter(admin, row.input, TZ),
      (err: unknown) => {
        assert.ok(err instanceof AppError)
        assert.equal(err.statusCode, 422)
        const fields = (err.errors ?? []).map((e) => e.field)
        assert.deepEqual(fields, row.fields)
        return true
      },
    )
  })
}

test('every consumer selects the same rows for the same query', async () => {
  const t = await build()
  const adminUser = await userWithToken(t, 'admin')
  const alice = await userWithToken(t, 'member')
  const bob = await userWithToken(t, 'member')
  const periode = await makePeriode(t, '2036-01-01', '2036-01-31')
  const bank = await makePayment(t)
  const mk = (userId: number, iso: string, status: 'sent' | 'on_process' | 'completed' | 'rejected', extra = {}) =>
    makeTransaction(t, { userId, date: at(iso), status, ...extra })
  const a1 = await mk(alice.user.id, '2036-01-10T03:00:00Z', 'completed', { periodeId: periode.id })
  const a2 = await mk(alice.user.id, '2036-01-20T16:59:00Z', 'sent') // 23:59 local on the 20th
  const a3 = await mk(alice.user.id, '2036-01-20T17:00:00Z', 'on_process') // 00:00 local on the 21st
  const b1 = await mk(bob.user.id, '2036-01-15T03:00:00Z', 'rejected', { periodeId: periode.id })
  const b2 = await mk(bob.user.id, '2036-01-16T03:00:00Z', 'sent', { reportedBy: alice.user.id })
  // The payment is set directly: the fixture does not take one.
  await t.db.database.db.update(transactions).set({ paymentId: bank.id }).where(eq(transactions.id, b1.id))

  const cases: { query: string; as: 'admin' | 'alice' | 'bob'; ids: number[] }[] = [
    { query: '', as: 'admin', ids: [a3.id, a2.id, b2.id, b1.id, a1.id] },
    { query: '', as: 'alice', ids: [a3.id, a2.id, b2.id, a1.id] },
    { query: '', as: 'bob', ids: [b2.id, b1.id] },
    { query: 'status=pending', as: 'admin', ids: [a3.id, a2.id, b2.id] },
    { query: 'status=completed', as: 'admin', ids: [a1.id] },
    { query: `periode_id=${periode.id}`, as: 'admin', ids: [b1.id, a1.id] },
    { query: `payment_id=${bank.id}`, as: 'admin', ids: [b1.id] },
    { query: `user_id=${bob.user.id}`, as: 'alice', ids: [b2.id] },
    { query: 'to=2036-01-20', as: 'admin', ids: [a2.id, b2.id, b1.id, a1.id] },
    { query: 'from=2036-01-21', as: 'admin', ids: [a3.id] },
    { query: 'from=2036-01-20T23:59%2B07&to=2036-01-21 00:00', as: 'admin', ids: [a3.id, a2.id] },
    { query: 'from=2036-01-15T03:00:00Z&to=2036-01-16T03:00:00Z', as: 'admin', ids: [b2.id, b1.id] },
  ]
  const auths = { admin: adminUser.auth, alice: alice.auth, bob: bob.auth }
  for (const c of cases) {
    const headers = auths[c.as]
    const all = await t.app.inject({ url: `/transactions?${c.query}`, headers })
    assert.equal(all.statusCode, 200, all.body)
    assert.deepEqual(
      all.json().data.map((x: { id: number }) => x.id),
      c.ids,
      `list ${c.query} as ${c.as}`,
    )
    const page = await t.app.inject({ url: `/transactions?${c.query}&page=1&per_page=2`, headers })
    assert.equal(page.json().meta.total, c.ids.length, `page total ${c.query}`)
    assert.deepEqual(
      page.json().data.map((x: { id: number }) => x.id),
      c.ids.slice(0, 2),
    )
    const csv = await t.app.inject({ url: `/reports/transactions.csv?${c.query}`, headers })
    assert.equal(csv.statusCode, 200, csv.body)
    const csvIds = csv.body
      .split('\r\n')
      .slice(1)
      .filter(Boolean)
      .map((line) => Number(line.split(',')[0]))
    assert.deepEqual(csvIds, c.ids, `csv ${c.query} as ${c.as}`)
  }

  // The summary reads the same range grammar (its scope: a member's own deposits).
  const range = 'from=2036-01-20T23:59%2B07&to=2036-01-21 00:00'
  const summary = await t.app.inject({ url: `/reports/summary?${range}`, headers: adminUser.auth })
  assert.equal(summary.statusCode, 200, summary.body)
  assert.equal(summary.json().data.totals.transaction_count, 2)
  const own = await t.app.inject({ url: '/reports/summary', headers: bob.auth })
  assert.equal(own.json().data.totals.transaction_count, 2, 'Bob owns b1 and b2 (a deposit Alice reported for him counts)')
  const aliceOwn = await t.app.inject({ url: '/reports/summary', headers: alice.auth })
  assert.equal(aliceOwn.json().data.totals.transaction_count, 3, 'what Alice reported for Bob is not hers')

  // One grammar: the same bad value is the same 422 everywhere.
  for (const url of [
    '/transactions?from=2036-01-20T10:00%2B19',
    '/reports/transactions.csv?from=2036-01-20T10:00%2B19',
    '/reports/summary?from=2036-01-20T10:00%2B19',
  ]) {
    const res = await t.app.inject({ url, headers: adminUser.auth })
    assert.equal(res.statusCode, 422, url)
    assert.equal(res.json().errors?.[0]?.field, 'from', url)
  }
})
