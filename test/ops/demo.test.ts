/**
 * `demo` fills an empty database with a community whose current periode report shows paid and
 * unpaid members, deposits in every state and receipt images that are stored files; it refuses a
 * database that already holds a community. Runs on PGlite and (with TEST_DATABASE_URL) PostgreSQL.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { seedDemo } from '../../src/ops/demo.js'
import { build, createUser } from '../helpers/app.js'

test('demo, then the periode report shows paid and unpaid members; a second demo is refused', { timeout: 300_000 }, async () => {
  const t = await build()
  // An admin made beforehand (create-admin / ADMIN_EMAIL) does not make the database "non-empty".
  await createUser(t, { role: 'admin' })
  const demo = await seedDemo(t.app.database.db, t.app.storage)
  assert.equal(demo.members, 60)
  assert.equal(demo.periodes.length, 3)
  assert.equal(demo.payments, 4)
  for (const status of ['sent', 'on_process', 'completed', 'rejected']) assert.ok((demo.by_status[status] ?? 0) > 0, `some ${status}`)
  assert.ok(demo.receipts > 300, `receipts: ${demo.receipts}`)

  const login = await t.app.inject({
    method: 'POST',
    url: '/auth/login',
    payload: { identifier: demo.admin.username, password: demo.admin.password },
  })
  assert.equal(login.statusCode, 200, login.body)
  const auth = { authorization: `Bearer ${login.json().data.access_token}` }
  const current = demo.periodes[1] as { id: number }
  const report = await t.app.inject({ method: 'GET', url: `/reports/periodes/${current.id}?per_page=100`, headers: auth })
  assert.equal(report.statusCode, 200, report.body)
  const data = report.json().data
  assert.ok(data.totals.members_paid > 0 && data.totals.members_unpaid > 0, JSON.stringify(data.totals))
  const members = data.members as { has_paid: boolean }[]
  assert.ok(
    members.some((m) => m.has_paid),
    'paid members',
  )
  assert.ok(
    members.some((m) => !m.has_paid),
    'unpaid members',
  )

  // A member logs in with the printed password and sees their own deposits with receipt URLs.
  const memberLogin = await t.app.inject({
    method: 'POST',
    url: '/auth/login',
    payload: { identifier: demo.member.username, password: demo.member.password },
  })
  assert.equal(memberLogin.statusCode, 200)
  const mine = await t.app.inject({
    method: 'GET',
    url: '/transactions',
    headers: { authorization: `Bearer ${memberLogin.json().data.access_token}` },
  })
  assert.equal(mine.statusCode, 200)
  const withReceipt = (mine.json().data as { bukti_transfer_url: string | null }[]).find((x) => x.bukti_transfer_url)
  assert.ok(withReceipt, 'a deposit with a receipt')
  const image = await t.app.inject({
    method: 'GET',
    url: new URL(withReceipt.bukti_transfer_url as string).pathname + new URL(withReceipt.bukti_transfer_url as string).search,
  })
  assert.equal(image.statusCode, 200)
  assert.equal(image.headers['content-type'], 'image/jpeg')

  await assert.rejects(seedDemo(t.app.database.db, t.app.storage), /already holds members, periodes, payments or deposits/)
})
