/**
 * The one read model (transactions.queries.ts rowSelection + transactionMapper): PostgreSQL writes
 * a transaction's JSON text and the server adds the signed URLs. These tests put awkward values in
 * every field (quotes, backslashes, control characters, non-Latin names, cents, nulls, a confirmer,
 * images, a legacy receipt URL) and check that every answer that carries a transaction — list page,
 * streamed list, detail with history, status change, CSV — is valid JSON that matches the response
 * schema and says exactly what the database holds, with the email rule applied for each viewer.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { eq } from 'drizzle-orm'
import type { LightMyRequestResponse } from 'fastify'
import { Value } from 'typebox/value'
import { files, payments, periodes, transactions, users } from '../../src/db/schema.js'
import { TransactionDetailOut, TransactionOut } from '../../src/modules/transactions/transactions.schemas.js'
import { build, createUser, login } from '../helpers/app.js'

const t = await build({ APP_LOCALE: 'en' })
const db = t.db.database.db

const awkward = 'Siti "Ami" \\ nah\tbin\u0001 عائشة ✓'
const owner = await createUser(t, { fullname: awkward })
const reporter = await createUser(t, { fullname: 'Ahmad </script> Reporter' })
const admin = await createUser(t, { role: 'admin', fullname: 'Bendahara\nSatu' })
await db.update(users).set({ imageProfileKey: 'profiles/owner.jpg' }).where(eq(users.id, owner.id))
const auth = async (u: { username: string; password: string }) => ({ authorization: `Bearer ${(await login(t, u)).access_token}` })
const asOwner = await auth(owner)
const asReporter = await auth(reporter)
const asAdmin = await auth(admin)

const [periode] = await db
  .insert(periodes)
  .values({ periodeName: 'Periode "Syawal"', startDate: '2031-01-01', endDate: '2031-01-31', targetAmount: null })
  .returning()
const [pay] = await db
  .insert(payments)
  .values({ paymentName: 'Bank \\ Syariah', paymentType: 'bank_transfer', accountNumber: null, accountHolder: 'Yayasan "Talangraga"' })
  .returning()
if (!periode || !pay) throw new Error('fixtures')

await db
  .insert(files)
  .values({ key: 'receipts/2031/01/a.jpg', ownerId: owner.id, kind: 'receipt', contentType: 'image/jpeg', sizeBytes: 1, sha256: 'x' })

const [withAll] = await db
  .insert(transactions)
  .values({
    userId: owner.id,
    reportedBy: reporter.id,
    amount: '1500000.50',
    status: 'completed',
    transactionDate: new Date('2031-01-10T03:04:05.678Z'),
    periodeId: periode.id,
    paymentId: pay.id,
    confirmedBy: admin.id,
    confirmedAt: new Date('2031-01-11T00:00:00.001Z'),
    fileKey: 'receipts/2031/01/a.jpg',
    statusNote: 'catatan "penting"\nbaris dua',
    receiptNumber: '0001/KWT/I/2031',
  })
  .returning()
const [bare] = await db
  .insert(transactions)
  .values({
    userId: owner.id,
    reportedBy: owner.id,
    amount: '999999999999.99',
    status: 'sent',
    transactionDate: new Date('2031-01-09T00:00:00Z'),
    legacyProofUrl: 'https://old.example.test/bukti/1.jpg',
  })
  .returning()
if (!withAll || !bare) throw new Error('fixtures')

type Json = Record<string, unknown> & {
  user: Record<string, unknown>
  reported_by: Record<string, unknown>
  confirmed_by: Record<string, unknown> | null
}

function checkFull(j: Json, viewer: 'owner' | 'reporter' | 'admin') {
  assert.ok(Value.Check(TransactionOut, j), JSON.stringify([...Value.Errors(TransactionOut, j)].slice(0, 3)))
  assert.equal(j.id, withAll!.id)
  assert.equal(j.amount, 1500000.5)
  assert.equal(j.transaction_date, '2031-01-10T03:04:05.678Z')
  assert.equal(j.status, 'completed')
  assert.match(String(j.bukti_transfer_url), /\/files\/receipts\/2031\/01\/a\.jpg\?exp=\d+&sig=[\w-]+$/)
  assert.equal(j.user.fullname, awkward)
  assert.match(String(j.user.image_profile_url), /\/files\/profiles\/owner\.jpg\?exp=\d+&sig=/)
  assert.equal(j.reported_by.fullname, 'Ahmad </script> Reporter')
  assert.equal(j.reported_by.image_profile_url, null)
  assert.equal(j.confirmed_by?.fullname, 'Bendahara\nSatu')
  assert.equal(j.confirmed_at, '2031-01-11T00:00:00.001Z')
  assert.deepEqual(j.payment, {
    id: pay!.id,
    payment_name: 'Bank \\ Syariah',
    payment_type: 'bank_transfer',
    account_number: null,
    account_holder: 'Yayasan "Talangraga"',
    is_active: true,
    created_at: pay!.createdAt.toISOString(),
  })
  assert.deepEqual(j.periode, {
    id: periode!.id,
    periode_name: 'Periode "Syawal"',
    start_date: '2031-01-01',
    end_date: '2031-01-31',
    target_amount: null,
    created_at: periode!.createdAt.toISOString(),
  })
  assert.equal(j.status_note, 'catatan "penting"\nbaris dua')
  assert.equal(j.receipt_number, '0001/KWT/I/2031')
  assert.equal(j.is_duplicate_receipt, false)
  assert.equal(j.created_at, withAll!.createdAt.toISOString())
  // The email rule: admins see everyone's, members only their own.
  assert.equal(j.user.email, viewer === 'reporter' ? null : owner.email)
  assert.equal(j.reported_by.email, viewer === 'owner' ? null : reporter.email)
  assert.equal(j.confirmed_by?.email, viewer === 'admin' ? admin.email : null)
}

function checkBare(j: Json) {
  assert.ok(Value.Check(TransactionOut, j))
  assert.equal(j.amount, 999999999999.99)
  assert.equal(j.bukti_transfer_url, 'https://old.example.test/bukti/1.jpg')
  assert.equal(j.confirmed_by, null)
  assert.equal(j.confirmed_at, null)
  assert.equal(j.payment, null)
  assert.equal(j.periode, null)
  assert.equal(j.receipt_number, null)
  assert.equal(j.status_note, null)
}

const viewers = [
  ['owner', asOwner],
  ['reporter', asReporter],
  ['admin', asAdmin],
] as const

test('list pages, unpaginated lists and details carry the same exact JSON for every viewer', async () => {
  for (const [who, headers] of viewers) {
    for (const url of ['/transactions?from=2031-01-01&to=2031-01-31', '/transactions?page=1&per_page=10&from=2031-01-01&to=2031-01-31']) {
      const res = await t.app.inject({ url, headers })
      assert.equal(res.statusCode, 200, res.body)
      const data = res.json().data as Json[]
      checkFull(data.find((d) => d.id === withAll!.id) as Json, who)
      if (who !== 'reporter') checkBare(data.find((d) => d.id === bare!.id) as Json)
      else
        assert.equal(
          data.find((d) => d.id === bare!.id),
          undefined,
          'the reporter does not see a deposit they did not report',
        )
    }
    const detail: LightMyRequestResponse = await t.app.inject({ url: `/transactions/${withAll!.id}`, headers })
    assert.equal(detail.statusCode, 200, detail.body)
    const d = detail.json().data as Json
    assert.ok(Value.Check(TransactionDetailOut, d))
    checkFull(d, who)
    // A list writes each page as one text from PostgreSQL (its URLs filled in by the server), a
    // detail from the row's parts: the same object either way.
    const listed = (await t.app.inject({ url: '/transactions?from=2031-01-01&to=2031-01-31', headers })).json().data as Json[]
    const { history: _history, ...asListed } = d as Json & { history: unknown }
    assert.deepEqual(
      listed.find((x) => x.id === withAll!.id),
      asListed,
    )
  }
})

test('a list signs keys that need JSON escapes as the detail does', async () => {
  await db.update(users).set({ imageProfileKey: 'profiles/a"b\\c.jpg' }).where(eq(users.id, reporter.id))
  try {
    const listed = (await t.app.inject({ url: '/transactions?from=2031-01-01&to=2031-01-31', headers: asAdmin })).json().data as Json[]
    const detail = (await t.app.inject({ url: `/transactions/${withAll!.id}`, headers: asAdmin })).json().data as Json
    const url = (detail.reported_by as { image_profile_url: string }).image_profile_url
    assert.ok(url.includes('/files/profiles/a"b\\c.jpg?exp='), url)
    assert.equal((listed.find((x) => x.id === withAll!.id)!.reported_by as { image_profile_url: string }).image_profile_url, url)
  } finally {
    await db.update(users).set({ imageProfileKey: null }).where(eq(users.id, reporter.id))
  }
})

test('history entries are built by the same rules (nested changer, email, notes, changes)', async () => {
  const res = await t.app.inject({
    method: 'PUT',
    url: `/transactions/${bare!.id}/status`,
    headers: asAdmin,
    payload: { status: 'needs_correction', note: 'Foto "buram"\\ulang' },
  })
  assert.equal(res.statusCode, 200, res.body)
  for (const [who, headers] of [viewers[0], viewers[2]]) {
    const answer = await t.app.inject({ url: `/transactions/${bare!.id}`, headers })
    const detail = answer.json().data as { history: { to_status: string; note: string; changed_by: Record<string, unknown> }[] }
    assert.ok(Value.Check(TransactionDetailOut, detail))
    const last = detail.history.at(-1)!
    assert.equal(last.to_status, 'needs_correction')
    assert.equal(last.note, 'Foto "buram"\\ulang')
    assert.equal(last.changed_by.fullname, 'Bendahara\nSatu')
    assert.equal(last.changed_by.email, who === 'admin' ? admin.email : null)
  }
})

test('the CSV is the same read model flattened: names, exact amounts, local times', async () => {
  const res = await t.app.inject({ url: '/reports/transactions.csv?from=2031-01-01&to=2031-01-31', headers: asAdmin })
  assert.equal(res.statusCode, 200, res.body)
  const text = res.body
  assert.ok(text.includes(`"${awkward.replace(/"/g, '""')}"`), 'the owner’s name, quoted as RFC 4180 says')
  assert.ok(text.includes(',1500000.50,'), 'amount with its cents')
  assert.ok(text.includes(',999999999999.99,'), 'the largest amount, exact')
  // APP_TIMEZONE defaults to Asia/Jakarta (UTC+7).
  assert.ok(text.includes('2031-01-10 10:04:05'), 'transaction date in local time')
})

test('a list answers in the caller’s language, cached or not, and each language is its own cache entry', async () => {
  const url = '/transactions?from=2031-01-01&to=2031-01-31'
  for (let round = 0; round < 2; round++) {
    const id = await t.app.inject({ url, headers: { ...asAdmin, 'accept-language': 'id' } })
    const en = await t.app.inject({ url, headers: { ...asAdmin, 'accept-language': 'en' } })
    assert.equal(id.json().message, 'Berhasil', `round ${round}`)
    assert.equal(en.json().message, 'Success', `round ${round}`)
    assert.deepEqual(id.json().data, en.json().data)
  }
})
