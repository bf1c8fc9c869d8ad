/**
 * OpenAPI document and Swagger UI, generated from the same route schemas that validate requests.
 * An onRoute hook derives each route's `security` from its `config.auth`, so the document cannot
 * drift from the guard that enforces it.
 */
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { ErrorEnvelope } from '../lib/schemas.js'
import { openapiComponents } from './openapi-components.js'
import { shapeDocument } from './openapi-shape.js'

async function docs(app: FastifyInstance) {
  app.addHook('onRoute', (route) => {
    // Swagger UI's own assets are public like the document they show.
    if (route.url.startsWith('/docs')) route.config = { ...route.config, auth: 'public' }
    const level = route.config?.auth ?? 'user'
    // A copy: Fastify's automatic HEAD route shares its GET route's schema object, so hiding the
    // HEAD route in place would hide the GET route from the document too.
    route.schema = { ...route.schema }
    const schema = route.schema as { security?: unknown; description?: string; hide?: boolean }
    if (route.method === 'HEAD') schema.hide = true
    if (level !== 'public' && schema.security === undefined) schema.security = [{ bearerAuth: [] }]
    if (level === 'admin') schema.description = `${schema.description ? `${schema.description}\n\n` : ''}Admin only.`
    // Any method that may carry a body can meet a malformed one (400: bad JSON or multipart) or an
    // unsupported media type (415) before its handler runs; document both, and let the serializer
    // know them, on every such route.
    const withBody = [route.method].flat().some((m) => m === 'POST' || m === 'PUT' || m === 'PATCH' || m === 'DELETE')
    const response = (route.schema as { response?: Record<string, unknown> }).response
    if (withBody && response) {
      ;(route.schema as { response?: Record<string, unknown> }).response = { 400: ErrorEnvelope, 415: ErrorEnvelope, ...response }
    }
  })

  await app.register(swagger, {
    // 3.1: its schemas are JSON Schema 2020-12, which is what TypeBox writes (numeric
    // exclusiveMinimum, `type: 'null'` in unions); 3.0.3 rejects both.
    transformObject: (document) =>
      'openapiObject' in document
        ? shapeDocument(document.openapiObject as Parameters<typeof shapeDocument>[0], openapiComponents)
        : document.swaggerObject,
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Talangraga Umroh API',
        version: '1.0.0',
        description:
          'Backend of the Talangraga Umroh savings program. Every response is `{code, message, data}`; lists add `meta` ' +
          "(without `page`/`per_page` a list holds every matching row). Every error, including the framework's own " +
          '(400 malformed JSON or multipart, 404, 405, 413, 414, 415, 429, 503), is `{code, message, data: null}`: `data` ' +
          'is always null, field problems are in a top-level `errors: [{field, message}]` (422 validation, 409 conflicts), ' +
          'and `message` is a sentence naming the first problem, e.g. "Username is already in use".\n\n' +
          'Messages (and e-mails) are in Bahasa Indonesia or English: the language `Accept-Language` asks for, else the ' +
          "user's saved `locale` (PUT /users/me/update), else the server's APP_LOCALE (default `id`). Status codes, " +
          '`errors[].field`, `WWW-Authenticate` and every other machine-readable part are the same in every language; ' +
          'answers carry `Content-Language`.',
      },
      servers: [{ url: app.config.appUrl, description: 'This server (APP_URL)' }],
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
    },
  })
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true })

  app.get('/openapi.json', { config: { auth: 'public' }, schema: { hide: true } }, async () => app.swagger())
}

export default fp(docs, { name: 'docs' })
