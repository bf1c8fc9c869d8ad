/**
 * The one error vocabulary of the API. Services throw these; the error-envelope plugin turns
 * them into `{code, message, data: null, errors?}` responses. Anything else becomes a generic 500
 * (or 503 when the database is unreachable) with the details only in the log.
 *
 * `data` is null on every error because the mobile app decodes an error's `data` into the success
 * type; field problems travel in `errors`, and `message` is a sentence naming the first one, since
 * `message` is all the app shows.
 */
import { type Locale, labelOf, translate } from '../i18n/index.js'

export interface FieldError {
  field: string
  message: string
}

export class AppError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly errors: FieldError[] | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
    this.name = 'AppError'
  }
}

export const badRequest = (message: string) => new AppError(400, message)
export const notFound = (what = 'Resource') => new AppError(404, `${what} not found`)
export const forbidden = (message = 'You do not have permission to perform this action') =>
  new AppError(403, message, null, { 'WWW-Authenticate': 'Bearer realm="talangraga", error="insufficient_scope"' })
export const conflict = (message: string) => new AppError(409, message)
export const unsupportedMedia = (message: string) => new AppError(415, message)
/** 403 for a refusal that no other token would change (a bad signed link, the console cookie without its header). */
export const refused = (message: string) => new AppError(403, message)
/** 429 with the seconds after which a retry can succeed. */
export const tooMany = (message: string, retryAfterSeconds: number | string) =>
  new AppError(429, message, null, { 'Retry-After': String(retryAfterSeconds) })

/**
 * One field problem as a sentence a person can act on: "Username is already in use" (in English;
 * `locale` gives it in another language). A message that is already a sentence (capitalised) is
 * kept as it is.
 */
export function sentenceOf(e: FieldError, locale: Locale = 'en'): string {
  if (/^[A-Z]/.test(e.message)) return translate(locale, e.message)
  return `${labelOf(e.field, locale)} ${translate(locale, e.message)}`
}

function fieldErrors(errors: FieldError[] | string, field?: string): FieldError[] {
  return typeof errors === 'string' ? [{ field: field ?? 'body', message: errors }] : errors
}

/** 422 naming the offending fields; the message is the first problem as a sentence. */
export const validation = (errors: FieldError[] | string, field?: string) => {
  const list = fieldErrors(errors, field)
  return new AppError(422, list[0] ? sentenceOf(list[0]) : 'The request is not valid', list)
}

/** 409 for values another record already holds, e.g. "Username is already in use". */
export const taken = (fields: string[]) => {
  const list = fields.map((f) => ({ field: f, message: 'is already in use' }))
  return new AppError(409, list[0] ? sentenceOf(list[0]) : 'Conflict with an existing record', list)
}

const REALM = 'Bearer realm="talangraga"'

/** 401 without credentials: RFC 6750 says no error code then. */
export const missingToken = () => new AppError(401, 'Not authenticated', null, { 'WWW-Authenticate': REALM })

/** 401 for wrong or missing credentials of another kind (a password, the metrics token), without an error code. */
export const unauthorized = (message: string, realm = 'talangraga') =>
  new AppError(401, message, null, { 'WWW-Authenticate': `Bearer realm="${realm}"` })

/** 400 for a request that breaks RFC 6750 itself (credentials sent twice). */
export const invalidRequest = (message: string) =>
  new AppError(400, message, null, { 'WWW-Authenticate': `${REALM}, error="invalid_request"` })

/** 401 for a token that is malformed, expired, revoked or of the wrong kind. */
export const invalidToken = (message: string) =>
  new AppError(401, message, null, {
    'WWW-Authenticate': `${REALM}, error="invalid_token", error_description="${message.replace(/"/g, "'")}"`,
  })

export const EXPIRED_TOKEN_MESSAGE = 'Access token expired, please refresh your token'
