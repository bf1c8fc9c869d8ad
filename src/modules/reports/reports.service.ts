/**
 * Reports: the member dashboard, the treasurer's periode view, the overall summary and the CSV
 * export. Access rules live here; every figure comes from SQL as NUMERIC text and becomes a JSON
 * number only in the mappers below (toMoney).
 */
import type { Readable } from 'node:stream'
import type { Database } from '../../db/client.js'
import type { AuthContext } from '../../lib/auth-context.js'
import { notFound } from '../../lib/errors.js'
import { toMoney } from '../../lib/money.js'
import { type FilterInput, parseFilter } from '../transactions/transactions.filter.js'
import { filterSql } from '../transactions/transactions.queries.js'
import { transactionsCsv } from './reports.csv.js'
import * as q from './reports.queries.js'

export interface ReportsDeps {
  database: Database
  timezone: string
}

const money = (v: string) => toMoney(v) as number

function breakdown(r: q.PeriodeTotalsRow) {
  return {
    completed_amount: money(r.completed_amount),
    completed_count: r.completed_count,
    pending_amount: money(r.pending_amount),
    pending_count: r.pending_count,
    rejected_amount: money(r.rejected_amount),
    rejected_count: r.rejected_count,
  }
}

/** Arrears rows of one member -> `{amount, periodes}`. */
function arrearsOf(list: q.ArrearsRow[]) {
  return {
    amount: money(list[0]?.total_missing ?? '0'),
    periodes: list.map((r) => ({
      id: r.periode_id,
      periode_name: r.periode_name,
      expected: money(r.expected),
      paid: money(r.paid),
      missing: money(r.missing),
    })),
  }
}

export function createReportsService({ database, timezone: tz }: ReportsDeps) {
  const db = database.db
  const today = () =>
    new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date())

  return {
    /** Admin: any user; anyone else: only themself (`me` or their own id); others are 404. */
    async member(auth: AuthContext, idParam: string) {
      const id = idParam === 'me' ? auth.userId : Number(idParam)
      if (!Number.isSafeInteger(id) || id > 2_147_483_647) throw notFound('Member')
      if (auth.role !== 'admin' && id !== auth.userId) throw notFound('Member')
      const user = await q.findMember(db, id)
      if (!user) throw notFound('Member')
      const { stats, monthly, periodes, target, owed } = await q.inSnapshot(db, async (tx) => ({
        stats: await q.memberStats(tx, id, tz),
        monthly: await q.memberMonthly(tx, id, tz),
        periodes: await q.memberPeriodes(tx, id),
        target: user.savings_target === null ? undefined : await q.memberTarget(tx, id, tz),
        owed: await q.arrears(tx, today(), tz, id),
      }))
      return {
        user: { id: user.id, fullname: user.fullname, username: user.username, is_active: user.is_active },
        total_saved: money(stats.total_saved),
        deposit_count: stats.deposit_count,
        average_deposit: toMoney(stats.average_deposit),
        pending_amount: money(stats.pending_amount),
        pending_count: stats.pending_count,
        rejected_count: stats.rejected_count,
        first_deposit_date: stats.first_deposit_date,
        last_deposit_date: stats.last_deposit_date,
        monthly: monthly.map((m) => ({ month: m.month, total: money(m.total), count: m.count })),
        periodes: periodes.map((p) => ({
          periode_id: p.periode_id,
          periode_name: p.periode_name,
          start_date: p.start_date,
          end_date: p.end_date,
          target_amount: toMoney(p.target_amount),
          completed_amount: money(p.completed_amount),
          completed_count: p.completed_count,
          pending_amount: money(p.pending_amount),
          pending_count: p.pending_count,
          remaining: toMoney(p.remaining),
          reached_target: p.reached_target,
        })),
        savings_target: target
          ? {
              target: money(target.target),
              saved: money(target.saved),
              remaining: money(target.remaining),
              progress_percent: Number(target.progress_percent),
              reached: target.reached,
              average_monthly: toMoney(target.average_monthly),
              months_to_target: target.months_to_target,
              projected_completion_month: target.projected_completion_month,
            }
          : null,
        arrears: arrearsOf(owed),
      }
    },

    /** Every active member with arrears as of a date (default today in APP_TIMEZONE), largest first. */
    async arrears(asOf: string | undefined) {
      const list = await q.arrears(db, asOf ?? today(), tz)
      const byUser = new Map<number, q.ArrearsRow[]>()
      for (const r of list) byUser.set(r.user_id, [...(byUser.get(r.user_id) ?? []), r])
      return [...byUser.values()].map((rs) => ({
        user: { id: rs[0]?.user_id as number, fullname: rs[0]?.fullname as string, username: rs[0]?.username as string },
        ...arrearsOf(rs),
      }))
    },

    async periode(id: number, sort: q.PeriodeSort) {
      const periode = await q.findPeriode(db, id)
      if (!periode) throw notFound('Periode')
      const { members, totals } = await q.inSnapshot(db, async (tx) => ({
        members: await q.periodeMembers(tx, id, tz, sort),
        totals: await q.periodeTotals(tx, id),
      }))
      const paid = members.filter((m) => m.has_paid).length
      return {
        periode: { ...periode, target_amount: toMoney(periode.target_amount) },
        totals: {
          ...breakdown(totals),
          member_count: members.length,
          members_paid: paid,
          members_unpaid: members.length - paid,
          members_reached_target: periode.target_amount === null ? null : members.filter((m) => m.reached_target).length,
        },
        members: members.map((m) => ({
          user_id: m.user_id,
          fullname: m.fullname,
          username: m.username,
          is_active: m.is_active,
          completed_amount: money(m.completed_amount),
          completed_count: m.completed_count,
          pending_amount: money(m.pending_amount),
          pending_count: m.pending_count,
          has_paid: m.has_paid,
          reached_target: m.reached_target,
          last_deposit_date: m.last_deposit_date,
        })),
      }
    },

    /** Admin: everything; a member: the transactions they own. */
    async summary(auth: AuthContext, input: { from?: string | undefined; to?: string | undefined }) {
      const filter = parseFilter(auth, { from: input.from, to: input.to }, tz, 'owned')
      const where = filterSql(filter)
      // The whole ledger (an admin without a range) is read from the running totals; a member's own
      // deposits or a date range from the rows (their indexes bound those scans).
      const whole = Object.values(filter).every((v) => v === undefined)
      const { totals, byStatus, byPeriode, byPayment } = await q.inSnapshot(db, async (tx) =>
        whole
          ? {
              totals: await q.ledgerSummaryTotals(tx),
              byStatus: await q.ledgerByStatus(tx),
              byPeriode: await q.ledgerByPeriode(tx),
              byPayment: await q.ledgerByPayment(tx),
            }
          : {
              totals: await q.summaryTotals(tx, where),
              byStatus: await q.summaryByStatus(tx, where),
              byPeriode: await q.summaryByPeriode(tx, where),
              byPayment: await q.summaryByPayment(tx, where),
            },
      )
      return {
        scope: auth.role === 'admin' ? ('all' as const) : ('own' as const),
        from: input.from ?? null,
        to: input.to ?? null,
        totals: { ...breakdown(totals), transaction_count: totals.transaction_count, member_count: totals.member_count },
        by_status: byStatus.map((s) => ({ status: s.status, count: s.count, amount: money(s.amount) })),
        by_periode: byPeriode.map((p) => ({
          periode_id: p.periode_id,
          periode_name: p.periode_name,
          transaction_count: p.transaction_count,
          ...breakdown(p),
        })),
        by_payment: byPayment.map((p) => ({
          payment_id: p.payment_id,
          payment_name: p.payment_name,
          payment_type: p.payment_type,
          transaction_count: p.transaction_count,
          ...breakdown(p),
        })),
      }
    },

    /** The CSV stream, with the list's filters and visibility (members: owned or reported). */
    async csv(auth: AuthContext, filters: FilterInput): Promise<Readable> {
      return transactionsCsv(database, parseFilter(auth, filters, tz, 'visible'), { userId: auth.userId, role: auth.role }, tz)
    },

    /** Today's date in APP_TIMEZONE, for the download's file name. */
    today,
  }
}

export type ReportsService = ReturnType<typeof createReportsService>
