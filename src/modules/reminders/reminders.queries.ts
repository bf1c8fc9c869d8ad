/** SQL for arrears reminders. Every function takes an Executor. */
import { sql } from 'drizzle-orm'
import { type Executor, rows } from '../../db/client.js'
import { reminders } from '../../db/schema.js'

/**
 * One reminder row; an inbox reminder is delivered as it is written, an e-mail one waits for its
 * mail job. Undefined when (user, periode, channel) already has one.
 */
export async function insertReminder(
  tx: Executor,
  values: { userId: number; periodeId: number; channel: 'inbox' | 'email'; amount: string; triggeredBy: number | null },
) {
  const inbox = values.channel === 'inbox'
  const [row] = await tx
    .insert(reminders)
    .values({ ...values, status: inbox ? 'delivered' : 'pending', ...(inbox ? { deliveredAt: sql`now()` } : {}) })
    .onConflictDoNothing()
    .returning({ id: reminders.id })
  return row
}

export interface ReminderListRow {
  id: number
  user_id: number
  fullname: string
  username: string
  periode_id: number
  periode_name: string
  channel: 'inbox' | 'email'
  status: 'delivered' | 'pending' | 'failed'
  amount: string
  error: string | null
  created_at: Date | string
  delivered_at: Date | string | null
}

/** A page of reminders, newest first, with their member and periode, and the total count. */
export async function listReminders(db: Executor, f: { periodeId: number | undefined; limit: number; offset: number }) {
  const where = f.periodeId === undefined ? sql`` : sql`WHERE r.periode_id = ${f.periodeId}`
  const list = await rows<ReminderListRow>(
    db,
    sql`SELECT r.id, r.user_id, u.fullname, u.username, r.periode_id, p.periode_name, r.channel, r.status,
          r.amount::text AS amount, r.error, r.created_at, r.delivered_at
        FROM reminders r JOIN users u ON u.id = r.user_id JOIN periodes p ON p.id = r.periode_id
        ${where}
        ORDER BY r.id DESC LIMIT ${f.limit} OFFSET ${f.offset}`,
  )
  const [count] = await rows<{ n: number }>(db, sql`SELECT count(*)::int AS n FROM reminders r ${where}`)
  return { list, total: Number(count?.n ?? 0) }
}

/** The mail of an e-mail reminder went out. */
export async function markReminderDelivered(db: Executor, id: number) {
  await db.execute(sql`UPDATE reminders SET status = 'delivered', delivered_at = now(), error = NULL WHERE id = ${id}`)
}

/** The mail of an e-mail reminder was given up on. */
export async function markReminderFailed(db: Executor, id: number, error: string) {
  await db.execute(sql`UPDATE reminders SET status = 'failed', error = ${error} WHERE id = ${id}`)
}
