/**
 * What the OpenAPI document needs beyond the route schemas, derived mechanically from each route so
 * that a new route cannot forget it: a stable operationId, a description for every response status,
 * an explicit empty `security` on public routes, and a named parameter for the wildcard file route
 * (OpenAPI has no catch-all path parameter).
 */

const STATUS_TEXT: Record<string, string> = {
  200: 'Success: the envelope with the result in `data`',
  201: 'Created: the envelope with the new object in `data`',
  204: 'No content',
  302: 'Redirect',
  400: 'Malformed request (body, multipart or header); `data` is null and `message` says what to fix',
  401: 'Not signed in, or the token is invalid, expired or revoked (see `WWW-Authenticate`)',
  403: 'Signed in, but this account may not do this',
  404: 'Not found, or not visible to the caller',
  405: 'Method not allowed on this path (see `Allow`)',
  409: 'Conflict with the current state (duplicate, illegal transition, in use)',
  413: 'Body or upload too large',
  414: 'URL too long',
  415: 'Unsupported content type or upload type',
  422: 'Validation failed: `message` names the first problem, `errors` lists each field',
  429: 'Too many requests: retry after `Retry-After` seconds',
  500: 'Unexpected server error (details are logged, never returned)',
  503: 'Database unavailable or server overloaded: retry later',
}

/** A description for a response status, in the words the envelope's users need. */
export function describeStatus(status: string): string {
  return STATUS_TEXT[status] ?? (status.startsWith('2') ? 'Success' : 'Error in the envelope; `data` is null')
}

const VERB: Record<string, string> = { GET: 'get', POST: 'post', PUT: 'put', PATCH: 'patch', DELETE: 'delete' }

/**
 * `GET /transactions/{id}/status` -> `getTransactionsByIdStatus`: unique per method and path,
 * readable in a generated client, and stable as long as the path is.
 */
export function operationIdFor(method: string, url: string): string {
  const words = url
    .split('/')
    .filter(Boolean)
    .map((segment) => {
      const param = /^[:{]([^}]+)}?$/.exec(segment)
      const text = param ? `by-${param[1]}` : segment === '*' ? 'by-key' : segment
      return text
        .split(/[^A-Za-z0-9]+/)
        .filter(Boolean)
        .map((w) => w[0]?.toUpperCase() + w.slice(1))
        .join('')
    })
  return `${VERB[method] ?? method.toLowerCase()}${words.join('') || 'Root'}`
}

type ResponseMap = Record<string, Record<string, unknown>>

/**
 * Copy of an operation's responses where every status carries a description: @fastify/swagger
 * writes "Default Response" where the route schema gave none.
 */
export function describeResponses(response: ResponseMap | undefined): ResponseMap | undefined {
  if (!response) return response
  const out: ResponseMap = {}
  for (const [status, item] of Object.entries(response)) {
    const given = item.description
    const described = typeof given === 'string' && given !== '' && given !== 'Default Response'
    out[status] = described ? item : { ...item, description: describeStatus(status) }
  }
  return out
}

type Operation = {
  operationId?: string
  security?: unknown[]
  responses?: ResponseMap
  parameters?: Array<{ name: string; in: string; description?: string; schema?: unknown; required?: boolean }>
  [key: string]: unknown
}
type OpenApiDocument = { paths?: Record<string, Record<string, Operation>>; components?: unknown; [key: string]: unknown }

const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'])

/**
 * The last pass over the generated document. Operations are copied before they are changed because
 * @fastify/swagger shares one operation object between the methods of a multi-method route.
 */
export function shapeDocument<T extends OpenApiDocument>(doc: T, components: Record<string, NamedSchema> = {}): T {
  const paths: Record<string, Record<string, Operation>> = {}
  for (const [rawUrl, item] of Object.entries(doc.paths ?? {})) {
    const url = rawUrl === '/files/{*}' ? '/files/{key}' : rawUrl
    const outItem: Record<string, Operation> = {}
    for (const [method, value] of Object.entries(item)) {
      if (!METHODS.has(method)) {
        outItem[method] = value
        continue
      }
      const op: Operation = { ...value }
      op.operationId ??= operationIdFor(method.toUpperCase(), url)
      // Public operations say so, rather than inheriting nothing by omission.
      op.security ??= []
      op.responses = describeResponses(op.responses)
      // A parameter with a default may be left out: the default applies (required belongs to the
      // validation schema, where the default is filled in before the check).
      if (op.parameters) {
        op.parameters = op.parameters.map((p) =>
          p.in !== 'path' && p.required && (p.schema as { default?: unknown } | undefined)?.default !== undefined
            ? { ...p, required: false }
            : p,
        )
      }
      if (url !== rawUrl && op.parameters) {
        op.parameters = op.parameters.map((p) =>
          p.in === 'path' && p.name === '*'
            ? {
                ...p,
                name: 'key',
                description: 'The file key as it appears in a signed URL (slashes percent-encoded as %2F)',
              }
            : p,
        )
      }
      outItem[method] = op
    }
    paths[url] = outItem
  }
  return hoistComponents({ ...doc, paths }, components)
}

// ---- Shared shapes: components.schemas and $ref ---------------------------------------------

/** A schema to name in `components.schemas`, with an example that validates against it. */
export interface NamedSchema {
  schema: unknown
  example?: unknown
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

/** JSON text with sorted keys, so that two equal schemas have the same text. */
function stable(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stable).join(',')}]`
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stable(v)}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}

/**
 * One spelling for equal schemas: `const: x` as `enum: [x]` (what @fastify/swagger writes), a
 * union of string literals as one `enum`, a Record as `additionalProperties`, and `anyOf: [{type: T, ...}, {type: 'null'}]` as
 * `type: [T, 'null']` (what some routes write), so
 * that a copy of a shape is recognised however its route spelled it.
 */
function normalise(node: Json): Json {
  if (Array.isArray(node)) return node.map(normalise)
  if (!node || typeof node !== 'object') return node
  const out: Record<string, Json> = {}
  for (const [k, v] of Object.entries(node)) {
    out[k] = k === 'examples' || k === 'example' || k === 'enum' || k === 'default' || k === 'const' ? v : normalise(v)
  }
  if ('const' in out && !('enum' in out)) {
    out.enum = [out.const as Json]
    delete out.const
  }
  // TypeBox's Record(String, X) is patternProperties "^.*$": X, which is additionalProperties: X.
  const pattern = out.patternProperties
  if (pattern && typeof pattern === 'object' && !Array.isArray(pattern) && Object.keys(pattern).length === 1 && '^.*$' in pattern) {
    out.additionalProperties = pattern['^.*$'] as Json
    delete out.patternProperties
  }
  // A nullable enum lists null among its values, or null would fail the enum.
  if (Array.isArray(out.type) && out.type.includes('null') && Array.isArray(out.enum) && !out.enum.includes(null)) {
    out.enum = [...out.enum, null]
  }
  const any = out.anyOf
  // A union of single string literals is an enum of strings.
  const literal = (x: Json) =>
    !!x &&
    typeof x === 'object' &&
    !Array.isArray(x) &&
    x.type === 'string' &&
    Array.isArray(x.enum) &&
    x.enum.length === 1 &&
    Object.keys(x).length === 2
  if (Array.isArray(any) && any.length > 1 && any.every(literal)) {
    const { anyOf: _anyOf, ...rest } = out
    return { type: 'string', enum: any.flatMap((x) => (x as { enum: Json[] }).enum), ...rest }
  }
  if (Array.isArray(any) && any.length === 2) {
    const isNull = (x: Json) => !!x && typeof x === 'object' && !Array.isArray(x) && x.type === 'null' && Object.keys(x).length === 1
    const other = any.find((x) => !isNull(x)) as Record<string, Json> | undefined
    if (any.some(isNull) && other && typeof other.type === 'string' && !('description' in other && 'description' in out)) {
      const { anyOf: _anyOf, ...rest } = out
      const merged: Record<string, Json> = { ...other, ...rest, type: [other.type, 'null'] }
      if (Array.isArray(merged.enum) && !merged.enum.includes(null)) merged.enum = [...merged.enum, null]
      return merged
    }
  }
  return out
}

/** The text a schema is recognised by: without its own description (routes add their own). */
function fingerprint(node: Record<string, unknown>): string {
  const { description: _description, ...rest } = node
  return stable(rest)
}

/**
 * Replace every copy of a named schema by a `$ref` to `components.schemas`: the exact shape, or
 * its nullable form (`type: [T, 'null']`) as `anyOf: [$ref, null]`. A copy's own description stays
 * next to its `$ref` (allowed in OpenAPI 3.1).
 */
export function hoistComponents<T extends OpenApiDocument>(doc: T, named: Record<string, NamedSchema>): T {
  const byPrint = new Map<string, string>()
  const components: Record<string, Json> = {}
  for (const [name, { schema, example }] of Object.entries(named)) {
    const plain = normalise(JSON.parse(JSON.stringify(schema)) as Json) as Record<string, Json>
    byPrint.set(fingerprint(plain), name)
    components[name] = example === undefined ? plain : { ...plain, examples: [example as Json] }
  }
  const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })

  const walk = (node: Json, self?: string): Json => {
    if (Array.isArray(node)) return node.map((n) => walk(n))
    if (!node || typeof node !== 'object') return node
    const name = byPrint.get(fingerprint(node))
    if (name && name !== self) {
      return typeof node.description === 'string' && node.description !== (components[name] as { description?: Json }).description
        ? { ...ref(name), description: node.description }
        : ref(name)
    }
    const type = node.type
    if (Array.isArray(type) && type.length === 2 && type.includes('null')) {
      const nonNull = type.find((x) => x !== 'null') as Json
      const inner = byPrint.get(fingerprint({ ...node, type: nonNull }))
      if (inner && inner !== self) return { anyOf: [ref(inner), { type: 'null' }] }
    }
    const out: Record<string, Json> = {}
    // `properties` maps names to schemas and `examples` holds values: only schemas are replaced.
    for (const [k, v] of Object.entries(node)) {
      if (k === 'examples' || k === 'example' || k === 'enum' || k === 'const' || k === 'default') out[k] = v
      else if (k === 'properties' && v && typeof v === 'object' && !Array.isArray(v))
        out[k] = Object.fromEntries(Object.entries(v).map(([p, s]) => [p, walk(s)]))
      else out[k] = walk(v)
    }
    return out
  }

  const paths = walk(normalise(doc.paths as Json)) as OpenApiDocument['paths']
  const schemas: Record<string, Json> = {}
  for (const [name, body] of Object.entries(components)) schemas[name] = walk(body, name)
  const existing = (doc.components ?? {}) as { schemas?: Record<string, Json> }
  return { ...doc, paths, components: { ...existing, schemas: { ...existing.schemas, ...schemas } } }
}
