/**
 * buildApp(config): the whole application as one Fastify instance, used by the server process,
 * the tests and the benchmarks alike (so none of them runs with different options).
 * Order: core options, cross-cutting plugins, then one plugin per module.
 */
import { randomUUID } from 'node:crypto'
import { createRequire } from 'node:module'
import path from 'node:path'
import { getHeapStatistics } from 'node:v8'
import cookie from '@fastify/cookie'
import cors from '@fastify/cors'
import multipart from '@fastify/multipart'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import underPressure from '@fastify/under-pressure'
import Fastify, { type FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import type { Config } from './config.js'
import { type Database, openDatabase } from './db/client.js'
import { createMailer, type Mailer } from './lib/mailer.js'
import { createTokenService, type TokenService } from './modules/auth/tokens.js'
import { createUrlSigner, type UrlSigner } from './modules/files/signing.js'
import { modules } from './modules/index.js'
import { controlHandlers } from './ops/control.js'
import authGuard from './plugins/auth-guard.js'
import consolePlugin from './plugins/console.js'
import docs from './plugins/docs.js'
import errorEnvelope, { clientErrorHandler, frameworkErrors } from './plugins/error-envelope.js'
import fileSweeper from './plugins/file-sweeper.js'
import i18n from './plugins/i18n.js'
import jobs from './plugins/jobs.js'
import metrics from './plugins/metrics.js'
import rateLimits from './plugins/rate-limit.js'
import { helmetHeaders } from './plugins/security-headers.js'
import services from './plugins/services.js'
import { createLocalStorage, type Storage } from './plugins/storage.js'
import { createS3Storage } from './plugins/storage-s3.js'
import uploads from './plugins/uploads.js'
import { validatorCompiler } from './plugins/validation.js'

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
    database: Database
    storage: Storage
    mailer: Mailer
    redis: Redis | undefined
    tokens: TokenService
    signer: UrlSigner
  }
}

export interface BuildOptions {
  /** An already-open database (tests share one per file); otherwise one is opened from config. */
  database?: Database
  /** Replace the mail transport (tests capture mail with a real in-process SMTP server instead). */
  mailer?: Mailer
  /** Logger settings; defaults to pino at config.logLevel. */
  logger?: boolean | object
  /** The built console to serve at /console (default: dist/console). */
  consoleDir?: string
  /** Do not run migrations (already applied by the container entrypoint or a cluster primary). */
  skipMigrations?: boolean
}

/** Paths and headers that must never reach the logs. */
const REDACT = ['req.headers.authorization', 'req.headers.cookie', 'req.body.password', 'req.body.refresh_token', 'req.body.reset_token']

/** A request URL fit for a log: a signed file link's signature is a bearer credential until it expires. */
export const loggableUrl = (url: string) => url.replace(/([?&](?:sig|signature|token|reset_token)=)[^&#]*/gi, '$1[redacted]')

/** An incoming X-Request-Id is kept when it is short and plain (no spaces, quotes or control characters). */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/

/** The id of a request: the caller's X-Request-Id when sane, else a fresh UUID. */
export function requestIdOf(req: { headers: Record<string, string | string[] | undefined> }): string {
  const given = req.headers['x-request-id']
  return typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID()
}

/** Fastify's request line, with the URL made loggable. */
const serializers = {
  req: (req: { method: string; url: string; host?: string; ip?: string; socket?: { remotePort?: number } }) => ({
    method: req.method,
    url: loggableUrl(req.url),
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  }),
}

/**
 * JSON lines in production (and whenever stdout is not a terminal: files, collectors, tests). In
 * development on a terminal, readable lines through pino-pretty when it is installed (a dev
 * dependency; absent from the production image, where this falls back to JSON).
 */
export function loggerOptions(config: Config, stdoutIsTTY = process.stdout.isTTY === true): object {
  const base = { level: config.logLevel, redact: { paths: REDACT, censor: '[redacted]' }, serializers }
  if (config.env !== 'development' || !stdoutIsTTY) return base
  try {
    createRequire(import.meta.url).resolve('pino-pretty')
  } catch {
    return base
  }
  return { ...base, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } }
}

export async function buildApp(config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger === false ? false : { ...loggerOptions(config), ...(typeof options.logger === 'object' ? options.logger : {}) },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // A hop count: only that many proxies' X-Forwarded-For entries are believed (R7).
    trustProxy: (config.trustProxy > 0 ? config.trustProxy : false) as boolean,
    bodyLimit: 1024 * 1024,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // The request id of the logs (reqId), echoed as X-Request-Id: a caller's own id when it is sane.
    genReqId: requestIdOf,
    // Slow-loris guard: a request must arrive within two minutes (generous for receipts on mobile data).
    requestTimeout: 120_000,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    clientErrorHandler,
    frameworkErrors,
  }).withTypeProvider<TypeBoxTypeProvider>()

  app.setValidatorCompiler(validatorCompiler)
  // First hook of all: every answer, refusals by later hooks and 404s included, names its request
  // and carries helmet's security headers (security-headers.ts; no CSP here: the console and the
  // docs set their own).
  const securityHeaders = helmetHeaders({ contentSecurityPolicy: false })
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(securityHeaders).header('X-Request-Id', request.id)
    done()
  })

  const database =
    options.database ??
    (await openDatabase({
      databaseUrl: config.databaseUrl,
      pgliteDir: path.join(config.dataDir, 'pgdata'),
      poolMax: config.databasePoolMax,
      timeoutMs: config.databaseTimeoutMs,
    }))
  if (!options.database) {
    if (!options.skipMigrations) await database.migrate()
    app.addHook('onClose', () => database.close())
  }

  const redis = config.redisUrl
    ? new Redis(config.redisUrl, {
        lazyConnect: false,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        connectTimeout: 2000,
        retryStrategy: (times) => Math.min(times * 200, 5000),
      })
    : undefined
  if (redis) {
    // Errors repeat on every reconnect attempt: log the transitions only (also in /health/ready).
    let redisLost = false
    let closing = false
    const lost = (reason: string) => {
      if (redisLost || closing) return
      redisLost = true
      app.log.warn({ reason }, 'Redis unreachable: rate limits fall back to per-process counters')
    }
    redis.on('error', (err) => lost(err.message))
    redis.on('close', () => lost('connection closed'))
    redis.on('ready', () => {
      if (!redisLost) return
      redisLost = false
      app.log.info('Redis reachable again: rate limits shared')
    })
    app.addHook('onClose', async () => {
      closing = true
      redis.disconnect()
    })
  }

  app.decorate('config', config)
  app.decorate('database', database)
  app.decorate('redis', redis)
  app.decorate('storage', config.s3 ? createS3Storage(config.s3) : createLocalStorage(path.join(config.dataDir, 'files')))
  app.decorate('mailer', options.mailer ?? createMailer(config, app.log))
  app.decorate('signer', createUrlSigner({ secret: config.secrets.files, baseUrl: config.appUrl, ttlSeconds: config.signedUrlTtlSeconds }))
  app.decorate(
    'tokens',
    createTokenService({
      accessSecret: config.secrets.access,
      refreshSecret: config.secrets.refresh,
      accessTtlSeconds: config.accessTokenTtlSeconds,
      refreshTtlSeconds: config.refreshTokenTtlSeconds,
    }),
  )

  await app.register(i18n)
  await app.register(errorEnvelope)
  await app.register(metrics)
  // Read only by /auth/refresh and /auth/logout for the console's refresh cookie (console-cookie.ts).
  await app.register(cookie)
  await app.register(cors, {
    origin: config.corsOrigins.length ? config.corsOrigins : false,
    credentials: false,
  })
  await app.register(underPressure, {
    maxEventLoopDelay: config.maxEventLoopDelayMs,
    // Refuse with 503 before V8's heap limit (scripts/start.sh sets one) turns into a crash.
    maxHeapUsedBytes: Math.floor(getHeapStatistics().heap_size_limit * 0.9),
    exposeStatusRoute: false,
    pressureHandler: (_req, reply) => {
      reply.code(503).header('Retry-After', '5').send({ code: 503, message: 'Server is busy, please retry', data: null })
    },
  })
  await app.register(multipart, {
    attachFieldsToBody: 'keyValues',
    limits: { fileSize: config.maxUploadBytes, files: 2, fields: 50, fieldSize: 64 * 1024, parts: 60 },
    throwFileSizeLimit: true,
    onFile(part) {
      return app.receiveUpload.call(this, part)
    },
  })
  await app.register(uploads)
  await app.register(fileSweeper)
  await app.register(rateLimits, { redis })
  await app.register(docs)
  await app.register(authGuard)
  // After the guard: every later log line of an authenticated request, "request completed"
  // included, names the user beside the request id (reqId).
  // The request's logger is its own (Fastify makes one per request for reqId): the binding is
  // added to it in place, which costs a fraction of a further child logger.
  app.addHook('onRequest', (request, reply, done) => {
    if (request.auth) {
      const log = request.log as typeof request.log & { setBindings?: (bindings: object) => void }
      if (log.setBindings && log === reply.log) log.setBindings({ userId: request.auth.userId })
      else {
        const child = request.log.child({ userId: request.auth.userId })
        request.log = child
        reply.log = child
      }
    }
    done()
  })
  await app.register(jobs)
  await app.register(services)

  // Financial data and tokens: nothing is cached by browsers or proxies.
  app.addHook('onSend', (request, reply, payload, done) => {
    if (!request.url.startsWith('/docs') && !reply.hasHeader('cache-control')) reply.header('Cache-Control', 'no-store')
    done(null, payload)
  })

  for (const module of modules) await app.register(module)
  await app.register(consolePlugin, { dir: options.consoleDir })
  // The embedded database's owner answers the CLI (create-admin, backup, ...) through this process.
  if (!options.database && database.owner) database.owner.serve(controlHandlers(app))
  return app
}
