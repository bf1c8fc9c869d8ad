/**
 * The shared shapes of the OpenAPI document (`components.schemas`), each with a realistic example:
 * openapi-shape.ts replaces every inline copy of these schemas in the document with a `$ref`, so a
 * generated client has one `User`, one `Transaction`, one `Error` type instead of one per route.
 * The route schemas themselves stay as they are (they validate and serialise).
 */
import { ErrorEnvelope, FieldError, Meta } from '../lib/schemas.js'
import { PaymentOut } from '../modules/payments/payments.schemas.js'
import { PeriodeOut } from '../modules/periodes/periodes.schemas.js'
import { TransactionDetailOut, TransactionOut } from '../modules/transactions/transactions.schemas.js'
import { UserBrief, UserOut } from '../modules/users/users.schemas.js'
import type { NamedSchema } from './openapi-shape.js'

const siti = {
  id: 42,
  fullname: 'Siti Aminah',
  username: 'siti.aminah',
  email: 'siti.aminah@example.com',
  phone_number: '+6281234567890',
  domisili: 'Bandung',
  user_type: 'member',
  image_profile_url: null,
  is_active: true,
  savings_target: 35000000,
  locale: 'id',
  created_at: '2025-06-02T03:15:00.000Z',
  updated_at: '2026-11-20T08:40:12.000Z',
}
const nested = (u: { id: number; fullname: string; username: string; email: string; user_type: string }) => ({
  id: u.id,
  fullname: u.fullname,
  username: u.username,
  email: u.email,
  user_type: u.user_type,
  image_profile_url: null,
})
const bendahara = { id: 3, fullname: 'Hj. Nurhayati', username: 'nurhayati', email: 'bendahara@example.com', user_type: 'admin' }
const periode = {
  id: 7,
  periode_name: 'Umroh Syawal 1448 H',
  start_date: '2026-01-01',
  end_date: '2026-12-31',
  target_amount: 12000000,
  created_at: '2025-12-15T02:00:00.000Z',
}
const payment = {
  id: 2,
  payment_name: 'Transfer BSI',
  payment_type: 'bank_transfer',
  account_number: '7123456789',
  account_holder: 'Talangraga Umroh',
  is_active: true,
  created_at: '2025-06-01T01:00:00.000Z',
}
const deposit = {
  id: 1287,
  amount: 1500000,
  transaction_date: '2026-11-28T01:30:00.000Z',
  bukti_transfer_url: 'https://umroh.example.com/files/receipts%2F2026-11%2F9f2c.jpg?exp=1796860800&sig=3q2-7w',
  status: 'completed',
  user_id: siti.id,
  user: nested(siti),
  reported_date: '2026-11-28T01:32:05.000Z',
  reported_by: nested(siti),
  confirmed_by: nested(bendahara),
  confirmed_at: '2026-11-28T09:10:44.000Z',
  payment_id: payment.id,
  payment,
  periode_id: periode.id,
  periode,
  is_duplicate_receipt: false,
  duplicate_of_id: null,
  receipt_number: '0137/KWT/XI/2026',
  status_note: null,
  created_at: '2026-11-28T01:32:05.000Z',
  updated_at: '2026-11-28T09:10:44.000Z',
}

export const openapiComponents: Record<string, NamedSchema> = {
  User: { schema: UserOut, example: siti },
  UserBrief: {
    schema: UserBrief,
    example: { id: siti.id, fullname: siti.fullname, username: siti.username, image_profile_url: null },
  },
  Periode: { schema: PeriodeOut, example: periode },
  Payment: { schema: PaymentOut, example: payment },
  Transaction: { schema: TransactionOut, example: deposit },
  TransactionDetail: {
    schema: TransactionDetailOut,
    example: {
      ...deposit,
      history: [
        { from_status: null, to_status: 'sent', changed_by: nested(siti), note: null, changes: null, created_at: deposit.reported_date },
        {
          from_status: 'sent',
          to_status: 'completed',
          changed_by: nested(bendahara),
          note: null,
          changes: null,
          created_at: deposit.confirmed_at,
        },
      ],
    },
  },
  PageMeta: { schema: Meta, example: { page: 1, per_page: 500, total: 64 } },
  FieldError: { schema: FieldError, example: { field: 'username', message: 'is already in use' } },
  Error: {
    schema: ErrorEnvelope,
    example: {
      code: 409,
      message: 'Username is already in use',
      data: null,
      errors: [{ field: 'username', message: 'is already in use' }],
    },
  },
}
