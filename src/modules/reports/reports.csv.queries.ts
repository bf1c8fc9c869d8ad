/**
 * The SQL of the CSV export: one SELECT with the transaction filter (transactions.filter.ts), read
 * in batches of BATCH_SIZE by a server-side cursor (PostgreSQL) or keyset pages (PGlite).
 */
import { setImmediate as nextTurn } from 'node:timers/promises'
import { sql } from 'drizzle-orm'
import { PgDialect } from 'drizzle-orm/pg-core'
import type pg from 'pg'
import { type Database, rows } from '../../db/client.js'
import { filterSql, type TransactionFilter } from '../transactions/transactions.queries.js'

export const BATCH_SIZE = 1000

/** The export's columns, in file order (the header row). */
export const CSV_COLUMNS = [
  'id',
  'transaction_date',
  'user_id',
  'user_fullname',
  'user_username',
  'amount',
  'status',
  'periode_id',
  'periode_name',
  'payment_id',
  'payment_name',
  'reported_by_id',
  'reported_by_name',
  'reported_date',
  'confirmed_by_id',
  'confirmed_by_name',
  'confirmed_at',
  'created_at',
] as const

export type CsvRow = Record<(typeof CSV_COLUMNS)[number], string | number | null> & { k_date: string; k_id: number }
type Where = ReturnType<typeof filterSql>

/**
 * The SELECT behind the export. Amounts are the NUMERIC text as stored (dot decimal); local times
 * are formatted by PostgreSQL in APP_TIMEZONE. `k_date` is the exact UTC instant (microseconds) for
 * the keyset, which a JavaScript Date would truncate to milliseconds. The ORDER BY spells out
 * NULLS LAST because that is how the (transaction_date DESC, id DESC) indexes were created: without
 * it PostgreSQL does not see that the index order matches and sorts every remaining row per page
 * (measured on PGlite with 100k rows: ~250 ms per page instead of ~5 ms).
 */
function exportQuery(where: Where, tz: string, after: { date: string; id: number } | undefined, limit: number | undefined): Where {
  const local = (col: Where) => sql`to_char(${col} AT TIME ZONE ${tz}, 'YYYY-MM-DD HH24:MI:SS')`
  const keyset = after ? sql` AND (t.transaction_date, t.id) < (${after.date}::timestamptz, ${after.id})` : sql``
  return sql`SELECT t.id,
      ${local(sql`t.transaction_date`)} AS transaction_date,
      t.user_id, u.fullname AS user_fullname, u.username AS user_username,
      t.amount::text AS amount, t.status::text AS status,
      t.periode_id, p.periode_name, t.payment_id, py.payment_name,
      t.reported_by AS reported_by_id, r.fullname AS reported_by_name, ${local(sql`t.reported_date`)} AS reported_date,
      t.confirmed_by AS confirmed_by_id, c.fullname AS confirmed_by_name, ${local(sql`t.confirmed_at`)} AS confirmed_at,
      ${local(sql`t.created_at`)} AS created_at,
      to_char(t.transaction_date AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS k_date, t.id AS k_id
    FROM transactions t
    JOIN users u ON u.id = t.user_id
    JOIN users r ON r.id = t.reported_by
    LEFT JOIN users c ON c.id = t.confirmed_by
    LEFT JOIN periodes p ON p.id = t.periode_id
    LEFT JOIN payments py ON py.id = t.payment_id
    WHERE ${where}${keyset}
    ORDER BY t.transaction_date DESC NULLS LAST, t.id DESC NULLS LAST
    ${limit ? sql`LIMIT ${limit}` : sql``}`
}

/** Batches of rows from PGlite by keyset pagination. */
async function* keysetBatches(database: Database, where: Where, tz: string): AsyncGenerator<CsvRow[]> {
  let after: { date: string; id: number } | undefined
  for (;;) {
    const batch = await rows<CsvRow>(database.db, exportQuery(where, tz, after, BATCH_SIZE))
    if (batch.length) yield batch
    if (batch.length < BATCH_SIZE) return
    const last = batch[batch.length - 1] as CsvRow
    after = { date: last.k_date, id: Number(last.k_id) }
    // PGlite answers through microtasks only: without a turn of the event loop between pages, a
    // large export would starve every other request (and trip the event-loop-delay 503).
    await nextTurn()
  }
}

/** Batches of rows from PostgreSQL through a server-side cursor on a dedicated connection. */
async function* cursorBatches(database: Database, where: Where, tz: string): AsyncGenerator<CsvRow[]> {
  const pool = (database.db as unknown as { $client: pg.Pool }).$client
  const query = new PgDialect().sqlToQuery(exportQuery(where, tz, undefined, undefined))
  const client = await pool.connect()
  let open = false
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY')
    open = true
    // A client that stops reading must not pin a connection and a snapshot forever.
    await client.query("SET LOCAL idle_in_transaction_session_timeout = '60s'")
    await client.query(`DECLARE csv_export NO SCROLL CURSOR FOR ${query.sql}`, query.params)
    for (;;) {
      const result = await client.query<CsvRow>(`FETCH ${BATCH_SIZE} FROM csv_export`)
      if (result.rows.length) yield result.rows
      if (result.rows.length < BATCH_SIZE) break
    }
    await client.query('COMMIT')
    open = false
    client.release()
  } catch (err) {
    // The connection may be in an unknown state: destroy it rather than return it to the pool.
    client.release(err instanceof Error ? err : true)
    open = false
    throw err
  } finally {
    // Reached with `open` only when the consumer stopped early (generator return): roll back and reuse.
    if (open) {
      await client.query('ROLLBACK').then(
        () => client.release(),
        (e: Error) => client.release(e),
      )
    }
  }
}

/** The export's rows in batches, on whichever database this is. */
export function exportBatches(database: Database, filter: TransactionFilter, tz: string): AsyncGenerator<CsvRow[]> {
  const where = filterSql(filter)
  return database.kind === 'pg' ? cursorBatches(database, where, tz) : keysetBatches(database, where, tz)
}
