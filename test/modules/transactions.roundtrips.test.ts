/**
 * Round trips of an admin's cash deposit on PostgreSQL (issue 13 item 4): every statement costs a
 * network round trip and, on a small machine, most of a deposit's CPU. Counted at the driver
 * (pg.Client#query), on the real database: the request, then the outbox fan-out the worker runs.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import pg from 'pg'
import { build, userWithToken } from '../helpers/app.js'

const t = await build({ JOBS_ENABLED: 'false' })

const statements: string[] = []
let counting = false
const query = pg.Client.prototype.query
test.after(() => {
  pg.Client.prototype.query = query
})
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  if (counting) {
    const q = args[0] as string | { name?: string; text?: string }
    statements.push(typeof q === 'string' ? q : (q.name ?? q.text ?? '').slice(0, 60))
  }
  return (query as (...a: unknown[]) => unknown).apply(this, args)
} as typeof query

async function counted<T>(work: () => Promise<T>): Promise<{ result: T; statements: string[] }> {
  statements.length = 0
  counting = true
  try {
    return { result: await work(), statements: [...statements] }
  } finally {
    counting = false
  }
}

test('an admin cash deposit: six statements; its outbox fan-out six, an idle read included (PostgreSQL)', {
  skip: !t.db.url && 'PostgreSQL only',
}, async () => {
  const admin = await userWithToken(t, 'admin')
  const member = await userWithToken(t, 'member')
  const deposit = () =>
    t.app.inject({
      method: 'POST',
      url: '/transactions',
      headers: admin.auth,
      payload: { user_id: member.user.id, amount: 50000, transaction_date: '2025-12-15 10:30' },
    })
  // Warm: the pool's connections have parsed the named statements once.
  for (let i = 0; i < 3; i++) assert.equal((await deposit()).statusCode, 201)
  await t.app.jobs.runDue()

  const request = await counted(deposit)
  assert.equal(request.result.statusCode, 201, request.result.body)
  // The session check, the submission's lookups, BEGIN, the deposit with its history and outbox
  // event (one statement), the re-read of the created row, COMMIT.
  assert.ok(request.statements.length <= 6, `request: ${request.statements.length} statements: ${request.statements.join(' | ')}`)
  // Only BEGIN and COMMIT go as text: every other statement is named, parsed and planned once per
  // connection (the re-read's joins cost more to plan than the insert to run).
  const unnamed = request.statements.filter((s) => !/^[a-z][a-z0-9_]*$/.test(s) && !/^(BEGIN|COMMIT)\b/i.test(s))
  assert.deepEqual(unnamed, [], `statements sent as text: ${unnamed.join(' | ')}`)
  assert.ok(request.statements.includes('tx_row'), `the created row is re-read by the named tx_row: ${request.statements.join(' | ')}`)

  const fanOut = await counted(() => t.app.jobs.runDue())
  // An idle worker's read (runDue does not come from a kick), the claim, BEGIN, the webhook
  // targets, finish (which also says nothing else is due), COMMIT.
  assert.ok(fanOut.statements.length <= 6, `fan-out: ${fanOut.statements.length} statements: ${fanOut.statements.join(' | ')}`)
})
