/** Request and response schemas of /reports/*. Amounts are JSON numbers (MoneyOut), exact in SQL. */
import { DateOnly, Envelope, Id, MoneyOut, Nullable, Type } from '../../lib/schemas.js'
import { FilterQuery } from '../transactions/transactions.filter.js'
import { StatusSchema } from '../transactions/transactions.schemas.js'

const Month = Type.String({ pattern: '^\\d{4}-\\d{2}$', description: 'YYYY-MM in APP_TIMEZONE' })
export const MemberIdParam = Type.Object({
  id: Type.String({ pattern: '^(me|[1-9][0-9]{0,9})$', description: 'A user id, or `me` for the caller' }),
})

export const PeriodeIdParam = Type.Object({ id: Id })

/** The summary's date range: the transaction filter's `from`/`to` (one grammar). */
export const RangeQuery = Type.Pick(FilterQuery, ['from', 'to'])

/** The CSV export takes exactly the list's filters. */
export const CsvQuery = FilterQuery

export const PeriodeReportQuery = Type.Object({
  sort: Type.Union([Type.Literal('name'), Type.Literal('amount')], { default: 'name', description: 'amount = completed total' }),
  order: Type.Union([Type.Literal('asc'), Type.Literal('desc')], { default: 'asc' }),
  unpaid_first: Type.Boolean({ default: false, description: 'List members without any completed or pending deposit first' }),
})

const Breakdown = {
  completed_amount: MoneyOut,
  completed_count: Type.Integer(),
  pending_amount: MoneyOut,
  pending_count: Type.Integer(),
  rejected_amount: MoneyOut,
  rejected_count: Type.Integer(),
}

const MemberRef = Type.Object({
  id: Id,
  fullname: Type.String(),
  username: Type.String(),
  is_active: Type.Boolean(),
})

const ArrearsPeriode = Type.Object({
  id: Id,
  periode_name: Type.String(),
  expected: MoneyOut,
  paid: MoneyOut,
  missing: MoneyOut,
})
/** What a member still owes of the periodes' targets (SPEC §7); amount 0 and no periodes when none. */
export const Arrears = Type.Object({
  amount: MoneyOut,
  periodes: Type.Array(ArrearsPeriode),
})

export const ArrearsQuery = Type.Object({
  as_of: Type.Optional(Type.String({ format: 'date', description: 'YYYY-MM-DD; default today in APP_TIMEZONE' })),
})
export const ArrearsReport = Type.Object({
  code: Type.Integer(),
  message: Type.String(),
  data: Type.Array(
    Type.Object({
      user: Type.Object({ id: Id, fullname: Type.String(), username: Type.String() }),
      ...Arrears.properties,
    }),
  ),
})

export const MemberReport = Envelope(
  Type.Object({
    user: MemberRef,
    total_saved: MoneyOut,
    deposit_count: Type.Integer({ description: 'Completed deposits' }),
    average_deposit: Nullable(MoneyOut),
    pending_amount: MoneyOut,
    pending_count: Type.Integer(),
    rejected_count: Type.Integer(),
    first_deposit_date: Nullable(DateOnly),
    last_deposit_date: Nullable(DateOnly),
    monthly: Type.Array(Type.Object({ month: Month, total: MoneyOut, count: Type.Integer() })),
    periodes: Type.Array(
      Type.Object({
        periode_id: Id,
        periode_name: Type.String(),
        start_date: DateOnly,
        end_date: DateOnly,
        target_amount: Nullable(MoneyOut),
        completed_amount: MoneyOut,
        completed_count: Type.Integer(),
        pending_amount: MoneyOut,
        pending_count: Type.Integer(),
        remaining: Nullable(MoneyOut),
        reached_target: Nullable(Type.Boolean()),
      }),
    ),
    savings_target: Nullable(
      Type.Object({
        target: MoneyOut,
        saved: MoneyOut,
        remaining: MoneyOut,
        progress_percent: Type.Number(),
        reached: Type.Boolean(),
        average_monthly: Nullable(MoneyOut),
        months_to_target: Nullable(Type.Integer()),
        projected_completion_month: Nullable(Month),
      }),
    ),
    arrears: Arrears,
  }),
)

export const PeriodeReport = Envelope(
  Type.Object({
    periode: Type.Object({
      id: Id,
      periode_name: Type.String(),
      start_date: DateOnly,
      end_date: DateOnly,
      target_amount: Nullable(MoneyOut),
    }),
    totals: Type.Object({
      ...Breakdown,
      member_count: Type.Integer(),
      members_paid: Type.Integer(),
      members_unpaid: Type.Integer(),
      members_reached_target: Nullable(Type.Integer()),
    }),
    members: Type.Array(
      Type.Object({
        user_id: Id,
        fullname: Type.String(),
        username: Type.String(),
        is_active: Type.Boolean(),
        completed_amount: MoneyOut,
        completed_count: Type.Integer(),
        pending_amount: MoneyOut,
        pending_count: Type.Integer(),
        has_paid: Type.Boolean(),
        reached_target: Nullable(Type.Boolean()),
        last_deposit_date: Nullable(DateOnly),
      }),
    ),
  }),
)

export const SummaryReport = Envelope(
  Type.Object({
    scope: Type.Union([Type.Literal('all'), Type.Literal('own')]),
    from: Nullable(Type.String()),
    to: Nullable(Type.String()),
    totals: Type.Object({ ...Breakdown, transaction_count: Type.Integer(), member_count: Type.Integer() }),
    by_status: Type.Array(Type.Object({ status: StatusSchema, count: Type.Integer(), amount: MoneyOut })),
    by_periode: Type.Array(
      Type.Object({ periode_id: Nullable(Id), periode_name: Nullable(Type.String()), transaction_count: Type.Integer(), ...Breakdown }),
    ),
    by_payment: Type.Array(
      Type.Object({
        payment_id: Nullable(Id),
        payment_name: Nullable(Type.String()),
        payment_type: Nullable(Type.String()),
        transaction_count: Type.Integer(),
        ...Breakdown,
      }),
    ),
  }),
)
