/**
 * The outbox worker on the real database (PGlite, or PostgreSQL with TEST_DATABASE_URL): retries
 * with backoff until success or the last attempt, a job whose worker died mid-way is taken again
 * after its lease, an event committed with its change is fanned out once, and two workers (two
 * instances: two connection pools on one PostgreSQL) run every job exactly once.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sql } from 'drizzle-orm'
import { openDatabase, rows } from '../../src/db/client.js'
import { claim, enqueue } from '../../src/modules/jobs/jobs.queries.js'
import { createWorker, PermanentJobError } from '../../src/modules/jobs/worker.js'
import { build, userWithToken } from '../helpers/app.js'
import { settle } from '../helpers/jobs.js'

const t = await build({ JOBS_POLL_MS: '100', JOBS_LEASE_SECONDS: '1' })
const db = t.db.database.db
const silent = t.app.log

async function job(id: number) {
  const [row] = await rows<{ attempts: number; finished_at: Date | null; failed: boolean; last_error: string | null }>(
    db,
    sql`SELECT attempts, finished_at, failed, last_error FROM jobs WHERE id = ${id}`,
  )
  return row
}
async function lastJobId() {
  const [row] = await rows<{ id: number }>(db, sql`SELECT max(id)::int AS id FROM jobs`)
  return Number(row?.id)
}

test('a failing job is retried with backoff until it succeeds; one that keeps failing is given up after max_attempts', async () => {
  let calls = 0
  t.app.jobs.register('test.flaky', {
    backoff: () => 50,
    async run() {
      calls += 1
      if (calls < 3) throw new Error(`boom ${calls}`)
    },
  })
  const gaveUp: string[] = []
  t.app.jobs.register('test.broken', {
    backoff: () => 50,
    async run() {
      throw new Error('always')
    },
    async onGiveUp(_job, error) {
      gaveUp.push(error)
    },
  })
  t.app.jobs.register('test.permanent', {
    async run() {
      throw new PermanentJobError('cannot be done')
    },
  })
  await enqueue(db, [{ kind: 'test.flaky', payload: {} }])
  const flaky = await lastJobId()
  await enqueue(db, [{ kind: 'test.broken', payload: {}, maxAttempts: 3 }])
  const broken = await lastJobId()
  await enqueue(db, [{ kind: 'test.permanent', payload: {} }])
  const permanent = await lastJobId()
  t.app.jobs.kick()
  await settle(t)
  assert.deepEqual(
    { ...(await job(flaky)), finished_at: undefined },
    { attempts: 3, finished_at: undefined, failed: false, last_error: null },
  )
  assert.equal(calls, 3)
  const b = await job(broken)
  assert.equal(b?.attempts, 3)
  assert.equal(b?.failed, true)
  assert.equal(b?.last_error, 'always')
  assert.deepEqual(gaveUp, ['always'])
  const p = await job(permanent)
  assert.equal(p?.attempts, 1, 'a permanent error is not retried')
  assert.equal(p?.failed, true)
})

test('a job whose worker died mid-way (claimed, never finished) is run again after its lease', async () => {
  let runs = 0
  t.app.jobs.register('test.orphan', {
    async run() {
      runs += 1
    },
  })
  await enqueue(db, [{ kind: 'test.orphan', payload: {} }])
  const id = await lastJobId()
  // Another "instance" claims it and dies: it never finishes. The lease is 1 s.
  const taken = await claim(db, 'dead-worker', 10, 1)
  assert.ok(taken.some((j) => j.id === id))
  t.app.jobs.kick()
  await new Promise((r) => setTimeout(r, 300))
  assert.equal(runs, 0, 'not taken while the lease holds')
  await settle(t, 5000)
  assert.equal(runs, 1)
  assert.equal((await job(id))?.attempts, 2)
})

test('a status change and its event commit together; a rolled-back change publishes nothing', async () => {
  const member = await userWithToken(t, 'member')
  const admin = await userWithToken(t, 'admin')
  const before = await lastJobId()
  const dep = await t.app.inject({
    method: 'POST',
    url: '/transactions',
    headers: admin.auth,
    payload: { user_id: member.user.id, amount: 50000, transaction_date: '2025-02-01 10:00' },
  })
  assert.equal(dep.statusCode, 201, dep.body)
  // Refused (four eyes is not involved: the admin reported it, but a note is missing): nothing published.
  const refused = await t.app.inject({
    method: 'PUT',
    url: `/transactions/${dep.json().data.id}/status`,
    headers: admin.auth,
    payload: { status: 'rejected' },
  })
  assert.equal(refused.statusCode, 422)
  const events = await rows<{ type: string; payload: { id: string; type: string; created_at: string; data: unknown } }>(
    db,
    sql`SELECT payload->>'type' AS type, payload FROM jobs WHERE kind = 'event' AND id > ${before} ORDER BY id`,
  )
  assert.deepEqual(
    events.map((e) => e.type),
    ['deposit.submitted'],
  )
  // The event written with the deposit in one statement is the one publish() writes.
  const { id, created_at, ...rest } = events[0]!.payload
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  assert.equal(new Date(created_at).toISOString(), created_at)
  assert.deepEqual(rest, {
    type: 'deposit.submitted',
    data: { transaction_id: dep.json().data.id, user_id: member.user.id, reported_by: admin.user.id, amount: 50000 },
  })
})

test('a batch publishes one deposit.submitted per deposit, amounts as JSON numbers', async () => {
  const [a, b] = [await userWithToken(t, 'member'), await userWithToken(t, 'member')]
  const admin = await userWithToken(t, 'admin')
  const before = await lastJobId()
  const res = await t.app.inject({
    method: 'POST',
    url: '/transactions/batch',
    headers: admin.auth,
    payload: {
      allocations: [
        { user_id: a.user.id, amount: 100000 },
        { user_id: b.user.id, amount: '2500.50' },
      ],
      transaction_date: '2025-02-01 10:00',
    },
  })
  assert.equal(res.statusCode, 201, res.body)
  const ids = (res.json().data as { id: number }[]).map((d) => d.id)
  const events = await rows<{ data: unknown; amount: string }>(
    db,
    sql`SELECT payload->'data' AS data, payload->'data'->>'amount' AS amount FROM jobs WHERE kind = 'event' AND id > ${before} ORDER BY id`,
  )
  // As publish() stores toMoney(): the JSON number, no trailing zeros (not NUMERIC's 100000.00).
  assert.deepEqual(
    events.map((e) => e.amount),
    ['100000', '2500.5'],
  )
  assert.deepEqual(
    events.map((e) => e.data),
    [
      { transaction_id: ids[0], user_id: a.user.id, reported_by: admin.user.id, amount: 100000 },
      { transaction_id: ids[1], user_id: b.user.id, reported_by: admin.user.id, amount: 2500.5 },
    ],
  )
})

test('two workers on one database (two instances) run every job exactly once', async () => {
  // A second instance: its own connection pool on the same PostgreSQL; on PGlite the same database.
  const other = t.db.url ? await openDatabase({ databaseUrl: t.db.url, poolMax: 4 }) : t.db.database
  const seen = new Map<number, string[]>()
  const N = 60
  const workers = [db, other.db].map((database, i) => {
    const w = createWorker({ db: database, log: silent, pollMs: 20, leaseSeconds: 30 })
    w.register('test.count', {
      transactional: true,
      async run(j, exec) {
        // A database write in the job's transaction, and a record of who ran it.
        await exec.execute(sql`SELECT pg_sleep(0.002)`)
        seen.set(j.id, [...(seen.get(j.id) ?? []), `w${i}`])
      },
    })
    return w
  })
  // The app's own worker must not take these: it has no handler for the kind and would give them up.
  await t.app.jobs.stop()
  await enqueue(
    db,
    Array.from({ length: N }, (_, i) => ({ kind: 'test.count', payload: { i } })),
  )
  for (const w of workers) w.start()
  const deadline = Date.now() + 20_000
  while (seen.size < N && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
  await Promise.all(workers.map((w) => w.stop()))
  if (other !== t.db.database) await other.close()
  assert.equal(seen.size, N)
  for (const [id, by] of seen) assert.equal(by.length, 1, `job ${id} ran ${by.length} times`)
  const [left] = await rows<{ n: number }>(db, sql`SELECT count(*)::int AS n FROM jobs WHERE kind = 'test.count' AND finished_at IS NULL`)
  assert.equal(Number(left?.n), 0)
  if (t.db.url) {
    const byWorker = new Set([...seen.values()].flat())
    assert.equal(byWorker.size, 2, 'on PostgreSQL both instances took jobs')
  }
})

test("a claim's transactional jobs run in one transaction; one failing rolls it back and each then runs on its own, exactly once", async () => {
  // The app's worker was stopped by the test above; this one runs in the test (runDue).
  await db.execute(sql`CREATE TABLE IF NOT EXISTS test_batch_effects (job_id bigint NOT NULL)`)
  const w = createWorker({ db, log: silent, pollMs: 60_000, leaseSeconds: 30 })
  const transactions = new Set<unknown>()
  // The failing job fails in the batch and again on its own; its retry (a new attempt) succeeds.
  let failures = 2
  w.register('test.batch', {
    transactional: true,
    backoff: () => 0,
    async run(j, exec) {
      transactions.add(exec)
      await exec.execute(sql`INSERT INTO test_batch_effects (job_id) VALUES (${j.id})`)
      if ((j.payload as { fail?: boolean }).fail && failures > 0) {
        failures -= 1
        throw new Error('fails')
      }
    },
  })
  const first = (await lastJobId()) + 1
  await enqueue(db, [
    { kind: 'test.batch', payload: {} },
    { kind: 'test.batch', payload: {} },
    { kind: 'test.batch', payload: {} },
  ])
  await w.runDue()
  assert.equal(transactions.size, 1, 'three jobs of one claim, one transaction')

  transactions.clear()
  await enqueue(db, [
    { kind: 'test.batch', payload: {} },
    { kind: 'test.batch', payload: { fail: true } },
    { kind: 'test.batch', payload: {} },
  ])
  await w.runDue()
  await w.runDue() // the failed job's retry (backoff 0)
  const done = await rows<{ id: number; attempts: number; finished: boolean; failed: boolean }>(
    db,
    sql`SELECT id::int, attempts, finished_at IS NOT NULL AS finished, failed FROM jobs WHERE kind = 'test.batch' AND id >= ${first} ORDER BY id`,
  )
  assert.deepEqual(
    done.map((j) => [j.attempts, j.finished, j.failed]),
    [
      [1, true, false],
      [1, true, false],
      [1, true, false],
      [1, true, false],
      [2, true, false],
      [1, true, false],
    ],
  )
  const effects = await rows<{ job_id: number; n: number }>(
    db,
    sql`SELECT job_id::int, count(*)::int AS n FROM test_batch_effects GROUP BY job_id ORDER BY job_id`,
  )
  assert.deepEqual(
    effects.map((e) => [e.job_id, e.n]),
    done.map((j) => [j.id, 1]),
    'each job took effect once (the rolled-back batch left nothing)',
  )
  await w.stop()
})
