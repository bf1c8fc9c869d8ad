/**
 * Arrears reminders (SPEC §7): for every member in arrears (as of today in APP_TIMEZONE), one
 * reminder per periode still short and per channel: the inbox always, e-mail when the member has an
 * address and did not turn e-mail off. The unique key (user, periode, channel) makes "at most one"
 * hold across instances and repeated runs: a row that already exists is counted as skipped.
 */
import type { Db } from '../../db/client.js'
import type { Locale } from '../../i18n/index.js'
import { notFound } from '../../lib/errors.js'
import { toMoney } from '../../lib/money.js'
import { publish } from '../jobs/events.js'
import { enqueue } from '../jobs/jobs.queries.js'
import { renderReminder } from '../notifications/notifications.messages.js'
import * as notifications from '../notifications/notifications.queries.js'
import { MAIL_JOB } from '../notifications/notifications.service.js'
import { findPeriodeById } from '../periodes/periodes.queries.js'
import { arrears } from '../reports/reports.queries.js'
import { insertReminder, listReminders } from './reminders.queries.js'

export interface RemindersDeps {
  db: Db
  timezone: string
  kick: () => void
  /** APP_LOCALE, for members who saved no language. */
  locale?: Locale
}

export function createRemindersService({ db, timezone, kick, locale = 'id' }: RemindersDeps) {
  const today = () =>
    new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date())

  return {
    /** Send what is due; `periodeId` limits it to one periode. Answers how many were sent and skipped. */
    async send(input: { periodeId?: number | undefined; triggeredBy?: number | undefined }) {
      if (input.periodeId !== undefined) {
        if (!(await findPeriodeById(db, input.periodeId))) throw notFound('Periode')
      }
      const owed = (await arrears(db, today(), timezone)).filter((r) => input.periodeId === undefined || r.periode_id === input.periodeId)
      const people = new Map((await notifications.recipients(db, [...new Set(owed.map((r) => r.user_id))])).map((p) => [p.id, p]))
      let sent = 0
      let skipped = 0
      for (const r of owed) {
        const person = people.get(r.user_id)
        if (!person) continue
        const channels: ('inbox' | 'email')[] = person.email && person.email_notifications ? ['inbox', 'email'] : ['inbox']
        // One short transaction per member and periode: the reminder rows, the inbox item, the mail job.
        await db.transaction(async (tx) => {
          const text = renderReminder({ name: person.fullname, locale: person.locale }, r.periode_name, r.missing, locale)
          const data = { periode_id: r.periode_id, periode_name: r.periode_name, amount: toMoney(r.missing) }
          let fresh = false
          for (const channel of channels) {
            const row = await insertReminder(tx, {
              userId: r.user_id,
              periodeId: r.periode_id,
              channel,
              amount: r.missing,
              triggeredBy: input.triggeredBy ?? null,
            })
            if (!row) {
              skipped += 1
              continue
            }
            sent += 1
            fresh = true
            if (channel === 'inbox') {
              await notifications.insertNotifications(tx, [
                { userId: r.user_id, type: 'reminder.due', title: text.title, body: text.body, data },
              ])
            } else {
              await enqueue(tx, [{ kind: MAIL_JOB, payload: { to: person.email, ...text.mail, reminder_id: row.id }, maxAttempts: 8 }])
            }
          }
          if (fresh) await publish(tx, 'reminder.due', { user_id: r.user_id, ...data })
        })
      }
      kick()
      return { sent, skipped }
    },

    async list(query: { periode_id?: number | undefined; page: number; per_page: number }) {
      const { list, total } = await listReminders(db, {
        periodeId: query.periode_id,
        limit: query.per_page,
        offset: (query.page - 1) * query.per_page,
      })
      const iso = (v: Date | string | null) => (v === null ? null : new Date(v).toISOString())
      return {
        data: list.map((r) => ({
          id: Number(r.id),
          user: { id: r.user_id, fullname: r.fullname, username: r.username },
          periode: { id: r.periode_id, periode_name: r.periode_name },
          channel: r.channel,
          status: r.status,
          amount: toMoney(r.amount) as number,
          error: r.error,
          created_at: iso(r.created_at) as string,
          delivered_at: iso(r.delivered_at),
        })),
        meta: { page: query.page, per_page: query.per_page, total },
      }
    },
  }
}
