/**
 * The row cache (src/modules/transactions/row-cache.ts): a list built from cached rows is byte for
 * byte the list built without them, after every kind of change a row's JSON shows; a deposit makes
 * the next lists fetch that one row and nothing else, for every viewer; viewers never share rows.
 * Both apps below run with the list cache off, so every request builds its page.
 */
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { eq } from 'drizzle-orm'
import { buildApp } from '../../src/app.js'
import { transactions } from '../../src/db/schema.js'
import { createRowCache, rowBytes } from '../../src/modules/transactions/row-cache.js'
import { build, userWithToken } from '../helpers/app.js'
import { type ListItem, listedItem, makePayment, makePeriode, makeTransaction } from './transactions.fixtures.js'

const t = await build({ LIST_CACHE_MB: '0' })
// The same database without the row cache: what every list must equal.
const plain = await buildApp({ ...t.app.config, rowCacheBytes: 0 }, { database: t.db.database, logger: false, skipMigrations: true })
await plain.ready()
after(() => plain.close())

const stats = () => t.app.services.transactions.rowCacheStats()
const alice = await userWithToken(t, 'member')
const bob = await userWithToken(t, 'member')
const admin = await userWithToken(t, 'admin')
const periode = await makePeriode(t, '2024-02-01', '2024-02-29')
const bank = await makePayment(t)

const paths = [`/transactions?periode_id=${periode.id}`, `/transactions?periode_id=${periode.id}&page=1&per_page=3`]

/** The list as the cached app answers it, checked equal to the uncached app's answer. */
async function list(auth: Record<string, string>, url = paths[0] as string) {
  const res = await t.app.inject({ url, headers: auth })
  assert.equal(res.statusCode, 200, res.body)
  assert.equal(res.headers['content-length'], String(Buffer.byteLength(res.body)))
  const expected = await plain.inject({ url, headers: auth })
  assert.equal(res.body, expected.body, `${url}: the same bytes as without the row cache`)
  return res.json().data as ListItem[]
}
const viewers = [alice, bob, admin]
async function everyList(check?: (items: ListItem[]) => void) {
  for (const v of viewers)
    for (const url of paths) {
      const items = await list(v.auth, url)
      check?.(items)
    }
}

test('a repeated list fetches no row again, and a deposit makes each viewer fetch only that row', async () => {
  const a = await makeTransaction(t, { userId: alice.user.id, periodeId: periode.id, amount: '100000.00' })
  await makeTransaction(t, { userId: bob.user.id, periodeId: periode.id })
  await makeTransaction(t, { userId: alice.user.id, reportedBy: bob.user.id, periodeId: periode.id })
  await everyList()
  const warm = stats()
  await everyList()
  assert.equal(stats().misses, warm.misses, 'every row came from the cache')
  assert.ok(stats().hits > warm.hits)

  // A new deposit of Alice's: the admin's and Alice's lists fetch it once each; Bob's sees nothing new.
  const added = await makeTransaction(t, { userId: alice.user.id, periodeId: periode.id })
  const before = stats().misses
  await list(admin.auth)
  assert.equal(stats().misses, before + 1, 'the admin list fetched the new row only')
  await list(alice.auth)
  assert.equal(stats().misses, before + 2, 'Alice’s list fetched the new row only')
  await list(bob.auth)
  assert.equal(stats().misses, before + 2, 'Bob’s list fetched nothing')
  listedItem(await list(admin.auth), added.id)
  listedItem(await list(alice.auth), a.id)

  // /metrics reports the same figures.
  const text = await t.app.metrics.registry.metrics()
  const now = stats()
  assert.match(text, new RegExp(`transaction_row_cache_rows_total\\{result="hit"\\} ${now.hits}\\b`))
  assert.match(text, new RegExp(`transaction_row_cache_rows_total\\{result="miss"\\} ${now.misses}\\b`))
  assert.match(text, new RegExp(`transaction_row_cache_bytes ${now.bytes}\\b`))
  assert.ok(now.bytes > 0)
})

test('every change a row shows changes the list at once: status, confirmer, payment, periode, people, amount, delete', async () => {
  const tx = await makeTransaction(t, { userId: alice.user.id, periodeId: periode.id })
  await t.db.database.db.update(transactions).set({ paymentId: bank.id }).where(eq(transactions.id, tx.id))
  await everyList()

  const put = async (url: string, payload: Record<string, unknown>) => {
    const res = await t.app.inject({ method: 'PUT', url, headers: admin.auth, payload })
    assert.equal(res.statusCode, 200, res.body)
  }
  const adminSees = async (check: (row: ListItem) => void) => check(listedItem(await list(admin.auth), tx.id))

  await put(`/transactions/${tx.id}/status`, { status: 'completed' })
  await adminSees((r) => {
    assert.equal(r.status, 'completed')
    assert.equal(r.confirmed_by?.id, admin.user.id)
  })
  await put(`/payments/${bank.id}`, { payment_name: 'Bank Row Cache' })
  await adminSees((r) => assert.equal(r.payment?.payment_name, 'Bank Row Cache'))
  await put(`/periodes/${periode.id}`, { periode_name: 'Februari Baru' })
  await adminSees((r) => assert.equal(r.periode?.periode_name, 'Februari Baru'))
  await put(`/users/${alice.user.id}`, { fullname: 'Alice Row Cache' })
  await adminSees((r) => assert.equal(r.user.fullname, 'Alice Row Cache'))
  await put(`/users/${admin.user.id}`, { fullname: 'Confirmer Renamed' })
  assert.equal(listedItem(await list(admin.auth), tx.id).confirmed_by?.fullname, 'Confirmer Renamed')
  // A change no trigger or service sees still shows: the key is the rows' versions, not an event.
  await t.db.database.db.update(transactions).set({ amount: '424242.00' }).where(eq(transactions.id, tx.id))
  await adminSees((r) => assert.equal(r.amount, 424242))
  // Every viewer, paged and unpaged, equal to the uncached answer after all of it.
  await everyList()

  // A pending deposit, listed (cached) by everyone, then deleted: gone from every list.
  const pending = await makeTransaction(t, { userId: alice.user.id, periodeId: periode.id })
  await everyList()
  const del = await t.app.inject({ method: 'DELETE', url: `/transactions/${pending.id}`, headers: admin.auth })
  assert.equal(del.statusCode, 200, del.body)
  await everyList((items) =>
    assert.equal(
      items.find((i) => i.id === pending.id),
      undefined,
    ),
  )
})

test('viewers never share a row: a member sees no one else’s email from a row an admin cached', async () => {
  const reported = await makeTransaction(t, { userId: alice.user.id, reportedBy: bob.user.id, periodeId: periode.id })
  assert.ok(listedItem(await list(admin.auth), reported.id).user.email, 'the admin sees Alice’s email (cached first)')
  assert.equal(listedItem(await list(bob.auth), reported.id).user.email, null, 'Bob, her reporter, does not')
  assert.ok(listedItem(await list(alice.auth), reported.id).user.email, 'Alice sees her own')
})

test('a page larger than one 64 KB piece arrives whole, with its exact length, cold and from the cache', async () => {
  const big = await makePeriode(t, '2024-03-01', '2024-03-31')
  for (let i = 0; i < 90; i++) {
    await makeTransaction(t, {
      userId: i % 2 ? alice.user.id : bob.user.id,
      periodeId: big.id,
      date: new Date(Date.UTC(2024, 2, 1 + (i % 28), i % 24)),
    })
  }
  const url = `/transactions?periode_id=${big.id}&page=1&per_page=100`
  for (const round of ['cold', 'cached']) {
    const res = await t.app.inject({ url, headers: admin.auth })
    assert.equal(res.statusCode, 200, res.body)
    assert.ok(res.rawPayload.length > 64 * 1024, `${round}: ${res.rawPayload.length} bytes, more than one piece`)
    assert.equal(res.headers['content-length'], String(res.rawPayload.length), `${round}: exact length`)
    assert.equal(res.headers['transfer-encoding'], undefined)
    assert.equal(res.json().data.length, 90)
    assert.equal(res.body, (await plain.inject({ url, headers: admin.auth })).body, `${round}: same bytes as without the row cache`)
  }
})

test('the cache stays within its bytes, dropping rows not used since the last pass first; 0 bytes stores nothing', () => {
  const cache = createRowCache(100)
  const row = (c: string) => rowBytes(c.repeat(30))
  cache.set('k1', row('a')) // 32 bytes with its key
  cache.set('k2', row('b'))
  cache.set('k3', row('c'))
  assert.ok(cache.get('k1'), 'k1 used: now the most recent')
  cache.set('k4', row('d'))
  assert.equal(cache.get('k2'), undefined, 'the least recently used went first')
  assert.equal(cache.get('k1')?.toString(), 'a'.repeat(30))
  assert.ok(cache.get('k3') && cache.get('k4'))
  assert.ok(cache.bytes <= 100, `${cache.bytes} bytes`)
  assert.equal(cache.size, 3)
  // Every row used since it came in: each gets a second chance, then one of them goes (the
  // eviction is a clock, not an exact LRU), and the new row stays.
  for (const k of ['k1', 'k3', 'k4']) assert.ok(cache.get(k))
  cache.set('k5', row('e'))
  assert.equal(['k1', 'k3', 'k4'].filter((k) => cache.get(k) === undefined).length, 1, 'one of the used rows went')
  assert.equal(cache.get('k5')?.toString(), 'e'.repeat(30), 'the new row was kept')
  assert.equal(cache.size, 3)
  // A row larger than the whole cache is not kept, and pushes nothing out.
  cache.set('huge', rowBytes('x'.repeat(200)))
  assert.equal(cache.get('huge'), undefined)
  assert.equal(cache.size, 3)
  assert.ok(cache.bytes <= 100, `${cache.bytes} bytes`)
  const off = createRowCache(0)
  off.set('k', row('x'))
  assert.equal(off.enabled, false)
  assert.equal(off.get('k'), undefined)
  // Its own memory, not a slice of Buffer's shared pool.
  assert.equal(rowBytes('é').byteLength, 2)
  assert.equal(rowBytes('é').buffer.byteLength, 2)
})
