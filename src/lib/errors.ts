/**
 * The one error vocabulary of the API. Services throw these; the error-envelope plugin turns
 * them into `{code, message, data}` responses. Anything else becomes a generic 500 (or 503 when
 * the database is unreachable) with the details only in the log.
 */
export interface FieldError {
  field: string
  message: string
}

export class AppError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly data: unknown = null,
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
export const tooLarge = (message: string) => new AppError(413, message)
export const unavailable = (message = 'Service temporarily unavailable, please retry') =>
  new AppError(503, message, null, { 'Retry-After': '5' })

/** 422 naming the offending fields. */
export const validation = (errors: FieldError[] | string, field?: string) =>
  new AppError(422, 'Validation error', typeof errors === 'string' ? [{ field: field ?? 'body', message: errors }] : errors)

const REALM = 'Bearer realm="talangraga"'

/** 401 without credentials: RFC 6750 says no error code then. */
export const missingToken = () => new AppError(401, 'Not authenticated', null, { 'WWW-Authenticate': REALM })

/** 401 for a token that is malformed, expired, revoked or of the wrong kind. */
export const invalidToken = (message: string) =>
  new AppError(401, message, null, {
    'WWW-Authenticate': `${REALM}, error="invalid_token", error_description="${message.replace(/"/g, "'")}"`,
  })

export const EXPIRED_TOKEN_MESSAGE = 'Access token expired, please refresh your token'
