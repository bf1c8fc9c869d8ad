/**
 * Notifications (SPEC §7): the inbox over HTTP (newest first, meta.unread, read, read-all), the
 * events that fill it (deposit completed / rejected / needs correction to owner and reporter with
 * the reason, savings target reached) and the same events by e-mail through the background jobs to
 * a real SMTP server, with the per-user opt-out.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { eq } from 'drizzle-orm'
import { users } from '../../src/db/schema.js'
import { build, userWithToken } from '../helpers/app.js'
import { settle } from '../helpers/jobs.js'
import { startSmtp } from '../helpers/smtp.js'
import { makePeriode, makeTransaction } from './transactions.fixtures.js'

const smtp = await startSmtp()
const t = await build({ SMTP_URL: smtp.url, JOBS_POLL_MS: '100', APP_LOCALE: 'id' })
const db = t.db.database.db

const owner = await userWithToken(t, 'member')
const reporter = await userWithToken(t, 'member')
const admin = await userWithToken(t, 'admin')
const periode = await makePeriode(t, '2025-01-01', '2025-03-31')

const setStatus = (id: number, status: string, note?: string) =>
  t.app.inject({ method: 'PUT', url: `/transactions/${id}/status`, headers: admin.auth, payload: { status, ...(note ? { note } : {}) } })
const inbox = async (auth: Record<string, string>, query = '') => {
  const res = await t.app.inject({ url: `/notifications${query}`, headers: auth })
  assert.equal(res.statusCode, 200, res.body)
  return res.json() as {
    data: { id: number; type: string; title: string; body: string; data: Record<string, unknown>; read_at: string | null }[]
    meta: { page: number; per_page: number; total: number; unread: number }
  }
}
/** Decoded text of a received mail (nodemailer may quoted-printable encode it). */
const text = (raw: string) => raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(Number.parseInt(h, 16)))

test('a rejection reaches owner and reporter: inbox item with the reason, and an Indonesian + English e-mail', async () => {
  const dep = await makeTransaction(t, { userId: owner.user.id, reportedBy: reporter.user.id, amount: '1250000.00', periodeId: periode.id })
  const res = await setStatus(dep.id, 'rejected', 'Nominal di bukti transfer berbeda')
  assert.equal(res.statusCode, 200, res.body)
  await settle(t)

  for (const person of [owner, reporter]) {
    const box = await inbox(person.auth)
    const item = box.data.find((n) => n.data.transaction_id === dep.id)
    assert.ok(item, `inbox of ${person.user.username}`)
    assert.equal(item.type, 'deposit.rejected')
    assert.equal(item.read_at, null)
    assert.match(item.body, /Nominal di bukti transfer berbeda/)
    assert.match(item.body, /Rp 1\.250\.000/)
    assert.equal(item.data.reason, 'Nominal di bukti transfer berbeda')

    const mail = text((await smtp.waitFor(person.user.email, new RegExp(`#${dep.id}`))).raw)
    assert.match(mail, /Setoran ditolak/)
    assert.match(mail, /Alasan: Nominal di bukti transfer berbeda/)
    assert.match(mail, /---- English ----/)
    assert.match(mail, /Reason: Nominal di bukti transfer berbeda/)
    assert.match(mail, /report a new deposit/)
  }
  // The admin who decided gets nothing; the event was fanned out once (one item each).
  assert.equal((await inbox(admin.auth)).meta.total, 0)
  assert.equal((await inbox(owner.auth)).data.filter((n) => n.data.transaction_id === dep.id).length, 1)
})

test('needs_correction and completed notify too; on_process does not; owner = reporter gets one item', async () => {
  const a = await makeTransaction(t, { userId: owner.user.id, periodeId: periode.id })
  const b = await makeTransaction(t, { userId: owner.user.id, periodeId: periode.id })
  const before = (await inbox(owner.auth)).meta.total
  assert.equal((await setStatus(a.id, 'on_process')).statusCode, 200)
  assert.equal((await setStatus(a.id, 'needs_correction', 'Bukti transfer buram')).statusCode, 200)
  assert.equal((await setStatus(b.id, 'completed')).statusCode, 200)
  await settle(t)
  const box = await inbox(owner.auth)
  assert.equal(box.meta.total, before + 2)
  // Newest first.
  assert.deepEqual(
    box.data.slice(0, 2).map((n) => [n.type, n.data.transaction_id]),
    [
      ['deposit.completed', b.id],
      ['deposit.needs_correction', a.id],
    ],
  )
  assert.match(box.data[1]?.body ?? '', /Bukti transfer buram/)
  const mail = text(
    (await smtp.waitFor(owner.user.email, new RegExp(`perlu diperbaiki[\\s\\S]*#${a.id}|#${a.id}[\\s\\S]*perlu diperbaiki`))).raw,
  )
  assert.match(mail, /unggah ulang bukti transfer/)
})

test('read one, read all, meta.unread, pagination; another user cannot read yours (404)', async () => {
  const box = await inbox(owner.auth, '?per_page=1')
  assert.equal(box.data.length, 1)
  assert.equal(box.meta.per_page, 1)
  assert.ok(box.meta.unread >= 3)
  const first = box.data[0]
  assert.ok(first)
  const theirs = await t.app.inject({ method: 'POST', url: `/notifications/${first.id}/read`, headers: reporter.auth })
  assert.equal(theirs.statusCode, 404)
  const read = await t.app.inject({ method: 'POST', url: `/notifications/${first.id}/read`, headers: owner.auth })
  assert.equal(read.statusCode, 200, read.body)
  assert.ok(read.json().data.read_at)
  assert.equal((await inbox(owner.auth)).meta.unread, box.meta.unread - 1)
  const all = await t.app.inject({ method: 'POST', url: '/notifications/read-all', headers: owner.auth })
  assert.equal(all.json().data.updated, box.meta.unread - 1)
  assert.equal((await inbox(owner.auth)).meta.unread, 0)
  assert.equal((await t.app.inject({ url: '/notifications' })).statusCode, 401)
})

test('e-mail opt-out: the inbox still receives, no mail is sent', async () => {
  const quiet = await userWithToken(t, 'member')
  const off = await t.app.inject({ method: 'PUT', url: '/users/me/notification-settings', headers: quiet.auth, payload: { email: false } })
  assert.equal(off.statusCode, 200, off.body)
  assert.deepEqual(off.json().data, { email: false })
  const bad = await t.app.inject({ method: 'PUT', url: '/users/me/notification-settings', headers: quiet.auth, payload: { email: 'no' } })
  assert.equal(bad.statusCode, 422)

  const dep = await makeTransaction(t, { userId: quiet.user.id })
  await setStatus(dep.id, 'completed')
  await settle(t)
  assert.equal((await inbox(quiet.auth)).meta.total, 1)
  assert.equal(smtp.messages.filter((m) => m.to.includes(quiet.user.email)).length, 0)

  await t.app.inject({ method: 'PUT', url: '/users/me/notification-settings', headers: quiet.auth, payload: { email: true } })
  const dep2 = await makeTransaction(t, { userId: quiet.user.id })
  await setStatus(dep2.id, 'completed')
  await smtp.waitFor(quiet.user.email, new RegExp(`#${dep2.id}`))
})

test('member.target_reached: once, when a completion takes the completed total across the savings target', async () => {
  const saver = await userWithToken(t, 'member')
  await db.update(users).set({ savingsTarget: '200000.00' }).where(eq(users.id, saver.user.id))
  const deps = await Promise.all([1, 2, 3].map(() => makeTransaction(t, { userId: saver.user.id, amount: '100000.00' })))
  const reached = async () => (await inbox(saver.auth)).data.filter((n) => n.type === 'member.target_reached')

  await setStatus(deps[0]?.id as number, 'completed')
  await settle(t)
  assert.equal((await reached()).length, 0)
  await setStatus(deps[1]?.id as number, 'completed')
  await settle(t)
  const items = await reached()
  assert.equal(items.length, 1)
  assert.deepEqual(items[0]?.data, { user_id: saver.user.id, target: 200000, saved: 200000, transaction_id: deps[1]?.id })
  await smtp.waitFor(saver.user.email, /Target tabungan tercapai/)
  await setStatus(deps[2]?.id as number, 'completed')
  await settle(t)
  assert.equal((await reached()).length, 1, 'not again once past the target')
})

test('a member who saved English gets the inbox item and the e-mail in English only', async () => {
  const english = await userWithToken(t, 'member')
  await db.update(users).set({ locale: 'en' }).where(eq(users.id, english.user.id))
  const dep = await makeTransaction(t, { userId: english.user.id, amount: '1500000.00', periodeId: periode.id })
  assert.equal((await setStatus(dep.id, 'rejected', 'The receipt is blurred')).statusCode, 200)
  await settle(t)
  const item = (await inbox(english.auth)).data.find((n) => n.data.transaction_id === dep.id)
  assert.equal(item?.title, 'Deposit rejected')
  assert.match(
    item?.body ?? '',
    /^We are sorry: your deposit #\d+ of Rp 1\.500\.000 dated .* was rejected\. Reason: The receipt is blurred$/,
  )
  const raw = (await smtp.waitFor(english.user.email, new RegExp(`#${dep.id}`))).raw
  const mail = text(raw)
  assert.match(raw, /Subject: Deposit rejected: Rp 1\.500\.000/)
  assert.match(mail, /Dear .*,/)
  assert.match(mail, /Reason: The receipt is blurred/)
  assert.doesNotMatch(mail, /Alasan|Bahasa Indonesia|---- English ----/)
})
