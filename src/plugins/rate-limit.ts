/**
 * Rate limits for the auth endpoints (SECURITY R6, R10, R45), built on @fastify/rate-limit.
 * Counters live in Redis when REDIS_URL is set, so every instance shares them. If Redis is down the
 * limits fall back to per-process counters (never fail open: R42) and the fallback is logged and
 * reported by /health/ready.
 *
 * Routes call `app.limits.check(request, [...rules])`: each rule is a key (client address, a
 * normalised identifier) with its own budget; exceeding any answers 429 with Retry-After.
 * Past the budget the window grows exponentially, which slows guessing without a fixed lockout.
 */
import { createHash } from 'node:crypto'
import rateLimit from '@fastify/rate-limit'
import LocalStore from '@fastify/rate-limit/store/LocalStore.js'
import RedisStore from '@fastify/rate-limit/store/RedisStore.js'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'
import { AppError } from '../lib/errors.js'

type Cb = (err: Error | null, res: { current: number; ttl: number } | null) => void
interface Store {
  incr(key: string, cb: Cb, timeWindow: number, max: number): void
  child(opts: unknown): Store
}

/** Uses Redis while it answers; per-process counters while it does not. */
function fallbackStoreClass(redis: Redis | undefined, onFallback: (err: Error) => void) {
  class FallbackStore implements Store {
    constructor(
      private readonly remote: Store | undefined,
      private readonly local: Store,
    ) {}
    incr(key: string, cb: Cb, timeWindow: number, max: number) {
      if (!this.remote || redis?.status !== 'ready') return this.local.incr(key, cb, timeWindow, max)
      this.remote.incr(
        key,
        (err, res) => {
          if (!err) return cb(null, res)
          onFallback(err)
          this.local.incr(key, cb, timeWindow, max)
        },
        timeWindow,
        max,
      )
    }
    child(opts: unknown): Store {
      return new FallbackStore(this.remote?.child(opts), this.local.child(opts))
    }
  }
  return class RootStore extends FallbackStore {
    constructor(params: { continueExceeding: boolean; exponentialBackoff: boolean }) {
      super(
        redis ? (new RedisStore(params.continueExceeding, params.exponentialBackoff, redis, 'talangraga-rl-') as Store) : undefined,
        new LocalStore(params.continueExceeding, params.exponentialBackoff, 10_000) as Store,
      )
    }
  }
}

export interface LimitRule {
  /** Name of the budget, part of the key (e.g. "login:ip"). */
  name: string
  /** What is counted: the client address, a normalised identifier... Undefined skips the rule. */
  key: string | undefined
  max: number
  /** Window in milliseconds (default one minute). */
  windowMs?: number
}

export interface Limits {
  /** Count one attempt against every rule; throws 429 when any budget is exceeded. */
  check(request: FastifyRequest, rules: LimitRule[]): Promise<void>
  /** Count one attempt; resolves true when the budget is exceeded (for silent throttles). */
  exceeded(request: FastifyRequest, rule: LimitRule): Promise<boolean>
  /** True while counters are per-process because Redis is configured but unreachable. */
  degraded(): boolean
}

declare module 'fastify' {
  interface FastifyInstance {
    limits: Limits
  }
}

/** Identifiers are hashed into keys: no emails or phone numbers in Redis. */
export const identifierKey = (value: unknown) =>
  typeof value === 'string' && value.trim()
    ? createHash('sha256').update(value.trim().toLowerCase()).digest('base64url').slice(0, 22)
    : undefined

async function rateLimits(app: FastifyInstance, opts: { redis?: Redis | undefined }) {
  let lastWarn = 0
  const Store = fallbackStoreClass(opts.redis, (err) => {
    if (Date.now() - lastWarn > 30_000) {
      lastWarn = Date.now()
      app.log.warn({ err: err.message }, 'rate limits: Redis unavailable, using per-process counters')
    }
  })
  await app.register(rateLimit, {
    global: false,
    store: Store as unknown as NonNullable<Parameters<typeof rateLimit>[1]>['store'],
    exponentialBackoff: true,
  })

  type Limiter = (req: FastifyRequest) => Promise<{ isExceeded?: boolean; ttlInSeconds?: number }>
  const limiters = new Map<string, Limiter>()
  const limiterFor = (max: number, windowMs: number): Limiter => {
    const id = `${max}/${windowMs}`
    let limiter = limiters.get(id)
    if (!limiter) {
      // The key is computed per call below; this generator is only a placeholder.
      limiter = app.createRateLimit({
        max,
        timeWindow: windowMs,
        keyGenerator: (req) => (req as { rlKey?: string }).rlKey ?? req.ip,
      }) as unknown as Limiter
      limiters.set(id, limiter)
    }
    return limiter
  }

  async function count(request: FastifyRequest, rule: LimitRule) {
    if (rule.key === undefined) return { isExceeded: false, ttlInSeconds: 0 }
    ;(request as { rlKey?: string }).rlKey = `${rule.name}:${rule.key}`
    return limiterFor(rule.max, rule.windowMs ?? 60_000)(request)
  }

  app.decorate('limits', {
    async check(request, rules) {
      for (const rule of rules) {
        const res = await count(request, rule)
        if (res.isExceeded) {
          request.log.warn({ limit: rule.name }, 'rate limit exceeded')
          const retry = String(Math.max(1, res.ttlInSeconds ?? 60))
          throw new AppError(429, 'Too many attempts, please try again later', null, { 'Retry-After': retry })
        }
      }
    },
    async exceeded(request, rule) {
      return (await count(request, rule)).isExceeded === true
    },
    degraded() {
      return opts.redis !== undefined && opts.redis.status !== 'ready'
    },
  } satisfies Limits)
}

export default fp(rateLimits, { name: 'rate-limits', dependencies: ['error-envelope'] })
