/**
 * `npx tsx bench/outbox-cost.ts`: what the outbox row costs a status change. The status change's
 * own transaction (lock, conditional update, history row: transactions.service.ts applyStatus) is
 * run with and without its `deposit.status_changed` outbox row, alternating in blocks in the same
 * run on the same database, and the medians compared. Embedded PGlite by default; DATABASE_URL for
 * PostgreSQL (a scratch database is NOT created: point it at an empty one).
 */
import { performance } from 'node:perf_hooks'
import { sql } from 'drizzle-orm'
import { openDatabase } from '../src/db/client.js'
import { users } from '../src/db/schema.js'
import { publish } from '../src/modules/jobs/events.js'
import * as q from '../src/modules/transactions/transactions.queries.js'

const N = Number(process.env.OUTBOX_BENCH_N ?? 2000)
const BLOCK = 50
const database = await openDatabase({ databaseUrl: process.env.DATABASE_URL })
await database.migrate()
const db = database.db
const [admin] = await db
  .insert(users)
  .values({ fullname: 'Bench Admin', username: `bench_admin_${Date.now()}`, email: `a${Date.now()}@bench.test`, userType: 'admin' })
  .returning()
const [member] = await db
  .insert(users)
  .values({ fullname: 'Bench Member', username: `bench_member_${Date.now()}`, email: `m${Date.now()}@bench.test` })
  .returning()
if (!admin || !member) throw new Error('seed failed')
const ids = (
  await q.insertTransactions(
    db,
    Array.from({ length: 2 * N }, () => ({
      amount: '150000.00',
      transactionDate: new Date(),
      status: 'sent' as const,
      userId: member.id,
      reportedBy: member.id,
    })),
  )
).map((r) => r.id)

async function change(id: number, withOutbox: boolean) {
  await db.transaction(async (tx) => {
    const current = await q.lockTransaction(tx, id)
    if (!current) throw new Error('missing')
    await q.updateStatus(tx, id, current.status, 'completed', admin?.id, null)
    await q.insertHistory(tx, [
      { transactionId: id, fromStatus: current.status, toStatus: 'completed', changedBy: admin?.id as number, note: null },
    ])
    if (withOutbox) {
      await publish(tx, 'deposit.status_changed', { transaction_id: id, user_id: current.userId, from: current.status, to: 'completed' })
    }
  })
}

const times: Record<'plain' | 'outbox', number[]> = { plain: [], outbox: [] }
// Warm-up (plans, caches), not counted.
for (let i = 0; i < 100; i++) await change(ids.pop() as number, i % 2 === 0)
let next = 0
while (ids.length >= BLOCK) {
  const arm = next++ % 2 === 0 ? 'plain' : 'outbox'
  for (let i = 0; i < BLOCK && ids.length; i++) {
    const start = performance.now()
    await change(ids.pop() as number, arm === 'outbox')
    times[arm].push(performance.now() - start)
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
const p = { plain: median(times.plain), outbox: median(times.outbox) }
console.log(
  JSON.stringify({
    database: database.kind,
    per_arm: times.plain.length,
    median_ms: { plain: Number(p.plain.toFixed(3)), outbox: Number(p.outbox.toFixed(3)) },
    ratio: Number((p.outbox / p.plain).toFixed(3)),
  }),
)
await db.execute(sql`SELECT 1`)
await database.close()
