/** Payment-method JSON as the client's DTO expects it, and the row mapper. */
import type { payments } from '../../db/schema.js'
import { Id, Instant, Nullable, Type } from '../../lib/schemas.js'

export const PaymentOut = Type.Object({
  id: Id,
  payment_name: Type.String(),
  payment_type: Type.String(),
  account_number: Nullable(Type.String()),
  account_holder: Nullable(Type.String()),
  is_active: Type.Boolean(),
  created_at: Instant,
})

export type PaymentRow = typeof payments.$inferSelect

export function toPaymentJson(p: PaymentRow) {
  return {
    id: p.id,
    payment_name: p.paymentName,
    payment_type: p.paymentType,
    account_number: p.accountNumber,
    account_holder: p.accountHolder,
    is_active: p.isActive,
    created_at: p.createdAt.toISOString(),
  }
}
