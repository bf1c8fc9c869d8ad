/**
 * GET /transactions/{id}/receipt.pdf and GET /verify/receipts/{number}: the kuitansi read back
 * with pdf.js (its text and its QR code), who may fetch it, and the public check of its link.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { eq } from 'drizzle-orm'
import { transactions } from '../../src/db/schema.js'
import { createReceiptLinks } from '../../src/modules/receipts/receipt-links.js'
import { build, createUser, login, userWithToken } from '../helpers/app.js'
import { pdfInfo, pdfQrCodes, pdfText } from '../helpers/pdf.js'
import { makePayment, makePeriode, makeTransaction } from './transactions.fixtures.js'

const APP_URL = 'https://umroh.example.test'
const t = await build({ APP_URL })
const db = t.db.database.db
const admin = await userWithToken(t, 'admin')
const siti = await createUser(t, { fullname: 'Siti Nur Aisyah' })
const sitiAuth = { authorization: `Bearer ${(await login(t, siti)).access_token}` }
const reporter = await userWithToken(t, 'member')
const stranger = await userWithToken(t, 'member')
const periode = await makePeriode(t, '2026-01-01', '2026-12-31')
const bank = await makePayment(t)

async function completed(amount = '12500000.00') {
  const tx = await makeTransaction(t, {
    userId: siti.id,
    reportedBy: reporter.user.id,
    amount,
    periodeId: periode.id,
    date: new Date('2026-11-28T01:30:00Z'),
  })
  await db.update(transactions).set({ paymentId: bank.id }).where(eq(transactions.id, tx.id))
  const res = await t.app.inject({
    method: 'PUT',
    url: `/transactions/${tx.id}/status`,
    headers: admin.auth,
    payload: { status: 'completed' },
  })
  assert.equal(res.statusCode, 200, res.body)
  return { id: tx.id, number: res.json().data.receipt_number as string }
}

const receiptOf = (id: number, headers: Record<string, string>) => t.app.inject({ url: `/transactions/${id}/receipt.pdf`, headers })
const pathOf = (link: string) => {
  const u = new URL(link)
  return `${u.pathname}${u.search}`
}

test('the kuitansi: A5, number, member, amount in figures and words, date, method, periode, treasurer', async () => {
  const { id, number } = await completed()
  const res = await receiptOf(id, sitiAuth)
  assert.equal(res.statusCode, 200, res.body)
  assert.equal(res.headers['content-type'], 'application/pdf')
  assert.match(String(res.headers['content-disposition']), /^attachment; filename="kuitansi-\d{4}-KWT-[IVX]+-\d{4}\.pdf"$/)
  assert.equal(res.rawPayload.subarray(0, 5).toString(), '%PDF-')

  const info = await pdfInfo(res.rawPayload)
  assert.deepEqual([info.pages, Math.round(info.width), Math.round(info.height)], [1, 420, 595])
  const [text] = await pdfText(res.rawPayload)
  for (const expected of [
    'Padepokan Talangraga',
    'KUITANSI',
    `No. ${number}`,
    'Siti Nur Aisyah',
    'Rp 12.500.000',
    'Dua belas juta lima ratus ribu rupiah',
    '28 November 2026',
    bank.paymentName,
    periode.periodeName,
    admin.user.username,
  ]) {
    assert.ok(text?.includes(expected), `"${expected}" in: ${text}`)
  }
})

test('its QR code is a signed link that verifies; a tampered number or signature is 404', async () => {
  const { id, number } = await completed('1500000.50')
  const [link] = await pdfQrCodes((await receiptOf(id, admin.auth)).rawPayload)
  assert.ok(link, 'a QR code on the page')
  assert.ok(link.startsWith(`${APP_URL}/verify/receipts/${encodeURIComponent(number)}?sig=`), link)

  const ok = await t.app.inject({ url: pathOf(link) })
  assert.equal(ok.statusCode, 200, ok.body)
  assert.deepEqual(ok.json().data, {
    valid: true,
    receipt_number: number,
    amount: 1500000.5,
    amount_text: 'Rp 1.500.000,50',
    deposit_date: '2026-11-28',
    deposit_date_text: '28 November 2026',
    member_initials: 'S. N. A.',
  })
  assert.doesNotMatch(ok.body, /Siti|Aisyah|email/)

  const sig = new URL(link).searchParams.get('sig') as string
  const seq = Number(number.split('/')[0])
  const otherNumber = number.replace(/^\d+/, String(seq + 1000).padStart(4, '0'))
  const flipped = `${sig.slice(0, -1)}${sig.endsWith('A') ? 'B' : 'A'}`
  for (const url of [
    `/verify/receipts/${encodeURIComponent(otherNumber)}?sig=${sig}`,
    `/verify/receipts/${encodeURIComponent(number)}?sig=${flipped}`,
    `/verify/receipts/${encodeURIComponent(number)}`,
    `/verify/receipts/${encodeURIComponent(number)}?sig=short`,
  ]) {
    const res = await t.app.inject({ url })
    assert.equal(res.statusCode, 404, url)
    assert.deepEqual(res.json(), { code: 404, message: 'Receipt not found', data: null })
  }
  // A validly signed number that was never issued is 404 as well (the signature alone proves nothing).
  const links = createReceiptLinks({ secret: t.app.config.secrets.files, appUrl: APP_URL })
  const unissued = await t.app.inject({ url: pathOf(links.url('9999/KWT/I/2020')) })
  assert.equal(unissued.statusCode, 404)
})

test('owner, reporter and admin get it; another member gets 404; not completed is 409; missing is 404', async () => {
  const { id } = await completed()
  assert.equal((await receiptOf(id, sitiAuth)).statusCode, 200)
  assert.equal((await receiptOf(id, reporter.auth)).statusCode, 200)
  assert.equal((await receiptOf(id, admin.auth)).statusCode, 200)
  const hidden = await receiptOf(id, stranger.auth)
  assert.equal(hidden.statusCode, 404)
  assert.equal(hidden.json().data, null)

  const pending = await makeTransaction(t, { userId: siti.id })
  const notYet = await receiptOf(pending.id, sitiAuth)
  assert.equal(notYet.statusCode, 409)
  assert.match(notYet.json().message, /not completed/)
  assert.equal((await receiptOf(pending.id, stranger.auth)).statusCode, 404)
  assert.equal((await receiptOf(2_000_000_000, admin.auth)).statusCode, 404)
  assert.equal((await t.app.inject({ url: `/transactions/${id}/receipt.pdf` })).statusCode, 401)
})

test('the verification route is rate limited per client address (429 with Retry-After)', async () => {
  const limited = await build({ APP_URL })
  const statuses: number[] = []
  let retryAfter: string | undefined
  for (let i = 0; i < 32; i++) {
    const res = await limited.app.inject({ url: '/verify/receipts/0001%2FKWT%2FI%2F2026?sig=x', remoteAddress: '203.0.113.9' })
    statuses.push(res.statusCode)
    if (res.statusCode === 429) retryAfter = String(res.headers['retry-after'])
  }
  assert.deepEqual(statuses.slice(0, 30), Array(30).fill(404))
  assert.equal(statuses[30], 429)
  assert.ok(Number(retryAfter) >= 1)
  const elsewhere = await limited.app.inject({ url: '/verify/receipts/0001%2FKWT%2FI%2F2026?sig=x', remoteAddress: '203.0.113.10' })
  assert.equal(elsewhere.statusCode, 404)
})
