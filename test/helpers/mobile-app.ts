/**
 * The existing mobile app's requests, built byte for byte as its Ktor 3 client writes them, and
 * its decoding rules (kotlinx.serialization, ignoreUnknownKeys; a property without a default must
 * be present, a non-null one must not be null). See ../shared/CLIENT.md.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'

/** Kotlin's Double.toString(): "1500000.0" below ten million, "1.0E7" / "1.25E7" from there up. */
export function kotlinDouble(value: number): string {
  if (value !== 0 && (Math.abs(value) >= 1e7 || Math.abs(value) < 1e-3)) {
    const [mantissa, exponent] = value.toExponential().split('e') as [string, string]
    return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${Number(exponent)}`
  }
  const text = String(value)
  return text.includes('.') ? text : `${text}.0`
}

export interface KtorFile {
  name: string
  filename: string
  contentType: string
  data: Buffer
}

/**
 * MultiPartFormDataContent(formData { append(k, v) ... }): each part's headers are written as
 * `Key: value1; value2`, names unquoted (escapeIfNeeded), a file part's own Content-Disposition
 * value ("filename=...") joined onto "form-data; name=file", and a Content-Length on byte parts.
 */
export function ktorMultipart(fields: Record<string, string>, files: KtorFile[] = []) {
  const boundary = randomBytes(16).toString('hex')
  const chunks: Buffer[] = []
  for (const [name, value] of Object.entries(fields)) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name=${name}\r\n\r\n${value}\r\n`))
  }
  for (const f of files) {
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name=${f.name}; filename="${f.filename}"\r\nContent-Type: ${f.contentType}\r\nContent-Length: ${f.data.length}\r\n\r\n`,
      ),
      f.data,
      Buffer.from('\r\n'),
    )
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`))
  const payload = Buffer.concat(chunks)
  return { payload, headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(payload.length) } }
}

type Json = Record<string, unknown>
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

/** A property the DTO declares without a default: the key must be there (null allowed if nullable). */
function required(o: Json, key: string, what: string, check: (v: unknown) => boolean, nullable = false) {
  assert.ok(key in o, `${what}: missing required key ${key}`)
  const v = o[key]
  if (v === null) assert.ok(nullable, `${what}: ${key} is null but not nullable`)
  else assert.ok(check(v), `${what}: ${key} has the wrong type (${JSON.stringify(v)})`)
}
function optional(o: Json, key: string, what: string, check: (v: unknown) => boolean) {
  if (o[key] === undefined || o[key] === null) return
  assert.ok(check(o[key]), `${what}: ${key} has the wrong type (${JSON.stringify(o[key])})`)
}
const isInt = (v: unknown) => Number.isInteger(v)
const isString = (v: unknown) => typeof v === 'string'
const isNumber = (v: unknown) => typeof v === 'number' && Number.isFinite(v)
const isDate = (v: unknown) => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v)
/** kotlinx.datetime Instant.parse: ISO 8601 with an offset. */
const isInstant = (v: unknown) =>
  typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(v) && !Number.isNaN(Date.parse(v))

/** DataResponse<T>: `data` key required (nullable), `code: Int?`, `message: String?`. */
export function dataResponse(body: unknown, what: string): unknown {
  assert.ok(isObject(body), `${what}: not a JSON object`)
  required(body, 'data', what, () => true, true)
  optional(body, 'code', what, isInt)
  optional(body, 'message', what, isString)
  return body.data
}

/** What the app does with an error: decodes it as DataResponse, data null, shows `message`. */
export function appError(body: unknown, what: string): string {
  const data = dataResponse(body, what)
  assert.equal(data, null, `${what}: an error must carry data: null`)
  const message = (body as Json).message
  assert.ok(typeof message === 'string' && message.length > 0, `${what}: the app would show no message`)
  assert.notEqual(message, 'Validation error', `${what}: the message must name the problem`)
  return message as string
}

export function userDto(v: unknown, what = 'UserResponse') {
  assert.ok(isObject(v), `${what}: not an object`)
  required(v, 'id', what, isInt)
  for (const k of ['fullname', 'username', 'email', 'phone_number', 'domisili', 'user_type', 'image_profile_url'])
    optional(v, k, what, isString)
  optional(v, 'is_active', what, (x) => typeof x === 'boolean')
}

export function periodeDto(v: unknown, what = 'PeriodeResponse') {
  assert.ok(isObject(v), `${what}: not an object`)
  required(v, 'id', what, isInt)
  required(v, 'periode_name', what, isString)
  required(v, 'start_date', what, isDate)
  required(v, 'end_date', what, isDate)
}

export function paymentDto(v: unknown, what = 'PaymentResponse') {
  assert.ok(isObject(v), `${what}: not an object`)
  required(v, 'id', what, isInt)
  required(v, 'payment_name', what, isString)
  required(v, 'payment_type', what, isString)
}

export function transactionDto(v: unknown, what = 'TransactionResponse') {
  assert.ok(isObject(v), `${what}: not an object`)
  required(v, 'id', what, isInt)
  required(v, 'amount', what, isNumber)
  required(v, 'transaction_date', what, isInstant)
  required(v, 'user_id', what, isInt)
  required(v, 'reported_date', what, isString)
  required(v, 'status', what, isString, true)
  for (const k of ['user', 'reported_by', 'confirmed_by']) if (v[k] != null) userDto(v[k], `${what}.${k}`)
  if (v.payment != null) paymentDto(v.payment, `${what}.payment`)
  if (v.periode != null) periodeDto(v.periode, `${what}.periode`)
}

/** data must be a list of T (the app parses List<T>). */
export function listOf(data: unknown, item: (v: unknown, what?: string) => void, what: string): Json[] {
  assert.ok(Array.isArray(data), `${what}: data is not a list`)
  for (const [i, v] of data.entries()) item(v, `${what}[${i}]`)
  return data as Json[]
}

/** The refresh handler decodes TokenResponse at the top level: a blank access_token logs out. */
export function refreshAnswer(body: unknown, what = 'refresh'): { access_token: string; refresh_token: string } {
  assert.ok(isObject(body), `${what}: not an object`)
  assert.ok(typeof body.access_token === 'string' && body.access_token.trim() !== '', `${what}: no access_token at the top level`)
  optional(body, 'refresh_token', what, isString)
  if (body.user != null) userDto(body.user, `${what}.user`)
  return body as { access_token: string; refresh_token: string }
}
