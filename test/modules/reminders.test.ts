/**
 * Arrears reminders (SPEC §7): POST /reminders answers {sent, skipped}, at most one reminder per
 * member, periode and channel (also when two requests race), inbox item and e-mail (per opt-out),
 * the delivery log, the periode filter, and the schedule (REMINDER_SCHEDULE in APP_TIMEZONE).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { eq, sql } from 'drizzle-orm'
import { ConfigError, DEFAULT_REMINDER_SCHEDULE, loadConfig } from '../../src/config.js'
import { rows } from '../../src/db/client.js'
import { periodes, users } from '../../src/db/schema.js'
import { build, createUser, login, userWithToken } from '../helpers/app.js'
import { settle } from '../helpers/jobs.js'
import { startSmtp } from '../helpers/smtp.js'
import { makeTransaction } from './transactions.fixtures.js'

const smtp = await startSmtp()
const t = await build({ SMTP_URL: smtp.url, JOBS_POLL_MS: '100', REMINDER_SCHEDULE: '', APP_LOCALE: 'id' })
const db = t.db.database.db
const admin = await userWithToken(t, 'admin')

/** A periode running today (whatever today is), so it is owed by every member who joined before. */
async function runningPeriode(name: string, target: string) {
  const [row] = await db
    .insert(periodes)
    .values({
      periodeName: name,
      startDate: sql`current_date - 5` as unknown as string,
      endDate: sql`current_date + 30` as unknown as string,
      targetAmount: target,
    })
    .returning()
  return row as typeof periodes.$inferSelect
}

const send = (payload?: object) => t.app.inject({ method: 'POST', url: '/reminders', headers: admin.auth, ...(payload ? { payload } : {}) })

test('POST /reminders: one per member, periode and channel; the second run only skips; the log says what was delivered', async () => {
  const P = await runningPeriode('Pengingat A', '300000.00')
  const late = await userWithToken(t, 'member')
  const quiet = await createUser(t)
  await db.update(users).set({ emailNotifications: false }).where(eq(users.id, quiet.id))
  const paid = await createUser(t)
  await makeTransaction(t, { userId: paid.id, periodeId: P.id, amount: '300000.00', status: 'completed', date: new Date() })
  await makeTransaction(t, { userId: late.user.id, periodeId: P.id, amount: '100000.00', status: 'completed', date: new Date() })

  const first = await send({ periode_id: P.id })
  assert.equal(first.statusCode, 200, first.body)
  // late: inbox + email; quiet: inbox only; paid: nothing.
  assert.deepEqual(first.json().data, { sent: 3, skipped: 0 })
  const again = await send({ periode_id: P.id })
  assert.deepEqual(again.json().data, { sent: 0, skipped: 3 })

  await settle(t)
  const mail = await smtp.waitFor(late.user.email, /Pengingat setoran/)
  assert.match(mail.raw.replace(/=\r?\n/g, ''), /Rp 200\.000/)
  assert.equal(smtp.messages.filter((m) => m.to.includes(quiet.email)).length, 0)

  const box = await t.app.inject({ url: '/notifications', headers: late.auth })
  const item = box.json().data.find((n: { type: string }) => n.type === 'reminder.due')
  assert.deepEqual(item.data, { periode_id: P.id, periode_name: 'Pengingat A', amount: 200000 })
  const quietToken = (await login(t, quiet)).access_token
  const quietBox = await t.app.inject({ url: '/notifications', headers: { authorization: `Bearer ${quietToken}` } })
  assert.equal(quietBox.json().meta.unread, 1)

  const log = await t.app.inject({ url: `/reminders?periode_id=${P.id}`, headers: admin.auth })
  assert.equal(log.statusCode, 200, log.body)
  const entries = (log.json().data as { user: { id: number }; channel: string; status: string; amount: number }[])
    .map((r) => [r.user.id, r.channel, r.status, r.amount])
    .sort()
  assert.deepEqual(
    entries,
    [
      [late.user.id, 'email', 'delivered', 200000],
      [late.user.id, 'inbox', 'delivered', 200000],
      [quiet.id, 'inbox', 'delivered', 300000],
    ].sort(),
  )
  assert.equal(log.json().meta.total, 3)
})

test('two admins pressing the button at once still send each reminder once (unique key)', async () => {
  const P = await runningPeriode('Pengingat B', '100000.00')
  const results = await Promise.all([send({ periode_id: P.id }), send({ periode_id: P.id }), send({ periode_id: P.id })])
  const total = results.map((r) => r.json().data as { sent: number; skipped: number })
  const [count] = await rows<{ n: number; distinct_keys: number }>(
    db,
    sql`SELECT count(*)::int AS n, count(DISTINCT (user_id, channel))::int AS distinct_keys FROM reminders WHERE periode_id = ${P.id}`,
  )
  assert.equal(
    total.reduce((s, r) => s + r.sent, 0),
    Number(count?.n),
  )
  assert.equal(Number(count?.n), Number(count?.distinct_keys))
  assert.ok(Number(count?.n) > 0)
  await settle(t)
  const [notes] = await rows<{ n: number }>(
    db,
    sql`SELECT count(*)::int AS n FROM notifications WHERE type = 'reminder.due' AND (data->>'periode_id')::int = ${P.id}`,
  )
  const [inboxRows] = await rows<{ n: number }>(
    db,
    sql`SELECT count(*)::int AS n FROM reminders WHERE periode_id = ${P.id} AND channel = 'inbox'`,
  )
  assert.equal(Number(notes?.n), Number(inboxRows?.n))
})

test('POST /reminders without a body covers every periode; unknown periode 404; members 403', async () => {
  const res = await send()
  assert.equal(res.statusCode, 200, res.body)
  const member = await userWithToken(t, 'member')
  assert.equal((await t.app.inject({ method: 'POST', url: '/reminders', headers: member.auth, payload: {} })).statusCode, 403)
  assert.equal((await t.app.inject({ url: '/reminders', headers: member.auth })).statusCode, 403)
  assert.equal((await send({ periode_id: 99999999 })).statusCode, 404)
})

test('REMINDER_SCHEDULE: unset is the default, blank is off, nonsense stops start-up; a schedule sends by itself', async () => {
  const base = { DATA_DIR: t.dataDir, SECRET_KEY: 'x'.repeat(40), REFRESH_SECRET_KEY: 'y'.repeat(40) }
  assert.equal(loadConfig(base).reminderSchedule, DEFAULT_REMINDER_SCHEDULE)
  assert.equal(DEFAULT_REMINDER_SCHEDULE, '0 9 25 * *')
  assert.equal(loadConfig({ ...base, REMINDER_SCHEDULE: '' }).reminderSchedule, undefined)
  assert.throws(
    () => loadConfig({ ...base, REMINDER_SCHEDULE: 'every day' }),
    (e) => e instanceof ConfigError && /REMINDER_SCHEDULE/.test(e.message),
  )

  // Every second (croner's six-field form), on its own app and database.
  const s = await build({ REMINDER_SCHEDULE: '* * * * * *', JOBS_POLL_MS: '100' })
  const late = await createUser(s)
  const [p] = await s.db.database.db
    .insert(periodes)
    .values({
      periodeName: 'Terjadwal',
      startDate: sql`current_date - 1` as unknown as string,
      endDate: sql`current_date + 1` as unknown as string,
      targetAmount: '50000.00',
    })
    .returning()
  const deadline = Date.now() + 5000
  let found: { n: number } | undefined
  while (Date.now() < deadline) {
    ;[found] = await rows<{ n: number }>(
      s.db.database.db,
      sql`SELECT count(*)::int AS n FROM reminders WHERE user_id = ${late.id} AND periode_id = ${p?.id}`,
    )
    if (Number(found?.n) > 0) break
    await new Promise((r) => setTimeout(r, 100))
  }
  assert.equal(Number(found?.n), 2, 'inbox and e-mail reminders by the schedule')
})
