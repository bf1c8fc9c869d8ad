/**
 * Transaction-scoped advisory locks, and every key the application uses, in one place so that no
 * two uses share a key by accident. A lock is released when the transaction ends. Session-scoped
 * locks (migrations, the liveness lease) are taken on a raw connection in client.ts and liveness.ts.
 */
import { sql } from 'drizzle-orm'
import type { Executor } from './client.js'

/** One bigint key, or a pair of int4 keys (class, object). */
export type LockKey = number | readonly [number, number]

export const LOCKS = {
  /** Every "would this leave no active admin?" decision (users.service.ts). */
  adminSet: 7_261_524_002,
  /** Every periode write: overlapping date ranges are checked under it (periodes.service.ts). */
  periodes: 7_261_524_003,
  /** The first insert of the single organisation-settings row (settings.queries.ts). */
  settings: [7_261_524, 8],
} as const satisfies Record<string, LockKey>

/** Classes of per-object keys `[class, object id]`: one lock per object of that kind. */
export const LOCK_CLASSES = {
  /**
   * Receipt submissions of one owner (transactions.queries.ts lockOwners): two uploads of the same
   * receipt at the same moment cannot both miss each other in the duplicate check. Cash deposits
   * (no receipt) take no lock. It was `(7261524, owner)`, the class of the settings key: owner 8's
   * uploads and a settings change waited for each other.
   */
  receiptOwner: 7_261_525,
} as const

const literal = (n: number) => {
  if (!Number.isSafeInteger(n)) throw new Error(`advisory lock key must be an integer, got ${n}`)
  return sql.raw(String(n))
}

/** Wait for the advisory lock `key` until the end of the current transaction. */
export async function lockForTransaction(db: Executor, key: LockKey): Promise<void> {
  await db.execute(
    typeof key === 'number'
      ? sql`SELECT pg_advisory_xact_lock(${literal(key)})`
      : sql`SELECT pg_advisory_xact_lock(${literal(key[0])}, ${literal(key[1])})`,
  )
}
