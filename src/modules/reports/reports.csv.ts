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
import type { TransactionFilter } from '../transactions/transactions.queries.js'
import { CSV_COLUMNS, type CsvRow, exportBatches } from './reports.csv.queries.js'

export { CSV_COLUMNS }

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

const encodeRows = (batch: CsvRow[]) => batch.map((r) => csvLine(CSV_COLUMNS.map((c) => r[c]))).join('')

/**
 * The CSV as a stream: UTF-8 BOM (so spreadsheet programs read names correctly) and the header,
 * then one chunk per batch. The first batch is fetched before this resolves, so a database failure
 * still becomes an error response instead of a truncated file.
 */
export async function transactionsCsv(database: Database, filter: TransactionFilter, tz: string): Promise<Readable> {
  const batches = exportBatches(database, filter, tz)
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
