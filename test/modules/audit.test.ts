/**
 * GET /audit and /audit.csv: entries of every kind mapped to {actor, action, entity, entity_id,
 * before, after}, filters and pages, deposit status changes included (trigger on the history),
 * admins and auditors only.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { build, unique, userWithToken } from '../helpers/app.js'
import { makeTransaction } from './transactions.fixtures.js'

const t = await build()
const admin = await userWithToken(t, 'admin')
const auditor = await userWithToken(t, 'auditor')
const member = await userWithToken(t, 'member')

const audit = (query: string, headers: Record<string, string> = admin.auth) => t.app.inject({ url: `/audit${query}`, headers })

test('changes of periodes, deposits, users and settings read as before/after with the actor', async () => {
  const created = await t.app.inject({
    method: 'POST',
    url: '/periodes',
    headers: admin.auth,
    payload: { periode_name: unique('Audit '), start_date: '2031-01-01', end_date: '2031-06-30', target_amount: 1000000 },
  })
  assert.equal(created.statusCode, 201, created.body)
  const periodeId = created.json().data.id
  const renamed = await t.app.inject({
    method: 'PUT',
    url: `/periodes/${periodeId}`,
    headers: admin.auth,
    payload: { target_amount: 2000000 },
  })
  assert.equal(renamed.statusCode, 200, renamed.body)
  const tx = await makeTransaction(t, { userId: member.user.id })
  const done = await t.app.inject({
    method: 'PUT',
    url: `/transactions/${tx.id}/status`,
    headers: admin.auth,
    payload: { status: 'completed' },
  })
  assert.equal(done.statusCode, 200)
  const settings = await t.app.inject({
    method: 'PUT',
    url: '/settings',
    headers: admin.auth,
    payload: { organisation_name: 'Yayasan Audit' },
  })
  assert.equal(settings.statusCode, 200, settings.body)

  const periodeLog = (await audit(`?entity=periode&entity_id=${periodeId}`)).json()
  assert.deepEqual(
    periodeLog.data.map((e: { action: string }) => e.action),
    ['periode.updated', 'periode.created'],
  )
  const update = periodeLog.data[0]
  assert.deepEqual(update.actor, { id: admin.user.id, fullname: `Test ${admin.user.username}` })
  assert.equal(update.before.target, '1000000.00')
  assert.equal(update.after.target, '2000000.00')
  assert.equal(update.entity, 'periode')
  assert.equal(update.entity_id, periodeId)

  const txLog = (await audit(`?entity=transaction&entity_id=${tx.id}`)).json()
  assert.equal(txLog.meta.total, 1)
  assert.equal(txLog.data[0].action, 'transaction.status_changed')
  assert.deepEqual(txLog.data[0].before, { status: 'sent' })
  assert.deepEqual(txLog.data[0].after, { status: 'completed' })

  const settingsLog = (await audit('?entity=settings')).json()
  assert.equal(settingsLog.data[0].action, 'settings.updated')
  assert.equal(settingsLog.data[0].before, null)
  assert.equal(settingsLog.data[0].after.organisation_name, 'Yayasan Audit')
})

test('filters (actor, dates) and pages; an unknown entity is 422', async () => {
  const all = (await audit('?per_page=2')).json()
  assert.equal(all.data.length, 2)
  assert.ok(all.meta.total >= 4)
  const page2 = (await audit('?per_page=2&page=2')).json()
  assert.ok(page2.data[0].id < all.data[1].id, 'newest first, pages continue')
  const mine = (await audit(`?actor_id=${admin.user.id}`)).json()
  assert.ok(mine.data.every((e: { actor: { id: number } }) => e.actor.id === admin.user.id))
  assert.equal((await audit(`?actor_id=${member.user.id}`)).json().meta.total, 0)
  assert.equal((await audit('?to=2000-01-01')).json().meta.total, 0)
  assert.equal((await audit('?from=2000-01-01')).json().meta.total, all.meta.total)
  assert.equal((await audit('?entity=account')).statusCode, 422)
  assert.equal((await audit('?from=someday')).statusCode, 422)
})

test('the CSV streams the same entries; auditors read the log, members get 403', async () => {
  const total = (await audit('')).json().meta.total
  const csv = await t.app.inject({ url: '/audit.csv', headers: auditor.auth })
  assert.equal(csv.statusCode, 200)
  assert.match(String(csv.headers['content-type']), /^text\/csv/)
  const lines = csv.body
    .replace(/^\uFEFF/, '')
    .trim()
    .split('\r\n')
  assert.equal(lines[0], 'id,created_at,actor_id,actor_fullname,action,entity,entity_id,before,after')
  assert.equal(lines.length - 1, total)
  assert.ok(lines.some((l) => l.includes('transaction.status_changed') && l.includes('"{""status"":""completed""}"')))

  assert.equal((await audit('', auditor.auth)).statusCode, 200)
  assert.equal((await audit('', member.auth)).statusCode, 403)
  assert.equal((await t.app.inject({ url: '/audit.csv', headers: member.auth })).statusCode, 403)
  assert.equal((await t.app.inject({ url: '/audit' })).statusCode, 401)
})
