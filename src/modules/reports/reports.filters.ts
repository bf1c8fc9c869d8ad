/**
 * Filters shared by the summary and the CSV export: the transaction list's filters, turned into
 * one SQL condition. Instants without an offset are local times in APP_TIMEZONE; PostgreSQL does
 * that conversion (`timestamp AT TIME ZONE tz`) so daylight-saving rules come from its tz database
 * and no instant arithmetic happens in JavaScript.
 */
import { type SQL, sql } from 'drizzle-orm'
import type { AuthContext } from '../../lib/auth-context.js'
import type { FieldError } from '../../lib/errors.js'
import { validation } from '../../lib/errors.js'

export type TxStatus = 'sent' | 'on_process' | 'completed' | 'rejected' | 'needs_correction'
/** `pending` is accepted as a shorthand for sent + on_process (the two states awaiting a treasurer). */
export type StatusFilter = TxStatus | 'pending'

export interface TransactionFilterInput {
  periode_id?: number | undefined
  status?: StatusFilter | undefined
  payment_id?: number | undefined
  user_id?: number | undefined
  from?: string | undefined
  to?: string | undefined
}

/** A parsed input instant: either absolute (had an offset) or local wall time in APP_TIMEZONE. */
export interface InstantBound {
  /** Text PostgreSQL reads unambiguously: ISO with offset, or local `YYYY-MM-DD HH:MM:SS[.fff]`. */
  text: string
  hasOffset: boolean
  /** A bare date: `to` then means the end of that day (inclusive), `from` its start. */
  dateOnly: boolean
}

const INSTANT_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/

/** Parse an input instant per the spec's conventions; undefined when it is not one. */
export function parseInstant(input: string): InstantBound | undefined {
  const m = INSTANT_RE.exec(input.trim())
  if (!m) return undefined
  const [, y, mo, d, h, mi, s, frac, offset] = m
  const year = Number(y)
  const month = Number(mo)
  const day = Number(d)
  // Reject impossible calendar dates (2025-02-30) here, not as a database error later.
  const probe = new Date(Date.UTC(year, month - 1, day))
  if (year < 1900 || year > 9999 || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) return undefined
  if (h === undefined) return { text: `${y}-${mo}-${d}`, hasOffset: false, dateOnly: true }
  if (Number(h) > 23 || Number(mi) > 59 || Number(s ?? 0) > 59) return undefined
  if (offset && offset !== 'Z') {
    const oh = Number(offset.slice(1, 3))
    const om = Number(offset.slice(-2))
    if (oh > 14 || om > 59) return undefined
  }
  const time = `${h}:${mi}:${s ?? '00'}${frac ? `.${frac}` : ''}`
  return { text: `${y}-${mo}-${d}T${time}${offset ?? ''}`, hasOffset: offset !== undefined, dateOnly: false }
}

/** SQL for an instant bound as a timestamptz. */
function boundSql(b: InstantBound, tz: string, endOfDay: boolean): SQL {
  if (b.hasOffset) return sql`${b.text}::timestamptz`
  if (b.dateOnly && endOfDay) return sql`((${b.text}::date + 1)::timestamp AT TIME ZONE ${tz})`
  return sql`(${b.text}::timestamp AT TIME ZONE ${tz})`
}

export interface ParsedRange {
  from?: InstantBound | undefined
  to?: InstantBound | undefined
}

/** Validate `from`/`to` (422 naming the field); both optional. */
export function parseRange(input: { from?: string | undefined; to?: string | undefined }): ParsedRange {
  const errors: FieldError[] = []
  const out: ParsedRange = {}
  for (const field of ['from', 'to'] as const) {
    const raw = input[field]
    if (raw === undefined) continue
    const parsed = parseInstant(raw)
    if (!parsed) errors.push({ field, message: 'must be an ISO 8601 instant, YYYY-MM-DD or YYYY-MM-DD HH:mm[:ss]' })
    else out[field] = parsed
  }
  if (errors.length) throw validation(errors)
  return out
}

/**
 * The WHERE condition over `transactions t` for a caller and a set of filters. Soft-deleted rows
 * are always excluded. Members see what they own or reported (same rule as GET /transactions);
 * `scope: 'owned'` narrows a member to what they own (their own summary).
 */
export function transactionConditions(
  auth: AuthContext,
  filters: TransactionFilterInput,
  range: ParsedRange,
  tz: string,
  scope: 'visible' | 'owned' = 'visible',
): SQL {
  const parts: SQL[] = [sql`t.deleted_at IS NULL`]
  if (auth.role !== 'admin') {
    parts.push(scope === 'owned' ? sql`t.user_id = ${auth.userId}` : sql`(t.user_id = ${auth.userId} OR t.reported_by = ${auth.userId})`)
  }
  if (filters.user_id !== undefined) parts.push(sql`t.user_id = ${filters.user_id}`)
  if (filters.periode_id !== undefined) parts.push(sql`t.periode_id = ${filters.periode_id}`)
  if (filters.payment_id !== undefined) parts.push(sql`t.payment_id = ${filters.payment_id}`)
  if (filters.status === 'pending') parts.push(sql`t.status IN ('sent', 'on_process')`)
  else if (filters.status !== undefined) parts.push(sql`t.status = ${filters.status}`)
  if (range.from) parts.push(sql`t.transaction_date >= ${boundSql(range.from, tz, false)}`)
  if (range.to) {
    // A bare date is inclusive of the whole day; an instant is inclusive of itself.
    parts.push(
      range.to.dateOnly
        ? sql`t.transaction_date < ${boundSql(range.to, tz, true)}`
        : sql`t.transaction_date <= ${boundSql(range.to, tz, false)}`,
    )
  }
  return sql.join(parts, sql` AND `)
}
