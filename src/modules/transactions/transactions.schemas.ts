/** Transaction JSON (the client's DTO), request schemas for both media types, and the row mapper. */
import type { Static, TSchema } from 'typebox'
import { Envelope, Id, Instant, InstantIn, Meta, MoneyOut, Nullable, Type } from '../../lib/schemas.js'
import type { UrlSigner } from '../files/signing.js'
import { PaymentOut } from '../payments/payments.schemas.js'
import { PeriodeOut } from '../periodes/periodes.schemas.js'
import { UserNested } from '../users/users.schemas.js'
import { FilterQuery } from './transactions.filter.js'
import { type HistoryRow, TRANSACTION_STATUSES, type TransactionRow, type TransactionStatus, type Viewer } from './transactions.queries.js'

export type { TransactionStatus }
/** The statuses of the database enum, as a request and response schema. */
export const StatusSchema = Type.Unsafe<TransactionStatus>(Type.Union(TRANSACTION_STATUSES.map((s) => Type.Literal(s))))

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

const Note = Type.String({ maxLength: 1000, description: 'the reason; required for rejected and needs_correction' })
export const StatusBody = Type.Object({ status: StatusSchema, note: Type.Optional(Note) })

export const MAX_BULK_IDS = 500
export const BulkStatusBody = Type.Object({
  ids: Type.Array(Id, { minItems: 1, maxItems: MAX_BULK_IDS }),
  status: StatusSchema,
  note: Type.Optional(Note),
})

/** Correction by the owner or reporter (PUT /transactions/{id}): every field optional. */
export const CorrectJson = Type.Object({
  amount: Type.Optional(AmountIn),
  transaction_date: Type.Optional(InstantIn),
  periode_id: IdOrNull,
  payment_id: IdOrNull,
})
export const CorrectForm = Type.Object({
  amount: Type.Optional(FormAmount),
  transaction_date: Type.Optional(InstantIn),
  periode_id: Type.Optional(Id),
  payment_id: Type.Optional(Id),
  file: Type.Optional(Type.String({ format: 'binary', description: 'a new receipt: JPEG, PNG, WebP or PDF' })),
})

export const ListQuery = Type.Object({
  ...FilterQuery.properties,
  // Without page and per_page: every matching row, streamed (the app never paginates and deletes
  // locally whatever a list leaves out). With either: that page (page 1, 500 rows by default).
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'omit both page and per_page for every row' })),
  per_page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'default 500 when page is given' })),
})

export const DEFAULT_PER_PAGE = 500

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
  receipt_number: Nullable(
    Type.String({ description: 'Kuitansi number `<NNNN>/KWT/<month in Roman numerals>/<year>`; null until completed' }),
  ),
  status_note: Nullable(
    Type.String({ description: 'the reason given with the change to the current status (rejection, correction request)' }),
  ),
  created_at: Instant,
  updated_at: Instant,
})

/** A transaction's JSON, as the mapper makes it. */
export type TransactionJson = Static<typeof TransactionOut>

const Change = Type.Object({ from: Type.Unknown(), to: Type.Unknown() })
export const HistoryOut = Type.Object({
  from_status: Nullable(StatusSchema),
  to_status: StatusSchema,
  changed_by: Nullable(UserNested),
  note: Nullable(Type.String()),
  changes: Nullable(Type.Record(Type.String(), Change, { description: 'a correction: each changed field with its old and new value' })),
  created_at: Instant,
})

export const TransactionDetailOut = Type.Object({ ...TransactionOut.properties, history: Type.Array(HistoryOut) })

/**
 * The same wire schema, written so that fast-json-stringify serialises it without a validator:
 * `anyOf [X, null]` becomes X with `nullable: true` (OpenAPI 3.0's form; checked with `=== null`)
 * and a union of string literals becomes a string `enum`. For each `anyOf` the serialiser runs an
 * Ajv validation of the value against every branch, i.e. per row, per nullable nested user, ~10
 * validations: on a 500-row list that was most of the serialisation time.
 */
function serialisable(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(serialisable)
  if (!schema || typeof schema !== 'object') return schema
  const { anyOf, ...rest } = schema as Record<string, unknown>
  if (Array.isArray(anyOf)) {
    const branches = anyOf as Record<string, unknown>[]
    if (branches.every((b) => b.type === 'string' && typeof b.const === 'string')) {
      return { ...rest, type: 'string', enum: branches.map((b) => b.const) }
    }
    const others = branches.filter((b) => b.type !== 'null')
    if (branches.length === 2 && others.length === 1) {
      return { ...(serialisable(others[0]) as object), ...rest, nullable: true }
    }
  }
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(schema as Record<string, unknown>)) out[k] = serialisable(v)
  return out
}
const fast = <T extends TSchema>(schema: T) => Type.Unsafe<Static<T>>(serialisable(schema) as object)

export const TransactionResponse = Envelope(fast(TransactionOut))
export const TransactionDetailResponse = Envelope(fast(TransactionDetailOut))
export const BatchResponse = Envelope(Type.Array(fast(TransactionOut)))
export const BulkStatusResponse = Envelope(
  Type.Array(
    Type.Object({
      id: Id,
      ok: Type.Boolean(),
      code: Type.Integer({ description: 'the HTTP status this change alone would have had' }),
      message: Type.String(),
      transaction: Type.Optional(fast(TransactionOut)),
    }),
  ),
)

/** The list envelope, with the exact sums of the filtered rows (computed in SQL) added to meta. */
export const TransactionListResponse = Type.Object({
  code: Type.Integer(),
  message: Type.String(),
  data: Type.Array(fast(TransactionOut)),
  meta: Type.Object({
    ...Meta.properties,
    total_amount: MoneyOut,
    completed_amount: MoneyOut,
    pending_amount: MoneyOut,
  }),
})

export type { Viewer }

/** A key to sign in a list page's text: chr(1), the key as a JSON string, chr(1) (jKey in transactions.queries.ts). */
const MARK = String.fromCharCode(1)

/** A JSON string literal, or null. */
const jsonOrNull = (s: string | null) => (s === null ? 'null' : JSON.stringify(s))

/**
 * The one mapper of the transaction JSON, from the one row selection (q.TransactionRow: the JSON
 * text PostgreSQL wrote, in parts): it adds the signed receipt and profile-image URLs between the
 * parts. `text` is what lists stream and cache, without building an object per row; `json` is the
 * same as an object for the single-deposit answers (get, create, batch, status changes, replays),
 * which their response schemas serialise. The email rule is applied in the SQL (personJson).
 */
export function transactionMapper(signer: Pick<UrlSigner, 'url'>) {
  const url = (key: string | null) => jsonOrNull(signer.url(key))
  const text = (r: TransactionRow): string =>
    r.j_head +
    (r.file_key ? url(r.file_key) : jsonOrNull(r.legacy_proof_url)) +
    r.j_owner +
    url(r.o_image) +
    r.j_reporter +
    url(r.r_image) +
    r.j_confirmer +
    (r.c_present ? `${url(r.c_image)}}` : 'null') +
    r.j_tail
  const history = (h: HistoryRow): string => h.h_head + (h.changer_present ? `${url(h.changer_image)}}` : 'null') + h.h_tail
  /** A list page's text (q.PageText): each marked key becomes its signed URL, as `text` puts them. */
  const fillKeys = (page: string): string => {
    // Split on the marks: every odd piece is a key as a JSON string.
    const pieces = page.split(MARK)
    for (let i = 1; i < pieces.length; i += 2) {
      const key = pieces[i] as string
      pieces[i] = url(key.includes('\\') ? (JSON.parse(key) as string) : key.slice(1, -1))
    }
    return pieces.join('')
  }
  return {
    text,
    fillKeys,
    json: (r: TransactionRow) => JSON.parse(text(r)) as TransactionJson,
    history: (h: HistoryRow) => JSON.parse(history(h)) as Static<typeof HistoryOut>,
  }
}
