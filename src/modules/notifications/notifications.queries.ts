/** SQL of the inbox and of what the fan-out needs to know about a deposit and its people. */
import { and, count, desc, eq, isNull, sql } from 'drizzle-orm'
import { type Executor, rows } from '../../db/client.js'
import { notifications, users } from '../../db/schema.js'

export interface NewNotification {
  userId: number
  type: string
  title: string
  body: string
  data: Record<string, unknown>
}

export async function insertNotifications(exec: Executor, list: NewNotification[]) {
  if (list.length) await exec.insert(notifications).values(list)
}

export async function listForUser(exec: Executor, userId: number, limit: number, offset: number) {
  return exec
    .select()
    .from(notifications)
    .where(eq(notifications.userId, userId))
    .orderBy(desc(notifications.id))
    .limit(limit)
    .offset(offset)
}

export async function countsForUser(exec: Executor, userId: number) {
  const [row] = await exec
    .select({ total: count(), unread: sql<number>`count(*) FILTER (WHERE ${notifications.readAt} IS NULL)::int` })
    .from(notifications)
    .where(eq(notifications.userId, userId))
  return { total: Number(row?.total ?? 0), unread: Number(row?.unread ?? 0) }
}

/** Mark one read (keeps the first read time); undefined when it is not the caller's. */
export async function markRead(exec: Executor, userId: number, id: number) {
  const [row] = await exec
    .update(notifications)
    .set({ readAt: sql`coalesce(${notifications.readAt}, now())` })
    .where(and(eq(notifications.id, id), eq(notifications.userId, userId)))
    .returning()
  return row
}

export async function markAllRead(exec: Executor, userId: number): Promise<number> {
  const done = await exec
    .update(notifications)
    .set({ readAt: sql`now()` })
    .where(and(eq(notifications.userId, userId), isNull(notifications.readAt)))
    .returning({ id: notifications.id })
  return done.length
}

export async function setEmailOptIn(exec: Executor, userId: number, email: boolean) {
  await exec.update(users).set({ emailNotifications: email, updatedAt: sql`now()` }).where(eq(users.id, userId))
}

export interface Recipient {
  id: number
  fullname: string
  email: string | null
  email_notifications: boolean
  /** Saved language (`id`, `en`) or null. */
  locale: string | null
}

/** Active, not anonymised users among `ids`: who gets the inbox item and (if opted in) the mail. */
export async function recipients(exec: Executor, ids: number[]): Promise<Recipient[]> {
  if (!ids.length) return []
  return rows<Recipient>(
    exec,
    sql`SELECT id, fullname, email, email_notifications, locale FROM users
        WHERE id IN (${sql.join(
          ids.map((i) => sql`${i}`),
          sql`, `,
        )}) AND is_active AND anonymised_at IS NULL
        ORDER BY id`,
  )
}

export interface DepositRow {
  id: number
  amount: string
  local_date: string
  periode_name: string | null
}

export async function depositFacts(exec: Executor, id: number, tz: string): Promise<DepositRow | undefined> {
  const [row] = await rows<DepositRow>(
    exec,
    sql`SELECT t.id, t.amount::text AS amount, to_char(t.transaction_date AT TIME ZONE ${tz}, 'DD-MM-YYYY') AS local_date,
          p.periode_name
        FROM transactions t LEFT JOIN periodes p ON p.id = t.periode_id WHERE t.id = ${id}`,
  )
  return row
}

/**
 * Did completing `amount` take the owner's completed total across their savings target? Exact:
 * compared in NUMERIC. Undefined when there is no target or it was not crossed by this deposit.
 */
export async function targetCrossed(exec: Executor, userId: number, amount: string) {
  const [row] = await rows<{ target: string; saved: string }>(
    exec,
    sql`WITH s AS (
          SELECT u.savings_target AS target,
            (SELECT coalesce(sum(t.amount), 0) FROM transactions t
              WHERE t.user_id = u.id AND t.status = 'completed' AND t.deleted_at IS NULL) AS saved
          FROM users u WHERE u.id = ${userId})
        SELECT target::text AS target, saved::text AS saved FROM s
        WHERE target IS NOT NULL AND saved >= target AND saved - ${amount}::numeric < target`,
  )
  return row
}
