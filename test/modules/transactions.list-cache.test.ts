/**
 * The transaction-list cache (src/modules/transactions/list-cache.ts): a repeated list is served
 * from memory, every write that changes what a list shows is seen by the very next list (also
 * when another instance made it), viewers never share entries, and logins do not invalidate.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { eq, sql } from 'drizzle-orm'
import pg from 'pg'
import { buildApp } from '../../src/app.js'
import { openDatabase } from '../../src/db/client.js'
import { dataVersions, ledgerMarks, transactions } from '../../src/db/schema.js'
import { createListCache } from '../../src/modules/transactions/list-cache.js'
import { build, login, userWithToken } from '../helpers/app.js'
import { type ListItem, listedItem, makePayment, makePeriode, makeTransaction } from './transactions.fixtures.js'

const t = await build()
const db = t.db.database.db

const alice = await userWithToken(t, 'member')
const bob = await userWithToken(t, 'member')
const admin = await userWithToken(t, 'admin')
const periode = await makePeriode(t, '2024-01-01', '2024-01-31')
const bank = await makePayment(t)

async function list(auth: Record<string, string>, app = t.app) {
  const res = await app.inject({ url: `/transactions?periode_id=${periode.id}`, headers: auth })
  assert.equal(res.statusCode, 200, res.body)
  assert.match(String(res.headers['content-type']), /^application\/json; charset=utf-8/)
  return { body: res.body, items: res.json().data as ListItem[] }
}

/** A write the triggers do not see: only a cached list can hide it (session_replication_role). */
async function writeBehindTheCachesBack(id: number, amount: string) {
  await db.transaction(async (tx) => {
    await tx.execute(sql`SET LOCAL session_replication_role = replica`)
    await tx.update(transactions).set({ amount }).where(eq(transactions.id, id))
  })
}

test('a repeated list is served from the cache, and the next write through the API is seen at once', async () => {
  const tx = await makeTransaction(t, { userId: alice.user.id, periodeId: periode.id, amount: '100000.00' })
  const first = await list(alice.auth)
  assert.equal(listedItem(first.items, tx.id).amount, 100000)

  await writeBehindTheCachesBack(tx.id, '123456.00')
  const second = await list(alice.auth)
  assert.equal(second.body, first.body, 'same bytes: served from the cache')

  const changed = await t.app.inject({
    method: 'PUT',
    url: `/transactions/${tx.id}/status`,
    headers: admin.auth,
    payload: { status: 'on_process' },
  })
  assert.equal(changed.statusCode, 200, changed.body)
  const third = await list(alice.auth)
  assert.equal(listedItem(third.items, tx.id).status, 'on_process')
  assert.equal(listedItem(third.items, tx.id).amount, 123456, 'rebuilt from the database')
})

test('every kind of write a list shows invalidates it: status, payment, periode, a nested user, delete, insert', async () => {
  const tx = await makeTransaction(t, { userId: alice.user.id, periodeId: periode.id })
  await db.update(transactions).set({ paymentId: bank.id }).where(eq(transactions.id, tx.id))
  const views = [alice.auth, admin.auth]
  for (const v of views) await list(v) // fill the cache for both viewers

  const expectEverywhere = async (check: (items: ListItem[]) => void) => {
    for (const v of views) check((await list(v)).items)
  }

  const pay = await t.app.inject({
    method: 'PUT',
    url: `/payments/${bank.id}`,
    headers: admin.auth,
    payload: { payment_name: 'Bank Baru' },
  })
  assert.equal(pay.statusCode, 200, pay.body)
  await expectEverywhere((items) => assert.equal(listedItem(items, tx.id).payment?.payment_name, 'Bank Baru'))

  const per = await t.app.inject({
    method: 'PUT',
    url: `/periodes/${periode.id}`,
    headers: admin.auth,
    payload: { periode_name: 'Januari Baru' },
  })
  assert.equal(per.statusCode, 200, per.body)
  await expectEverywhere((items) => assert.equal(listedItem(items, tx.id).periode?.periode_name, 'Januari Baru'))

  const user = await t.app.inject({
    method: 'PUT',
    url: `/users/${alice.user.id}`,
    headers: admin.auth,
    payload: { fullname: 'Alice Baru' },
  })
  assert.equal(user.statusCode, 200, user.body)
  await expectEverywhere((items) => assert.equal(listedItem(items, tx.id).user.fullname, 'Alice Baru'))

  const added = await makeTransaction(t, { userId: alice.user.id, periodeId: periode.id })
  await expectEverywhere((items) => listedItem(items, added.id))

  const del = await t.app.inject({ method: 'DELETE', url: `/transactions/${added.id}`, headers: admin.auth })
  assert.equal(del.statusCode, 200, del.body)
  await expectEverywhere((items) =>
    assert.equal(
      items.find((i) => i.id === added.id),
      undefined,
    ),
  )
})

test('viewers never share an entry: members see their own rows and no one else’s email; admins see all', async () => {
  const mine = await makeTransaction(t, { userId: bob.user.id, periodeId: periode.id })
  const reported = await makeTransaction(t, { userId: alice.user.id, reportedBy: bob.user.id, periodeId: periode.id })
  const asAdmin = await list(admin.auth)
  const asBob = await list(bob.auth)
  const asAlice = await list(alice.auth)
  assert.deepEqual(asBob.items.map((i) => i.id).sort(), [mine.id, reported.id].sort())
  assert.equal(listedItem(asBob.items, reported.id).user.email, null, 'Bob does not see Alice’s email')
  assert.ok(listedItem(asAlice.items, reported.id).user.email, 'Alice sees her own email')
  assert.ok(listedItem(asAdmin.items, reported.id).user.email, 'admins see emails')
  assert.equal(
    asAlice.items.find((i) => i.id === mine.id),
    undefined,
    'Alice does not see Bob’s own deposit',
  )
  // Repeats (now cached) answer exactly the same per viewer.
  assert.equal((await list(bob.auth)).body, asBob.body)
  assert.equal((await list(alice.auth)).body, asAlice.body)
})

test('logins, refreshes and profile reads leave the ledger marker alone', async () => {
  const marker = async () => {
    const [catalog] = await db.select().from(dataVersions).where(eq(dataVersions.name, 'ledger'))
    const marks = await db.select().from(ledgerMarks).orderBy(ledgerMarks.userId)
    return catalog ? JSON.stringify([catalog.version, marks]) : undefined
  }
  const before = await marker()
  assert.ok(before)
  const tokens = await login(t, alice.user)
  assert.equal((await t.app.inject({ url: '/auth/profile', headers: alice.auth })).statusCode, 200)
  const refreshed = await t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: tokens.refresh_token } })
  assert.equal(refreshed.statusCode, 200, refreshed.body)
  assert.equal(await marker(), before)
})

/** Cache answers so far, by result (the transaction_list_cache_total counter of /metrics). */
async function cacheCounts() {
  const metric = t.app.metrics.registry.getSingleMetric('transaction_list_cache_total')
  const values = (await metric?.get())?.values ?? []
  const of = (result: string) => values.find((v) => v.labels.result === result)?.value ?? 0
  return { hit: of('hit'), miss: of('miss') }
}

/** List as `auth`, returning whether the cache answered. */
async function listWasHit(auth: Record<string, string>) {
  const before = await cacheCounts()
  const res = await list(auth)
  const after = await cacheCounts()
  assert.equal(after.hit + after.miss, before.hit + before.miss + 1, 'one cache lookup per list')
  return { hit: after.hit === before.hit + 1, items: res.items }
}

test('a deposit evicts only the lists that show it: its owner, its member reporter, the admins', async () => {
  const carol = await userWithToken(t, 'member')
  for (const who of [alice, bob, carol, admin]) await list(who.auth) // warm every viewer
  for (const who of [alice, bob, carol, admin]) assert.equal((await listWasHit(who.auth)).hit, true)

  // An admin records a cash deposit for Alice: Alice's and the admins' lists change, Bob's and Carol's do not.
  const created = await t.app.inject({
    method: 'POST',
    url: '/transactions',
    headers: admin.auth,
    payload: { user_id: alice.user.id, amount: 75000, transaction_date: '2024-01-15T10:00:00+07:00', periode_id: periode.id },
  })
  assert.equal(created.statusCode, 201, created.body)
  const id = created.json().data.id
  assert.equal((await listWasHit(bob.auth)).hit, true, "Bob's cached list survives a deposit for Alice")
  assert.equal((await listWasHit(carol.auth)).hit, true)
  const asAlice = await listWasHit(alice.auth)
  assert.equal(asAlice.hit, false)
  listedItem(asAlice.items, id)
  const asAdmin = await listWasHit(admin.auth)
  assert.equal(asAdmin.hit, false)
  listedItem(asAdmin.items, id)

  // Carol reports one for Bob: Carol's and Bob's lists change, Alice's does not.
  const reported = await makeTransaction(t, { userId: bob.user.id, reportedBy: carol.user.id, periodeId: periode.id })
  assert.equal((await listWasHit(alice.auth)).hit, true)
  for (const who of [bob, carol, admin]) {
    const seen = await listWasHit(who.auth)
    assert.equal(seen.hit, false)
    listedItem(seen.items, reported.id)
  }
})

test('writers for different members never wait on each other; the same member’s do (PostgreSQL)', {
  skip: !t.db.url && 'PostgreSQL only',
}, async () => {
  const first = new pg.Client({ connectionString: t.db.url })
  const second = new pg.Client({ connectionString: t.db.url })
  await first.connect()
  await second.connect()
  const insert = (c: pg.Client, owner: number) =>
    c.query(
      `INSERT INTO transactions (user_id, reported_by, amount, transaction_date, status) VALUES ($1, $2, 1000, now(), 'sent') RETURNING id`,
      [owner, admin.user.id],
    )
  try {
    await first.query('BEGIN')
    await insert(first, alice.user.id) // holds Alice's mark until it commits
    await second.query("SET lock_timeout = '1s'")
    // Before ledger_marks, this waited on the one data_versions row every writer updated.
    await second.query('BEGIN')
    await insert(second, bob.user.id)
    await second.query('COMMIT')
    await second.query('BEGIN')
    await assert.rejects(insert(second, alice.user.id), /lock timeout/, 'two writes for Alice are ordered by her mark')
    await second.query('ROLLBACK')
  } finally {
    await first.query('ROLLBACK').catch(() => {})
    await first.end()
    await second.end()
  }
})

test('a write made through another instance is seen by this one at once (PostgreSQL)', {
  skip: !t.db.url && 'PostgreSQL only',
}, async () => {
  const other = await openDatabase({ databaseUrl: t.db.url, poolMax: 2 })
  const app2 = await buildApp(t.app.config, { database: other, logger: false, skipMigrations: true })
  try {
    await app2.ready()
    const tx = await makeTransaction(t, { userId: alice.user.id, periodeId: periode.id })
    assert.equal(listedItem((await list(alice.auth)).items, tx.id).status, 'sent') // cached on instance 1
    const changed = await app2.inject({
      method: 'PUT',
      url: `/transactions/${tx.id}/status`,
      headers: admin.auth,
      payload: { status: 'completed' },
    })
    assert.equal(changed.statusCode, 200, changed.body)
    assert.equal(listedItem((await list(alice.auth)).items, tx.id).status, 'completed')
  } finally {
    await app2.close()
    await other.close()
  }
})

test('the cache is bounded by bytes, least recently used out first, and skips bodies over a quarter of it', () => {
  const cache = createListCache(1000)
  const body = (n: number) => Buffer.alloc(n, 1)
  cache.set('a', 'v1', body(200))
  cache.set('b', 'v1', body(200))
  cache.set('c', 'v1', body(200))
  assert.ok(cache.get('a', 'v1')) // a is now the most recently used
  cache.set('d', 'v1', body(200))
  cache.set('e', 'v1', body(200)) // 1000 bytes: still fits
  cache.set('f', 'v1', body(200)) // evicts b, the least recently used
  assert.equal(cache.get('b', 'v1'), undefined)
  assert.ok(cache.get('a', 'v1'))
  assert.ok(cache.bytes <= 1000)
  cache.set('big', 'v1', body(251))
  assert.equal(cache.get('big', 'v1'), undefined)
  assert.equal(cache.get('a', 'v2'), undefined, 'another ledger version is a miss')
  assert.equal(cache.get('a', 'v1'), undefined, 'and the stale entry is gone')
  assert.equal(createListCache(0).size, 0)
  const off = createListCache(0)
  off.set('x', 'v1', body(1))
  assert.equal(off.get('x', 'v1'), undefined, 'LIST_CACHE_MB=0 stores nothing')
})
