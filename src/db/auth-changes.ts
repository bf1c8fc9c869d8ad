/**
 * PostgreSQL: a counter that moves whenever a session or user may have changed, so the auth guard
 * can reuse a session it checked until then (Database.writeEpoch, src/plugins/auth-guard.ts).
 *
 * Two sources move it:
 *  - this process's own writes, counted on the pool before and after every statement that is not a
 *    plain SELECT (a commit included), so a logout answered here is seen by the very next request
 *    here, exactly, as on PGlite;
 *  - other processes' changes, announced by triggers on `sessions` and `users` on the channel
 *    `auth_changes` at their commit (migration 0011) and heard on a connection of its own. Another
 *    instance's logout is seen here as soon as PostgreSQL delivers it: on one host, well under a
 *    millisecond after the commit.
 * While that connection is down nothing is known about other instances: the counter answers
 * undefined and every request reads its session, as before this existed. A reconnect moves the
 * counter, since announcements made in the gap are lost.
 */
import type pg from 'pg'

export const AUTH_CHANNEL = 'auth_changes'

/** A statement that only reads (every write we issue is INSERT/UPDATE/DELETE/DDL, or WITH ... them). */
export const READ_ONLY = /^\s*select\b/i

type Query = (...args: unknown[]) => unknown

/** `query` of a pg Pool or PoolClient, counting around each statement that may write. */
function countingQuery(query: Query, target: object, bump: () => void): Query {
  return (...args: unknown[]) => {
    const first = args[0] as string | { text?: string }
    const text = typeof first === 'string' ? first : (first?.text ?? '')
    if (READ_ONLY.test(text)) return query.apply(target, args)
    bump()
    // Also after: a session read that began before this statement's effect was visible (a commit
    // answered only now) must not be kept.
    const result = query.apply(target, args) as Promise<unknown> | undefined
    if (!result || typeof result.then !== 'function') return result
    return result.then(
      (value) => {
        bump()
        return value
      },
      (err: unknown) => {
        bump()
        throw err
      },
    )
  }
}

/** The pool as Drizzle uses it (pool.query, pool.connect() for transactions), counting writes. */
export function countingPool(pool: pg.Pool, bump: () => void): pg.Pool {
  const clientProxy = (client: pg.PoolClient) =>
    new Proxy(client, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target)
        if (typeof value !== 'function') return value
        return prop === 'query' ? countingQuery(value as Query, target, bump) : value.bind(target)
      },
    })
  return new Proxy(pool, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target)
      if (typeof value !== 'function') return value
      if (prop === 'query') return countingQuery(value as Query, target, bump)
      if (prop === 'connect') {
        return async () => clientProxy(await target.connect())
      }
      return value.bind(target)
    },
  })
}

export interface AuthChanges {
  /** Moves on every possible change; undefined while other instances' changes cannot be heard. */
  epoch(): number | undefined
  /** This process's writes (countingPool's bump). */
  bump(): void
  /** Whether the listening connection is up (for tests and /metrics). */
  listening(): boolean
  close(): Promise<void>
}

/**
 * Listen on AUTH_CHANNEL on a connection of its own, reconnecting after `retryMs` when it drops.
 * A first connection that fails is retried the same way: the server starts, and reads every
 * session until the listener is up.
 */
export function listenForAuthChanges(
  connect: () => Promise<pg.Client>,
  onError: (err: Error) => void,
  retryMs = 1000,
): AuthChanges & { ready: Promise<void> } {
  let count = 0
  let up = false
  let closed = false
  let client: pg.Client | undefined
  let retry: NodeJS.Timeout | undefined

  function down(c: pg.Client) {
    if (client !== c) return
    client = undefined
    up = false
    count++
    if (!closed) retry = setTimeout(() => void start(), retryMs).unref()
  }

  async function start(): Promise<void> {
    let c: pg.Client | undefined
    try {
      c = await connect()
      const mine = c
      client = mine
      mine.on('error', (err) => {
        onError(err)
        down(mine)
        mine.end().catch(() => {})
      })
      mine.on('end', () => down(mine))
      mine.on('notification', (message) => {
        if (message.channel === AUTH_CHANNEL) count++
      })
      await mine.query(`LISTEN ${AUTH_CHANNEL}`)
      if (closed) {
        await mine.end().catch(() => {})
        return
      }
      // Whatever was announced before LISTEN took effect was not heard.
      count++
      up = client === mine
    } catch (err) {
      onError(err as Error)
      if (c) {
        down(c)
        c.end().catch(() => {})
      } else if (!closed) {
        retry = setTimeout(() => void start(), retryMs).unref()
      }
    }
  }

  const ready = start()
  return {
    ready,
    epoch: () => (up ? count : undefined),
    bump: () => {
      count++
    },
    listening: () => up,
    async close() {
      closed = true
      up = false
      clearTimeout(retry)
      await client?.end().catch(() => {})
    },
  }
}
