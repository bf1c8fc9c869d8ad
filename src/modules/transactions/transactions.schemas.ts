/** Transaction JSON (the client's DTO), request schemas for both media types, and the row mapper. */
import { toMoney } from '../../lib/money.js'
import { Envelope, Id, Instant, InstantIn, Meta, MoneyOut, Nullable, Type } from '../../lib/schemas.js'
import type { UrlSigner } from '../files/signing.js'
import { PaymentOut, type PaymentRow, toPaymentJson } from '../payments/payments.schemas.js'
import { PeriodeOut, type PeriodeRow, toPeriodeJson } from '../periodes/periodes.schemas.js'
import { toUserNested, UserNested, type UserRow } from '../users/users.schemas.js'

export const STATUSES = ['sent', 'on_process', 'completed', 'rejected'] as const
export type TransactionStatus = (typeof STATUSES)[number]
export const StatusSchema = Type.Union([
  Type.Literal('sent'),
  Type.Literal('on_process'),
  Type.Literal('completed'),
  Type.Literal('rejected'),
])

/**
 * Amounts arrive as numbers (JSON) or text (forms, or JSON from clients that send strings). Only
 * the shape is checked here; lib/money.ts parseAmount() decides exactly, with a readable 422.
 */
const AMOUNT_DOC = 'IDR: > 0, at most 2 decimals, at most 1,000,000,000,000 (number or decimal string)'
const AmountIn = Type.Union([Type.Number(), Type.String({ maxLength: 32 })], { description: AMOUNT_DOC })
const FormAmount = Type.String({ maxLength: 32, description: AMOUNT_DOC })
const IdOrNull = Type.Optional(Nullable(Id))

export const CreateJson = Type.Object({
  user_id: Type.Optional(Id),
  userId: Type.Optional(Id),
  amount: AmountIn,
  transaction_date: InstantIn,
  periode_id: IdOrNull,
  payment_id: IdOrNull,
})

/** The existing mobile client's form: exact field names. `reportedByUserId` is accepted and ignored. */
export const CreateForm = Type.Object({
  userId: Type.Optional(Id),
  user_id: Type.Optional(Id),
  reportedByUserId: Type.Optional(Type.String({ maxLength: 20, description: 'ignored: the reporter is always the caller' })),
  amount: FormAmount,
  transaction_date: InstantIn,
  periode_id: Type.Optional(Id),
  payment_id: Type.Optional(Id),
  file: Type.Optional(Type.String({ format: 'binary', description: 'receipt: JPEG, PNG, WebP or PDF (required for members)' })),
})

export const Allocation = Type.Object({ user_id: Id, amount: AmountIn })
export const MAX_ALLOCATIONS = 100

export const BatchJson = Type.Object({
  allocations: Type.Array(Allocation, { minItems: 1, maxItems: MAX_ALLOCATIONS }),
  transaction_date: InstantIn,
  periode_id: IdOrNull,
  payment_id: IdOrNull,
})

export const BatchForm = Type.Object({
  allocations: Type.String({ minLength: 2, maxLength: 20_000, description: 'JSON array text: [{"user_id": 1, "amount": "50000"}, ...]' }),
  transaction_date: InstantIn,
  periode_id: Type.Optional(Id),
  payment_id: Type.Optional(Id),
  file: Type.Optional(Type.String({ format: 'binary', description: 'one receipt for every allocation (required for members)' })),
})

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      description: 'Retry-safe submission: the same key (per user, 24 h) with the same request replays the first result',
    }),
  ),
})

export const StatusBody = Type.Object({
  status: StatusSchema,
  note: Type.Optional(Type.String({ maxLength: 1000 })),
})

export const ListQuery = Type.Object({
  periode_id: Type.Optional(Id),
  status: Type.Optional(StatusSchema),
  payment_id: Type.Optional(Id),
  user_id: Type.Optional(Id),
  from: Type.Optional(InstantIn),
  to: Type.Optional(InstantIn),
  page: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1 }),
  // The existing client never paginates: 500 rows covers a whole periode of a community.
  per_page: Type.Integer({ minimum: 1, maximum: 1000, default: 500 }),
})

export const TransactionOut = Type.Object({
  id: Id,
  amount: MoneyOut,
  transaction_date: Instant,
  bukti_transfer_url: Nullable(Type.String()),
  status: StatusSchema,
  user_id: Id,
  user: UserNested,
  reported_date: Instant,
  reported_by: UserNested,
  confirmed_by: Nullable(UserNested),
  confirmed_at: Nullable(Instant),
  payment_id: Nullable(Id),
  payment: Nullable(PaymentOut),
  periode_id: Nullable(Id),
  periode: Nullable(PeriodeOut),
  is_duplicate_receipt: Type.Boolean(),
  duplicate_of_id: Nullable(Id),
  created_at: Instant,
  updated_at: Instant,
})

export const HistoryOut = Type.Object({
  from_status: Nullable(StatusSchema),
  to_status: StatusSchema,
  changed_by: Nullable(UserNested),
  note: Nullable(Type.String()),
  created_at: Instant,
})

export const TransactionDetailOut = Type.Object({ ...TransactionOut.properties, history: Type.Array(HistoryOut) })

export const TransactionResponse = Envelope(TransactionOut)
export const TransactionDetailResponse = Envelope(TransactionDetailOut)
export const BatchResponse = Envelope(Type.Array(TransactionOut))

/** The list envelope, with the exact sums of the filtered rows (computed in SQL) added to meta. */
export const TransactionListResponse = Type.Object({
  code: Type.Integer(),
  message: Type.String(),
  data: Type.Array(TransactionOut),
  meta: Type.Object({
    ...Meta.properties,
    total_amount: MoneyOut,
    completed_amount: MoneyOut,
    pending_amount: MoneyOut,
  }),
})

type NestedUser = Pick<UserRow, 'id' | 'fullname' | 'username' | 'email' | 'userType' | 'imageProfileKey'>

/** One transaction row with its joined owner, reporter, confirmer, payment and periode. */
export interface TransactionView {
  tx: {
    id: number
    amount: string
    transactionDate: Date
    status: TransactionStatus
    userId: number
    reportedBy: number
    confirmedAt: Date | null
    paymentId: number | null
    periodeId: number | null
    fileKey: string | null
    duplicateOfId: number | null
    legacyProofUrl: string | null
    reportedDate: Date
    createdAt: Date
    updatedAt: Date
  }
  owner: NestedUser
  reporter: NestedUser
  confirmer: NestedUser | null
  payment: PaymentRow | null
  periode: PeriodeRow | null
}

/** Who is looking: members see other people's email as null (no other member's personal data, R29). */
export interface Viewer {
  userId: number
  role: 'admin' | 'member'
}

export function nestedUserJson(u: NestedUser, signer: UrlSigner, viewer: Viewer) {
  const json = toUserNested(u, signer)
  if (viewer.role !== 'admin' && u.id !== viewer.userId) json.email = null
  return json
}

export function toTransactionJson(v: TransactionView, signer: UrlSigner, viewer: Viewer) {
  const t = v.tx
  return {
    id: t.id,
    amount: toMoney(t.amount) as number,
    transaction_date: t.transactionDate.toISOString(),
    bukti_transfer_url: t.fileKey ? signer.url(t.fileKey) : (t.legacyProofUrl ?? null),
    status: t.status,
    user_id: t.userId,
    user: nestedUserJson(v.owner, signer, viewer),
    reported_date: t.reportedDate.toISOString(),
    reported_by: nestedUserJson(v.reporter, signer, viewer),
    confirmed_by: v.confirmer ? nestedUserJson(v.confirmer, signer, viewer) : null,
    confirmed_at: t.confirmedAt ? t.confirmedAt.toISOString() : null,
    payment_id: t.paymentId,
    payment: v.payment ? toPaymentJson(v.payment) : null,
    periode_id: t.periodeId,
    periode: v.periode ? toPeriodeJson(v.periode) : null,
    is_duplicate_receipt: t.duplicateOfId !== null,
    duplicate_of_id: t.duplicateOfId,
    created_at: t.createdAt.toISOString(),
    updated_at: t.updatedAt.toISOString(),
  }
}
export type TransactionJson = ReturnType<typeof toTransactionJson>
