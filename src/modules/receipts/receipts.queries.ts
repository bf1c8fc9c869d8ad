/** SQL for kuitansi documents and their public verification. Every function takes an Executor. */
import { and, eq, isNull, sql } from 'drizzle-orm'
import { alias } from 'drizzle-orm/pg-core'
import type { Executor } from '../../db/client.js'
import { payments, periodes, transactions, users } from '../../db/schema.js'

const owner = alias(users, 'owner')
const confirmer = alias(users, 'confirmer')

/** Everything a kuitansi prints about one live deposit. */
export async function findReceiptSource(db: Executor, id: number) {
  const [row] = await db
    .select({
      id: transactions.id,
      amount: sql<string>`${transactions.amount}::text`,
      transactionDate: transactions.transactionDate,
      status: transactions.status,
      userId: transactions.userId,
      reportedBy: transactions.reportedBy,
      receiptNumber: transactions.receiptNumber,
      confirmedAt: transactions.confirmedAt,
      ownerName: owner.fullname,
      ownerUsername: owner.username,
      confirmerName: confirmer.fullname,
      paymentName: payments.paymentName,
      periodeName: periodes.periodeName,
    })
    .from(transactions)
    .innerJoin(owner, eq(owner.id, transactions.userId))
    .leftJoin(confirmer, eq(confirmer.id, transactions.confirmedBy))
    .leftJoin(payments, eq(payments.id, transactions.paymentId))
    .leftJoin(periodes, eq(periodes.id, transactions.periodeId))
    .where(and(eq(transactions.id, id), isNull(transactions.deletedAt)))
    .limit(1)
  return row
}
export type ReceiptSource = NonNullable<Awaited<ReturnType<typeof findReceiptSource>>>

/** The completed deposit behind a receipt number (unique index). */
export async function findByReceiptNumber(db: Executor, number: string) {
  const [row] = await db
    .select({
      amount: sql<string>`${transactions.amount}::text`,
      transactionDate: transactions.transactionDate,
      ownerName: owner.fullname,
    })
    .from(transactions)
    .innerJoin(owner, eq(owner.id, transactions.userId))
    .where(and(eq(transactions.receiptNumber, number), eq(transactions.status, 'completed'), isNull(transactions.deletedAt)))
    .limit(1)
  return row
}
