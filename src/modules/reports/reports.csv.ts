/**
 * CSV export of transactions, streamed from the database in batches so memory stays constant
 * whatever the row count:
 *  - PostgreSQL: a dedicated pool client, a read-only transaction, DECLARE CURSOR and FETCH 1000
 *    (one consistent snapshot for the whole file);
 *  - PGlite (single in-process connection, shared with every other request): keyset pages of 1000
 *    on (transaction_date, id), so no transaction stays open between pages.
 * Cells follow RFC 4180 and are neutralised against spreadsheet formula injection.
 */
import { Readable } from 'node:stream'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { type SQL, sql } from 'drizzle-orm'
import { PgDialect } from 'drizzle-orm/pg-core'
import type pg from 'pg'
import { type Database, rows } from '../../db/client.js'

export const BATCH_SIZE = 1000

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

type CsvRow = Record<(typeof CSV_COLUMNS)[number], string | number | null> & { k_date: string; k_id: number }

/** Characters that make a spreadsheet treat a cell as a formula (OWASP CSV injection). */
const FORMULA_START = /^[=+\-@\t\r]/

/** One RFC 4180 cell: formula-neutralised, quoted when it holds a separator, quote or line break. */
export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return ''
  let text = String(value)
  // Numbers we produce ourselves (ids, NUMERIC amounts) are never negative, so the prefix only ever
  // lands on user text (names) — the amount column stays a plain number for spreadsheets.
  if (typeof value === 'string' && FORMULA_START.test(text)) text = `'${text}`
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

export function csvLine(cells: readonly (string | number | null | undefined)[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`
}

/**
 * The SELECT behind the export. Amounts are the NUMERIC text as stored (dot decimal); local times
 * are formatted by PostgreSQL in APP_TIMEZONE. `k_date` is the exact UTC instant (microseconds) for
 * the keyset, which a JavaScript Date would truncate to milliseconds. The ORDER BY spells out
 * NULLS LAST because that is how the (transaction_date DESC, id DESC) indexes were created: without
 * it PostgreSQL does not see that the index order matches and sorts every remaining row per page
 * (measured on PGlite with 100k rows: ~250 ms per page instead of ~5 ms).
 */
function exportQuery(where: SQL, tz: string, after: { date: string; id: number } | undefined, limit: number | undefined): SQL {
  const local = (col: SQL) => sql`to_char(${col} AT TIME ZONE ${tz}, 'YYYY-MM-DD HH24:MI:SS')`
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

const encodeRows = (batch: CsvRow[]) => batch.map((r) => csvLine(CSV_COLUMNS.map((c) => r[c]))).join('')

/** Batches of rows from PGlite by keyset pagination. */
async function* keysetBatches(database: Database, where: SQL, tz: string): AsyncGenerator<CsvRow[]> {
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
async function* cursorBatches(database: Database, where: SQL, tz: string): AsyncGenerator<CsvRow[]> {
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

/**
 * The CSV as a stream: UTF-8 BOM (so spreadsheet programs read names correctly) and the header,
 * then one chunk per batch. The first batch is fetched before this resolves, so a database failure
 * still becomes an error response instead of a truncated file.
 */
export async function transactionsCsv(database: Database, where: SQL, tz: string): Promise<Readable> {
  const batches = database.kind === 'pg' ? cursorBatches(database, where, tz) : keysetBatches(database, where, tz)
  const first = await batches.next()
  async function* chunks(): AsyncGenerator<string> {
    yield `\uFEFF${csvLine(CSV_COLUMNS)}`
    if (first.done) return
    yield encodeRows(first.value)
    for await (const batch of batches) yield encodeRows(batch)
  }
  const stream = Readable.from(chunks(), { objectMode: false })
  // Readable.from only closes the generator it was given; make sure the database side is released too.
  stream.once('close', () => {
    void batches.return(undefined)
  })
  return stream
}
