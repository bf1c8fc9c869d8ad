/**
 * SQL of the bulk loaders (`demo`, `import-fastapi`): whole communities written in one transaction,
 * in slices that stay under the bind-parameter limit. Every function takes an Executor.
 */
import { sql } from 'drizzle-orm'
import { type Executor, rows } from '../db/client.js'
import { files, payments, periodes, transactionStatusHistory, transactions, users } from '../db/schema.js'

export type CommunityTable = 'users' | 'periodes' | 'payments' | 'transactions'

/** How many rows the community tables hold (`members`: users of type member). */
export async function countCommunity(db: Executor): Promise<Record<CommunityTable | 'members', number>> {
  const [row] = await rows<Record<CommunityTable | 'members', number>>(
    db,
    sql`SELECT (SELECT count(*) FROM ${users})::int AS users,
               (SELECT count(*) FROM ${users} WHERE ${users.userType} = 'member')::int AS members,
               (SELECT count(*) FROM ${periodes})::int AS periodes, (SELECT count(*) FROM ${payments})::int AS payments,
               (SELECT count(*) FROM ${transactions})::int AS transactions`,
  )
  return row as Record<CommunityTable | 'members', number>
}

/** With `keepExisting`, a row whose id is already there is skipped (and not in the answer). */
interface Options {
  keepExisting?: boolean
}

export async function insertUsers(tx: Executor, values: (typeof users.$inferInsert)[], opts: Options = {}) {
  const insert = tx.insert(users).values(values)
  return (opts.keepExisting ? insert.onConflictDoNothing({ target: users.id }) : insert).returning({ id: users.id })
}

export async function insertPeriodes(tx: Executor, values: (typeof periodes.$inferInsert)[], opts: Options = {}) {
  const insert = tx.insert(periodes).values(values)
  return (opts.keepExisting ? insert.onConflictDoNothing({ target: periodes.id }) : insert).returning({
    id: periodes.id,
    name: periodes.periodeName,
  })
}

export async function insertPayments(tx: Executor, values: (typeof payments.$inferInsert)[], opts: Options = {}) {
  const insert = tx.insert(payments).values(values)
  return (opts.keepExisting ? insert.onConflictDoNothing({ target: payments.id }) : insert).returning({ id: payments.id })
}

export async function insertTransactions(tx: Executor, values: (typeof transactions.$inferInsert)[], opts: Options = {}) {
  const insert = tx.insert(transactions).values(values)
  return (opts.keepExisting ? insert.onConflictDoNothing({ target: transactions.id }) : insert).returning({ id: transactions.id })
}

export type StatusHistoryInsert = typeof transactionStatusHistory.$inferInsert

export async function insertStatusHistory(tx: Executor, values: StatusHistoryInsert[]) {
  await tx.insert(transactionStatusHistory).values(values)
}

export async function insertFileRecords(tx: Executor, values: (typeof files.$inferInsert)[]) {
  await tx.insert(files).values(values)
}

/** Incoming users (by id) that would take the email, username or phone of a different existing user. */
export async function findIdentityClashes(
  tx: Executor,
  incoming: { id: number; email: string | null; username: string; phone: string | null }[],
) {
  return rows<{ id: number; other: number; what: string }>(
    tx,
    sql`SELECT v.id, u.id AS other, 'email/username/phone' AS what
        FROM jsonb_to_recordset(${JSON.stringify(incoming)}::jsonb)
             AS v(id int, email text, username text, phone text)
        JOIN users u ON u.id <> v.id AND (u.email = v.email OR lower(u.username) = lower(v.username) OR u.phone_number = v.phone)
        WHERE NOT EXISTS (SELECT 1 FROM users x WHERE x.id = v.id)`,
  )
}

/** Explicit ids do not advance the sequences: move each past the highest id, or new rows collide. */
export async function advanceIdSequences(tx: Executor) {
  for (const table of ['users', 'periodes', 'payments', 'transactions'] as const) {
    await tx.execute(
      sql`SELECT setval(pg_get_serial_sequence(${table}, 'id'), COALESCE((SELECT max(id) FROM ${sql.raw(table)}), 0) + 1, false)`,
    )
  }
}
