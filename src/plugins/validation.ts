/**
 * Request validation. Two Ajv instances, chosen per request part, because coercion is a
 * security decision (SECURITY.md R35/R36):
 *  - JSON bodies: no type coercion ("1" is not 1), unknown keys stripped;
 *  - text on the wire (query string, path params, multipart form fields): coerced to the schema
 *    type, but never from an array (a repeated query parameter is a 422, not "the first one").
 * Every string input, whatever its schema, refuses the NUL character (PostgreSQL text cannot hold
 * it): a 422 naming the field instead of a 500 from the database.
 */
import Ajv, { type ErrorObject, type Options } from 'ajv'
import addFormats from 'ajv-formats'
import type { FastifySchemaCompiler } from 'fastify'
import type { FastifySchemaValidationError } from 'fastify/types/schema.js'
import type { FieldError } from '../lib/errors.js'

const common: Options = {
  removeAdditional: true,
  useDefaults: true,
  allErrors: true,
  strict: false,
  // Errors carry their schema, so a message can say what is expected (formats, allowed values)
  // without echoing the input.
  verbose: true,
}

function makeAjv(coerceTypes: boolean) {
  const ajv = new Ajv.default({ ...common, coerceTypes })
  addFormats.default(ajv, ['date', 'date-time', 'email', 'uri', 'uuid'])
  // Binary file fields exist in multipart schemas for documentation; the file itself is validated
  // by its bytes in the upload pipeline.
  ajv.addFormat('binary', true)
  ajv.addKeyword({
    keyword: NO_NUL,
    type: 'string',
    errors: true,
    validate: function noNul(_schema: unknown, data: string) {
      if (!data.includes('\0')) return true
      ;(noNul as { errors?: Partial<ErrorObject>[] }).errors = [
        { keyword: NO_NUL, message: 'must not contain the NUL character (\\u0000)', params: {} },
      ]
      return false
    },
  })
  return ajv
}

const NO_NUL = 'x-no-nul'

/** A copy of `schema` in which every node that may be a string also refuses NUL characters. */
export function withNoNul(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withNoNul)
  if (!schema || typeof schema !== 'object') return schema
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(schema)) {
    // `properties` maps names to schemas, `enum`/`const`/`default` hold values, never schemas.
    if (k === 'properties' || k === 'patternProperties' || k === '$defs' || k === 'definitions') {
      out[k] = Object.fromEntries(Object.entries(v as object).map(([name, sub]) => [name, withNoNul(sub)]))
    } else if (k === 'enum' || k === 'const' || k === 'default' || k === 'examples') out[k] = v
    else out[k] = typeof v === 'object' ? withNoNul(v) : v
  }
  const type = out.type
  if (type === 'string' || (Array.isArray(type) && type.includes('string'))) out[NO_NUL] = true
  return out
}

const jsonAjv = makeAjv(false)
const textAjv = makeAjv(true)

/** Top-level properties that are integers (alone or as a branch of a union). */
function integerProperties(schema: unknown): string[] {
  const props = (schema as { properties?: Record<string, { type?: unknown; anyOf?: { type?: unknown }[] }> }).properties ?? {}
  return Object.entries(props)
    .filter(([, p]) => p.type === 'integer' || p.anyOf?.some((b) => b.type === 'integer'))
    .map(([k]) => k)
}

const PLAIN_INTEGER = /^-?\d{1,16}$/

type Validate = ((data: unknown) => boolean) & { errors?: FastifySchemaValidationError[] | null }

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart, contentType }) => {
  const useText = httpPart !== 'body' || (contentType !== undefined && contentType !== 'application/json')
  const validate = (useText ? textAjv : jsonAjv).compile(withNoNul(schema) as object) as Validate
  const integers = useText ? integerProperties(schema) : []
  if (!integers.length) return validate
  // Ajv coerces text with Number(): " 1", "+1", "1e0" and "0x1" would all be 1. An id in a path,
  // query or form is plain decimal digits or it is refused (a fuzzed "%201" once meant id 1).
  const strict: Validate = (data) => {
    const record = data as Record<string, unknown> | null
    const bad =
      record && typeof record === 'object'
        ? integers.filter((k) => typeof record[k] === 'string' && !PLAIN_INTEGER.test(record[k] as string))
        : []
    if (bad.length) {
      strict.errors = bad.map((k) => ({
        instancePath: `/${k}`,
        schemaPath: `#/properties/${k}/type`,
        keyword: 'type',
        message: 'must be a whole number in plain decimal digits',
        params: {},
      }))
      return false
    }
    const ok = validate(data)
    strict.errors = validate.errors
    return ok
  }
  return strict
}

const TYPE_NAMES: Record<string, string> = {
  integer: 'a whole number',
  number: 'a number',
  string: 'text',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
  null: 'null',
}
const FORMAT_NAMES: Record<string, string> = {
  date: 'a date (YYYY-MM-DD)',
  'date-time': 'an ISO 8601 instant',
  email: 'an email address',
  uri: 'a URL',
  uuid: 'a UUID',
}

type AjvError = Partial<ErrorObject> & { parentSchema?: { description?: string; anyOf?: { const?: unknown }[] } }

/** What an Ajv error means, as the end of a sentence that starts with the field's name. */
function describe(e: AjvError): string {
  const p = (e.params ?? {}) as Record<string, unknown>
  const described = e.parentSchema?.description ? `is not valid (${e.parentSchema.description})` : 'has an invalid value'
  switch (e.keyword) {
    case 'required':
      return 'is required'
    case 'type':
      return `must be ${String(p.type)
        .split(',')
        .map((t) => TYPE_NAMES[t] ?? t)
        .join(' or ')}`
    case 'minLength':
      return p.limit === 1 ? 'is required' : `must be at least ${p.limit} characters`
    case 'maxLength':
      return `must be at most ${p.limit} characters`
    case 'minimum':
      return `must be at least ${p.limit}`
    case 'maximum':
      return `must be at most ${p.limit}`
    case 'exclusiveMinimum':
      return `must be more than ${p.limit}`
    case 'minItems':
      return p.limit === 1 ? 'must have at least 1 item' : `must have at least ${p.limit} items`
    case 'maxItems':
      return `must have at most ${p.limit} items`
    case 'format':
      return `must be ${FORMAT_NAMES[String(p.format)] ?? String(p.format)}`
    case 'enum':
      return `must be one of: ${(p.allowedValues as unknown[]).join(', ')}`
    case 'anyOf': {
      const consts = e.parentSchema?.anyOf?.map((b) => b.const)
      if (consts?.length && consts.every((c) => typeof c === 'string')) return `must be one of: ${consts.join(', ')}`
      return described
    }
    case 'pattern':
      return described
    default:
      return e.message ?? 'is invalid'
  }
}

/** Turn Ajv errors into `[{field, message}]` naming the offending input field. */
export function toFieldErrors(errors: AjvError[], context?: string): FieldError[] {
  const out: FieldError[] = []
  const seen = new Set<string>()
  for (const e of errors) {
    // `/allocations/1/amount` -> `allocations[1].amount`: array items named as clients write them.
    let field = (e.instancePath ?? '')
      .replace(/^\//, '')
      .replace(/\/(\d+)(?=\/|$)/g, '[$1]')
      .replace(/\//g, '.')
    if (e.keyword === 'required' && e.params && 'missingProperty' in e.params) {
      field = field ? `${field}.${e.params.missingProperty}` : String(e.params.missingProperty)
    }
    if (!field) field = context ?? 'body'
    const message = describe(e)
    const key = `${field}|${message}`
    if (seen.has(key)) continue
    // anyOf branches report one error per branch; the summary line above is enough.
    if (errors.some((o) => o.keyword === 'anyOf' && o.instancePath === e.instancePath) && e.keyword !== 'anyOf') continue
    seen.add(key)
    out.push({ field, message })
  }
  return out
}
