/** Periode JSON (a saving period) as the client's DTO expects it, and the row mapper. */
import type { periodes } from '../../db/schema.js'
import { toMoney } from '../../lib/money.js'
import { DateOnly, Id, Instant, MoneyOut, Nullable, Type } from '../../lib/schemas.js'

export const PeriodeOut = Type.Object({
  id: Id,
  periode_name: Type.String(),
  start_date: DateOnly,
  end_date: DateOnly,
  target_amount: Nullable(MoneyOut),
  created_at: Instant,
})

export type PeriodeRow = typeof periodes.$inferSelect

export function toPeriodeJson(p: PeriodeRow) {
  return {
    id: p.id,
    periode_name: p.periodeName,
    start_date: p.startDate,
    end_date: p.endDate,
    target_amount: toMoney(p.targetAmount),
    created_at: p.createdAt.toISOString(),
  }
}
