/**
 * A member's arrears (SPEC §7): over the periodes that count for the member, what is still missing
 * of each periode's target_amount after completed deposits. A periode counts when it has started by
 * `asOf` and ends on or after the local day the member joined; a running periode counts in full.
 * Periodes without a target expect nothing. Exact NUMERIC in SQL, returned as text.
 */
import { sql } from 'drizzle-orm'
import { type Executor, rows } from '../../db/client.js'

export interface ArrearsPeriodeRow {
  periode_id: number
  periode_name: string
  expected: string
  paid: string
  missing: string
  /** The sum of `missing` over every row (the same on each row). */
  total: string
}

export async function memberArrears(exec: Executor, userId: number, asOf: string, tz: string) {
  const periodes = await rows<ArrearsPeriodeRow>(
    exec,
    sql`WITH paid AS (
        SELECT t.periode_id, sum(t.amount) AS amount
        FROM transactions t
        WHERE t.user_id = ${userId} AND t.deleted_at IS NULL AND t.status = 'completed' AND t.periode_id IS NOT NULL
        GROUP BY t.periode_id
      )
    SELECT p.id AS periode_id, p.periode_name,
      p.target_amount::text AS expected,
      coalesce(paid.amount, 0)::text AS paid,
      (p.target_amount - coalesce(paid.amount, 0))::text AS missing,
      (sum(p.target_amount - coalesce(paid.amount, 0)) OVER ())::text AS total
    FROM periodes p
    JOIN users u ON u.id = ${userId}
    LEFT JOIN paid ON paid.periode_id = p.id
    WHERE p.target_amount IS NOT NULL
      AND p.start_date <= ${asOf}::date
      AND p.end_date >= (u.created_at AT TIME ZONE ${tz})::date
      AND coalesce(paid.amount, 0) < p.target_amount
    ORDER BY p.start_date, p.id`,
  )
  return { amount: periodes[0]?.total ?? '0', periodes }
}
