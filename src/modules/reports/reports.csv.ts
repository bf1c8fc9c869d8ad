/**
 * CSV export of transactions, streamed from the database in batches (reports.csv.queries.ts) so
 * memory stays constant whatever the row count:
 *  - PostgreSQL: a dedicated pool client, a read-only transaction, DECLARE CURSOR and FETCH 1000
 *    (one consistent snapshot for the whole file);
 *  - PGlite (single in-process connection, shared with every other request): keyset pages of 1000
 *    on (transaction_date, id), so no transaction stays open between pages.
 * Cells follow RFC 4180 and are neutralised against spreadsheet formula injection.
 */
import { Readable } from 'node:stream'
import type { Database } from '../../db/client.js'
import { createGate, type Gate } from '../../lib/gate.js'
import { localDateTime } from '../transactions/instants.js'
import type { TransactionFilter, Viewer } from '../transactions/transactions.queries.js'
import { type TransactionJson, transactionMapper } from '../transactions/transactions.schemas.js'
import { type ExportRow, exportBatches } from './reports.csv.queries.js'

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

type Cell = string | number | null
/** The file carries no links: the mapper's URL slots stay null and nothing is signed. */
const mapper = transactionMapper({ url: () => null })

/** `YYYY-MM-DD HH:MM:SS` in the export's time zone, from the JSON's UTC instant. */
const localTime = (tz: string) => (iso: string | null) => (iso === null ? null : localDateTime(new Date(iso), tz))

/**
 * One line's cells from a transaction's JSON (the one mapper's output). Amounts with two decimals
 * and a dot, as stored: amounts have at most 2 decimals and 15 digits, which toFixed(2) renders exactly.
 */
function cellsOf(j: TransactionJson, local: (iso: string | null) => string | null): Record<(typeof CSV_COLUMNS)[number], Cell> {
  return {
    id: j.id,
    transaction_date: local(j.transaction_date),
    user_id: j.user_id,
    user_fullname: j.user.fullname,
    user_username: j.user.username,
    amount: j.amount.toFixed(2),
    status: j.status,
    periode_id: j.periode_id,
    periode_name: j.periode?.periode_name ?? null,
    payment_id: j.payment_id,
    payment_name: j.payment?.payment_name ?? null,
    reported_by_id: j.reported_by.id,
    reported_by_name: j.reported_by.fullname,
    reported_date: local(j.reported_date),
    confirmed_by_id: j.confirmed_by?.id ?? null,
    confirmed_by_name: j.confirmed_by?.fullname ?? null,
    confirmed_at: local(j.confirmed_at),
    created_at: local(j.created_at),
  }
}

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

function encoder(tz: string) {
  const local = localTime(tz)
  return (batch: ExportRow[]) =>
    batch
      .map((r) => {
        const cells = cellsOf(mapper.json(r), local)
        return csvLine(CSV_COLUMNS.map((c) => cells[c]))
      })
      .join('')
}

/**
 * Exports at once per database: an export holds a pool connection for its whole file, and fifty
 * concurrent exports took all ten, so every other request timed out waiting for one (503s in the
 * bench's g1 at 50 connections). Further exports wait their turn, in order.
 */
const EXPORTS_AT_ONCE = 2
const gates = new WeakMap<Database, Gate>()
function gateOf(database: Database): Gate {
  let gate = gates.get(database)
  if (!gate) {
    gate = createGate(EXPORTS_AT_ONCE)
    gates.set(database, gate)
  }
  return gate
}

/**
 * The CSV as a stream: UTF-8 BOM (so spreadsheet programs read names correctly) and the header,
 * then one chunk per batch. The first batch is fetched before this resolves, so a database failure
 * still becomes an error response instead of a truncated file.
 */
export async function transactionsCsv(database: Database, filter: TransactionFilter, viewer: Viewer, tz: string): Promise<Readable> {
  const release = await gateOf(database).enter()
  const batches = exportBatches(database, filter, viewer)
  const encodeRows = encoder(tz)
  let first: IteratorResult<ExportRow[]>
  try {
    first = await batches.next()
  } catch (err) {
    release()
    throw err
  }
  async function* chunks(): AsyncGenerator<string> {
    yield `\uFEFF${csvLine(CSV_COLUMNS)}`
    if (first.done) return
    yield encodeRows(first.value)
    for await (const batch of batches) yield encodeRows(batch)
  }
  const stream = Readable.from(chunks(), { objectMode: false })
  // Readable.from only closes the generator it was given; make sure the database side is released too.
  // 'close' follows the end, an error and a client that went away alike.
  stream.once('close', () => {
    release()
    void batches.return(undefined)
  })
  return stream
}
