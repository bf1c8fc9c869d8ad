/** Periode JSON (a saving period) as the client's DTO expects it, and the row mapper. */
import type { PeriodeRow } from '../../db/rows.js'
import { toMoney } from '../../lib/money.js'
import { DateOnly, Envelope, Id, Instant, ListEnvelope, MoneyIn, MoneyOut, Nullable, Type } from '../../lib/schemas.js'

export const PeriodeOut = Type.Object({
  id: Id,
  periode_name: Type.String(),
  start_date: DateOnly,
  end_date: DateOnly,
  target_amount: Nullable(MoneyOut),
  created_at: Instant,
})

export type { PeriodeRow }

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

// ---- Request schemas of /periodes ---------------------------------------------------------

const PeriodeName = Type.String({ minLength: 1, maxLength: 100 })

export const PeriodeCreateBody = Type.Object({
  periode_name: PeriodeName,
  start_date: DateOnly,
  end_date: DateOnly,
  target_amount: Type.Optional(Nullable(MoneyIn)),
})

/** PUT is partial: any subset of the fields; every rule is checked again on the result. */
export const PeriodeUpdateBody = Type.Partial(PeriodeCreateBody)

export const PeriodeListQuery = Type.Object({
  active_on: Type.Optional(Type.String({ format: 'date', description: 'only periodes with start_date <= date <= end_date' })),
})

export const PeriodeResponse = Envelope(PeriodeOut)
export const PeriodeListResponse = ListEnvelope(PeriodeOut)
