/**
 * Request validation. Two Ajv instances, chosen per request part, because coercion is a
 * security decision (SECURITY.md R35/R36):
 *  - JSON bodies: no type coercion ("1" is not 1), unknown keys stripped;
 *  - text on the wire (query string, path params, multipart form fields): coerced to the schema
 *    type, but never from an array (a repeated query parameter is a 422, not "the first one").
 */
import Ajv, { type ErrorObject, type Options } from 'ajv'
import addFormats from 'ajv-formats'
import type { FastifySchemaCompiler } from 'fastify'
import type { FieldError } from '../lib/errors.js'

const common: Options = {
  removeAdditional: true,
  useDefaults: true,
  allErrors: true,
  strict: false,
}

function makeAjv(coerceTypes: boolean) {
  const ajv = new Ajv.default({ ...common, coerceTypes })
  addFormats.default(ajv, ['date', 'date-time', 'email', 'uri', 'uuid'])
  // Binary file fields exist in multipart schemas for documentation; the file itself is validated
  // by its bytes in the upload pipeline.
  ajv.addFormat('binary', true)
  return ajv
}

const jsonAjv = makeAjv(false)
const textAjv = makeAjv(true)

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart, contentType }) => {
  const useText = httpPart !== 'body' || (contentType !== undefined && contentType !== 'application/json')
  return (useText ? textAjv : jsonAjv).compile(schema as object)
}

/** Turn Ajv errors into `[{field, message}]` naming the offending input field. */
export function toFieldErrors(errors: ErrorObject[] | Partial<ErrorObject>[], context?: string): FieldError[] {
  const out: FieldError[] = []
  const seen = new Set<string>()
  for (const e of errors) {
    let field = (e.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.')
    if (e.keyword === 'required' && e.params && 'missingProperty' in e.params) {
      field = field ? `${field}.${e.params.missingProperty}` : String(e.params.missingProperty)
    }
    if (!field) field = context ?? 'body'
    const message = e.keyword === 'required' ? 'is required' : e.keyword === 'anyOf' ? 'has an invalid value' : (e.message ?? 'is invalid')
    const key = `${field}|${message}`
    if (seen.has(key)) continue
    // anyOf branches report one error per branch; the summary line above is enough.
    if (errors.some((o) => o.keyword === 'anyOf' && o.instancePath === e.instancePath) && e.keyword !== 'anyOf') continue
    seen.add(key)
    out.push({ field, message })
  }
  return out
}
