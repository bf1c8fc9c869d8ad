/** Payment-method JSON as the client's DTO expects it, and the row mapper. */
import type { PaymentRow } from '../../db/rows.js'
import { Envelope, Id, Instant, ListEnvelope, Nullable, Type } from '../../lib/schemas.js'

export const PaymentOut = Type.Object({
  id: Id,
  payment_name: Type.String(),
  payment_type: Type.String(),
  account_number: Nullable(Type.String()),
  account_holder: Nullable(Type.String()),
  is_active: Type.Boolean(),
  created_at: Instant,
})

export type { PaymentRow }

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

// ---- Request schemas of /payments ---------------------------------------------------------

const PaymentFields = {
  payment_name: Type.String({ minLength: 1, maxLength: 100 }),
  payment_type: Type.String({ minLength: 1, maxLength: 50, description: 'e.g. bank_transfer, cash, e_wallet' }),
  account_number: Type.Optional(Nullable(Type.String({ maxLength: 50 }))),
  account_holder: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
  is_active: Type.Optional(Type.Boolean()),
}

export const PaymentCreateBody = Type.Object(PaymentFields)
/** PUT is partial: fields left out keep their value; null clears the account details. */
export const PaymentUpdateBody = Type.Partial(PaymentCreateBody)

export const PaymentListQuery = Type.Object({
  is_active: Type.Optional(Type.Boolean({ description: 'admins only; members always see active methods only' })),
})

export const PaymentResponse = Envelope(PaymentOut)
export const PaymentListResponse = ListEnvelope(PaymentOut)
/** DELETE: null when the method was removed, the method itself when it was deactivated instead. */
export const PaymentDeleteResponse = Envelope(Nullable(PaymentOut))
