/**
 * The member statement PDF (GET /reports/members/{id|me}/statement.pdf?from&to). Its figures come
 * from the member report itself (reports.service member()), so the two can never disagree, and the
 * access rule is the report's: admins anyone, members themselves, others 404. Arrears are the
 * report's own (the one SPEC §7 rule in reports.queries.ts arrears()), as of today in APP_TIMEZONE.
 *
 * The range selects the rows (deposits dated in it, periodes overlapping it); the figures at the top
 * are the member's as of today, as in the member report.
 */
import type { Db } from '../../db/client.js'
import { validation } from '../../lib/errors.js'
import type { ReportsService } from '../reports/reports.service.js'
import type { SettingsService } from '../settings/settings.service.js'
import { parseInstant, startOfNextDay } from '../transactions/instants.js'
import { statementDeposits } from './statement.queries.js'
import { renderStatementPdf } from './statement-pdf.js'

/**
 * A report figure back to decimal text for printing. The report's numbers are exact JSON numbers
 * with at most 2 decimals, far below 2^53 / 100, so toFixed(2) gives back the NUMERIC text exactly.
 */
const text = (n: number) => n.toFixed(2)
const textOrNull = (n: number | null | undefined) => (n === null || n === undefined ? null : text(n))

export function createStatementService(deps: { db: Db; reports: ReportsService; settings: SettingsService; timezone: string }) {
  const { db, reports, settings, timezone: tz } = deps

  function day(value: string | undefined, field: string) {
    if (value === undefined) return undefined
    const parsed = parseInstant(value, tz)
    if (!parsed?.dateOnly) throw validation('must be a date (YYYY-MM-DD)', field)
    return parsed.date
  }

  return {
    async pdf(
      auth: Parameters<ReportsService['member']>[0],
      idParam: string,
      range: { from?: string | undefined; to?: string | undefined },
    ) {
      const from = day(range.from, 'from')
      const to = day(range.to, 'to')
      if (from && to && from > to) throw validation('must not be after `to`', 'from')
      const report = await reports.member(auth, idParam)
      const [deposits, header] = await Promise.all([
        statementDeposits(db, report.user.id, from, to ? startOfNextDay(to, tz) : undefined),
        settings.documentHeader(),
      ])
      const periodes = report.periodes.filter((p) => (!range.to || p.start_date <= range.to) && (!range.from || p.end_date >= range.from))
      const pdf = await renderStatementPdf({
        header,
        member: report.user,
        range: { from: range.from ?? null, to: range.to ?? null },
        figures: {
          target: textOrNull(report.savings_target?.target),
          paid: text(report.total_saved),
          pending: text(report.pending_amount),
          remaining: textOrNull(report.savings_target?.remaining),
          arrears: text(report.arrears.amount),
        },
        periodes: periodes.map((p) => ({
          name: p.periode_name,
          start: p.start_date,
          end: p.end_date,
          target: textOrNull(p.target_amount),
          paid: text(p.completed_amount),
          pending: text(p.pending_amount),
          remaining: textOrNull(p.remaining),
        })),
        deposits,
        timezone: tz,
        printedAt: new Date(),
      })
      return { username: report.user.username, pdf }
    },
  }
}
