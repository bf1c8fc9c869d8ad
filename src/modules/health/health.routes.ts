/**
 * Liveness and readiness, at /health/* and (as the old backend had them) /api/health/*.
 * Ready is 503 when the database does not answer; Redis being down is "degraded", not 503,
 * because rate limits then fall back to per-process counters.
 */
import type { FastifyInstance } from 'fastify'
import { Envelope, Type } from '../../lib/schemas.js'

const Ready = Envelope(
  Type.Object({
    status: Type.Union([Type.Literal('ok'), Type.Literal('degraded'), Type.Literal('unavailable')]),
    database: Type.Union([Type.Literal('up'), Type.Literal('down')]),
    redis: Type.Union([Type.Literal('up'), Type.Literal('down'), Type.Literal('not_configured')]),
    rate_limits: Type.Union([Type.Literal('shared'), Type.Literal('per_process')]),
  }),
)

export default async function healthRoutes(app: FastifyInstance) {
  for (const prefix of ['/health', '/api/health']) {
    app.get(
      `${prefix}/live`,
      {
        config: { auth: 'public' },
        schema: { tags: ['health'], summary: 'Liveness', response: { 200: Envelope(Type.Object({ status: Type.String() })) } },
      },
      async () => ({ code: 200, message: 'alive', data: { status: 'ok' } }),
    )
    app.get(
      `${prefix}/ready`,
      {
        config: { auth: 'public' },
        schema: { tags: ['health'], summary: 'Readiness', response: { 200: Ready, 503: Ready } },
      },
      async (_request, reply) => {
        const database = await Promise.race([
          app.database.ping().then(() => 'up' as const),
          new Promise<'down'>((r) => setTimeout(() => r('down'), 2000).unref()),
        ]).catch(() => 'down' as const)
        const redis = !app.redis ? 'not_configured' : app.redis.status === 'ready' ? 'up' : 'down'
        const status = database === 'down' ? 'unavailable' : redis === 'down' ? 'degraded' : 'ok'
        const code = database === 'down' ? 503 : 200
        return reply.code(code).send({
          code,
          message:
            status === 'ok'
              ? 'ready'
              : status === 'degraded'
                ? 'ready (degraded: Redis unreachable, rate limits per process)'
                : 'database unreachable',
          data: { status, database, redis, rate_limits: redis === 'up' ? 'shared' : 'per_process' },
        })
      },
    )
  }
}
