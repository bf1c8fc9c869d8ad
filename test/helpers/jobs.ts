/** Waiting for the background worker in tests: until the outbox has nothing left to do. */
import { sql } from 'drizzle-orm'
import { rows } from '../../src/db/client.js'
import type { TestApp } from './app.js'

/** Until every job is finished (succeeded or given up), or fail after `timeoutMs`. */
export async function settle(t: TestApp, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const [row] = await rows<{ n: number }>(t.db.database.db, sql`SELECT count(*)::int AS n FROM jobs WHERE finished_at IS NULL`)
    if (Number(row?.n) === 0) return
    if (Date.now() > deadline) throw new Error(`background jobs still pending after ${timeoutMs} ms: ${row?.n}`)
    t.app.jobs.kick()
    await new Promise((r) => setTimeout(r, 50))
  }
}
