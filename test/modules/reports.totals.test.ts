/**
 * The running totals behind /reports/summary (ledger_totals, ledger_marks.owned, migration 0010)
 * agree with the rows after every kind of change: inserts (single and batch), status changes,
 * corrections, soft and hard deletes, a change of periode or payment. The same summary with a
 * range that covers everything is computed from the rows, so the two must be equal.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { eq } from 'drizzle-orm'
import { transactions } from '../../src/db/schema.js'
import { build, userWithToken } from '../helpers/app.js'
import { makePayment, makePeriode, makeTransaction } from './transactions.fixtures.js'

const t = await build()
const db = t.db.database.db
const admin = await userWithToken(t, 'admin')
const members = [await userWithToken(t, 'member'), await userWithToken(t, 'member'), await userWithToken(t, 'member')]
const jan = await makePeriode(t, '2023-01-01', '2023-01-31')
const feb = await makePeriode(t, '2023-02-01', '2023-02-28')
const cash = await makePayment(t)
const bank = await makePayment(t)

async function summaries() {
  const fromTotals = await t.app.inject({ url: '/reports/summary', headers: admin.auth })
  const fromRows = await t.app.inject({ url: '/reports/summary?from=1900-01-01', headers: admin.auth })
  assert.equal(fromTotals.statusCode, 200, fromTotals.body)
  assert.equal(fromRows.statusCode, 200, fromRows.body)
  const strip = (body: { data: Record<string, unknown> }) => ({ ...body.data, from: null })
  return { totals: strip(fromTotals.json()), rows: strip(fromRows.json()) }
}

async function expectAgree(step: string) {
  const { totals, rows } = await summaries()
  assert.deepEqual(totals, rows, step)
}

test('the running totals equal the rows after every kind of change', async () => {
  await expectAgree('empty ledger')
  const [a, b, c] = members.map((m) => m.user.id) as [number, number, number]
  const one = await t.app.inject({
    method: 'POST',
    url: '/transactions',
    headers: admin.auth,
    payload: { user_id: a, amount: '125000.50', transaction_date: '2023-01-05 10:00', periode_id: jan.id, payment_id: cash.id },
  })
  assert.equal(one.statusCode, 201, one.body)
  const batch = await t.app.inject({
    method: 'POST',
    url: '/transactions/batch',
    headers: admin.auth,
    payload: {
      allocations: [
        { user_id: b, amount: 50000 },
        { user_id: c, amount: 75000 },
      ],
      transaction_date: '2023-02-03 09:00',
      payment_id: bank.id,
    },
  })
  assert.equal(batch.statusCode, 201, batch.body)
  const loose = await makeTransaction(t, { userId: a, amount: '1000.00', date: new Date('2023-03-01T00:00:00Z') })
  await expectAgree('after inserts')

  const id = one.json().data.id as number
  const [bId, cId] = batch.json().data.map((x: { id: number }) => x.id) as [number, number]
  const put = (tid: number, payload: object) =>
    t.app.inject({ method: 'PUT', url: `/transactions/${tid}/status`, headers: admin.auth, payload })
  assert.equal((await put(id, { status: 'on_process' })).statusCode, 200)
  assert.equal((await put(id, { status: 'completed' })).statusCode, 200)
  assert.equal((await put(bId, { status: 'rejected', note: 'blurred' })).statusCode, 200)
  assert.equal((await put(cId, { status: 'needs_correction', note: 'wrong amount' })).statusCode, 200)
  await expectAgree('after status changes')

  const corrected = await t.app.inject({
    method: 'PUT',
    url: `/transactions/${cId}`,
    headers: members[2]?.auth,
    payload: { amount: 80000, periode_id: feb.id, payment_id: cash.id },
  })
  assert.equal(corrected.statusCode, 200, corrected.body)
  await expectAgree('after a correction (amount, periode and payment changed)')

  assert.equal((await t.app.inject({ method: 'DELETE', url: `/transactions/${loose.id}`, headers: admin.auth })).statusCode, 200)
  await expectAgree('after a soft delete')
  const gone = await makeTransaction(t, { userId: b, amount: '2000.00', date: new Date('2023-02-10T00:00:00Z'), periodeId: feb.id })
  await expectAgree('after another insert')
  await db.delete(transactions).where(eq(transactions.id, gone.id))
  await expectAgree('after a hard delete')

  const { totals } = await summaries()
  const t0 = totals as unknown as { totals: { transaction_count: number; member_count: number } }
  assert.equal(t0.totals.transaction_count, 3, 'completed, rejected and the corrected one')
  assert.equal(t0.totals.member_count, 3)
})
