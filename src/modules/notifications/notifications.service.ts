/**
 * The inbox (list, read, read-all, e-mail opt-out) and the fan-out of domain events into inbox
 * items and mail jobs. The fan-out runs inside the event job's transaction (modules/jobs/events.ts),
 * so each event gives each recipient exactly one inbox item and one queued mail.
 */
import type { Db, Executor } from '../../db/client.js'
import type { Locale } from '../../i18n/index.js'
import { notFound } from '../../lib/errors.js'
import { type DomainEvent, publish } from '../jobs/events.js'
import { enqueue } from '../jobs/jobs.queries.js'
import { type NotificationType, type Reader, type Rendered, renderDeposit, renderTargetReached } from './notifications.messages.js'
import * as q from './notifications.queries.js'

/** Mail jobs: a few retries over about an hour, then given up (and logged). */
export const MAIL_JOB = 'mail'
const MAIL_ATTEMPTS = 8

const DEPOSIT_TYPES: Record<string, NotificationType> = {
  completed: 'deposit.completed',
  rejected: 'deposit.rejected',
  needs_correction: 'deposit.needs_correction',
}

export interface MailPayload {
  to: string
  subject: string
  text: string
  /** A reminder's row, updated with the delivery result. */
  reminder_id?: number
}

/**
 * Write one inbox item per recipient and queue the e-mail for those who have an address and did
 * not turn e-mail off. Used by the fan-out and by reminders, inside the caller's transaction.
 */
export async function notify(
  exec: Executor,
  people: q.Recipient[],
  type: NotificationType,
  data: Record<string, unknown>,
  render: (who: Reader) => Rendered,
  mailExtra: (person: q.Recipient) => Partial<MailPayload> = () => ({}),
) {
  const items: q.NewNotification[] = []
  const mails: MailPayload[] = []
  for (const person of people) {
    const text = render({ name: person.fullname, locale: person.locale })
    items.push({ userId: person.id, type, title: text.title, body: text.body, data })
    if (person.email && person.email_notifications) mails.push({ to: person.email, ...text.mail, ...mailExtra(person) })
  }
  await q.insertNotifications(exec, items)
  await enqueue(
    exec,
    mails.map((payload) => ({ kind: MAIL_JOB, payload, maxAttempts: MAIL_ATTEMPTS })),
  )
  return { inbox: items.length, mails: mails.length }
}

/** The subscriber of the event bus: deposits decided, targets reached. */
export function notificationsSubscriber(timezone: string, locale: Locale = 'id') {
  return async (event: DomainEvent, exec: Executor) => {
    if (event.type === 'deposit.status_changed') {
      const d = event.data as {
        transaction_id: number
        user_id: number
        reported_by: number
        amount: number
        to: string
        note: string | null
      }
      const type = DEPOSIT_TYPES[d.to]
      if (!type) return
      const facts = await q.depositFacts(exec, d.transaction_id, timezone)
      if (!facts) return
      const people = await q.recipients(exec, [...new Set([d.user_id, d.reported_by])])
      const deposit = { id: facts.id, amount: facts.amount, date: facts.local_date, periode: facts.periode_name, reason: d.note }
      await notify(
        exec,
        people,
        type,
        { transaction_id: d.transaction_id, status: d.to, amount: Number(facts.amount), reason: d.note },
        (who) => renderDeposit(type as 'deposit.completed', who, deposit, locale),
      )
      if (d.to === 'completed') {
        const crossed = await q.targetCrossed(exec, d.user_id, facts.amount)
        if (crossed) {
          await publish(exec, 'member.target_reached', {
            user_id: d.user_id,
            target: Number(crossed.target),
            saved: Number(crossed.saved),
            transaction_id: d.transaction_id,
          })
        }
      }
      return
    }
    if (event.type === 'member.target_reached') {
      const d = event.data as { user_id: number; target: number; saved: number; transaction_id: number }
      const people = await q.recipients(exec, [d.user_id])
      await notify(exec, people, 'member.target_reached', d, (who) => renderTargetReached(who, String(d.target), String(d.saved), locale))
    }
  }
}

export function createNotificationsService(db: Db) {
  return {
    async list(userId: number, page: number, perPage: number) {
      const [items, counts] = await Promise.all([q.listForUser(db, userId, perPage, (page - 1) * perPage), q.countsForUser(db, userId)])
      return {
        data: items.map(toJson),
        meta: { page, per_page: perPage, total: counts.total, unread: counts.unread },
      }
    },
    async read(userId: number, id: number) {
      const row = await q.markRead(db, userId, id)
      if (!row) throw notFound('Notification')
      return toJson(row)
    },
    async readAll(userId: number) {
      return { updated: await q.markAllRead(db, userId) }
    },
    async setEmail(userId: number, email: boolean) {
      await q.setEmailOptIn(db, userId, email)
      return { email }
    },
  }
}

type Row = Awaited<ReturnType<typeof q.listForUser>>[number]
function toJson(r: Row) {
  return {
    id: r.id,
    type: r.type,
    title: r.title,
    body: r.body,
    data: r.data as Record<string, unknown>,
    read_at: r.readAt ? r.readAt.toISOString() : null,
    created_at: r.createdAt.toISOString(),
  }
}
