/**
 * The treasurer's workflow on a deposit (SPEC §7): reasons (`status_note`, notes required for
 * rejected and needs_correction), the needs_correction round trip through PUT /transactions/{id},
 * four eyes (VERIFY_OWN_DEPOSITS) and bulk status changes, all over HTTP.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { eq } from 'drizzle-orm'
import { transactionStatusHistory, transactions } from '../../src/db/schema.js'
import { build, createUser, login, type TestApp, userWithToken } from '../helpers/app.js'
import { form, jpeg, makePayment, makePeriode, makeTransaction, receipt } from './transactions.fixtures.js'

const t = await build()
const db = t.db.database.db

const alice = await userWithToken(t, 'member')
const bob = await userWithToken(t, 'member')
const carol = await userWithToken(t, 'member')
const admin = await userWithToken(t, 'admin')
const admin2 = await userWithToken(t, 'admin')
const periode = await makePeriode(t, '2025-01-01', '2025-03-31')
const periode2 = await makePeriode(t, '2025-04-01', '2025-06-30')
const bank = await makePayment(t)

const setStatus = (app: TestApp, auth: Record<string, string>, id: number, status: string, note?: string) =>
  app.app.inject({
    method: 'PUT',
    url: `/transactions/${id}/status`,
    headers: auth,
    payload: note === undefined ? { status } : { status, note },
  })

/** A member's deposit over HTTP (multipart with a receipt), as the app sends it. */
async function submit(member: { auth: Record<string, string> }, ownerId: number, amount = '150000', image?: Buffer) {
  const body = form({ userId: String(ownerId), amount, transaction_date: '2025-02-10 10:00', periode_id: String(periode.id) }, [
    receipt(image ?? (await jpeg())),
  ])
  const res = await t.app.inject({
    method: 'POST',
    url: '/transactions',
    headers: { ...member.auth, ...body.headers },
    payload: body.payload,
  })
  assert.equal(res.statusCode, 201, res.body)
  return res.json().data as { id: number; status: string; status_note: string | null; is_duplicate_receipt: boolean }
}

test('status_note: null until a change carries a reason; rejected and needs_correction require a note (422 naming it)', async () => {
  const dep = await submit(alice, alice.user.id)
  assert.equal(dep.status_note, null)

  for (const status of ['rejected', 'needs_correction']) {
    for (const note of [undefined, '   ']) {
      const res = await setStatus(t, admin.auth, dep.id, status, note)
      assert.equal(res.statusCode, 422, res.body)
      assert.match(res.body, /"field":"note"/)
    }
  }
  const onProcess = await setStatus(t, admin.auth, dep.id, 'on_process', 'checking with the bank')
  assert.equal(onProcess.statusCode, 200, onProcess.body)
  assert.equal(onProcess.json().data.status_note, 'checking with the bank')

  const rejected = await setStatus(t, admin.auth, dep.id, 'rejected', '  Transfer not found in the bank statement ')
  assert.equal(rejected.statusCode, 200, rejected.body)
  assert.equal(rejected.json().data.status_note, 'Transfer not found in the bank statement')
  assert.equal(rejected.json().data.confirmed_by.id, admin.user.id)

  // The member sees the reason in the detail and in the list.
  const mine = await t.app.inject({ url: `/transactions/${dep.id}`, headers: alice.auth })
  assert.equal(mine.json().data.status_note, 'Transfer not found in the bank statement')
  const list = await t.app.inject({ url: '/transactions', headers: alice.auth })
  const row = list.json().data.find((x: { id: number }) => x.id === dep.id)
  assert.equal(row.status_note, 'Transfer not found in the bank statement')
})

test('needs_correction -> PUT /transactions/{id} by the owner (JSON): back to sent, history records what changed', async () => {
  const dep = await submit(alice, alice.user.id, '150000')
  const asked = await setStatus(t, admin.auth, dep.id, 'needs_correction', 'The amount on the receipt is 175.000')
  assert.equal(asked.statusCode, 200, asked.body)
  assert.equal(asked.json().data.status, 'needs_correction')
  assert.equal(asked.json().data.status_note, 'The amount on the receipt is 175.000')
  assert.equal(asked.json().data.confirmed_by, null, 'needs_correction is not a verification')

  // Only the owner's correction leaves needs_correction; admins cannot move it on.
  for (const status of ['sent', 'on_process', 'completed', 'rejected', 'needs_correction']) {
    const res = await setStatus(t, admin.auth, dep.id, status, 'x')
    assert.equal(res.statusCode, 409, `${status}: ${res.body}`)
  }

  const res = await t.app.inject({
    method: 'PUT',
    url: `/transactions/${dep.id}`,
    headers: alice.auth,
    payload: { amount: '175000.0', periode_id: periode2.id, payment_id: bank.id, transaction_date: '2025-02-10 10:00' },
  })
  assert.equal(res.statusCode, 200, res.body)
  const data = res.json().data
  assert.equal(data.status, 'sent')
  assert.equal(data.status_note, null)
  assert.equal(data.amount, 175000)
  assert.equal(data.periode.id, periode2.id)
  assert.equal(data.payment.id, bank.id)
  const last = data.history.at(-1)
  assert.equal(last.from_status, 'needs_correction')
  assert.equal(last.to_status, 'sent')
  assert.equal(last.changed_by.id, alice.user.id)
  // The unchanged date is not listed; everything else is, with old and new values.
  assert.deepEqual(last.changes, {
    amount: { from: 150000, to: 175000 },
    periode_id: { from: periode.id, to: periode2.id },
    payment_id: { from: null, to: bank.id },
  })
  assert.match(last.note, /^Corrected: amount 150000 -> 175000/)
  // Earlier entries have no changes.
  assert.equal(data.history[0].changes, null)

  const [stored] = await db.select().from(transactions).where(eq(transactions.id, dep.id))
  assert.equal(stored?.amount, '175000.00')
  assert.equal(stored?.status, 'sent')

  // Corrected deposits are verified as usual.
  const done = await setStatus(t, admin.auth, dep.id, 'completed')
  assert.equal(done.statusCode, 200, done.body)
})

test('correction by the reporter with a new receipt (multipart); the duplicate-receipt flag applies', async () => {
  const reused = await jpeg()
  const first = await submit(bob, carol.user.id, '100000', reused)
  const dep = await submit(bob, carol.user.id, '200000')
  assert.equal((await setStatus(t, admin.auth, dep.id, 'needs_correction', 'Receipt is blurred')).statusCode, 200)

  const body = form({ amount: '200000.0' }, [receipt(reused)])
  const res = await t.app.inject({
    method: 'PUT',
    url: `/transactions/${dep.id}`,
    headers: { ...bob.auth, ...body.headers },
    payload: body.payload,
  })
  assert.equal(res.statusCode, 200, res.body)
  const data = res.json().data
  assert.equal(data.status, 'sent')
  assert.equal(data.is_duplicate_receipt, true)
  assert.equal(data.duplicate_of_id, first.id)
  assert.match(res.json().message, /already submitted/)
  const last = data.history.at(-1)
  assert.deepEqual(Object.keys(last.changes), ['file'], 'an unchanged amount is not a change')
  assert.match(last.note, /receipt replaced/)
  assert.match(data.bukti_transfer_url, /\/files\//)
})

test('correction: only while needs_correction (409), only owner or reporter (others 404, admins 403), validated (422)', async () => {
  const dep = await submit(alice, alice.user.id)
  const put = (auth: Record<string, string>, payload: object) =>
    t.app.inject({ method: 'PUT', url: `/transactions/${dep.id}`, headers: auth, payload })

  const early = await put(alice.auth, { amount: 1000 })
  assert.equal(early.statusCode, 409, early.body)
  assert.match(early.json().message, /needs correction/)

  await setStatus(t, admin.auth, dep.id, 'needs_correction', 'wrong periode')
  assert.equal((await put(bob.auth, { amount: 1000 })).statusCode, 404)
  const byAdmin = await put(admin.auth, { amount: 1000 })
  assert.equal(byAdmin.statusCode, 403, byAdmin.body)
  assert.match(byAdmin.json().message, /owns or reported/)
  assert.equal((await t.app.inject({ method: 'PUT', url: '/transactions/99999999', headers: alice.auth, payload: {} })).statusCode, 404)

  const bad = await put(alice.auth, { amount: '12.345', periode_id: 99999999 })
  assert.equal(bad.statusCode, 422, bad.body)
  assert.match(bad.body, /"field":"amount"/)
  assert.match(bad.body, /"field":"periode_id"/)
  const badDate = await put(alice.auth, { transaction_date: 'yesterday' })
  assert.equal(badDate.statusCode, 422)
  assert.match(badDate.body, /"field":"transaction_date"/)

  // Nothing changed by the refusals.
  const [row] = await db.select().from(transactions).where(eq(transactions.id, dep.id))
  assert.equal(row?.status, 'needs_correction')
  assert.equal(row?.amount, '150000.00')
})

test('correction with an Idempotency-Key: a retry replays the first answer and adds no second history entry', async () => {
  const dep = await submit(alice, alice.user.id)
  await setStatus(t, admin.auth, dep.id, 'needs_correction', 'amount')
  const headers = { ...alice.auth, 'idempotency-key': `fix-${dep.id}` }
  const first = await t.app.inject({ method: 'PUT', url: `/transactions/${dep.id}`, headers, payload: { amount: 160000 } })
  assert.equal(first.statusCode, 200, first.body)
  const again = await t.app.inject({ method: 'PUT', url: `/transactions/${dep.id}`, headers, payload: { amount: 160000 } })
  assert.equal(again.statusCode, 200, again.body)
  assert.equal(again.headers['idempotent-replayed'], 'true')
  assert.equal(again.json().data.history.length, first.json().data.history.length)
  const other = await t.app.inject({ method: 'PUT', url: `/transactions/${dep.id}`, headers, payload: { amount: 170000 } })
  assert.equal(other.statusCode, 422, other.body)
  const history = await db.select().from(transactionStatusHistory).where(eq(transactionStatusHistory.transactionId, dep.id))
  assert.equal(history.filter((h) => h.fromStatus === 'needs_correction').length, 1)
})

test('four eyes (default single-admin): an admin cannot decide on a deposit they reported or own while another admin is active', async () => {
  // Cash recorded by admin for a member, and admin's own deposit.
  const reported = await makeTransaction(t, { userId: alice.user.id, reportedBy: admin.user.id })
  const owned = await makeTransaction(t, { userId: admin.user.id, reportedBy: admin.user.id })
  for (const [dep, word] of [
    [reported, 'reported'],
    [owned, 'own'],
  ] as const) {
    for (const status of ['completed', 'rejected', 'needs_correction']) {
      const res = await setStatus(t, admin.auth, dep.id, status, 'reason')
      assert.equal(res.statusCode, 403, res.body)
      assert.match(res.json().message, new RegExp(`You ${word} this deposit, so another admin must verify it`))
      assert.equal(res.json().data, null)
    }
    // Taking it into processing decides nothing and stays allowed.
    assert.equal((await setStatus(t, admin.auth, dep.id, 'on_process')).statusCode, 200)
    const other = await setStatus(t, admin2.auth, dep.id, 'completed')
    assert.equal(other.statusCode, 200, other.body)
    assert.equal(other.json().data.confirmed_by.id, admin2.user.id)
  }
})

test('four eyes: the sole active admin may verify their own deposit (single-admin), never with `never`, always with `always`', async () => {
  for (const [policy, admins, expected] of [
    [undefined, 1, 200],
    ['never', 1, 403],
    ['always', 2, 200],
  ] as const) {
    const app = await build(policy ? { VERIFY_OWN_DEPOSITS: policy } : {})
    const sole = await createUser(app, { role: 'admin' })
    if (admins > 1) await createUser(app, { role: 'admin' })
    // An inactive admin is not a second pair of eyes.
    await createUser(app, { role: 'admin', active: false })
    const token = (await login(app, sole)).access_token
    const dep = await makeTransaction(app, { userId: sole.id })
    const res = await setStatus(app, { authorization: `Bearer ${token}` }, dep.id, 'completed')
    assert.equal(res.statusCode, expected, `${policy ?? 'default'}: ${res.body}`)
  }
})

test('bulk status: each item on its own, per-item answers; one failure never undoes the others', async () => {
  const a = await makeTransaction(t, { userId: alice.user.id })
  const b = await makeTransaction(t, { userId: bob.user.id, status: 'on_process' })
  const done = await makeTransaction(t, { userId: bob.user.id, status: 'completed' })
  const mine = await makeTransaction(t, { userId: carol.user.id, reportedBy: admin.user.id })
  const res = await t.app.inject({
    method: 'POST',
    url: '/transactions/status',
    headers: admin.auth,
    payload: { ids: [a.id, done.id, 99999999, mine.id, b.id, a.id], status: 'completed' },
  })
  assert.equal(res.statusCode, 200, res.body)
  const items = res.json().data as { id: number; ok: boolean; code: number; message: string; transaction?: { status: string } }[]
  assert.deepEqual(
    items.map((i) => [i.id, i.ok, i.code]),
    [
      [a.id, true, 200],
      [done.id, false, 409],
      [99999999, false, 404],
      [mine.id, false, 403],
      [b.id, true, 200],
    ],
  )
  assert.equal(items[0]?.transaction?.status, 'completed')
  assert.equal(items[1]?.transaction, undefined)
  assert.match(items[1]?.message ?? '', /Cannot change a transaction from completed to completed/)
  assert.match(res.json().message, /2 of 5 updated/)
  const statuses = await db.select({ id: transactions.id, status: transactions.status }).from(transactions)
  const byId = new Map(statuses.map((s) => [s.id, s.status]))
  assert.equal(byId.get(a.id), 'completed')
  assert.equal(byId.get(b.id), 'completed')
  assert.equal(byId.get(mine.id), 'sent')
})

test('bulk status: the note rule applies to the whole request; at most 500 ids; admins only', async () => {
  const a = await makeTransaction(t, { userId: alice.user.id })
  const noNote = await t.app.inject({
    method: 'POST',
    url: '/transactions/status',
    headers: admin.auth,
    payload: { ids: [a.id], status: 'rejected' },
  })
  assert.equal(noNote.statusCode, 422)
  assert.match(noNote.body, /"field":"note"/)
  const tooMany = await t.app.inject({
    method: 'POST',
    url: '/transactions/status',
    headers: admin.auth,
    payload: { ids: Array.from({ length: 501 }, (_, i) => i + 1), status: 'completed' },
  })
  assert.equal(tooMany.statusCode, 422)
  const member = await t.app.inject({
    method: 'POST',
    url: '/transactions/status',
    headers: alice.auth,
    payload: { ids: [a.id], status: 'completed' },
  })
  assert.equal(member.statusCode, 403)
  const withNote = await t.app.inject({
    method: 'POST',
    url: '/transactions/status',
    headers: admin.auth,
    payload: { ids: [a.id], status: 'needs_correction', note: 'Please upload the full receipt' },
  })
  assert.equal(withNote.statusCode, 200)
  assert.equal(withNote.json().data[0].transaction.status_note, 'Please upload the full receipt')
})
