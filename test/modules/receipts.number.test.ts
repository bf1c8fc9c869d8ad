/**
 * Kuitansi numbers: given when a deposit becomes completed, `<NNNN>/KWT/<roman month>/<year>` in
 * APP_TIMEZONE, gapless per year even when completions run concurrently or roll back.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { eq } from 'drizzle-orm'
import { receiptCounters, transactions } from '../../src/db/schema.js'
import { formatReceiptNumber, issueReceiptNumber } from '../../src/modules/receipts/receipt-number.js'
import { build, userWithToken } from '../helpers/app.js'
import { makeTransaction } from './transactions.fixtures.js'

const TZ = 'Asia/Jayapura'
const t = await build({ APP_TIMEZONE: TZ })
const db = t.db.database.db
const admin = await userWithToken(t, 'admin')
const member = await userWithToken(t, 'member')

const complete = (id: number) =>
  t.app.inject({ method: 'PUT', url: `/transactions/${id}/status`, headers: admin.auth, payload: { status: 'completed' } })

const sequenceOf = (number: string) => Number(number.split('/')[0])

test('format: four digits at least, Roman month, year', () => {
  assert.equal(formatReceiptNumber(42, 2026, 11), '0042/KWT/XI/2026')
  assert.equal(formatReceiptNumber(1, 2027, 1), '0001/KWT/I/2027')
  assert.equal(formatReceiptNumber(12345, 2027, 4), '12345/KWT/IV/2027')
  assert.throws(() => formatReceiptNumber(0, 2026, 1), RangeError)
  assert.throws(() => formatReceiptNumber(1, 2026, 13), RangeError)
})

test('null until completed; completion gives the number of the local year and month, in the detail and the list', async () => {
  const tx = await makeTransaction(t, { userId: member.user.id })
  const before = await t.app.inject({ url: `/transactions/${tx.id}`, headers: member.auth })
  assert.equal(before.json().data.receipt_number, null)
  await t.app.inject({ method: 'PUT', url: `/transactions/${tx.id}/status`, headers: admin.auth, payload: { status: 'on_process' } })
  const onProcess = await t.app.inject({ url: `/transactions/${tx.id}`, headers: member.auth })
  assert.equal(onProcess.json().data.receipt_number, null)

  const res = await complete(tx.id)
  assert.equal(res.statusCode, 200, res.body)
  const { receipt_number: number, confirmed_at } = res.json().data
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: 'numeric' }).formatToParts(new Date(confirmed_at))
  const year = Number(parts.find((p) => p.type === 'year')?.value)
  const month = Number(parts.find((p) => p.type === 'month')?.value)
  assert.match(number, /^\d{4}\/KWT\/[IVX]+\/\d{4}$/)
  assert.equal(number.split('/').slice(1).join('/'), formatReceiptNumber(1, year, month).split('/').slice(1).join('/'))

  const list = await t.app.inject({ url: '/transactions', headers: member.auth })
  assert.equal(list.json().data.find((x: { id: number }) => x.id === tx.id).receipt_number, number)

  const rejected = await makeTransaction(t, { userId: member.user.id })
  const r = await t.app.inject({
    method: 'PUT',
    url: `/transactions/${rejected.id}/status`,
    headers: admin.auth,
    payload: { status: 'rejected', note: 'blurred receipt' },
  })
  assert.equal(r.json().data.receipt_number, null)
})

test('a completion that rolls back leaves no gap', async () => {
  const last = async () => (await db.select().from(receiptCounters)).map((c) => c.lastNumber).reduce((a, b) => Math.max(a, b), 0)
  const start = await last()
  const doomed = await makeTransaction(t, { userId: member.user.id })
  await assert.rejects(
    db.transaction(async (tx) => {
      await tx.update(transactions).set({ status: 'completed' }).where(eq(transactions.id, doomed.id))
      const n = await issueReceiptNumber(tx, doomed.id, TZ)
      assert.equal(sequenceOf(n), start + 1)
      throw new Error('storage failed after the number was taken')
    }),
    /storage failed/,
  )
  assert.equal(await last(), start)
  const [row] = await db.select().from(transactions).where(eq(transactions.id, doomed.id))
  assert.equal(row?.receiptNumber, null)
  assert.equal(row?.status, 'sent')

  const next = await makeTransaction(t, { userId: member.user.id })
  const res = await complete(next.id)
  assert.equal(sequenceOf(res.json().data.receipt_number), start + 1)
})

test('concurrent completions of different deposits: every number once, no gap', async () => {
  const counters = await db.select().from(receiptCounters)
  const start = counters.reduce((a, c) => Math.max(a, c.lastNumber), 0)
  const deposits = await Promise.all(Array.from({ length: 16 }, () => makeTransaction(t, { userId: member.user.id })))
  const results = await Promise.all(deposits.map((d) => complete(d.id)))
  for (const r of results) assert.equal(r.statusCode, 200, r.body)
  const numbers = results.map((r) => r.json().data.receipt_number as string)
  assert.equal(new Set(numbers).size, numbers.length, 'no duplicate')
  const sequences = numbers.map(sequenceOf).sort((a, b) => a - b)
  assert.deepEqual(
    sequences,
    Array.from({ length: 16 }, (_, i) => start + 1 + i),
    'gapless',
  )
  // Racing a second confirmation of the same deposit gives it no second number.
  const again = await complete(deposits[0]?.id as number)
  assert.equal(again.statusCode, 409)
  const [counter] = await db.select().from(receiptCounters)
  assert.equal(counter?.lastNumber, start + 16)
})
