/** Schemas of the kuitansi routes. */
import { DateOnly, Envelope, IdParam, MoneyOut, Type } from '../../lib/schemas.js'
import { RECEIPT_NUMBER_PATTERN } from './receipt-number.js'

export { IdParam }

export const PdfBody = { description: 'A PDF document', type: 'string', format: 'binary' } as const

export const VerifyParams = Type.Object({
  number: Type.String({ maxLength: 40, description: 'Receipt number, URL-encoded (e.g. 0042%2FKWT%2FXI%2F2026)' }),
})
export const VerifyQuery = Type.Object({
  // Text on purpose: a malformed signature is the same 404 as a wrong one, not a 422.
  sig: Type.Optional(Type.String({ maxLength: 128, description: 'Signature from the link printed on the kuitansi' })),
})

export const VerifyOut = Type.Object({
  valid: Type.Literal(true),
  receipt_number: Type.String({ pattern: RECEIPT_NUMBER_PATTERN }),
  amount: MoneyOut,
  amount_text: Type.String({ description: 'As printed: Rp 12.500.000' }),
  deposit_date: DateOnly,
  deposit_date_text: Type.String({ description: 'As printed: 28 November 2026' }),
  member_initials: Type.String({ description: "The member's initials only (S. N. A.)" }),
})
export const VerifyResponse = Envelope(VerifyOut)

export const StatementQuery = Type.Object({
  from: Type.Optional(DateOnly),
  to: Type.Optional(DateOnly),
})
