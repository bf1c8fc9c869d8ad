/**
 * Which server processes are running, so that work a crashed process left "in flight" (an
 * Idempotency-Key claim) can be taken over at once instead of after a timeout.
 *
 * Every process has an owner token. On PostgreSQL it holds a session advisory lock named after that
 * token on a connection of its own for as long as it lives; PostgreSQL drops the lock the moment the
 * process dies (kill -9 included: its connection closes), so "is the lock held?" is "is the owner
 * alive?" for every instance sharing the database. The embedded PGlite belongs to one process
 * (its data directory cannot be shared), so there every owner but this process is gone.
 */
import { createHash, randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import type pg from 'pg'
import type { Executor } from './client.js'

/** Advisory-lock namespace of owner tokens (first key of the two-int form). */
const LOCK_CLASS = 0x7467

export interface Liveness {
  /** This process's token, written into what it marks as in flight. */
  owner: string
  /** Whether the process that wrote `owner` is still running (unknown owners count as gone). */
  alive(db: Executor, owner: string | null): Promise<boolean>
  close(): Promise<void>
}

/** Second key of the owner's advisory lock: 31 bits of a hash of its token (never negative). */
export const ownerLockKey = (owner: string) => createHash('sha256').update(owner).digest().readUInt32BE(0) & 0x7fffffff

/** PGlite: one process per data directory, so only this process's own markers are live. */
export function singleProcessLiveness(): Liveness {
  const owner = randomUUID()
  return {
    owner,
    async alive(_db, other) {
      return other === owner
    },
    async close() {},
  }
}

/**
 * PostgreSQL: hold the owner lock on a dedicated connection (re-taken if that connection drops) and
 * look the other owners' locks up in pg_locks.
 */
export async function advisoryLockLiveness(connect: () => Promise<pg.Client>, onError: (err: Error) => void): Promise<Liveness> {
  const owner = randomUUID()
  const key = ownerLockKey(owner)
  let client: pg.Client | undefined
  let closed = false
  let retry: NodeJS.Timeout | undefined
  async function hold(): Promise<void> {
    const c = await connect()
    c.on('error', (err) => onError(err))
    c.on('end', () => {
      client = undefined
      if (!closed) retry = setTimeout(() => void hold().catch(onError), 1000).unref()
    })
    await c.query('SELECT pg_advisory_lock($1, $2)', [LOCK_CLASS, key])
    client = c
  }
  await hold()
  return {
    owner,
    async alive(db, other) {
      if (!other) return false
      if (other === owner) return true
      const result = (await db.execute(
        sql`SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted
              AND classid = ${LOCK_CLASS} AND objid = ${ownerLockKey(other)} AND objsubid = 2) AS held`,
      )) as unknown as { rows: { held: boolean }[] }
      return result.rows[0]?.held === true
    },
    async close() {
      closed = true
      clearTimeout(retry)
      await client?.end().catch(() => {})
    },
  }
}
