import assert from 'node:assert/strict'
import { test } from 'node:test'
import { eq } from 'drizzle-orm'
import { payments, transactions } from '../../src/db/schema.js'
import { assertNoSecrets, build, unique, userWithToken } from '../helpers/app.js'

const t = await build()
const admin = await userWithToken(t, 'admin')
const member = await userWithToken(t, 'member')

type Payment = {
  id: number
  payment_name: string
  payment_type: string
  account_number: string | null
  account_holder: string | null
  is_active: boolean
}

async function makePayment(extra: Record<string, unknown> = {}): Promise<Payment> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/payments',
    headers: admin.auth,
    payload: {
      payment_name: unique('Bank '),
      payment_type: 'bank_transfer',
      account_number: '1234567890',
      account_holder: 'Talangraga',
      ...extra,
    },
  })
  assert.equal(res.statusCode, 201, res.body)
  return res.json().data
}

test('admin creates a payment method with the client JSON fields', async () => {
  const p = await makePayment()
  assert.equal(p.payment_type, 'bank_transfer')
  assert.equal(p.account_number, '1234567890')
  assert.equal(p.is_active, true)
  const res = await t.app.inject({ url: `/payments/${p.id}`, headers: member.auth })
  assert.equal(res.statusCode, 200)
  assert.deepEqual(Object.keys(res.json().data).sort(), [
    'account_holder',
    'account_number',
    'created_at',
    'id',
    'is_active',
    'payment_name',
    'payment_type',
  ])
  assertNoSecrets(res)
  const cash = await makePayment({
    payment_name: unique('Cash '),
    payment_type: 'cash',
    account_number: undefined,
    account_holder: undefined,
  })
  assert.equal(cash.account_number, null)
})

test('list: ordered by name; inactive hidden from members; admins see all and can filter', async () => {
  const z = await makePayment({ payment_name: unique('zeta ') })
  const a = await makePayment({ payment_name: unique('Alpha ') })
  const off = await makePayment({ payment_name: unique('Mid '), is_active: false })

  const mine = await t.app.inject({ url: '/payments/', headers: member.auth })
  assert.equal(mine.statusCode, 200)
  const names = mine.json().data.map((p: Payment) => p.payment_name)
  assert.deepEqual(
    names,
    [...names].sort((x: string, y: string) => x.toLowerCase().localeCompare(y.toLowerCase())),
  )
  const ids = mine.json().data.map((p: Payment) => p.id)
  assert.ok(ids.indexOf(a.id) < ids.indexOf(z.id))
  assert.ok(!ids.includes(off.id))
  assert.ok(mine.json().data.every((p: Payment) => p.is_active))
  // A member's filter cannot reveal inactive ones either.
  const sneaky = await t.app.inject({ url: '/payments?is_active=false', headers: member.auth })
  assert.ok(!sneaky.json().data.some((p: Payment) => p.id === off.id))
  const hidden = await t.app.inject({ url: `/payments/${off.id}`, headers: member.auth })
  assert.equal(hidden.statusCode, 404)

  const all = await t.app.inject({ url: '/payments', headers: admin.auth })
  assert.ok(all.json().data.some((p: Payment) => p.id === off.id))
  const inactive = await t.app.inject({ url: '/payments?is_active=false', headers: admin.auth })
  assert.deepEqual(
    inactive.json().data.map((p: Payment) => p.id),
    [off.id],
  )
  assert.equal(inactive.json().meta.total, 1)
  const seen = await t.app.inject({ url: `/payments/${off.id}`, headers: admin.auth })
  assert.equal(seen.statusCode, 200)
})

test('401 without a token; 403 for members on admin routes', async () => {
  const p = await makePayment()
  assert.equal((await t.app.inject({ url: '/payments' })).statusCode, 401)
  assert.equal((await t.app.inject({ url: `/payments/${p.id}` })).statusCode, 401)
  for (const [method, url, payload] of [
    ['POST', '/payments', { payment_name: unique('M'), payment_type: 'cash' }],
    ['PUT', `/payments/${p.id}`, { account_number: '666' }],
    ['DELETE', `/payments/${p.id}`, undefined],
  ] as const) {
    const res = await t.app.inject({ method, url, headers: member.auth, ...(payload ? { payload } : {}) })
    assert.equal(res.statusCode, 403, `${method} ${url}`)
    const anon = await t.app.inject({ method, url, ...(payload ? { payload } : {}) })
    assert.equal(anon.statusCode, 401, `${method} ${url}`)
  }
  const [row] = await t.db.database.db.select().from(payments).where(eq(payments.id, p.id))
  assert.equal(row?.accountNumber, '1234567890')
})

test('422 for missing or invalid fields', async () => {
  for (const payload of [
    { payment_type: 'cash' },
    { payment_name: unique('N') },
    { payment_name: '  ', payment_type: 'cash' },
    { payment_name: unique('N'), payment_type: 'cash', is_active: 'yes' },
    { payment_name: 'x'.repeat(101), payment_type: 'cash' },
  ]) {
    const res = await t.app.inject({ method: 'POST', url: '/payments', headers: admin.auth, payload })
    assert.equal(res.statusCode, 422, JSON.stringify(payload))
  }
  const p = await makePayment()
  const blank = await t.app.inject({ method: 'PUT', url: `/payments/${p.id}`, headers: admin.auth, payload: { payment_type: ' ' } })
  assert.equal(blank.statusCode, 422)
})

test('409 for a duplicate name, case-insensitively, on create and update', async () => {
  const a = await makePayment()
  const b = await makePayment()
  const dup = await t.app.inject({
    method: 'POST',
    url: '/payments',
    headers: admin.auth,
    payload: { payment_name: a.payment_name.toUpperCase(), payment_type: 'cash' },
  })
  assert.equal(dup.statusCode, 409)
  const rename = await t.app.inject({
    method: 'PUT',
    url: `/payments/${b.id}`,
    headers: admin.auth,
    payload: { payment_name: ` ${a.payment_name.toLowerCase()} ` },
  })
  assert.equal(rename.statusCode, 409)
})

test('PUT is partial; null clears account details; 404 for a missing one', async () => {
  const p = await makePayment()
  const res = await t.app.inject({
    method: 'PUT',
    url: `/payments/${p.id}`,
    headers: admin.auth,
    payload: { account_holder: null, is_active: false },
  })
  assert.equal(res.statusCode, 200, res.body)
  const data = res.json().data
  assert.equal(data.account_holder, null)
  assert.equal(data.account_number, '1234567890')
  assert.equal(data.payment_name, p.payment_name)
  assert.equal(data.is_active, false)
  const missing = await t.app.inject({ method: 'PUT', url: '/payments/999999', headers: admin.auth, payload: { is_active: true } })
  assert.equal(missing.statusCode, 404)
})

test('DELETE removes an unused method, deactivates one with transactions, 404 when missing', async () => {
  const unused = await makePayment()
  const del = await t.app.inject({ method: 'DELETE', url: `/payments/${unused.id}`, headers: admin.auth })
  assert.equal(del.statusCode, 200)
  assert.equal(del.json().data, null)
  assert.equal((await t.db.database.db.select().from(payments).where(eq(payments.id, unused.id))).length, 0)

  const used = await makePayment()
  await t.db.database.db.insert(transactions).values({
    amount: '100.00',
    transactionDate: new Date(),
    userId: member.user.id,
    reportedBy: member.user.id,
    paymentId: used.id,
  })
  const res = await t.app.inject({ method: 'DELETE', url: `/payments/${used.id}`, headers: admin.auth })
  assert.equal(res.statusCode, 200)
  assert.match(res.json().message, /deactivated/)
  assert.equal(res.json().data.id, used.id)
  assert.equal(res.json().data.is_active, false)
  const [row] = await t.db.database.db.select().from(payments).where(eq(payments.id, used.id))
  assert.equal(row?.isActive, false)
  const forMember = await t.app.inject({ url: '/payments', headers: member.auth })
  assert.ok(!forMember.json().data.some((p: Payment) => p.id === used.id))

  const missing = await t.app.inject({ method: 'DELETE', url: `/payments/${unused.id}`, headers: admin.auth })
  assert.equal(missing.statusCode, 404)
})
