/**
 * Report queries. Every figure is computed by PostgreSQL over NUMERIC and returned as text
 * (`::text`), so no amount ever passes through a float before the JSON edge. Soft-deleted
 * transactions never count. Local months and dates use APP_TIMEZONE (`AT TIME ZONE tz`).
 */
import { type SQL, sql } from 'drizzle-orm'
import { type Db, type Executor, rows } from '../../db/client.js'

/**
 * Several report queries on one pool connection and one snapshot (a read-only REPEATABLE READ
 * transaction): a report's figures agree with each other, and a report holds one connection
 * however many queries it runs (Promise.all over the pool held up to five).
 */
export function inSnapshot<T>(db: Db, read: (tx: Executor) => Promise<T>): Promise<T> {
  return db.transaction(read, { isolationLevel: 'repeatable read', accessMode: 'read only' })
}

const PENDING = sql`t.status IN ('sent', 'on_process')`
const COMPLETED = sql`t.status = 'completed'`
/** Completed and pending sums and counts of the grouped rows of `transactions t`. */
const COMPLETED_AND_PENDING = sql`sum(t.amount) FILTER (WHERE ${COMPLETED}) AS completed,
          count(*) FILTER (WHERE ${COMPLETED}) AS completed_count,
          sum(t.amount) FILTER (WHERE ${PENDING}) AS pending,
          count(*) FILTER (WHERE ${PENDING}) AS pending_count`

export interface MemberRow {
  id: number
  fullname: string
  username: string
  user_type: 'admin' | 'member'
  is_active: boolean
  savings_target: string | null
}

export async function findMember(exec: Executor, id: number): Promise<MemberRow | undefined> {
  const [row] = await rows<MemberRow>(
    exec,
    sql`SELECT id, fullname, username, user_type, is_active, savings_target::text AS savings_target FROM users WHERE id = ${id}`,
  )
  return row
}

export interface MemberStats {
  total_saved: string
  deposit_count: number
  average_deposit: string | null
  pending_amount: string
  pending_count: number
  rejected_count: number
  first_deposit_date: string | null
  last_deposit_date: string | null
}

/** Totals of one member; "deposits" are completed transactions (money the treasurer verified). */
export async function memberStats(exec: Executor, userId: number, tz: string): Promise<MemberStats> {
  const [row] = await rows<MemberStats>(
    exec,
    sql`SELECT
      coalesce(sum(t.amount) FILTER (WHERE ${COMPLETED}), 0)::text AS total_saved,
      (count(*) FILTER (WHERE ${COMPLETED}))::int AS deposit_count,
      round(avg(t.amount) FILTER (WHERE ${COMPLETED}), 2)::text AS average_deposit,
      coalesce(sum(t.amount) FILTER (WHERE ${PENDING}), 0)::text AS pending_amount,
      (count(*) FILTER (WHERE ${PENDING}))::int AS pending_count,
      (count(*) FILTER (WHERE t.status = 'rejected'))::int AS rejected_count,
      to_char(min(t.transaction_date AT TIME ZONE ${tz}) FILTER (WHERE ${COMPLETED}), 'YYYY-MM-DD') AS first_deposit_date,
      to_char(max(t.transaction_date AT TIME ZONE ${tz}) FILTER (WHERE ${COMPLETED}), 'YYYY-MM-DD') AS last_deposit_date
    FROM transactions t
    WHERE t.user_id = ${userId} AND t.deleted_at IS NULL`,
  )
  return row as MemberStats
}

export interface MonthRow {
  month: string
  total: string
  count: number
}

/**
 * Completed totals per local month, from the month of the first deposit to the current month
 * (or the latest deposit's month if that is later), months without deposits as zero.
 */
export async function memberMonthly(exec: Executor, userId: number, tz: string): Promise<MonthRow[]> {
  return rows<MonthRow>(
    exec,
    sql`WITH deposits AS (
        SELECT date_trunc('month', t.transaction_date AT TIME ZONE ${tz}) AS m, t.amount
        FROM transactions t
        WHERE t.user_id = ${userId} AND t.deleted_at IS NULL AND ${COMPLETED}
      ),
      months AS (
        SELECT generate_series(min(m), greatest(max(m), date_trunc('month', now() AT TIME ZONE ${tz})), interval '1 month') AS m
        FROM deposits HAVING count(*) > 0
      ),
      sums AS (SELECT m, sum(amount) AS total, count(*)::int AS n FROM deposits GROUP BY m)
    SELECT to_char(months.m, 'YYYY-MM') AS month, coalesce(sums.total, 0)::text AS total, coalesce(sums.n, 0) AS count
    FROM months LEFT JOIN sums ON sums.m = months.m
    ORDER BY months.m`,
  )
}

export interface MemberPeriodeRow {
  periode_id: number
  periode_name: string
  start_date: string
  end_date: string
  target_amount: string | null
  completed_amount: string
  completed_count: number
  pending_amount: string
  pending_count: number
  remaining: string | null
  reached_target: boolean | null
}

/** Every periode (by start date) with the member's completed and pending totals against its target. */
export async function memberPeriodes(exec: Executor, userId: number): Promise<MemberPeriodeRow[]> {
  return rows<MemberPeriodeRow>(
    exec,
    sql`WITH agg AS (
        SELECT t.periode_id,
          ${COMPLETED_AND_PENDING}
        FROM transactions t
        WHERE t.user_id = ${userId} AND t.deleted_at IS NULL AND t.periode_id IS NOT NULL
        GROUP BY t.periode_id
      )
    SELECT p.id AS periode_id, p.periode_name, p.start_date::text AS start_date, p.end_date::text AS end_date,
      p.target_amount::text AS target_amount,
      coalesce(a.completed, 0)::text AS completed_amount,
      coalesce(a.completed_count, 0)::int AS completed_count,
      coalesce(a.pending, 0)::text AS pending_amount,
      coalesce(a.pending_count, 0)::int AS pending_count,
      CASE WHEN p.target_amount IS NULL THEN NULL ELSE greatest(p.target_amount - coalesce(a.completed, 0), 0)::text END AS remaining,
      CASE WHEN p.target_amount IS NULL THEN NULL ELSE coalesce(a.completed, 0) >= p.target_amount END AS reached_target
    FROM periodes p LEFT JOIN agg a ON a.periode_id = p.id
    ORDER BY p.start_date, p.id`,
  )
}

export interface TargetRow {
  target: string
  saved: string
  remaining: string
  progress_percent: string
  reached: boolean
  months_counted: number
  average_monthly: string | null
  months_to_target: number | null
  projected_completion_month: string | null
}

/** Longest projection we publish: beyond a century the answer is "not at this pace" (null). */
const MAX_PROJECTION_MONTHS = 1200

/**
 * Progress toward the member's personal savings target. The average monthly saving is the completed
 * total over the months from the first deposit's month to the current month (inclusive), the same
 * range as the monthly series. When reached, the projected month is the month the running total
 * first reached the target; otherwise the current month plus ceil(remaining / average) months.
 */
export async function memberTarget(exec: Executor, userId: number, tz: string): Promise<TargetRow | undefined> {
  const [row] = await rows<TargetRow>(
    exec,
    sql`WITH u AS (SELECT savings_target AS target FROM users WHERE id = ${userId} AND savings_target IS NOT NULL),
      deposits AS (
        SELECT date_trunc('month', t.transaction_date AT TIME ZONE ${tz}) AS m, t.amount
        FROM transactions t WHERE t.user_id = ${userId} AND t.deleted_at IS NULL AND ${COMPLETED}
      ),
      monthly AS (SELECT m, sum(amount) AS total FROM deposits GROUP BY m),
      running AS (SELECT m, sum(total) OVER (ORDER BY m) AS cumulative FROM monthly),
      s AS (
        SELECT coalesce(sum(amount), 0) AS saved,
          CASE WHEN count(*) = 0 THEN 0 ELSE
            ((extract(year FROM age(greatest(max(m), date_trunc('month', now() AT TIME ZONE ${tz})), min(m))) * 12
             + extract(month FROM age(greatest(max(m), date_trunc('month', now() AT TIME ZONE ${tz})), min(m))))::int + 1)
          END AS months
        FROM deposits
      ),
      calc AS (
        SELECT u.target, s.saved, s.months,
          greatest(u.target - s.saved, 0) AS remaining,
          CASE WHEN s.months > 0 THEN round(s.saved / s.months, 2) END AS avg_monthly
        FROM u, s
      )
    SELECT calc.target::text AS target, calc.saved::text AS saved, calc.remaining::text AS remaining,
      least(round(calc.saved * 100 / calc.target, 2), 100)::text AS progress_percent,
      calc.saved >= calc.target AS reached,
      calc.months AS months_counted,
      calc.avg_monthly::text AS average_monthly,
      CASE WHEN calc.remaining = 0 THEN 0
           WHEN calc.avg_monthly > 0 AND ceil(calc.remaining / calc.avg_monthly) <= ${MAX_PROJECTION_MONTHS}
             THEN ceil(calc.remaining / calc.avg_monthly)::int
      END AS months_to_target,
      CASE WHEN calc.remaining = 0 THEN (SELECT to_char(min(r.m), 'YYYY-MM') FROM running r WHERE r.cumulative >= calc.target)
           WHEN calc.avg_monthly > 0 AND ceil(calc.remaining / calc.avg_monthly) <= ${MAX_PROJECTION_MONTHS}
             THEN to_char(date_trunc('month', now() AT TIME ZONE ${tz}) + make_interval(months => ceil(calc.remaining / calc.avg_monthly)::int), 'YYYY-MM')
      END AS projected_completion_month
    FROM calc`,
  )
  return row
}

export interface PeriodeRow {
  id: number
  periode_name: string
  start_date: string
  end_date: string
  target_amount: string | null
}

export async function findPeriode(exec: Executor, id: number): Promise<PeriodeRow | undefined> {
  const [row] = await rows<PeriodeRow>(
    exec,
    sql`SELECT id, periode_name, start_date::text AS start_date, end_date::text AS end_date, target_amount::text AS target_amount
        FROM periodes WHERE id = ${id}`,
  )
  return row
}

export interface PeriodeMemberRow {
  user_id: number
  fullname: string
  username: string
  is_active: boolean
  completed_amount: string
  completed_count: number
  pending_amount: string
  pending_count: number
  has_paid: boolean
  reached_target: boolean | null
  last_deposit_date: string | null
}

export interface PeriodeSort {
  sort: 'name' | 'amount'
  order: 'asc' | 'desc'
  unpaidFirst: boolean
}

/**
 * One row per member for a periode: every active member, plus anyone else (an admin who saves, a
 * deactivated member) who has transactions in it, so the rows always add up to the periode totals.
 * "Has paid" = at least one completed or pending deposit in the periode.
 */
export async function periodeMembers(exec: Executor, periodeId: number, tz: string, sort: PeriodeSort): Promise<PeriodeMemberRow[]> {
  const dir = sort.order === 'desc' ? sql`DESC` : sql`ASC`
  const key: SQL = sort.sort === 'amount' ? sql`coalesce(a.completed, 0) ${dir}, lower(u.fullname) ASC` : sql`lower(u.fullname) ${dir}`
  const unpaid = sort.unpaidFirst ? sql`(coalesce(a.completed_count, 0) + coalesce(a.pending_count, 0) > 0) ASC,` : sql``
  return rows<PeriodeMemberRow>(
    exec,
    sql`WITH agg AS (
        SELECT t.user_id,
          ${COMPLETED_AND_PENDING},
          max(t.transaction_date) FILTER (WHERE ${COMPLETED}) AS last_completed
        FROM transactions t
        WHERE t.periode_id = ${periodeId} AND t.deleted_at IS NULL
        GROUP BY t.user_id
      )
    SELECT u.id AS user_id, u.fullname, u.username, u.is_active,
      coalesce(a.completed, 0)::text AS completed_amount,
      coalesce(a.completed_count, 0)::int AS completed_count,
      coalesce(a.pending, 0)::text AS pending_amount,
      coalesce(a.pending_count, 0)::int AS pending_count,
      coalesce(a.completed_count, 0) + coalesce(a.pending_count, 0) > 0 AS has_paid,
      CASE WHEN p.target_amount IS NULL THEN NULL ELSE coalesce(a.completed, 0) >= p.target_amount END AS reached_target,
      to_char(a.last_completed AT TIME ZONE ${tz}, 'YYYY-MM-DD') AS last_deposit_date
    FROM users u
    CROSS JOIN (SELECT target_amount FROM periodes WHERE id = ${periodeId}) p
    LEFT JOIN agg a ON a.user_id = u.id
    WHERE (u.is_active AND u.user_type = 'member') OR a.user_id IS NOT NULL
    ORDER BY ${unpaid} ${key}, u.id ASC`,
  )
}

export interface PeriodeTotalsRow {
  completed_amount: string
  completed_count: number
  pending_amount: string
  pending_count: number
  rejected_amount: string
  rejected_count: number
}

export async function periodeTotals(exec: Executor, periodeId: number): Promise<PeriodeTotalsRow> {
  const [row] = await rows<PeriodeTotalsRow>(
    exec,
    sql`SELECT ${breakdownColumns} FROM transactions t WHERE t.periode_id = ${periodeId} AND t.deleted_at IS NULL`,
  )
  return row as PeriodeTotalsRow
}

/** Completed / pending / rejected amounts and counts over `transactions t`. */
const breakdownColumns = sql`
  coalesce(sum(t.amount) FILTER (WHERE ${COMPLETED}), 0)::text AS completed_amount,
  (count(*) FILTER (WHERE ${COMPLETED}))::int AS completed_count,
  coalesce(sum(t.amount) FILTER (WHERE ${PENDING}), 0)::text AS pending_amount,
  (count(*) FILTER (WHERE ${PENDING}))::int AS pending_count,
  coalesce(sum(t.amount) FILTER (WHERE t.status = 'rejected'), 0)::text AS rejected_amount,
  (count(*) FILTER (WHERE t.status = 'rejected'))::int AS rejected_count`

export interface SummaryTotalsRow extends PeriodeTotalsRow {
  transaction_count: number
  member_count: number
}

export async function summaryTotals(exec: Executor, where: SQL): Promise<SummaryTotalsRow> {
  const [row] = await rows<SummaryTotalsRow>(
    exec,
    sql`SELECT count(*)::int AS transaction_count, count(DISTINCT t.user_id)::int AS member_count, ${breakdownColumns}
        FROM transactions t WHERE ${where}`,
  )
  return row as SummaryTotalsRow
}

export interface StatusRow {
  status: 'sent' | 'on_process' | 'completed' | 'rejected' | 'needs_correction'
  count: number
  amount: string
}

/** All four statuses, zeros included, in the order of the state machine. */
export async function summaryByStatus(exec: Executor, where: SQL): Promise<StatusRow[]> {
  return rows<StatusRow>(
    exec,
    sql`SELECT s.status::text AS status, count(t.id)::int AS count, coalesce(sum(t.amount), 0)::text AS amount
        FROM unnest(enum_range(NULL::transaction_status)) WITH ORDINALITY AS s(status, ord)
        LEFT JOIN transactions t ON t.status = s.status AND ${where}
        GROUP BY s.status, s.ord ORDER BY s.ord`,
  )
}

export interface PeriodeGroupRow extends PeriodeTotalsRow {
  periode_id: number | null
  periode_name: string | null
  transaction_count: number
}

export async function summaryByPeriode(exec: Executor, where: SQL): Promise<PeriodeGroupRow[]> {
  return rows<PeriodeGroupRow>(
    exec,
    sql`SELECT t.periode_id, p.periode_name, count(*)::int AS transaction_count, ${breakdownColumns}
        FROM transactions t LEFT JOIN periodes p ON p.id = t.periode_id
        WHERE ${where}
        GROUP BY t.periode_id, p.periode_name, p.start_date
        ORDER BY p.start_date NULLS LAST, t.periode_id NULLS LAST`,
  )
}

export interface PaymentGroupRow extends PeriodeTotalsRow {
  payment_id: number | null
  payment_name: string | null
  payment_type: string | null
  transaction_count: number
}

export async function summaryByPayment(exec: Executor, where: SQL): Promise<PaymentGroupRow[]> {
  return rows<PaymentGroupRow>(
    exec,
    sql`SELECT t.payment_id, py.payment_name, py.payment_type, count(*)::int AS transaction_count, ${breakdownColumns}
        FROM transactions t LEFT JOIN payments py ON py.id = t.payment_id
        WHERE ${where}
        GROUP BY t.payment_id, py.payment_name, py.payment_type
        ORDER BY lower(py.payment_name) NULLS LAST, t.payment_id NULLS LAST`,
  )
}

export interface ArrearsRow {
  user_id: number
  fullname: string
  username: string
  periode_id: number
  periode_name: string
  expected: string
  paid: string
  missing: string
  total_missing: string
}

/**
 * Dues and arrears (SPEC §7), exact in NUMERIC. A periode's `target_amount` is what each active
 * member owes in it; a periode counts for a member when it has started by `asOf` and ends on or
 * after the day the member joined (local date of `created_at`), a running periode in full. Paid =
 * the member's completed deposits booked to that periode and dated on or before `asOf`. One row
 * per (member, periode) still short, with the member's total; largest total first.
 */
export async function arrears(exec: Executor, asOf: string, tz: string, userId?: number): Promise<ArrearsRow[]> {
  const onlyUser = userId === undefined ? sql`` : sql`AND u.id = ${userId}`
  return rows<ArrearsRow>(
    exec,
    sql`WITH members AS (
        SELECT u.id, u.fullname, u.username, (u.created_at AT TIME ZONE ${tz})::date AS joined
        FROM users u
        WHERE u.user_type = 'member' AND u.is_active AND u.anonymised_at IS NULL ${onlyUser}
      ),
      dues AS (
        SELECT m.id AS user_id, p.id AS periode_id, p.periode_name, p.start_date, p.target_amount AS expected
        FROM members m
        JOIN periodes p ON p.target_amount IS NOT NULL AND p.start_date <= ${asOf}::date AND p.end_date >= m.joined
      ),
      paid AS (
        SELECT t.user_id, t.periode_id, sum(t.amount) AS paid
        FROM transactions t
        JOIN dues d ON d.user_id = t.user_id AND d.periode_id = t.periode_id
        WHERE t.status = 'completed' AND t.deleted_at IS NULL
          AND (t.transaction_date AT TIME ZONE ${tz})::date <= ${asOf}::date
        GROUP BY t.user_id, t.periode_id
      ),
      short AS (
        SELECT d.*, coalesce(pd.paid, 0) AS paid, d.expected - coalesce(pd.paid, 0) AS missing
        FROM dues d LEFT JOIN paid pd ON pd.user_id = d.user_id AND pd.periode_id = d.periode_id
        WHERE d.expected > coalesce(pd.paid, 0)
      ),
      totals AS (SELECT user_id, sum(missing) AS total FROM short GROUP BY user_id)
    SELECT s.user_id, m.fullname, m.username, s.periode_id, s.periode_name,
      s.expected::text AS expected, s.paid::text AS paid, s.missing::text AS missing, tt.total::text AS total_missing
    FROM short s JOIN members m ON m.id = s.user_id JOIN totals tt ON tt.user_id = s.user_id
    ORDER BY tt.total DESC, m.fullname, s.user_id, s.start_date`,
  )
}

// --- The whole ledger's summary from the running totals -----------------------------------------

/**
 * ledger_totals (kept by triggers with every change, migration 0010) collapsed over its stripes:
 * `g` has one row per (periode, payment, status) with `n` and `amount`; 0 stands for none.
 */
const totalsGroups = (by: SQL) =>
  sql`SELECT ${by} l.status, sum(l.count) AS n, sum(l.amount) AS amount FROM ledger_totals l GROUP BY ${by} l.status`

/** Completed / pending / rejected amounts and counts over the grouped totals `g`. */
const totalsBreakdown = sql`
  coalesce(sum(g.amount) FILTER (WHERE g.status = 'completed'), 0)::text AS completed_amount,
  coalesce(sum(g.n) FILTER (WHERE g.status = 'completed'), 0)::int AS completed_count,
  coalesce(sum(g.amount) FILTER (WHERE g.status IN ('sent', 'on_process')), 0)::text AS pending_amount,
  coalesce(sum(g.n) FILTER (WHERE g.status IN ('sent', 'on_process')), 0)::int AS pending_count,
  coalesce(sum(g.amount) FILTER (WHERE g.status = 'rejected'), 0)::text AS rejected_amount,
  coalesce(sum(g.n) FILTER (WHERE g.status = 'rejected'), 0)::int AS rejected_count`

export async function ledgerSummaryTotals(exec: Executor): Promise<SummaryTotalsRow> {
  const [row] = await rows<SummaryTotalsRow>(
    exec,
    sql`SELECT coalesce(sum(g.n), 0)::int AS transaction_count,
          (SELECT count(*)::int FROM ledger_marks m WHERE m.owned > 0) AS member_count,
          ${totalsBreakdown}
        FROM (${totalsGroups(sql``)}) g`,
  )
  return row as SummaryTotalsRow
}

export async function ledgerByStatus(exec: Executor): Promise<StatusRow[]> {
  return rows<StatusRow>(
    exec,
    sql`SELECT s.status::text AS status, coalesce(sum(g.n), 0)::int AS count, coalesce(sum(g.amount), 0)::text AS amount
        FROM unnest(enum_range(NULL::transaction_status)) WITH ORDINALITY AS s(status, ord)
        LEFT JOIN (${totalsGroups(sql``)}) g ON g.status = s.status
        GROUP BY s.status, s.ord ORDER BY s.ord`,
  )
}

export async function ledgerByPeriode(exec: Executor): Promise<PeriodeGroupRow[]> {
  return rows<PeriodeGroupRow>(
    exec,
    sql`SELECT nullif(g.periode_id, 0) AS periode_id, p.periode_name, sum(g.n)::int AS transaction_count, ${totalsBreakdown}
        FROM (${totalsGroups(sql`l.periode_id,`)}) g LEFT JOIN periodes p ON p.id = g.periode_id
        GROUP BY g.periode_id, p.periode_name, p.start_date
        HAVING sum(g.n) > 0
        ORDER BY p.start_date NULLS LAST, nullif(g.periode_id, 0) NULLS LAST`,
  )
}

export async function ledgerByPayment(exec: Executor): Promise<PaymentGroupRow[]> {
  return rows<PaymentGroupRow>(
    exec,
    sql`SELECT nullif(g.payment_id, 0) AS payment_id, py.payment_name, py.payment_type, sum(g.n)::int AS transaction_count, ${totalsBreakdown}
        FROM (${totalsGroups(sql`l.payment_id,`)}) g LEFT JOIN payments py ON py.id = g.payment_id
        GROUP BY g.payment_id, py.payment_name, py.payment_type
        HAVING sum(g.n) > 0
        ORDER BY lower(py.payment_name) NULLS LAST, nullif(g.payment_id, 0) NULLS LAST`,
  )
}
