/**
 * The one filter of transactions, shared by GET /transactions, GET /reports/transactions.csv and
 * the reports' date ranges: one query schema, one grammar for `from`/`to` (instants.ts, the same
 * one deposits' dates use), one visibility rule for members. The SQL it turns into is
 * `filterWhere` in transactions.queries.ts, written once for the list, its totals, the CSV and the
 * summary.
 */
import type { Static } from 'typebox'
import type { AuthContext } from '../../lib/auth-context.js'
import { type FieldError, validation } from '../../lib/errors.js'
import { Id, InstantIn, Type } from '../../lib/schemas.js'
import { parseInstant, startOfNextDay } from './instants.js'
import { TRANSACTION_STATUSES, type TransactionFilter, type TransactionStatus } from './transactions.queries.js'

/** A status of the database enum, or `pending` (sent + on_process: what awaits a treasurer). */
export const StatusFilter = Type.Unsafe<TransactionStatus | 'pending'>(
  Type.Union([...TRANSACTION_STATUSES.map((s) => Type.Literal(s)), Type.Literal('pending')], {
    description: 'A status, or `pending` for sent + on_process',
  }),
)

const INSTANT_DOC = 'YYYY-MM-DD (the whole local day), ISO 8601 with or without offset, or YYYY-MM-DD HH:mm[:ss]; no offset = APP_TIMEZONE'

/** The query string of every transaction filter. */
export const FilterQuery = Type.Object({
  periode_id: Type.Optional(Id),
  status: Type.Optional(StatusFilter),
  payment_id: Type.Optional(Id),
  user_id: Type.Optional(Id),
  from: Type.Optional({ ...InstantIn, description: `${INSTANT_DOC}; inclusive` }),
  to: Type.Optional({ ...InstantIn, description: `${INSTANT_DOC}; inclusive (a date: to the end of that day)` }),
})
export type FilterInput = Partial<Static<typeof FilterQuery>>

const INSTANT_MESSAGE = 'must be YYYY-MM-DD, an ISO 8601 instant (with or without offset) or YYYY-MM-DD HH:mm[:ss]'

/**
 * Who sees what: admins (and auditors reading) everything; a member what they own or reported
 * (`visible`, the list and the CSV) or only what they own (`owned`, their own summary).
 */
export type Visibility = 'visible' | 'owned'

/** Parse a filter for a caller; 422 naming each bad field. */
export function parseFilter(
  auth: Pick<AuthContext, 'userId' | 'role'>,
  input: FilterInput,
  timezone: string,
  visibility: Visibility = 'visible',
): TransactionFilter {
  const filter: TransactionFilter = {
    periodeId: input.periode_id,
    paymentId: input.payment_id,
    userId: input.user_id,
  }
  if (auth.role !== 'admin') {
    if (visibility === 'owned') filter.ownedBy = auth.userId
    else filter.visibleTo = auth.userId
  }
  if (input.status === 'pending') filter.pending = true
  else if (input.status !== undefined) filter.status = input.status
  const errors: FieldError[] = []
  if (input.from !== undefined) {
    const parsed = parseInstant(input.from, timezone)
    if (parsed) filter.from = parsed.date
    else errors.push({ field: 'from', message: INSTANT_MESSAGE })
  }
  if (input.to !== undefined) {
    const parsed = parseInstant(input.to, timezone)
    if (!parsed) errors.push({ field: 'to', message: INSTANT_MESSAGE })
    // A bare date means the whole of that local day; an instant is an inclusive bound.
    else if (parsed.dateOnly) filter.toExclusive = startOfNextDay(parsed.date, timezone)
    else filter.toInclusive = parsed.date
  }
  if (errors.length) throw validation(errors)
  return filter
}
