/**
 * The rows of the CSV export: the transactions' one read model (exportRowsQuery in
 * transactions.queries.ts, the same row selection as every transaction JSON) with the list's
 * filter, read in batches of BATCH_SIZE by a server-side cursor (PostgreSQL) or keyset pages (PGlite).
 */
import { setImmediate as nextTurn } from 'node:timers/promises'
import type pg from 'pg'
import type { Database } from '../../db/client.js'
import { exportRowsQuery, type TransactionFilter, type TransactionRow, type Viewer } from '../transactions/transactions.queries.js'

export const BATCH_SIZE = 1000

/** A read-model row and its exact instant for the keyset. */
export type ExportRow = TransactionRow & { k_date: string }

/** Batches of rows from PGlite by keyset pagination. */
async function* keysetBatches(database: Database, filter: TransactionFilter, viewer: Viewer): AsyncGenerator<ExportRow[]> {
  let after: { date: string; id: number } | undefined
  for (;;) {
    const batch = (await exportRowsQuery(database.db, filter, viewer, after, BATCH_SIZE).execute()) as unknown as ExportRow[]
    if (batch.length) yield batch
    if (batch.length < BATCH_SIZE) return
    const last = batch[batch.length - 1] as ExportRow
    after = { date: last.k_date, id: last.id }
    // PGlite answers through microtasks only: without a turn of the event loop between pages, a
    // large export would starve every other request (and trip the event-loop-delay 503).
    await nextTurn()
  }
}

/** Batches of rows from PostgreSQL through a server-side cursor on a dedicated connection. */
async function* cursorBatches(database: Database, filter: TransactionFilter, viewer: Viewer): AsyncGenerator<ExportRow[]> {
  const pool = (database.db as unknown as { $client: pg.Pool }).$client
  const query = exportRowsQuery(database.db, filter, viewer, undefined, undefined).toSQL()
  const client = await pool.connect()
  let open = false
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY')
    open = true
    // A client that stops reading must not pin a connection and a snapshot forever.
    await client.query("SET LOCAL idle_in_transaction_session_timeout = '60s'")
    await client.query(`DECLARE csv_export NO SCROLL CURSOR FOR ${query.sql}`, query.params)
    for (;;) {
      const result = await client.query<ExportRow>(`FETCH ${BATCH_SIZE} FROM csv_export`)
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
export function exportBatches(database: Database, filter: TransactionFilter, viewer: Viewer): AsyncGenerator<ExportRow[]> {
  return database.kind === 'pg' ? cursorBatches(database, filter, viewer) : keysetBatches(database, filter, viewer)
}
