/**
 * GET /transactions and GET /users as the app calls them (no page, no per_page): every matching
 * row, however many, streamed in chunks from the database. The app deletes from its local database every deposit a
 * list leaves out, so a truncated list loses deposits on the phone.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { count, isNull, sql } from 'drizzle-orm'
import { transactions, users } from '../../src/db/schema.js'
import { build, createUser, login } from '../helpers/app.js'
import { makePeriode } from './transactions.fixtures.js'

const t = await build()
const db = t.db.database.db

// More than the first chunk (2000) and several further chunks (250 each), with many rows sharing
// the same instant so the keyset's id tie-break is exercised at every chunk boundary.
const MEMBER_ROWS = 600
const OTHER_ROWS = 3900

const member = await createUser(t)
const other = await createUser(t)
const admin = await createUser(t, { role: 'admin' })
const periode = await makePeriode(t, '2025-01-01', '2025-12-31')

async function insertRows(userId: number, count: number, offset: number) {
  const values = Array.from({ length: count }, (_, i) => ({
    userId,
    reportedBy: userId,
    amount: `${100000 + i}.00`,
    status: 'sent' as const,
    // 7 rows per instant: ties everywhere.
    transactionDate: new Date(Date.UTC(2025, 5, 1) + Math.floor((i + offset) / 7) * 60_000),
    periodeId: periode.id,
  }))
  for (let i = 0; i < values.length; i += 500) await db.insert(transactions).values(values.slice(i, i + 500))
}
await insertRows(member.id, MEMBER_ROWS, 0)
await insertRows(other.id, OTHER_ROWS, 3)

async function bearer(u: { username: string; password: string }) {
  return { authorization: `Bearer ${(await login(t, u)).access_token}` }
}

/** Newest first by (transaction_date, id), as the index orders them. */
function assertListOrder(rows: { id: number; transaction_date: string }[]) {
  for (let i = 1; i < rows.length; i++) {
    const a = rows[i - 1] as { id: number; transaction_date: string }
    const b = rows[i] as { id: number; transaction_date: string }
    assert.ok(a.transaction_date > b.transaction_date || (a.transaction_date === b.transaction_date && a.id > b.id), `order at ${i}`)
  }
}

test("the app's list call (no page, no per_page) returns every deposit: admin, the whole ledger", async () => {
  const res = await t.app.inject({ url: '/transactions', headers: await bearer(admin) })
  assert.equal(res.statusCode, 200)
  assert.match(String(res.headers['content-type']), /^application\/json/)
  const body = res.json()
  assert.equal(body.code, 200)
  assert.equal(typeof body.message, 'string')
  const expected = MEMBER_ROWS + OTHER_ROWS
  assert.equal(body.data.length, expected)
  assert.equal(new Set(body.data.map((r: { id: number }) => r.id)).size, expected, 'no row twice')
  assert.equal(body.meta.total, expected)
  assert.equal(body.meta.page, 1)
  assert.equal(body.meta.per_page, expected)
  assertListOrder(body.data)
  // Every row as the app's TransactionResponse needs it.
  for (const r of body.data) {
    assert.equal(typeof r.id, 'number')
    assert.equal(typeof r.amount, 'number')
    assert.equal(typeof r.user_id, 'number')
    assert.match(r.transaction_date, /Z$/)
    assert.equal(typeof r.reported_date, 'string')
    assert.ok('status' in r)
  }
  // The exact sum of every amount, computed in SQL.
  const sum = body.data.reduce((s: bigint, r: { amount: number }) => s + BigInt(Math.round(r.amount * 100)), 0n)
  assert.equal(BigInt(Math.round(body.meta.total_amount * 100)), sum)
})

test('a member gets all of their own deposits (more than 500), filters still apply, pages still page', async () => {
  const auth = await bearer(member)
  const all = await t.app.inject({ url: '/transactions', headers: auth })
  assert.equal(all.statusCode, 200)
  assert.equal(all.json().data.length, MEMBER_ROWS)
  assert.ok(all.json().data.every((r: { user_id: number }) => r.user_id === member.id))
  const filtered = await t.app.inject({ url: `/transactions?periode_id=${periode.id}&status=sent`, headers: auth })
  assert.equal(filtered.json().data.length, MEMBER_ROWS)
  const none = await t.app.inject({ url: '/transactions?status=completed', headers: auth })
  assert.deepEqual(none.json().data, [])
  assert.equal(none.json().meta.total, 0)

  const page = await t.app.inject({ url: '/transactions?page=2&per_page=100', headers: auth })
  assert.equal(page.json().data.length, 100)
  assert.deepEqual(page.json().meta.page, 2)
  assert.equal(page.json().meta.total, MEMBER_ROWS)
  const firstPage = await t.app.inject({ url: '/transactions?page=1', headers: auth })
  assert.equal(firstPage.json().data.length, 500, 'page without per_page: 500 rows')
})

test('the streamed whole ledger is the concatenation of its pages (same rows, same order)', async () => {
  const auth = await bearer(admin)
  const all = (await t.app.inject({ url: '/transactions', headers: auth })).json().data as { id: number }[]
  const paged: number[] = []
  for (let p = 1; ; p++) {
    const res = await t.app.inject({ url: `/transactions?page=${p}&per_page=1000`, headers: auth })
    const rows = res.json().data as { id: number }[]
    paged.push(...rows.map((r) => r.id))
    if (rows.length < 1000) break
  }
  assert.deepEqual(
    all.map((r) => r.id),
    paged,
  )
})

test('GET /users without page/per_page: every user, past the first chunk, names in order; members get the directory', async () => {
  // 2,100 more members (same placeholder hash: they never log in), some sharing a name.
  const values = Array.from({ length: 2100 }, (_, i) => ({
    fullname: `Jamaah ${String(i % 700).padStart(4, '0')}`,
    username: `dir${i}_${process.pid}`,
    email: `dir${i}_${process.pid}@example.test`,
    userType: 'member' as const,
    passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$placeholder$placeholder',
    isActive: i % 10 !== 0,
  }))
  for (let i = 0; i < values.length; i += 500) await db.insert(users).values(values.slice(i, i + 500))
  const [everyone] = await db.select({ n: count() }).from(users).where(isNull(users.anonymisedAt))
  const [activeMembers] = await db
    .select({ n: count() })
    .from(users)
    .where(sql`${users.isActive} AND ${users.userType} = 'member' AND ${users.anonymisedAt} IS NULL`)
  const res = await t.app.inject({ url: '/users', headers: await bearer(admin) })
  assert.equal(res.statusCode, 200)
  const body = res.json()
  assert.equal(body.data.length, everyone?.n)
  assert.equal(body.meta.total, everyone?.n)
  assert.equal(new Set(body.data.map((u: { id: number }) => u.id)).size, everyone?.n)
  for (let i = 1; i < body.data.length; i++) {
    const a = body.data[i - 1]
    const b = body.data[i]
    const an = a.fullname.toLowerCase()
    const bn = b.fullname.toLowerCase()
    assert.ok(an < bn || (an === bn && a.id < b.id), `order at ${i}`)
  }
  assert.ok('email' in body.data[0] && 'is_active' in body.data[0], 'admins get full records')

  const dir = await t.app.inject({ url: '/users', headers: await bearer(member) })
  assert.equal(dir.json().data.length, activeMembers?.n)
  assert.deepEqual(Object.keys(dir.json().data[0]).sort(), ['fullname', 'id', 'image_profile_url', 'username'])
})
