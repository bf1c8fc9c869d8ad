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
type OpenApiDocument = { paths?: Record<string, Record<string, Operation>>; [key: string]: unknown }

const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'])

/**
 * The last pass over the generated document. Operations are copied before they are changed because
 * @fastify/swagger shares one operation object between the methods of a multi-method route.
 */
export function shapeDocument<T extends OpenApiDocument>(doc: T): T {
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
  return { ...doc, paths }
}
