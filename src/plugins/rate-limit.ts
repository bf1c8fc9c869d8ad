/**
 * Rate limits for the auth endpoints (SECURITY R6, R10, R45). Counters live in Redis when REDIS_URL
 * is set, so every instance shares them. If Redis is down the limits fall back to per-process
 * counters (never fail open: R42) and the fallback is logged and reported by /health/ready.
 *
 * Routes call `app.limits.check(request, [...rules])`: each rule is a key (client address, an
 * account) with a budget per window; exceeding any answers 429 with Retry-After. Past the budget
 * the window doubles with every further attempt, but never beyond MAX_BACKOFF_MS: guessing slows
 * down, and nobody is locked out for longer than that after the last attempt.
 *
 * Budgets that should count failures only (a correct login must never be refused because other
 * people at the same address logged in) still count every attempt up-front, so that a burst of
 * parallel guesses cannot all pass before the first failure is recorded; the route gives the
 * attempt back with `refund()` once it has succeeded. `clear()` forgets a budget (a successful login
 * or reset clears that account's failures).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'
import { tooMany } from '../lib/errors.js'

/** The longest a client ever waits after its last attempt (documented in docs/decisions.md). */
export const MAX_BACKOFF_MS = 15 * 60_000
const PREFIX = 'talangraga-rl:'
/** Per-process counters kept at most (the oldest are dropped first); only used without Redis. */
const LOCAL_MAX_KEYS = 50_000

export interface LimitRule {
  /** Name of the budget, part of the key (e.g. "login:ip"). */
  name: string
  /** What is counted: the client address, an account id... Undefined skips the rule. */
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
  /** Give back one attempt counted by `check` (the attempt succeeded and should not count). */
  refund(rules: LimitRule[]): Promise<void>
  /** Forget the counters of these rules (their `max` and window are irrelevant here). */
  clear(rules: Pick<LimitRule, 'name' | 'key'>[]): Promise<void>
  /** True while counters are per-process because Redis is configured but unreachable. */
  degraded(): boolean
}

declare module 'fastify' {
  interface FastifyInstance {
    limits: Limits
  }
}

interface Hit {
  count: number
  ttlMs: number
}

/** How long a key lives after its `count`-th attempt: the window, doubled per attempt past max, capped. */
export function windowAfter(count: number, max: number, windowMs: number): number {
  if (count <= max) return windowMs
  const excess = Math.min(count - max, 30)
  return Math.min(windowMs * 2 ** excess, Math.max(MAX_BACKOFF_MS, windowMs))
}

interface CounterStore {
  hit(key: string, max: number, windowMs: number): Promise<Hit>
  refund(key: string): Promise<void>
  clear(key: string): Promise<void>
}

/** One INCR, and the expiry moved forward (never back) to what windowAfter() says. */
const HIT_SCRIPT = `
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
local max = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local cap = tonumber(ARGV[3])
local want = window
if n > max then
  want = math.min(window * (2 ^ math.min(n - max, 30)), math.max(cap, window))
end
if ttl < 0 or (n > max and want > ttl) then
  redis.call('PEXPIRE', KEYS[1], want)
  ttl = want
end
return {n, ttl}
`
const REFUND_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 and tonumber(redis.call('GET', KEYS[1])) > 0 then
  redis.call('DECR', KEYS[1])
end
return 0
`

function redisStore(redis: Redis): CounterStore {
  return {
    async hit(key, max, windowMs) {
      const [count, ttl] = (await redis.eval(HIT_SCRIPT, 1, PREFIX + key, max, windowMs, MAX_BACKOFF_MS)) as [number, number]
      return { count, ttlMs: ttl }
    },
    async refund(key) {
      await redis.eval(REFUND_SCRIPT, 1, PREFIX + key)
    },
    async clear(key) {
      await redis.del(PREFIX + key)
    },
  }
}

function localStore(): CounterStore {
  const counters = new Map<string, { count: number; expiresAt: number }>()
  const live = (key: string) => {
    const c = counters.get(key)
    if (c && c.expiresAt <= Date.now()) {
      counters.delete(key)
      return undefined
    }
    return c
  }
  return {
    async hit(key, max, windowMs) {
      const now = Date.now()
      let c = live(key)
      if (!c) {
        if (counters.size >= LOCAL_MAX_KEYS) counters.delete(counters.keys().next().value as string)
        c = { count: 0, expiresAt: now + windowMs }
        counters.set(key, c)
      }
      c.count += 1
      if (c.count > max) c.expiresAt = Math.max(c.expiresAt, now + windowAfter(c.count, max, windowMs))
      return { count: c.count, ttlMs: c.expiresAt - now }
    },
    async refund(key) {
      const c = live(key)
      if (c && c.count > 0) c.count -= 1
    },
    async clear(key) {
      counters.delete(key)
    },
  }
}

async function rateLimits(app: FastifyInstance, opts: { redis?: Redis | undefined }) {
  const local = localStore()
  const remote = opts.redis ? redisStore(opts.redis) : undefined
  let lastWarn = 0
  /** Redis while it answers; per-process counters while it does not (never fail open). */
  async function use<T>(op: (store: CounterStore) => Promise<T>): Promise<T> {
    if (!remote || opts.redis?.status !== 'ready') return op(local)
    try {
      return await op(remote)
    } catch (err) {
      if (Date.now() - lastWarn > 30_000) {
        lastWarn = Date.now()
        app.log.warn({ err: (err as Error).message }, 'rate limits: Redis unavailable, using per-process counters')
      }
      return op(local)
    }
  }
  const keyOf = (rule: Pick<LimitRule, 'name' | 'key'>) => `${rule.name}:${rule.key}`

  async function count(rule: LimitRule): Promise<{ exceeded: boolean; ttlMs: number }> {
    if (rule.key === undefined) return { exceeded: false, ttlMs: 0 }
    const hit = await use((s) => s.hit(keyOf(rule), rule.max, rule.windowMs ?? 60_000))
    return { exceeded: hit.count > rule.max, ttlMs: hit.ttlMs }
  }

  app.decorate('limits', {
    async check(request, rules) {
      for (const rule of rules) {
        const res = await count(rule)
        if (res.exceeded) {
          request.log.warn({ limit: rule.name }, 'rate limit exceeded')
          const retry = String(Math.max(1, Math.ceil(res.ttlMs / 1000)))
          throw tooMany('Too many attempts, please try again later', retry)
        }
      }
    },
    async exceeded(_request, rule) {
      return (await count(rule)).exceeded
    },
    async refund(rules) {
      for (const rule of rules) if (rule.key !== undefined) await use((s) => s.refund(keyOf(rule)))
    },
    async clear(rules) {
      for (const rule of rules) if (rule.key !== undefined) await use((s) => s.clear(keyOf(rule)))
    },
    degraded() {
      return opts.redis !== undefined && opts.redis.status !== 'ready'
    },
  } satisfies Limits)
}

export default fp(rateLimits, { name: 'rate-limits', dependencies: ['error-envelope'] })
