/**
 * Webhooks (SPEC §7): CRUD with the secret shown once (and kept encrypted), signed deliveries to a
 * real loopback receiver that checks the signature, fails twice and then accepts, so each event
 * arrives exactly once by id after retries; the delivery log, manual retry, and the SSRF guard.
 */
import assert from 'node:assert/strict'
import { createHmac, timingSafeEqual } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, test } from 'node:test'
import { eq } from 'drizzle-orm'
import { webhooks } from '../../src/db/schema.js'
import { isPrivateAddress, urlProblem } from '../../src/modules/webhooks/webhooks.security.js'
import { build, userWithToken } from '../helpers/app.js'
import { settle } from '../helpers/jobs.js'
import { makeTransaction } from './transactions.fixtures.js'

const t = await build({ WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_BASE_MS: '100', JOBS_POLL_MS: '50' })
const db = t.db.database.db
const admin = await userWithToken(t, 'admin')
const member = await userWithToken(t, 'member')

/** The receiver: verifies every signature, answers 500 to the first `failures` requests, then 200. */
interface Received {
  id: string
  type: string
  data: Record<string, unknown>
  accepted: boolean
}
let secret = ''
let failures = 2
const received: Received[] = []
const badSignatures: string[] = []
const receiver = createServer((req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8')
    const header = String(req.headers['talangraga-signature'] ?? '')
    const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header)
    const expected = m ? createHmac('sha256', secret).update(`${m[1]}.${body}`).digest() : undefined
    const fresh = m && Math.abs(Date.now() / 1000 - Number(m[1])) < 300
    if (!m || !expected || !fresh || !timingSafeEqual(expected, Buffer.from(m[2] as string, 'hex'))) {
      badSignatures.push(header)
      res.writeHead(400).end()
      return
    }
    const event = JSON.parse(body) as Received
    const accepted = failures <= 0
    failures -= 1
    received.push({ id: event.id, type: event.type, data: event.data, accepted })
    res.writeHead(accepted ? 204 : 500).end()
  })
})
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()))
after(() => new Promise<void>((r) => receiver.close(() => r())))
const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/talangraga`

let hookId = 0

test('POST /webhooks shows the secret once; it is stored encrypted; GET never shows it', async () => {
  const res = await t.app.inject({
    method: 'POST',
    url: '/webhooks',
    headers: admin.auth,
    payload: { url: receiverUrl, events: ['deposit.status_changed', 'deposit.submitted'], description: 'WhatsApp gateway' },
  })
  assert.equal(res.statusCode, 201, res.body)
  const data = res.json().data
  assert.match(data.secret, /^whsec_[A-Za-z0-9_-]{43}$/)
  assert.deepEqual(data.events, ['deposit.status_changed', 'deposit.submitted'])
  secret = data.secret
  hookId = data.id
  const [row] = await db.select().from(webhooks).where(eq(webhooks.id, hookId))
  assert.ok(row && !row.secretCiphertext.includes(secret.slice(6)), 'not stored in clear')
  const one = await t.app.inject({ url: `/webhooks/${hookId}`, headers: admin.auth })
  assert.equal(one.statusCode, 200)
  assert.equal(one.json().data.secret, undefined)
  assert.doesNotMatch((await t.app.inject({ url: '/webhooks', headers: admin.auth })).body, /whsec_/)
  assert.equal((await t.app.inject({ url: '/webhooks', headers: member.auth })).statusCode, 403)
  const badEvent = await t.app.inject({
    method: 'POST',
    url: '/webhooks',
    headers: admin.auth,
    payload: { url: receiverUrl, events: ['nope'] },
  })
  assert.equal(badEvent.statusCode, 422)
})

test('signed deliveries: two failures, then accepted; each event exactly once by id; the log shows the attempts', async () => {
  const dep = await makeTransaction(t, { userId: member.user.id })
  const res = await t.app.inject({
    method: 'PUT',
    url: `/transactions/${dep.id}/status`,
    headers: admin.auth,
    payload: { status: 'completed' },
  })
  assert.equal(res.statusCode, 200, res.body)
  const other = await makeTransaction(t, { userId: member.user.id })
  await t.app.inject({
    method: 'PUT',
    url: `/transactions/${other.id}/status`,
    headers: admin.auth,
    payload: { status: 'rejected', note: 'dobel' },
  })
  await settle(t, 20_000)

  assert.deepEqual(badSignatures, [])
  const accepted = received.filter((r) => r.accepted)
  const ids = accepted.map((r) => r.id)
  assert.equal(new Set(ids).size, ids.length, 'no event accepted twice')
  assert.equal(received.filter((r) => !r.accepted).length, 2)
  // Every event that failed was delivered again with the same id, and accepted.
  for (const r of received) assert.ok(ids.includes(r.id), `event ${r.id} eventually accepted`)
  const changes = accepted.filter((r) => r.type === 'deposit.status_changed')
  assert.deepEqual(
    changes.map((c) => [c.data.transaction_id, c.data.from, c.data.to, c.data.note]).sort(),
    [
      [dep.id, 'sent', 'completed', null],
      [other.id, 'sent', 'rejected', 'dobel'],
    ].sort(),
  )

  const log = await t.app.inject({ url: `/webhooks/${hookId}/deliveries`, headers: admin.auth })
  assert.equal(log.statusCode, 200, log.body)
  const entries = log.json().data as { id: number; status: string; attempts: number; last_status_code: number }[]
  assert.equal(entries.length, 2)
  assert.ok(entries.every((e) => e.status === 'succeeded' && e.last_status_code === 204))
  assert.equal(
    entries.reduce((s, e) => s + e.attempts, 0),
    4,
    'two failed attempts and two successes',
  )

  // Manual retry: the same event id again.
  const first = entries[0] as { id: number }
  const before = received.length
  const retry = await t.app.inject({ method: 'POST', url: `/webhooks/${hookId}/deliveries/${first.id}/retry`, headers: admin.auth })
  assert.equal(retry.statusCode, 200, retry.body)
  await settle(t)
  assert.equal(received.length, before + 1)
  assert.ok(ids.includes(received.at(-1)?.id as string))
  assert.equal(
    (await t.app.inject({ method: 'POST', url: `/webhooks/${hookId}/deliveries/99999/retry`, headers: admin.auth })).statusCode,
    404,
  )
})

test('events not subscribed are not delivered; a disabled webhook gets nothing; PUT and DELETE', async () => {
  const before = received.length
  const upd = await t.app.inject({ method: 'PUT', url: `/webhooks/${hookId}`, headers: admin.auth, payload: { is_active: false } })
  assert.equal(upd.statusCode, 200, upd.body)
  assert.equal(upd.json().data.is_active, false)
  const dep = await makeTransaction(t, { userId: member.user.id })
  await t.app.inject({ method: 'PUT', url: `/transactions/${dep.id}/status`, headers: admin.auth, payload: { status: 'completed' } })
  await settle(t)
  assert.equal(received.length, before)
  const del = await t.app.inject({ method: 'DELETE', url: `/webhooks/${hookId}`, headers: admin.auth })
  assert.equal(del.statusCode, 200)
  assert.equal((await t.app.inject({ url: `/webhooks/${hookId}`, headers: admin.auth })).statusCode, 404)
})

test('SSRF guard: private, loopback, link-local and non-http URLs are refused unless WEBHOOK_ALLOW_PRIVATE', async () => {
  for (const address of [
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '::1',
    'fe80::1',
    'fd00::1',
    '::ffff:127.0.0.1',
    '0.0.0.0',
  ]) {
    assert.equal(isPrivateAddress(address), true, address)
  }
  for (const address of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111']) assert.equal(isPrivateAddress(address), false, address)
  assert.match((await urlProblem('http://127.0.0.1:8080/x', false)) ?? '', /private, loopback or link-local/)
  assert.match((await urlProblem('http://localhost/x', false)) ?? '', /private, loopback or link-local/)
  assert.match((await urlProblem('http://[::1]/x', false)) ?? '', /private/)
  assert.match((await urlProblem('ftp://example.com/x', false)) ?? '', /http\(s\)/)
  assert.match((await urlProblem('not a url', false)) ?? '', /absolute/)
  assert.equal(await urlProblem('http://93.184.216.34/hook', false), undefined)
  assert.equal(await urlProblem('http://127.0.0.1/x', true), undefined)

  const strict = await build()
  const boss = await userWithToken(strict, 'admin')
  const res = await strict.app.inject({
    method: 'POST',
    url: '/webhooks',
    headers: boss.auth,
    payload: { url: 'http://169.254.169.254/latest/meta-data', events: ['member.created'] },
  })
  assert.equal(res.statusCode, 422, res.body)
  assert.match(res.body, /"field":"url"/)
})
