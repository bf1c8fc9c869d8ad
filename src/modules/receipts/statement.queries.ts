/** SQL for the member statement: one row per deposit in a range, amounts as exact text. */
import { sql } from 'drizzle-orm'
import { type Executor, rows } from '../../db/client.js'

export interface StatementDepositRow {
  transaction_date: Date | string
  amount: string
  status: 'sent' | 'on_process' | 'completed' | 'rejected'
  receipt_number: string | null
  periode_name: string | null
  payment_name: string | null
}

/** A member's live deposits with transaction_date in [from, toExclusive), oldest first. */
export async function statementDeposits(exec: Executor, userId: number, from: Date | undefined, toExclusive: Date | undefined) {
  return rows<StatementDepositRow>(
    exec,
    sql`SELECT t.transaction_date, t.amount::text AS amount, t.status, t.receipt_number,
        p.periode_name, pay.payment_name
      FROM transactions t
      LEFT JOIN periodes p ON p.id = t.periode_id
      LEFT JOIN payments pay ON pay.id = t.payment_id
      WHERE t.user_id = ${userId} AND t.deleted_at IS NULL
        ${from ? sql`AND t.transaction_date >= ${from.toISOString()}::timestamptz` : sql``}
        ${toExclusive ? sql`AND t.transaction_date < ${toExclusive.toISOString()}::timestamptz` : sql``}
      ORDER BY t.transaction_date, t.id`,
  )
}
