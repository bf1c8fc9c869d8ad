/** SQL for payment methods. Functions take an executor so the service can compose them in a transaction. */
import { and, asc, eq, ne, type SQL, sql } from 'drizzle-orm'
import type { Executor } from '../../db/client.js'
import { payments, transactions } from '../../db/schema.js'

export async function listPayments(db: Executor, isActive?: boolean) {
  return db
    .select()
    .from(payments)
    .where(isActive === undefined ? undefined : eq(payments.isActive, isActive))
    .orderBy(sql`lower(${payments.paymentName})`, asc(payments.id))
}

export async function findPaymentById(db: Executor, id: number, lock = false) {
  const query = db.select().from(payments).where(eq(payments.id, id)).limit(1)
  const [row] = lock ? await query.for('update') : await query
  return row
}

/** Another method with the same name, compared case-insensitively like the unique index. */
export async function findPaymentByName(db: Executor, name: string, exceptId?: number) {
  const conds: SQL[] = [eq(sql`lower(${payments.paymentName})`, name.toLowerCase())]
  if (exceptId) conds.push(ne(payments.id, exceptId))
  const [row] = await db
    .select({ id: payments.id })
    .from(payments)
    .where(and(...conds))
    .limit(1)
  return row
}

export async function paymentHasTransactions(db: Executor, id: number) {
  const [row] = await db.select({ id: transactions.id }).from(transactions).where(eq(transactions.paymentId, id)).limit(1)
  return row !== undefined
}

export async function insertPayment(db: Executor, values: typeof payments.$inferInsert) {
  const [row] = await db.insert(payments).values(values).returning()
  if (!row) throw new Error('payment insert returned no row')
  return row
}

export async function updatePayment(db: Executor, id: number, values: Partial<typeof payments.$inferInsert>) {
  const [row] = await db
    .update(payments)
    .set({ ...values, updatedAt: sql`now()` })
    .where(eq(payments.id, id))
    .returning()
  return row
}

export async function deletePayment(db: Executor, id: number) {
  await db.delete(payments).where(eq(payments.id, id))
}
