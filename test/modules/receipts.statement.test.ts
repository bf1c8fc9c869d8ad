/**
 * GET /reports/members/{id|me}/statement.pdf: read back with pdf.js, its figures are the member
 * report's, arrears follow SPEC §7, rows per periode and per deposit honour the range.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { eq } from 'drizzle-orm'
import { periodes, users } from '../../src/db/schema.js'
import { formatRupiah } from '../../src/lib/rupiah.js'
import { build, createUser, login, unique, userWithToken } from '../helpers/app.js'
import { pdfText } from '../helpers/pdf.js'
import { makeTransaction } from './transactions.fixtures.js'

const t = await build()
const db = t.db.database.db
const admin = await userWithToken(t, 'admin')
const other = await userWithToken(t, 'member')
const member = await createUser(t, { fullname: 'Ahmad Fauzi' })
const memberAuth = { authorization: `Bearer ${(await login(t, member)).access_token}` }
// Joined at the start of 2025, with a personal target of 20 million.
await db
  .update(users)
  .set({ createdAt: new Date('2025-01-01T00:00:00Z'), savingsTarget: '20000000.00' })
  .where(eq(users.id, member.id))

const today = new Date()
const iso = (d: Date) => d.toISOString().slice(0, 10)
const addDays = (d: Date, n: number) => new Date(d.getTime() + n * 86_400_000)
const periode = async (start: string, end: string, target: string | null) => {
  const [row] = await db
    .insert(periodes)
    .values({ periodeName: unique('Periode '), startDate: start, endDate: end, targetAmount: target })
    .returning()
  return row as typeof periodes.$inferSelect
}
// Ended, running, not started yet, and one without a target.
const ended = await periode('2025-01-01', '2025-06-30', '5000000.00')
const running = await periode(iso(addDays(today, -20)), iso(addDays(today, 40)), '5000000.00')
const future = await periode(iso(addDays(today, 60)), iso(addDays(today, 120)), '5000000.00')
const untargeted = await periode('2025-07-01', '2025-12-31', null)

async function deposit(amount: string, p: { id: number }, date: Date, complete: boolean) {
  const tx = await makeTransaction(t, { userId: member.id, amount, periodeId: p.id, date })
  if (!complete) return { id: tx.id, number: null }
  const res = await t.app.inject({
    method: 'PUT',
    url: `/transactions/${tx.id}/status`,
    headers: admin.auth,
    payload: { status: 'completed' },
  })
  assert.equal(res.statusCode, 200, res.body)
  return { id: tx.id, number: res.json().data.receipt_number as string }
}
const old = await deposit('2000000.00', ended, new Date('2025-03-01T03:00:00Z'), true)
const recent = await deposit('500000.00', running, addDays(today, -1), true)
await deposit('1000000.00', running, addDays(today, -1), false)
await deposit('750000.00', untargeted, new Date('2025-08-01T03:00:00Z'), true)

const statement = (id: string, headers: Record<string, string>, query = '') =>
  t.app.inject({ url: `/reports/members/${id}/statement.pdf${query}`, headers })

test('the figures are the member report’s, and arrears follow SPEC §7', async () => {
  const report = (await t.app.inject({ url: `/reports/members/${member.id}`, headers: admin.auth })).json().data
  const res = await statement(String(member.id), admin.auth)
  assert.equal(res.statusCode, 200, res.body)
  assert.equal(res.headers['content-type'], 'application/pdf')
  const text = (await pdfText(res.rawPayload)).join(' ')
  const rp = (n: number) => formatRupiah(n.toFixed(2))
  assert.ok(text.includes(`Target tabungan ${rp(report.savings_target.target)}`), text)
  assert.ok(text.includes(`Sudah dibayar ${rp(report.total_saved)}`), text)
  assert.ok(text.includes(`Menunggu verifikasi ${rp(report.pending_amount)}`), text)
  assert.ok(text.includes(`Sisa menuju target ${rp(report.savings_target.remaining)}`), text)
  // The literal figures, so the test also fails if the report itself went wrong.
  assert.equal(report.total_saved, 3250000)
  assert.equal(report.pending_amount, 1000000)
  assert.equal(report.savings_target.remaining, 16750000)
  // Ended periode: 5,000,000 - 2,000,000; running: 5,000,000 - 500,000; the future one and the
  // one without a target expect nothing.
  assert.ok(text.includes('Tunggakan Rp 7.500.000'), text)
  for (const p of [ended, running, future, untargeted]) assert.ok(text.includes(p.periodeName), p.periodeName)
  for (const n of [old.number, recent.number]) assert.ok(text.includes(n as string), n as string)
  assert.ok(text.includes('Rp 750.000') && text.includes('Menunggu'), 'the pending and the untargeted deposits are rows too')
})

test('the range selects the rows, not the figures; `me`, admins, and 404 for other members', async () => {
  const res = await statement('me', memberAuth, `?from=${iso(addDays(today, -30))}&to=${iso(today)}`)
  assert.equal(res.statusCode, 200, res.body)
  const text = (await pdfText(res.rawPayload)).join(' ')
  assert.ok(text.includes(recent.number as string))
  assert.ok(!text.includes(old.number as string), 'a deposit outside the range is not listed')
  assert.ok(!text.includes(ended.periodeName), 'a periode outside the range is not listed')
  assert.ok(text.includes('Sudah dibayar Rp 3.250.000'), 'the figures stay the member’s as of today')

  assert.equal((await statement(String(member.id), other.auth)).statusCode, 404)
  assert.equal((await statement('me', other.auth)).statusCode, 200)
  assert.equal((await statement('2000000000', admin.auth)).statusCode, 404)
  const bad = await statement('me', memberAuth, '?from=2026-02-01&to=2026-01-01')
  assert.equal(bad.statusCode, 422)
  assert.equal((await statement('me', memberAuth, '?from=yesterday')).statusCode, 422)
})
