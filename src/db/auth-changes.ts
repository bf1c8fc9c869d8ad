/**
 * PostgreSQL: a counter that moves whenever a session or user may have changed, so the auth guard
 * can reuse a session it checked until then (Database.writeEpoch, src/plugins/auth-guard.ts).
 *
 * Two sources move it:
 *  - this process's own changes to users and sessions, counted on the pool before and after each
 *    statement that may make one and its transaction's commit (countingPool), so a logout answered
 *    here is seen by the very next request here, exactly, as on PGlite;
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

/**
 * A statement that may change what the session check reads: it writes (is not a plain SELECT) and
 * names `users` or `sessions`. Every such change we make names its table (Drizzle's update/delete,
 * a cascade from deleting a user, the migrations' functions touch neither table), so a deposit or
 * a job's bookkeeping leaves remembered sessions alone. Were one ever missed, the trigger's
 * announcement still arrives on this process's own listener, a moment later.
 */
const AUTH_TABLES = /\b(?:users|sessions)\b/i
const mayChangeAuth = (text: string) => !READ_ONLY.test(text) && AUTH_TABLES.test(text)
/** The end of a transaction, after which its changes are visible (or gone). */
const TRANSACTION_END = /^\s*(?:commit|rollback|end|abort)\b/i

const statementText = (args: unknown[]) => {
  const first = args[0] as string | { text?: string }
  return typeof first === 'string' ? first : (first?.text ?? '')
}

/**
 * Run `query` with `bump` before and after it: before, so a session read already under way is not
 * kept; after, once its answer (a commit's included) says the change is visible.
 */
function bracketed(query: Query, target: object, args: unknown[], bump: () => void): unknown {
  bump()
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

/**
 * The pool as Drizzle uses it, counting this process's changes to users and sessions: pool.query
 * (one statement, committed when it answers) and pool.connect() for transactions, whose commit
 * is counted too when one of their statements may have changed a session or a user.
 */
export function countingPool(pool: pg.Pool, bump: () => void): pg.Pool {
  const clientProxy = (client: pg.PoolClient) => {
    let changed = false
    return new Proxy(client, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target)
        if (typeof value !== 'function') return value
        if (prop === 'release') {
          return (...args: unknown[]) => {
            if (changed) bump() // ended without a commit or rollback we saw (an error): be safe
            changed = false
            return (value as Query).apply(target, args)
          }
        }
        if (prop !== 'query') return value.bind(target)
        return (...args: unknown[]) => {
          const text = statementText(args)
          if (mayChangeAuth(text)) {
            changed = true
            return bracketed(value as Query, target, args, bump)
          }
          if (changed && TRANSACTION_END.test(text)) {
            changed = false
            return bracketed(value as Query, target, args, bump)
          }
          return (value as Query).apply(target, args)
        }
      },
    })
  }
  return new Proxy(pool, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target)
      if (typeof value !== 'function') return value
      if (prop === 'query') {
        return (...args: unknown[]) =>
          mayChangeAuth(statementText(args)) ? bracketed(value as Query, target, args, bump) : (value as Query).apply(target, args)
      }
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
  /** This process's changes to users and sessions (countingPool's bump). */
  bump(): void
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
    async close() {
      closed = true
      up = false
      clearTimeout(retry)
      await client?.end().catch(() => {})
    },
  }
}
