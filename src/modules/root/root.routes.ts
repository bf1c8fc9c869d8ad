/**
 * GET /: what this server is and where its documentation lives, so that opening the API's base
 * URL answers instead of a 404. API clients get JSON; when the console arrives, browsers
 * (Accept: text/html) will be redirected to it from here, in front of the JSON answer.
 */
import { readFileSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'
import { Envelope, ok, Type } from '../../lib/schemas.js'

/** package.json sits two levels above this module in src/ and in dist/ alike. */
function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string }
    return pkg.version ?? 'unknown'
  } catch {
    return 'unknown'
  }
}

const About = Envelope(
  Type.Object({
    name: Type.String(),
    version: Type.String(),
    docs: Type.String({ description: 'Swagger UI' }),
    openapi: Type.String({ description: 'the OpenAPI 3 document' }),
    health: Type.String(),
  }),
)

export default async function rootRoutes(app: FastifyInstance) {
  const about = {
    name: 'Talangraga Umroh API',
    version: packageVersion(),
    docs: '/docs',
    openapi: '/openapi.json',
    health: '/health/ready',
  }
  app.get(
    '/',
    {
      config: { auth: 'public' },
      schema: { tags: ['health'], summary: 'What this server is and where its documentation is', response: { 200: About } },
    },
    async () => ok(about, 'Talangraga Umroh API: see /docs'),
  )
}
