/**
 * POST /transactions and /transactions/batch: the existing client's multipart form, JSON, the
 * validation rules, receipts (413/415, duplicates), Idempotency-Key, and batch all-or-nothing.
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import path from 'node:path'
import { test } from 'node:test'
import { and, eq, sql } from 'drizzle-orm'
import pg from 'pg'
import { openDatabase, rows } from '../../src/db/client.js'
import { LOCK_CLASSES } from '../../src/db/locks.js'
import { files, idempotencyKeys, transactionStatusHistory, transactions } from '../../src/db/schema.js'
import { build, createUser, login, userWithToken } from '../helpers/app.js'
import { filesUnder, form, jpeg, makePayment, makePeriode, receipt } from './transactions.fixtures.js'

const t = await build()
const db = t.db.database.db

const member = await userWithToken(t, 'member')
const other = await userWithToken(t, 'member')
const admin = await userWithToken(t, 'admin')
const november = await makePeriode(t, '2025-11-01', '2025-11-30')
const december = await makePeriode(t, '2025-12-01', '2025-12-31')
const bank = await makePayment(t)
const closedBank = await makePayment(t, false)

const countRows = async () => (await rows<{ n: number }>(db, sql`SELECT count(*)::int AS n FROM transactions`))[0]!.n
const countFiles = async () => (await rows<{ n: number }>(db, sql`SELECT count(*)::int AS n FROM files`))[0]!.n
const storedFiles = () => filesUnder(path.join(t.dataDir, 'files'))

async function submit(auth: Record<string, string>, fields: Record<string, string>, file?: Buffer, headers: Record<string, string> = {}) {
  const body = form(fields, file ? [receipt(file)] : [])
  return t.app.inject({ method: 'POST', url: '/transactions', headers: { ...auth, ...body.headers, ...headers }, payload: body.payload })
}

test('every route answers 401 without a token', async () => {
  for (const [method, url] of [
    ['POST', '/transactions'],
    ['POST', '/transactions/batch'],
    ['GET', '/transactions'],
    ['GET', '/transactions/1'],
    ['PUT', '/transactions/1/status'],
    ['DELETE', '/transactions/1'],
  ] as const) {
    const res = await t.app.inject({ method, url, payload: method === 'POST' || method === 'PUT' ? {} : undefined })
    assert.equal(res.statusCode, 401, `${method} ${url}`)
    assert.equal(res.headers['www-authenticate'], 'Bearer realm="talangraga"')
    assert.equal(res.json().code, 401)
  }
})

test("the client's exact multipart submission: reporter is the caller, instant stored exactly, receipt signed", async () => {
  const image = await jpeg()
  const res = await submit(
    member.auth,
    {
      userId: String(member.user.id),
      reportedByUserId: String(admin.user.id), // ignored: the reporter is always the caller
      amount: '150000',
      transaction_date: '2025-11-20T03:00:00Z',
      periode_id: String(november.id),
      payment_id: String(bank.id),
    },
    image,
  )
  assert.equal(res.statusCode, 201, res.body)
  const body = res.json()
  assert.equal(body.code, 201)
  const d = body.data
  assert.equal(d.amount, 150000)
  assert.equal(typeof d.amount, 'number')
  assert.equal(d.transaction_date, '2025-11-20T03:00:00.000Z')
  assert.equal(d.status, 'sent')
  assert.equal(d.user_id, member.user.id)
  assert.equal(d.user.id, member.user.id)
  assert.equal(d.reported_by.id, member.user.id)
  assert.equal(d.confirmed_by, null)
  assert.equal(d.periode.id, november.id)
  assert.equal(d.periode.periode_name, november.periodeName)
  assert.equal(d.payment.id, bank.id)
  assert.equal(d.is_duplicate_receipt, false)
  assert.equal(d.duplicate_of_id, null)
  assert.match(d.bukti_transfer_url, /\/files\/receipts\/\d{4}\/\d{2}\/[0-9a-f-]{36}\.jpg\?exp=\d+&sig=/)
  assert.deepEqual(Object.keys(d.user).sort(), ['email', 'fullname', 'id', 'image_profile_url', 'user_type', 'username'])

  const [row] = await db.select().from(transactions).where(eq(transactions.id, d.id))
  assert.equal(row?.amount, '150000.00')
  assert.equal(row?.reportedBy, member.user.id)
  assert.ok(row?.fileKey && d.bukti_transfer_url.includes(row.fileKey))
  const [file] = await db.select().from(files).where(eq(files.key, row.fileKey))
  assert.equal(file?.ownerId, member.user.id)
  const history = await db.select().from(transactionStatusHistory).where(eq(transactionStatusHistory.transactionId, d.id))
  assert.equal(history.length, 1)
  assert.equal(history[0]?.fromStatus, null)
  assert.equal(history[0]?.toStatus, 'sent')
  assert.equal(history[0]?.changedBy, member.user.id)

  // The signed URL really serves the stored (re-encoded) receipt.
  const url = new URL(d.bukti_transfer_url)
  const served = await t.app.inject({ url: url.pathname + url.search })
  assert.equal(served.statusCode, 200)
})

test("'2025-11-20 10:00' without offset is read in Asia/Jakarta: the same instant as 03:00Z", async () => {
  const res = await submit(
    member.auth,
    { userId: String(member.user.id), amount: '50000', transaction_date: '2025-11-20 10:00' },
    await jpeg(),
  )
  assert.equal(res.statusCode, 201, res.body)
  assert.equal(res.json().data.transaction_date, '2025-11-20T03:00:00.000Z')
  const iso = await submit(member.auth, { amount: '50000', transaction_date: '2025-11-20T10:00:00+07:00' }, await jpeg())
  assert.equal(iso.json().data.transaction_date, '2025-11-20T03:00:00.000Z')
})

test('a garbage or impossible transaction_date is a 422 naming transaction_date', async () => {
  for (const value of ['kemarin sore', '2025-02-30 10:00', '2025-11-20 25:00', '20/11/2025', '2999-01-01 10:00']) {
    const res = await submit(member.auth, { userId: String(member.user.id), amount: '50000', transaction_date: value }, await jpeg())
    assert.equal(res.statusCode, 422, value)
    assert.ok(
      res.json().errors.some((e: { field: string }) => e.field === 'transaction_date'),
      `${value}: ${res.body}`,
    )
  }
})

test('without periode_id the periode containing the local (Jakarta) date is assigned', async () => {
  // 22:00Z on 30 November is 05:00 on 1 December in Jakarta: the December periode.
  const res = await submit(member.auth, { amount: '75000', transaction_date: '2025-11-30T22:00:00Z' }, await jpeg())
  assert.equal(res.statusCode, 201, res.body)
  assert.equal(res.json().data.periode.id, december.id)
  const none = await submit(member.auth, { amount: '75000', transaction_date: '2024-01-10 09:00' }, await jpeg())
  assert.equal(none.json().data.periode, null)
})

test('amount: > 0, at most 2 decimals, at most 1,000,000,000,000; stored exactly', async () => {
  for (const amount of ['0', '0.00', '-5', '1.234', '1000000000000.01', 'NaN', 'Infinity', '-1.0E7', '1.0E13', '1.2345E1', 'abc', '10,5']) {
    const res = await submit(member.auth, { amount, transaction_date: '2025-11-20 10:00' }, await jpeg())
    assert.equal(res.statusCode, 422, amount)
    assert.ok(
      res.json().errors.some((e: { field: string }) => e.field === 'amount'),
      amount,
    )
  }
  for (const amount of [0, -1, 0.001]) {
    const res = await t.app.inject({
      method: 'POST',
      url: '/transactions',
      headers: admin.auth,
      payload: { user_id: member.user.id, amount, transaction_date: '2025-11-20 10:00' },
    })
    assert.equal(res.statusCode, 422, String(amount))
  }
  const max = await t.app.inject({
    method: 'POST',
    url: '/transactions',
    headers: admin.auth,
    payload: { user_id: member.user.id, amount: '1000000000000', transaction_date: '2025-11-20 10:00' },
  })
  assert.equal(max.statusCode, 201, max.body)
  assert.equal(max.json().data.amount, 1_000_000_000_000)
  const cents = await submit(member.auth, { amount: '1500.5', transaction_date: '2025-11-20 10:00' }, await jpeg())
  const [row] = await db.select().from(transactions).where(eq(transactions.id, cents.json().data.id))
  assert.equal(row?.amount, '1500.50')
  assert.equal(cents.json().data.amount, 1500.5)
})

test('a member must attach the receipt; an admin may record cash without one (JSON)', async () => {
  const before = await countRows()
  const res = await submit(member.auth, { amount: '50000', transaction_date: '2025-11-20 10:00' })
  assert.equal(res.statusCode, 422)
  assert.deepEqual(res.json().errors, [{ field: 'file', message: 'is required: attach the photo of the transfer receipt' }])
  const json = await t.app.inject({
    method: 'POST',
    url: '/transactions',
    headers: member.auth,
    payload: { user_id: member.user.id, amount: 50000, transaction_date: '2025-11-20T03:00:00Z' },
  })
  assert.equal(json.statusCode, 422)
  assert.equal(await countRows(), before)

  const cash = await t.app.inject({
    method: 'POST',
    url: '/transactions',
    headers: admin.auth,
    payload: { user_id: member.user.id, amount: 250000, transaction_date: '2025-11-20T03:00:00Z', reportedByUserId: 999 },
  })
  assert.equal(cash.statusCode, 201, cash.body)
  assert.equal(cash.json().data.bukti_transfer_url, null)
  assert.equal(cash.json().data.user.id, member.user.id)
  assert.equal(cash.json().data.reported_by.id, admin.user.id)
  // `userId` is tolerated in JSON too.
  const camel = await t.app.inject({
    method: 'POST',
    url: '/transactions',
    headers: admin.auth,
    payload: { userId: other.user.id, amount: '10000', transaction_date: '2025-11-20 10:00' },
  })
  assert.equal(camel.json().data.user_id, other.user.id)
})

test('the owner must be an active user (422 naming the field); members may report for other members', async () => {
  const inactive = await createUser(t, { active: false })
  for (const userId of [String(inactive.id), '987654']) {
    const res = await submit(member.auth, { userId, amount: '50000', transaction_date: '2025-11-20 10:00' }, await jpeg())
    assert.equal(res.statusCode, 422, userId)
    assert.deepEqual(res.json().errors, [{ field: 'userId', message: 'must be an active member' }])
  }
  const json = await t.app.inject({
    method: 'POST',
    url: '/transactions',
    headers: admin.auth,
    payload: { user_id: inactive.id, amount: 1, transaction_date: '2025-11-20 10:00' },
  })
  assert.equal(json.statusCode, 422)
  assert.deepEqual(json.json().errors, [{ field: 'user_id', message: 'must be an active member' }])

  const family = await submit(
    member.auth,
    { userId: String(other.user.id), amount: '30000', transaction_date: '2025-11-20 10:00' },
    await jpeg(),
  )
  assert.equal(family.statusCode, 201, family.body)
  assert.equal(family.json().data.user.id, other.user.id)
  assert.equal(family.json().data.reported_by.id, member.user.id)
  // The reporter does not see the owner's email (another member's personal data).
  assert.equal(family.json().data.user.email, null)
  assert.equal(family.json().data.reported_by.email, member.user.email)
  // A member cannot make an admin the owner of a deposit.
  const forAdmin = await submit(
    member.auth,
    { userId: String(admin.user.id), amount: '30000', transaction_date: '2025-11-20 10:00' },
    await jpeg(),
  )
  assert.equal(forAdmin.statusCode, 422)
})

test('periode_id and payment_id must exist; members cannot use an inactive payment method', async () => {
  const base = { amount: '50000', transaction_date: '2025-11-20 10:00' }
  const badPeriode = await submit(member.auth, { ...base, periode_id: '999999' }, await jpeg())
  assert.equal(badPeriode.statusCode, 422)
  assert.deepEqual(badPeriode.json().errors, [{ field: 'periode_id', message: 'does not name an existing periode' }])
  const badPayment = await submit(member.auth, { ...base, payment_id: '999999' }, await jpeg())
  assert.deepEqual(badPayment.json().errors, [{ field: 'payment_id', message: 'does not name an existing payment method' }])
  const closed = await submit(member.auth, { ...base, payment_id: String(closedBank.id) }, await jpeg())
  assert.equal(closed.statusCode, 422)
  assert.deepEqual(closed.json().errors, [
    { field: 'payment_id', message: 'names a payment method that is no longer active; choose another' },
  ])
  const byAdmin = await submit(admin.auth, { ...base, userId: String(member.user.id), payment_id: String(closedBank.id) }, await jpeg())
  assert.equal(byAdmin.statusCode, 201, byAdmin.body)
  const notANumber = await submit(member.auth, { ...base, periode_id: 'abc' }, await jpeg())
  assert.equal(notANumber.statusCode, 422)
  assert.equal(notANumber.json().errors[0].field, 'periode_id')
})

test('a text/PHP file named .jpg with an image/jpeg header is 415, nothing stored', async () => {
  const before = { rows: await countRows(), files: storedFiles().length }
  const body = form({ amount: '50000', transaction_date: '2025-11-20 10:00' }, [
    { field: 'file', filename: 'bukti.jpg', type: 'image/jpeg', data: Buffer.from('<?php system($_GET["c"]); ?>\n') },
  ])
  const res = await t.app.inject({
    method: 'POST',
    url: '/transactions',
    headers: { ...member.auth, ...body.headers },
    payload: body.payload,
  })
  assert.equal(res.statusCode, 415)
  assert.equal(res.json().code, 415)
  assert.equal(await countRows(), before.rows)
  assert.equal(storedFiles().length, before.files)
})

test('an upload over MAX_UPLOAD_MB is 413', async () => {
  const small = await build({ MAX_UPLOAD_MB: '0.05' })
  const user = await createUser(small)
  const tokens = await login(small, user)
  const body = form({ amount: '50000', transaction_date: '2025-11-20 10:00' }, [
    { field: 'file', filename: 'bukti.jpg', type: 'image/jpeg', data: Buffer.alloc(100 * 1024, 0xff) },
  ])
  const res = await small.app.inject({
    method: 'POST',
    url: '/transactions',
    headers: { authorization: `Bearer ${tokens.access_token}`, ...body.headers },
    payload: body.payload,
  })
  assert.equal(res.statusCode, 413)
  assert.equal(res.json().code, 413)
  const n = (await rows<{ n: number }>(small.db.database.db, sql`SELECT count(*)::int AS n FROM transactions`))[0]!.n
  assert.equal(n, 0)
})

test('the same receipt twice for the same owner is stored but flagged; admins see the flag in list and get', async () => {
  const owner = await userWithToken(t, 'member')
  const image = await jpeg()
  const first = await submit(owner.auth, { amount: '100000', transaction_date: '2025-11-20 10:00' }, image)
  const second = await submit(owner.auth, { amount: '100000', transaction_date: '2025-11-21 10:00' }, image)
  assert.equal(first.statusCode, 201)
  assert.equal(second.statusCode, 201)
  assert.equal(first.json().data.is_duplicate_receipt, false)
  assert.equal(second.json().data.is_duplicate_receipt, true)
  assert.equal(second.json().data.duplicate_of_id, first.json().data.id)

  const list = await t.app.inject({ url: `/transactions?user_id=${owner.user.id}`, headers: admin.auth })
  const flagged = list.json().data.find((x: { id: number }) => x.id === second.json().data.id)
  assert.equal(flagged.is_duplicate_receipt, true)
  assert.equal(flagged.duplicate_of_id, first.json().data.id)
  const got = await t.app.inject({ url: `/transactions/${second.json().data.id}`, headers: admin.auth })
  assert.equal(got.json().data.duplicate_of_id, first.json().data.id)

  // The same picture for a different owner is not a duplicate of this owner's deposit.
  const forOther = await submit(
    owner.auth,
    { userId: String(other.user.id), amount: '100000', transaction_date: '2025-11-20 10:00' },
    image,
  )
  assert.equal(forOther.json().data.is_duplicate_receipt, false)
})

test("a receipt submission waits for its owner's receipt lock; a cash deposit and the settings key do not (PostgreSQL)", {
  skip: !t.db.url && 'PostgreSQL only',
}, async () => {
  const owner = await createUser(t)
  const holder = new pg.Client({ connectionString: t.db.url })
  await holder.connect()
  const settled = (p: Promise<unknown>) => Promise.race([p.then(() => true), new Promise((r) => setTimeout(() => r(false), 400))])
  const image = await jpeg()
  const upload = () => submit(admin.auth, { userId: String(owner.id), amount: '50000', transaction_date: '2025-11-20 10:00' }, image)
  try {
    // The settings key's class (7261524) held for this owner's id: it was the receipt lock's class
    // until issue 13 item 4, so owner 8's uploads and a settings change waited for each other.
    await holder.query('BEGIN')
    await holder.query('SELECT pg_advisory_xact_lock($1, $2)', [7261524, owner.id])
    const unrelated = upload()
    assert.equal(await settled(unrelated), true, 'an upload does not wait for the settings class')
    assert.equal((await unrelated).statusCode, 201)
    await holder.query('COMMIT')

    // Another submission for this owner is in its transaction (the duplicate check under the lock).
    await holder.query('BEGIN')
    await holder.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_CLASSES.receiptOwner, owner.id])
    const cash = t.app.inject({
      method: 'POST',
      url: '/transactions',
      headers: admin.auth,
      payload: { user_id: owner.id, amount: 50000, transaction_date: '2025-11-20 10:00' },
    })
    assert.equal(await settled(cash), true, 'a cash deposit takes no receipt lock')
    assert.equal((await cash).statusCode, 201)
    const waiting = upload()
    assert.equal(await settled(waiting), false, "the upload waits for the owner's lock")
    await holder.query('COMMIT')
    assert.equal((await waiting).statusCode, 201)
    assert.equal((await waiting).json().data.duplicate_of_id, (await unrelated).json().data.id)
  } finally {
    await holder.query('ROLLBACK').catch(() => {})
    await holder.end()
  }
})

test('Idempotency-Key: same request replays the first result, a different one is 422, in flight is 409', async () => {
  const image = await jpeg()
  const fields = { amount: '120000', transaction_date: '2025-11-20 10:00' }
  const key = { 'idempotency-key': `retry-${Date.now()}` }
  const before = await countRows()
  const first = await submit(member.auth, fields, image, key)
  assert.equal(first.statusCode, 201, first.body)
  const again = await submit(member.auth, fields, image, key)
  assert.equal(again.statusCode, 201)
  assert.deepEqual(again.json(), first.json())
  assert.equal(again.headers['idempotent-replayed'], 'true')
  assert.equal(await countRows(), before + 1)

  const changed = await submit(member.auth, { ...fields, amount: '130000' }, image, key)
  assert.equal(changed.statusCode, 422)
  assert.equal(changed.json().errors[0].field, 'Idempotency-Key')
  const otherFile = await submit(member.auth, fields, await jpeg(), key)
  assert.equal(otherFile.statusCode, 422)

  // Keys are per user: another member using the same key string is a new request.
  const theirs = await submit(other.auth, fields, image, key)
  assert.equal(theirs.statusCode, 201)
  assert.notEqual(theirs.json().data.id, first.json().data.id)

  // A claim without a stored response is a request still running.
  await db.insert(idempotencyKeys).values({
    userId: member.user.id,
    key: 'in-flight',
    requestHash: 'x',
    expiresAt: new Date(Date.now() + 3_600_000),
  })
  const running = await submit(member.auth, fields, image, { 'idempotency-key': 'in-flight' })
  assert.equal(running.statusCode, 409)

  const tooLong = await submit(member.auth, fields, image, { 'idempotency-key': 'k'.repeat(256) })
  assert.equal(tooLong.statusCode, 422)
})

test('Idempotency-Key: a claim whose process is gone is taken over at once; a live one is 409', async () => {
  const image = await jpeg()
  const fields = { amount: '70000', transaction_date: '2025-11-21 09:00' }
  // The request hash of exactly this request, from a completed first use under another key.
  const firstKey = `hash-of-${Date.now()}`
  const done = await submit(member.auth, fields, image, { 'idempotency-key': firstKey })
  assert.equal(done.statusCode, 201, done.body)
  const [{ requestHash } = { requestHash: '' }] = await db
    .select({ requestHash: idempotencyKeys.requestHash })
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.userId, member.user.id), eq(idempotencyKeys.key, firstKey)))
  assert.ok(requestHash)
  const inFlight = async (key: string, owner: string) =>
    db.insert(idempotencyKeys).values({ userId: member.user.id, key, requestHash, owner, expiresAt: new Date(Date.now() + 3_600_000) })

  // Owned by a process that is running (on PostgreSQL another instance; on PGlite this one): 409.
  const other = t.db.url ? await openDatabase({ databaseUrl: t.db.url, poolMax: 1 }) : undefined
  const liveOwner = other ? other.liveness.owner : t.app.database.liveness.owner
  await inFlight('live-owner', liveOwner)
  assert.equal((await submit(member.auth, fields, image, { 'idempotency-key': 'live-owner' })).statusCode, 409)
  if (other) {
    // That instance dies (its connection, and with it its lock, is gone): the retry completes.
    await other.close()
    const retried = await submit(member.auth, fields, image, { 'idempotency-key': 'live-owner' })
    assert.equal(retried.statusCode, 201, retried.body)
  }

  // Owned by a process that no longer exists (a crash): the same request completes at once,
  const before = await countRows()
  await inFlight('crashed-owner', randomUUID())
  const retried = await submit(member.auth, fields, image, { 'idempotency-key': 'crashed-owner' })
  assert.equal(retried.statusCode, 201, retried.body)
  assert.equal(retried.headers['idempotent-replayed'], undefined)
  assert.equal(await countRows(), before + 1)
  const again = await submit(member.auth, fields, image, { 'idempotency-key': 'crashed-owner' })
  assert.equal(again.headers['idempotent-replayed'], 'true')
  assert.deepEqual(again.json(), retried.json())
  // ...and another request under that key is still refused.
  await inFlight('crashed-other', randomUUID())
  const different = await submit(member.auth, { ...fields, amount: '71000' }, image, { 'idempotency-key': 'crashed-other' })
  assert.equal(different.statusCode, 422, different.body)
})

test('Idempotency-Key: a failed request releases its key; an expired key is reusable', async () => {
  const key = { 'idempotency-key': `fail-then-ok-${Date.now()}` }
  const failed = await submit(
    member.auth,
    { amount: '50000', transaction_date: '2025-11-20 10:00', periode_id: '999999' },
    await jpeg(),
    key,
  )
  assert.equal(failed.statusCode, 422)
  const [claim] = await db.select().from(idempotencyKeys).where(eq(idempotencyKeys.key, key['idempotency-key']))
  assert.equal(claim, undefined)
  const ok = await submit(member.auth, { amount: '50000', transaction_date: '2025-11-20 10:00' }, await jpeg(), key)
  assert.equal(ok.statusCode, 201)

  await db
    .update(idempotencyKeys)
    .set({ expiresAt: new Date(Date.now() - 1000) })
    .where(eq(idempotencyKeys.key, key['idempotency-key']))
  const fresh = await submit(member.auth, { amount: '60000', transaction_date: '2025-11-20 10:00' }, await jpeg(), key)
  assert.equal(fresh.statusCode, 201)
  assert.notEqual(fresh.json().data.id, ok.json().data.id)
})

test("Idempotency-Key: a claim drops the caller's expired keys, not their live ones nor anyone else's", async () => {
  const keys = (userId: number) =>
    db
      .select({ key: idempotencyKeys.key })
      .from(idempotencyKeys)
      .where(eq(idempotencyKeys.userId, userId))
      .then((r) => r.map((k) => k.key).sort())
  const someone = await createUser(t)
  const stale = { requestHash: 'x', statusCode: 201, responseBody: {}, expiresAt: new Date(Date.now() - 1000) }
  await db.insert(idempotencyKeys).values([
    { userId: admin.user.id, key: 'old-expired', ...stale },
    { userId: admin.user.id, key: 'old-live', ...stale, expiresAt: new Date(Date.now() + 3_600_000) },
    { userId: someone.id, key: 'others-expired', ...stale },
  ])
  const res = await t.app.inject({
    method: 'POST',
    url: '/transactions',
    headers: { ...admin.auth, 'idempotency-key': 'new-one' },
    payload: { user_id: member.user.id, amount: 50000, transaction_date: '2025-11-20 10:00' },
  })
  assert.equal(res.statusCode, 201, res.body)
  assert.deepEqual(await keys(admin.user.id), ['new-one', 'old-live'])
  assert.deepEqual(await keys(someone.id), ['others-expired'])
})

test('batch: one receipt for several members, all rows share the file', async () => {
  const a = await createUser(t)
  const b = await createUser(t)
  const body = form(
    {
      allocations: JSON.stringify([
        { user_id: a.id, amount: '100000' },
        { user_id: b.id, amount: 250000.5 },
      ]),
      transaction_date: '2025-11-20 10:00',
      payment_id: String(bank.id),
    },
    [receipt(await jpeg())],
  )
  const res = await t.app.inject({
    method: 'POST',
    url: '/transactions/batch',
    headers: { ...member.auth, ...body.headers },
    payload: body.payload,
  })
  assert.equal(res.statusCode, 201, res.body)
  const data = res.json().data
  assert.equal(data.length, 2)
  assert.deepEqual(
    data.map((x: { user_id: number; amount: number }) => [x.user_id, x.amount]),
    [
      [a.id, 100000],
      [b.id, 250000.5],
    ],
  )
  assert.ok(data.every((x: { reported_by: { id: number } }) => x.reported_by.id === member.user.id))
  assert.equal(data[0].periode.id, november.id)
  const keys = await db
    .select({ key: transactions.fileKey })
    .from(transactions)
    .where(sql`${transactions.id} IN (${data[0].id}, ${data[1].id})`)
  assert.equal(keys.length, 2)
  assert.ok(keys[0]?.key)
  assert.equal(keys[0]?.key, keys[1]?.key)

  const json = await t.app.inject({
    method: 'POST',
    url: '/transactions/batch',
    headers: admin.auth,
    payload: { allocations: [{ user_id: a.id, amount: 5000 }], transaction_date: '2025-11-20T03:00:00Z' },
  })
  assert.equal(json.statusCode, 201, json.body)
  assert.equal(json.json().data[0].bukti_transfer_url, null)
})

test('batch: one bad allocation writes nothing (rows, file records, files on disk)', async () => {
  const a = await createUser(t)
  const inactive = await createUser(t, { active: false })
  const before = { rows: await countRows(), files: await countFiles(), disk: storedFiles().length }
  const cases: [unknown, string][] = [
    [
      [
        { user_id: a.id, amount: '100000' },
        { user_id: inactive.id, amount: '100000' },
      ],
      'allocations[1].user_id',
    ],
    [
      [
        { user_id: a.id, amount: '100000' },
        { user_id: member.user.id, amount: '0.001' },
      ],
      'allocations[1].amount',
    ],
    [[{ user_id: a.id, amount: '-1' }], 'allocations[0].amount'],
    [
      [
        { user_id: a.id, amount: '1' },
        { user_id: a.id, amount: '2' },
      ],
      'allocations[1].user_id',
    ],
  ]
  for (const [allocations, field] of cases) {
    const body = form({ allocations: JSON.stringify(allocations), transaction_date: '2025-11-20 10:00' }, [receipt(await jpeg())])
    const res = await t.app.inject({
      method: 'POST',
      url: '/transactions/batch',
      headers: { ...member.auth, ...body.headers },
      payload: body.payload,
    })
    assert.equal(res.statusCode, 422, res.body)
    assert.ok(
      res.json().errors.some((e: { field: string }) => e.field === field),
      `${field}: ${res.body}`,
    )
  }
  const notJson = form({ allocations: '[{user_id: 1', transaction_date: '2025-11-20 10:00' }, [receipt(await jpeg())])
  const bad = await t.app.inject({
    method: 'POST',
    url: '/transactions/batch',
    headers: { ...member.auth, ...notJson.headers },
    payload: notJson.payload,
  })
  assert.equal(bad.statusCode, 422)
  assert.equal(bad.json().errors[0].field, 'allocations')

  // JSON body: schema errors are named the same way.
  const json = await t.app.inject({
    method: 'POST',
    url: '/transactions/batch',
    headers: admin.auth,
    payload: {
      allocations: [
        { user_id: a.id, amount: 1 },
        { user_id: a.id, amount: true },
      ],
      transaction_date: '2025-11-20 10:00',
    },
  })
  assert.equal(json.statusCode, 422)
  assert.ok(
    json.json().errors.some((e: { field: string }) => e.field === 'allocations[1].amount'),
    json.body,
  )

  assert.equal(await countRows(), before.rows)
  assert.equal(await countFiles(), before.files)
  assert.deepEqual(storedFiles().length, before.disk)
})

test('batch: a member must attach the receipt; Idempotency-Key replays the batch', async () => {
  const a = await createUser(t)
  const noFile = form({ allocations: JSON.stringify([{ user_id: a.id, amount: 1000 }]), transaction_date: '2025-11-20 10:00' })
  const res = await t.app.inject({
    method: 'POST',
    url: '/transactions/batch',
    headers: { ...member.auth, ...noFile.headers },
    payload: noFile.payload,
  })
  assert.equal(res.statusCode, 422)
  assert.deepEqual(res.json().errors, [{ field: 'file', message: 'is required: attach the photo of the transfer receipt' }])

  const image = await jpeg()
  const send = () => {
    const body = form({ allocations: JSON.stringify([{ user_id: a.id, amount: 1000 }]), transaction_date: '2025-11-20 10:00' }, [
      receipt(image),
    ])
    return t.app.inject({
      method: 'POST',
      url: '/transactions/batch',
      headers: { ...member.auth, ...body.headers, 'idempotency-key': 'batch-key-1' },
      payload: body.payload,
    })
  }
  const before = await countRows()
  const first = await send()
  const second = await send()
  assert.equal(first.statusCode, 201, first.body)
  assert.deepEqual(second.json(), first.json())
  assert.equal(await countRows(), before + 1)
})

test('Idempotency-Key: two identical requests at the same moment create one row', async () => {
  const image = await jpeg()
  const before = await countRows()
  const key = { 'idempotency-key': `race-${Date.now()}` }
  const fields = { amount: '70000', transaction_date: '2025-11-20 10:00' }
  const results = await Promise.all([submit(member.auth, fields, image, key), submit(member.auth, fields, image, key)])
  const codes = results.map((r) => r.statusCode).sort()
  // The loser either finds the claim in flight (409) or, if the winner already finished, its replay.
  assert.ok(JSON.stringify(codes) === '[201,409]' || JSON.stringify(codes) === '[201,201]', results.map((r) => r.body).join('\n'))
  assert.equal(await countRows(), before + 1)
})

test('the OpenAPI document describes both body media types and the Idempotency-Key header', async () => {
  const doc = (await t.app.inject({ url: '/openapi.json' })).json()
  const post = doc.paths['/transactions'].post
  assert.ok(post.requestBody.content['application/json'])
  assert.ok(post.requestBody.content['multipart/form-data'].schema.properties.userId)
  assert.ok(post.parameters.some((p: { in: string; name: string }) => p.in === 'header' && p.name === 'idempotency-key'))
  assert.ok(doc.paths['/transactions/batch'].post)
  assert.ok(doc.paths['/transactions/{id}/status'].put)
})
