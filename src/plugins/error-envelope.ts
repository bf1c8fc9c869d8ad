/**
 * Every failure leaves the server as `{code, message, data: null}` with the right status, plus
 * `errors: [{field, message}]` for field problems (then `message` names the first one).
 * Typed AppErrors carry their own status; validation errors become 422 with field errors; the
 * database being unreachable becomes 503; anything unexpected becomes a generic 500 whose details
 * (stack, SQL) go only to the log, tagged with the request id.
 */
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import findMyWay, { type HTTPMethod } from 'find-my-way'
import { translate } from '../i18n/index.js'
import { AppError, type FieldError, sentenceOf, validation } from '../lib/errors.js'
import { isMalformedMultipart, MALFORMED_MULTIPART } from './uploads.js'
import { toFieldErrors } from './validation.js'

const DB_DOWN_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', '57P01', '57P02', '57P03'])
const DB_DOWN_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Query read timeout',
  'Client has encountered a connection error',
  'canceling statement due to statement timeout',
  'PGlite is closed',
]

/** Walk the cause chain (Drizzle wraps driver errors) looking for a connection failure. */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err as { code?: string; message?: string; cause?: unknown } | undefined, i = 0; e && i < 5; i++) {
    const code = typeof e.code === 'string' ? e.code : ''
    if (DB_DOWN_CODES.has(code) || code.startsWith('08')) return true
    if (e.code === '57014') return true // statement timeout
    if (typeof e.message === 'string' && DB_DOWN_MESSAGES.some((m) => e?.message?.includes(m))) return true
    e = e.cause as typeof e
  }
  return false
}

function pgCode(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, i = 0; e && i < 5; i++) {
    if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return e.code
    e = e.cause as typeof e
  }
  return undefined
}

/**
 * The message and field problems in the request's language (Accept-Language, saved locale,
 * APP_LOCALE). `field`, the status and the headers are the same in every language.
 */
function localised(request: FastifyRequest, message: string, errors: FieldError[] | null) {
  const locale = request.locale
  if (locale === 'en') return { message, errors }
  const first = errors?.[0]
  // A validation or conflict message is the first field problem as a sentence: say it again in
  // the target language rather than translating the English sentence.
  const localisedMessage = first && message === sentenceOf(first) ? sentenceOf(first, locale) : translate(locale, message)
  return { message: localisedMessage, errors: errors?.map((e) => ({ field: e.field, message: translate(locale, e.message) })) ?? null }
}

function send(
  reply: FastifyReply,
  status: number,
  englishMessage: string,
  englishErrors: FieldError[] | null = null,
  headers: Record<string, string> = {},
) {
  for (const [k, v] of Object.entries(headers)) reply.header(k, v)
  const { message, errors } = localised(reply.request, englishMessage, englishErrors)
  const body = errors?.length ? { code: status, message, data: null, errors } : { code: status, message, data: null }
  return reply.code(status).type('application/json; charset=utf-8').send(body)
}

function sendAppError(reply: FastifyReply, err: AppError) {
  return send(reply, err.statusCode, err.message, err.errors, err.headers)
}

/**
 * Errors Node's HTTP parser meets before Fastify sees a request (a malformed request line, headers
 * too large, a URL over the parser's limit) are written straight to the socket: in the envelope
 * too, so even these decode in the app.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket) {
  if (!socket.writable) return socket.destroy()
  const [status, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'The request headers are too large']
      : err.code === 'HPE_URI_TOO_LONG' || err.code === 'HPE_INVALID_URL'
        ? [414, 'The address is too long or malformed']
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'The request took too long to arrive; please retry']
          : [400, 'The request could not be read; check its format and headers']
  const body = JSON.stringify({ code: status, message, data: null })
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  )
}

/**
 * Errors of the router, before any route or hook runs (a path parameter over maxParamLength, a
 * malformed percent-encoding): Fastify's default body echoes the path and has no `data`.
 */
export function frameworkErrors(err: FastifyError, _request: FastifyRequest, reply: FastifyReply) {
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') return send(reply, 414, 'The address is too long; shorten the path')
  if (err.code === 'FST_ERR_BAD_URL') return send(reply, 400, 'The address is malformed; check its percent-encoding')
  return send(reply, err.statusCode && err.statusCode >= 400 ? err.statusCode : 400, 'The request could not be routed; check the address')
}

async function errorEnvelope(app: FastifyInstance) {
  app.setErrorHandler((err: FastifyError | AppError | Error, request: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof AppError) {
      if (err.statusCode >= 500) request.log.warn({ err }, err.message)
      return sendAppError(reply, err)
    }
    const fe = err as FastifyError
    if (fe.validation) {
      return sendAppError(reply, validation(toFieldErrors(fe.validation, fe.validationContext)))
    }
    if (fe.statusCode === 429) {
      return send(reply, 429, 'Too many requests, please try again later')
    }
    if (fe.code === 'FST_REQ_FILE_TOO_LARGE' || fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || fe.statusCode === 413) {
      return send(reply, 413, 'The request body or file is too large; send a smaller file')
    }
    if (fe.code === 'FST_ERR_MAX_PARAM_LENGTH' || fe.statusCode === 414) {
      return send(reply, 414, 'The address is too long; shorten the path or query string')
    }
    if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || fe.statusCode === 415) {
      return send(reply, 415, 'Unsupported content type; send application/json or multipart/form-data')
    }
    if (fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
      return send(reply, 400, 'The request body is empty; send a JSON object')
    }
    if (request.isMultipart() && isMalformedMultipart(fe)) return send(reply, 400, MALFORMED_MULTIPART)
    if (isDatabaseUnavailable(err)) {
      request.log.error({ err: { message: err.message, code: fe.code } }, 'database unavailable')
      return send(reply, 503, 'Service temporarily unavailable, please retry', null, { 'Retry-After': '5' })
    }
    const code = pgCode(err)
    if (code === '23505') return send(reply, 409, 'This conflicts with an existing record; reload and try again')
    if (code === '23503') return send(reply, 409, 'The record is referenced by or refers to another record')
    if (code === '23514' || code === '22003') return sendAppError(reply, validation('has a value out of the allowed range', 'body'))
    // Text the database cannot store (a NUL that reached SQL around the validator): the input's fault.
    if (code === '22021' || code === '22P05')
      return sendAppError(reply, validation('contains a character that cannot be stored (NUL)', 'body'))
    if (code === '40001' || code === '40P01') return send(reply, 409, 'Concurrent update, please retry')
    if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
      // Fastify's own client errors (malformed JSON, bad headers): keep the status, keep it generic.
      const message =
        fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError
          ? 'The request body is not valid JSON; check the syntax'
          : 'The request could not be read; check its format and headers'
      return send(reply, fe.statusCode, message)
    }
    request.log.error({ err }, 'unhandled error')
    return send(reply, 500, 'Internal server error')
  })

  // The API reads JSON and multipart only. Fastify's built-in text/plain parser would hand a string
  // to the body schema and answer 422; without it an unexpected content type is a 415 (R34).
  app.removeContentTypeParser('text/plain')

  // A shadow router of every registered path answers "which methods does this path have?", so a
  // known path with the wrong method is 405 with Allow (SECURITY R34) and only unknown paths are 404.
  const known = findMyWay({ ignoreTrailingSlash: true, maxParamLength: 200 })
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD' && !known.hasRoute(method as HTTPMethod, route.url)) known.on(method as HTTPMethod, route.url, () => {})
    }
  })
  const METHODS: HTTPMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/'
    const allowed = METHODS.filter((m) => known.find(m, path) !== null)
    if (allowed.length) {
      reply.header('Allow', allowed.join(', '))
      return send(reply, 405, `Method ${request.method} is not allowed here; use ${allowed.join(' or ')}`)
    }
    return send(reply, 404, `Route ${request.method} ${path} not found`)
  })
}

export default fp(errorEnvelope, { name: 'error-envelope', fastify: '5.x' })
