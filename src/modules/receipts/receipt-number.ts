/**
 * Kuitansi numbers: `<NNNN>/KWT/<month in Roman numerals>/<year>`, e.g. `0042/KWT/XI/2026`.
 * Gapless per calendar year of APP_TIMEZONE. The number is taken from receipt_counters inside the
 * transaction that completes the deposit: the counter row stays locked until that transaction
 * ends, so concurrent completions are numbered one after the other, and a completion that rolls
 * back rolls its increment back with it (no gap, no duplicate).
 */
import type { Tx } from '../../db/client.js'
import { nextReceiptSequence, setReceiptNumber } from './receipts.queries.js'

const ROMAN = ['I', 'II', 'III', 'IV', 'V', 'VI', 'VII', 'VIII', 'IX', 'X', 'XI', 'XII']

/** At least four digits; from 10000 on the number simply grows (never truncated or wrapped). */
export function formatReceiptNumber(sequence: number, year: number, month: number): string {
  const roman = ROMAN[month - 1]
  if (!roman || !Number.isInteger(sequence) || sequence < 1) throw new RangeError('receipt number: bad sequence or month')
  return `${String(sequence).padStart(4, '0')}/KWT/${roman}/${year}`
}

/** What a well-formed receipt number looks like (for the public verification route). */
export const RECEIPT_NUMBER_PATTERN = '^[0-9]{4,9}/KWT/(I|II|III|IV|V|VI|VII|VIII|IX|X|XI|XII)/[0-9]{4}$'

/**
 * Give a deposit that is being completed in `tx` its receipt number and return it. Year and month
 * are those of the completion instant (the transaction's now(), the same as confirmed_at) in
 * `timezone`. Must run in the completing transaction, after its status update.
 */
export async function issueReceiptNumber(tx: Tx, transactionId: number, timezone: string): Promise<string> {
  const counter = await nextReceiptSequence(tx, timezone)
  const number = formatReceiptNumber(counter.sequence, counter.year, counter.month)
  await setReceiptNumber(tx, transactionId, number)
  return number
}
