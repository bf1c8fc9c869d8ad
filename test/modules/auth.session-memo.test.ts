/**
 * The auth guard's session memo (src/plugins/auth-guard.ts): a session read is reused only until
 * something that could change it is written, so revocations still take effect on the very next
 * request, and the absolute expiry is checked against the clock on every reuse. Also the change
 * counter it relies on (Database.writeEpoch: src/db/client.ts, src/db/auth-changes.ts), and on
 * PostgreSQL other instances' changes announced by the triggers of migration 0011.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { eq, sql } from 'drizzle-orm'
import pg from 'pg'
import { type Database, openDatabase } from '../../src/db/client.js'
import { sessions, users } from '../../src/db/schema.js'
import { build, login, userWithToken } from '../helpers/app.js'

const t = await build()
const db = t.db.database.db
const pglite = !t.db.url

const profile = (auth: Record<string, string>) => t.app.inject({ url: '/auth/profile', headers: auth })

/** Until `epoch` has not moved for 300 ms: announcements still under way have arrived. */
async function settled(epoch: () => number | undefined) {
  for (let last = epoch(); ; ) {
    await sleep(300)
    if (epoch() === last) return
    last = epoch()
  }
}

/**
 * Each kind of write to users moves `epoch`, a plain read never does. On PGlite any write moves
 * it; on PostgreSQL only a change that may touch users or sessions (others are announced).
 */
async function checkWriteCounter(database: Database) {
  const epoch = database.writeEpoch as () => number
  const tag = `epoch${Date.now().toString(36)}`
  if (database.kind === 'pg') await settled(epoch)
  let before = epoch()
  assert.equal(typeof before, 'number')
  await database.db.select().from(users).limit(1)
  await database.db.execute(sql`SELECT 1`)
  await database.db.transaction(async (tx) => tx.select().from(users).limit(1))
  if (database.kind === 'pg') assert.equal(epoch(), before, 'reads leave it alone, also in a transaction')
  before = epoch()
  await database.db.select().from(users).limit(1)
  assert.equal(epoch(), before, 'reads leave it alone')

  const step = async (what: string, write: () => Promise<unknown>) => {
    before = epoch()
    await write()
    assert.ok(epoch() > before, `${what} moves it`)
  }
  await step('insert', () => database.db.insert(users).values({ fullname: 'E', username: tag, userType: 'member' }))
  await step('update', () => database.db.update(users).set({ fullname: 'F' }).where(eq(users.username, tag)))
  await step('a CTE that writes', () =>
    database.db.execute(sql`WITH x AS (UPDATE users SET fullname = 'G' WHERE username = ${tag} RETURNING id) SELECT * FROM x`),
  )
  await step('a transaction that writes', () =>
    database.db.transaction(async (tx) => tx.update(users).set({ fullname: 'H' }).where(eq(users.username, tag))),
  )
  // The commit too: a read that began between the update and the commit saw the old row.
  await database.db.transaction(async (tx) => {
    await tx.update(users).set({ fullname: 'I' }).where(eq(users.username, tag))
    before = epoch()
  })
  assert.ok(epoch() > before, 'the commit of a transaction that wrote moves it')
  await step('delete', () => database.db.delete(users).where(eq(users.username, tag)))

  // A write that names neither users nor sessions: any write on PGlite, none on PostgreSQL. (There,
  // the announcements of the changes above reach this process's own listener a moment later.)
  if (database.kind === 'pg') await settled(epoch)
  before = epoch()
  await database.db.execute(sql`UPDATE periodes SET updated_at = updated_at WHERE false`)
  await database.db.transaction(async (tx) => tx.execute(sql`UPDATE periodes SET updated_at = updated_at WHERE false`))
  if (database.kind === 'pg') assert.equal(epoch(), before, 'a write elsewhere (a deposit, a job) leaves it alone')
  else assert.ok(epoch() > before, 'PGlite counts every write')
}

// Its own in-memory PGlite, so this runs whatever database the rest of the file uses.
test('the PGlite write counter moves on every kind of write and never on a plain read', async () => {
  const database = await openDatabase({})
  try {
    await database.migrate()
    await checkWriteCounter(database)
  } finally {
    await database.close()
  }
})

test("PostgreSQL: this process's own changes to users and sessions move the counter", { skip: pglite && 'PostgreSQL only' }, async () => {
  await checkWriteCounter(t.app.database)
})

/** Until the app's change counter moves (another instance's change announced), at most 5 s. */
async function counterMoves(from: number | undefined) {
  const deadline = Date.now() + 5000
  while (t.app.database.writeEpoch() === from) {
    if (Date.now() > deadline) throw new Error('no announcement heard within 5 s')
    await sleep(5)
  }
}

/** A write from another connection, as another instance would make it (triggers on or off). */
async function fromElsewhere(statement: string, values: unknown[], triggers = true) {
  const other = new pg.Client({ connectionString: t.db.url })
  await other.connect()
  try {
    // replica: triggers do not fire, so the change is not announced (superuser only: the test server).
    if (!triggers) await other.query(`SET session_replication_role = replica`)
    await other.query(statement, values)
  } finally {
    await other.end()
  }
}

test("PostgreSQL: another instance's revocation is announced, and the next request is refused", {
  skip: pglite && 'PostgreSQL only',
}, async () => {
  const me = await userWithToken(t)
  for (let i = 0; i < 3; i++) assert.equal((await profile(me.auth)).statusCode, 200)
  const before = t.app.database.writeEpoch()
  assert.equal(typeof before, 'number', 'listening')
  await fromElsewhere(`UPDATE sessions SET revoked_at = now(), revoked_reason = 'test' WHERE user_id = $1`, [me.user.id])
  await counterMoves(before)
  assert.equal((await profile(me.auth)).statusCode, 401)

  // The same for a change to the user (deactivation), announced by the users trigger.
  const other = await userWithToken(t)
  assert.equal((await profile(other.auth)).statusCode, 200)
  const second = t.app.database.writeEpoch()
  await fromElsewhere(`UPDATE users SET is_active = false WHERE id = $1`, [other.user.id])
  await counterMoves(second)
  assert.equal((await profile(other.auth)).statusCode, 401)
})

test('PostgreSQL: the session is remembered between requests, and only the announcement ends it early', {
  skip: pglite && 'PostgreSQL only',
}, async () => {
  const admin = await userWithToken(t, 'admin')
  const me = await userWithToken(t)
  await settled(t.app.database.writeEpoch) // earlier tests' announcements, if any are still on their way
  assert.equal((await profile(admin.auth)).statusCode, 200)
  assert.equal((await profile(me.auth)).statusCode, 200) // read and remembered
  // Revoked behind the triggers' back: nothing is announced, so the remembered check still answers
  // (which shows that the requests in between do not read), until a change to users or sessions made here moves the counter.
  await fromElsewhere(`UPDATE sessions SET revoked_at = now(), revoked_reason = 'test' WHERE user_id = $1`, [me.user.id], false)
  assert.equal((await profile(me.auth)).statusCode, 200, 'served from the remembered check')
  // A deposit made here does not end it either: it changes no session or user.
  const deposit = await t.app.inject({
    method: 'POST',
    url: '/transactions',
    headers: admin.auth,
    payload: { userId: admin.user.id, amount: 50_000, transaction_date: '2025-11-20 10:00' },
  })
  assert.equal(deposit.statusCode, 201, deposit.body)
  assert.equal((await profile(me.auth)).statusCode, 200, 'still remembered after a deposit')
  await t.app.database.db.execute(sql`UPDATE users SET updated_at = updated_at WHERE false`) // a local change that names users
  assert.equal((await profile(me.auth)).statusCode, 401)
})

test('PostgreSQL: while the listening connection is down every request reads its session', {
  skip: pglite && 'PostgreSQL only',
}, async () => {
  const me = await userWithToken(t)
  assert.equal((await profile(me.auth)).statusCode, 200) // remembered
  await fromElsewhere(
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'talangraga-api-changes' AND datname = current_database()`,
    [],
  )
  const deadline = Date.now() + 5000
  while (t.app.database.writeEpoch() !== undefined) {
    if (Date.now() > deadline) throw new Error('the listener did not notice its connection ending')
    await sleep(5)
  }
  // Not announced (triggers off) and not written here: only reading the session finds it revoked.
  await fromElsewhere(`UPDATE sessions SET revoked_at = now(), revoked_reason = 'test' WHERE user_id = $1`, [me.user.id], false)
  assert.equal((await profile(me.auth)).statusCode, 401)

  // The listener comes back by itself (retry after 1 s), and the memo with it.
  while (t.app.database.writeEpoch() === undefined) {
    if (Date.now() > deadline + 5000) throw new Error('the listener did not reconnect')
    await sleep(20)
  }
  const again = await userWithToken(t)
  assert.equal((await profile(again.auth)).statusCode, 200)
})

const refresh = (token: string) => t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: token } })

test('a refresh (policy reuse) answers from the remembered check, and a revocation still ends it at once', async () => {
  const me = await userWithToken(t)
  assert.equal((await profile(me.auth)).statusCode, 200) // remembered
  const again = await refresh(me.tokens.refresh_token)
  assert.equal(again.statusCode, 200, again.body)
  assert.equal((await profile({ authorization: `Bearer ${again.json().data.access_token}` })).statusCode, 200)
  const out = await t.app.inject({ method: 'POST', url: '/auth/logout', headers: { authorization: `Bearer ${me.tokens.refresh_token}` } })
  assert.equal(out.statusCode, 200, out.body)
  assert.equal((await refresh(me.tokens.refresh_token)).statusCode, 401)
})

test('a refresh whose remembered idle expiry has passed reads the row before it refuses', {
  skip: pglite && 'PostgreSQL only',
}, async () => {
  const me = await userWithToken(t)
  await db.update(sessions).set({ refreshExpiresAt: sql`now() + interval '1 second'` }).where(eq(sessions.userId, me.user.id))
  await settled(t.app.database.writeEpoch)
  assert.equal((await profile(me.auth)).statusCode, 200) // remembered with that idle expiry
  // Another instance's refresh moves the idle expiry; that is not announced (it ends nothing).
  await fromElsewhere(`UPDATE sessions SET refresh_expires_at = now() + interval '7 days' WHERE user_id = $1`, [me.user.id])
  await sleep(1100)
  assert.equal((await profile(me.auth)).statusCode, 200, 'still remembered: the access check does not read the idle expiry')
  const res = await refresh(me.tokens.refresh_token)
  assert.equal(res.statusCode, 200, res.body)

  // And an idle expiry that has really passed is refused.
  await db.update(sessions).set({ refreshExpiresAt: sql`now() - interval '1 second'` }).where(eq(sessions.userId, me.user.id))
  assert.equal((await refresh(me.tokens.refresh_token)).statusCode, 401)
})

test('a revocation written after the session was remembered is seen by the very next request', async () => {
  const me = await userWithToken(t)
  for (let i = 0; i < 3; i++) assert.equal((await profile(me.auth)).statusCode, 200)
  await db.update(sessions).set({ revokedAt: new Date(), revokedReason: 'test' }).where(eq(sessions.userId, me.user.id))
  assert.equal((await profile(me.auth)).statusCode, 401)
})

test('deactivation, demotion and profile edits are seen at once', async () => {
  const admin = await userWithToken(t, 'admin')
  assert.equal((await t.app.inject({ url: '/users', headers: admin.auth })).statusCode, 200) // remembered as an admin
  const renamed = await t.app.inject({
    method: 'PUT',
    url: `/users/${admin.user.id}`,
    headers: admin.auth,
    payload: { fullname: 'Nama Baru' },
  })
  assert.equal(renamed.statusCode, 200, renamed.body)
  assert.equal((await profile(admin.auth)).json().data.fullname, 'Nama Baru')

  await db.update(users).set({ userType: 'member' }).where(eq(users.id, admin.user.id))
  assert.equal((await t.app.inject({ method: 'POST', url: '/periodes', headers: admin.auth, payload: {} })).statusCode, 403)

  await db.update(users).set({ isActive: false }).where(eq(users.id, admin.user.id))
  assert.equal((await profile(admin.auth)).statusCode, 401)
})

test('logout through the API ends the remembered session', async () => {
  const me = await userWithToken(t)
  assert.equal((await profile(me.auth)).statusCode, 200)
  const out = await t.app.inject({ method: 'POST', url: '/auth/logout', headers: { authorization: `Bearer ${me.tokens.refresh_token}` } })
  assert.equal(out.statusCode, 200, out.body)
  assert.equal((await profile(me.auth)).statusCode, 401)
})

test('the absolute expiry is checked on every reuse, with no write in between', async () => {
  const me = await userWithToken(t)
  const tokens = await login(t, me.user)
  const auth = { authorization: `Bearer ${tokens.access_token}` }
  await db.update(sessions).set({ absoluteExpiresAt: sql`now() + interval '1500 milliseconds'` }).where(eq(sessions.userId, me.user.id))
  assert.equal((await profile(auth)).statusCode, 200) // read and remembered after that write
  assert.equal((await profile(auth)).statusCode, 200)
  await sleep(1600)
  assert.equal((await profile(auth)).statusCode, 401)
})

test("the session check's caller row is the user's row: /auth/profile answers what the table holds", async () => {
  const me = await userWithToken(t)
  await db
    .update(users)
    .set({
      phoneNumber: `+62812${String(me.user.id).padStart(7, '0')}`,
      domisili: 'Bandung "Kota" \\ Kembang',
      savingsTarget: '12345678.90',
      locale: 'en',
      imageProfileKey: null,
    })
    .where(eq(users.id, me.user.id))
  const res = await profile(me.auth)
  assert.equal(res.statusCode, 200, res.body)
  const [row] = await db.select().from(users).where(eq(users.id, me.user.id))
  assert.ok(row)
  assert.deepEqual(res.json().data, {
    id: row.id,
    fullname: row.fullname,
    username: row.username,
    email: row.email,
    phone_number: row.phoneNumber,
    domisili: 'Bandung "Kota" \\ Kembang',
    user_type: 'member',
    image_profile_url: null,
    is_active: true,
    savings_target: 12345678.9,
    locale: 'en',
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  })
  assert.equal(res.headers['content-language'], 'en', "the caller's saved language, read by the same check")
})
