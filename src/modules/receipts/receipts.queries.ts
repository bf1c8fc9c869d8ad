/** SQL for kuitansi documents and their public verification. Every function takes an Executor. */
import { and, eq, isNull, sql } from 'drizzle-orm'
import { alias } from 'drizzle-orm/pg-core'
import { type Executor, rows, type Tx } from '../../db/client.js'
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

/**
 * The next kuitansi sequence of the current year of `timezone`, with the month: the counter row
 * stays locked until the calling transaction ends (receipt-number.ts).
 */
export async function nextReceiptSequence(tx: Tx, timezone: string): Promise<{ sequence: number; year: number; month: number }> {
  const [counter] = await rows<{ year: number; month: number; last_number: number }>(
    tx,
    sql`
      WITH local AS (
        SELECT extract(year FROM now() AT TIME ZONE ${timezone})::int AS year,
               extract(month FROM now() AT TIME ZONE ${timezone})::int AS month
      )
      INSERT INTO receipt_counters (year, last_number) SELECT year, 1 FROM local
      ON CONFLICT (year) DO UPDATE SET last_number = receipt_counters.last_number + 1
      RETURNING year, last_number, (SELECT month FROM local) AS month`,
  )
  if (!counter) throw new Error('receipt number: counter not returned')
  return { sequence: Number(counter.last_number), year: Number(counter.year), month: Number(counter.month) }
}

/** Give a deposit its receipt number, once. */
export async function setReceiptNumber(tx: Tx, transactionId: number, number: string) {
  await tx.execute(sql`UPDATE transactions SET receipt_number = ${number} WHERE id = ${transactionId} AND receipt_number IS NULL`)
}
