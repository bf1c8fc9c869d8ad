/**
 * GET /metrics in the Prometheus text format (prom-client), for an operator's scraper:
 *   http_requests_total / http_request_duration_seconds   by method, route PATTERN (/users/:id,
 *       never the raw URL, so ids do not explode the series) and status
 *   rate_limit_refusals_total                              429 answers by route
 *   db_pool_connections{state}                             PostgreSQL pool: total, idle, waiting
 *   db_auth_changes_listening                              PostgreSQL: 1 while auth changes are heard
 *   process_* / nodejs_*                                   prom-client's default process metrics
 * Protected by METRICS_TOKEN (Authorization: Bearer <token>, compared in constant time); without
 * METRICS_TOKEN the route does not exist (404), so nothing about the process leaks by default.
 * A later job queue adds its depth as a Gauge on `app.metrics.registry` (see jobQueueDepth below).
 */
import { timingSafeEqual } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import { unauthorized } from '../lib/errors.js'

declare module 'fastify' {
  interface FastifyInstance {
    metrics: { registry: Registry }
  }
}

const sameSecret = (a: string, b: string) => {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

async function metrics(app: FastifyInstance) {
  // One registry per app (tests build many apps in one process; the global one would collide).
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  app.decorate('metrics', { registry })

  const labelNames = ['method', 'route', 'status'] as const
  const requests = new Counter({ name: 'http_requests_total', help: 'HTTP requests answered', labelNames, registers: [registry] })
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to answer HTTP requests',
    labelNames,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  })
  const refusals = new Counter({
    name: 'rate_limit_refusals_total',
    help: 'Requests refused by a rate limit or quota (429)',
    labelNames: ['route'] as const,
    registers: [registry],
  })
  const poolStats = app.database.poolStats
  if (poolStats) {
    new Gauge({
      name: 'db_pool_connections',
      help: 'PostgreSQL pool connections by state (waiting = requests queued for a connection)',
      labelNames: ['state'] as const,
      registers: [registry],
      collect() {
        const s = poolStats()
        this.set({ state: 'total' }, s.total)
        this.set({ state: 'idle' }, s.idle)
        this.set({ state: 'waiting' }, s.waiting)
      },
    })
  }
  if (app.database.kind === 'pg') {
    const { writeEpoch } = app.database
    new Gauge({
      name: 'db_auth_changes_listening',
      help: "1 while other instances' logouts and account changes are heard (src/db/auth-changes.ts); 0: every request reads its session",
      registers: [registry],
      collect() {
        this.set(writeEpoch() === undefined ? 0 : 1)
      },
    })
  }
  // Hook for the job queue once there is one: new Gauge({ name: 'job_queue_depth', ..., registers: [app.metrics.registry] }).

  app.addHook('onResponse', (request, reply, done) => {
    // The pattern Fastify matched; requests that matched no route share one label.
    const route = request.routeOptions.url ?? 'unmatched'
    const labels = { method: request.method, route, status: String(reply.statusCode) }
    requests.inc(labels)
    duration.observe(labels, reply.elapsedTime / 1000)
    if (reply.statusCode === 429) refusals.inc({ route })
    done()
  })

  const token = app.config.metricsToken
  if (!token) return
  app.get('/metrics', { config: { auth: 'public' }, schema: { hide: true } }, async (request, reply) => {
    const header = request.headers.authorization ?? ''
    const given = header.startsWith('Bearer ') ? header.slice(7) : ''
    if (!given || !sameSecret(given, token)) {
      throw unauthorized('Metrics need Authorization: Bearer <METRICS_TOKEN>', 'metrics')
    }
    reply.header('content-type', registry.contentType)
    return registry.metrics()
  })
}

export default fp(metrics, { name: 'metrics', dependencies: ['error-envelope'] })
