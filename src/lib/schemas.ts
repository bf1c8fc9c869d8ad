/**
 * Shared TypeBox primitives and the response envelope. Every route builds its schemas from these,
 * so the wire format (ids, money, dates, the envelope) is defined once.
 */
import Type, { type TSchema } from 'typebox'

export { Type }

export const Id = Type.Integer({ minimum: 1, maximum: 2_147_483_647 })
/** An id in a path or form field: text on the wire, coerced by the text validator. */
export const IdParam = Type.Object({ id: Id })

/** Money on output: a JSON number with at most 2 decimals (the database holds NUMERIC). */
export const MoneyOut = Type.Number({ description: 'Amount in IDR, at most 2 decimals' })
/**
 * Money on input: a number or a decimal string (forms are text), exponents included ("1.25E7" is
 * how the app writes 12,500,000). Parsed exactly by lib/money.ts; never goes through float arithmetic.
 */
export const MoneyIn = Type.Union(
  [Type.Number({ exclusiveMinimum: 0 }), Type.String({ maxLength: 40, pattern: '^\\s*(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d{1,4})?\\s*$' })],
  {
    description: 'Amount in IDR: > 0, at most 2 decimals, at most 1,000,000,000,000',
  },
)

export const DateOnly = Type.String({ format: 'date', description: 'YYYY-MM-DD' })
export const Instant = Type.String({ format: 'date-time', description: 'ISO 8601 with offset' })
/** Instants accepted on input: ISO 8601 with or without offset, or `YYYY-MM-DD HH:mm[:ss]`. */
export const InstantIn = Type.String({
  minLength: 10,
  maxLength: 40,
  description: 'ISO 8601 (with or without offset) or YYYY-MM-DD HH:mm[:ss]; no offset = APP_TIMEZONE',
})

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])

export const FieldError = Type.Object({ field: Type.String(), message: Type.String() })

/** `{code, message, data}` around a payload schema. */
export const Envelope = <T extends TSchema>(data: T) => Type.Object({ code: Type.Integer(), message: Type.String(), data })

export const Meta = Type.Object({
  page: Type.Integer(),
  per_page: Type.Integer(),
  total: Type.Integer(),
})

/** List envelope: `data` stays a JSON array (the client parses List<T>) and `meta` is added. */
export const ListEnvelope = <T extends TSchema>(item: T) =>
  Type.Object({ code: Type.Integer(), message: Type.String(), data: Type.Array(item), meta: Meta })

/**
 * Every error: `data` is always null (the app decodes an error's `data` into the success type),
 * field problems are in `errors`, and `message` is a sentence naming the first problem.
 */
export const ErrorEnvelope = Type.Object(
  {
    code: Type.Integer({ description: 'the HTTP status' }),
    message: Type.String({ description: 'a sentence a person can act on; names the first field problem when there are any' }),
    data: Type.Null({ description: 'always null on errors' }),
    errors: Type.Optional(
      Type.Array(FieldError, { description: 'field problems (validation 422, conflicts 409), first one in `message`' }),
    ),
  },
  { description: 'Error envelope' },
)

/** Error responses every authenticated route may give; merged into each route's `response`. */
export const authErrors = {
  401: ErrorEnvelope,
  403: ErrorEnvelope,
  422: ErrorEnvelope,
  429: ErrorEnvelope,
  503: ErrorEnvelope,
}
export const errorResponses = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [c, ErrorEnvelope])) as Record<number, typeof ErrorEnvelope>

export const Pagination = Type.Object({
  page: Type.Integer({ minimum: 1, default: 1 }),
  per_page: Type.Integer({ minimum: 1, maximum: 1000, default: 50 }),
})

/** Build a success envelope. */
export function ok<T>(data: T, message = 'Success', code = 200) {
  return { code, message, data }
}

export function okList<T>(data: T[], meta: { page: number; per_page: number; total: number }, message = 'Success') {
  return { code: 200, message, data, meta }
}

export const MessageOnly = Envelope(Type.Null())
