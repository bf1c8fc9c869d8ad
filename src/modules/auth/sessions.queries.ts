/** SQL for sessions. Every function takes an executor so services can compose them in a transaction. */
import { and, eq, gt, isNull, ne, sql } from 'drizzle-orm'
import type { Executor } from '../../db/client.js'
import { dataVersions, sessions, users } from '../../db/schema.js'

/**
 * The per-request check: one primary-key lookup joined to its user. Built once per database as a
 * prepared query: building it with the query builder on every request cost ~8% of the server's CPU
 * under load, and on PostgreSQL the named statement is parsed and planned once per connection.
 * It returns the caller's whole row, kept on request.auth, so handlers about the caller
 * (/auth/profile) need no second round trip. It also reads the ledger marker (data_versions) for
 * the transaction-list cache, for the same reason: a cache check that cost a round trip of its own
 * would give back most of what a hit saves.
 */
function activeSessionQuery(db: Executor) {
  const ledger = db.select({ v: dataVersions.version }).from(dataVersions).where(eq(dataVersions.name, 'ledger'))
  return db
    .select({
      user: users,
      ledgerVersion: sql<string | null>`(${ledger})`.as('ledger_version'),
      sessionExpiresAt: sessions.absoluteExpiresAt,
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(
      and(
        eq(sessions.id, sql.placeholder('sessionId')),
        eq(sessions.userId, sql.placeholder('userId')),
        isNull(sessions.revokedAt),
        gt(sessions.absoluteExpiresAt, sql`now()`),
        eq(users.isActive, true),
      ),
    )
    .limit(1)
    .prepare('find_active_session_user')
}
const activeSessionQueries = new WeakMap<Executor, ReturnType<typeof activeSessionQuery>>()

/** The caller's user row and the current ledger marker, or undefined when the session is not live. */
export async function findActiveSession(db: Executor, sessionId: string, userId: number) {
  let query = activeSessionQueries.get(db)
  if (!query) {
    query = activeSessionQuery(db)
    activeSessionQueries.set(db, query)
  }
  const [row] = await query.execute({ sessionId, userId })
  return row
}

export async function createSession(
  db: Executor,
  values: { userId: number; refreshTtlSeconds: number; maxSeconds: number; ip: string; userAgent: string | undefined },
) {
  const [row] = await db
    .insert(sessions)
    .values({
      userId: values.userId,
      refreshExpiresAt: sql`now() + make_interval(secs => ${values.refreshTtlSeconds})`,
      absoluteExpiresAt: sql`now() + make_interval(secs => ${values.maxSeconds})`,
      ipAddress: values.ip,
      userAgent: values.userAgent?.slice(0, 300),
    })
    .returning()
  if (!row) throw new Error('session insert returned no row')
  return row
}

/** Lock the session row for a refresh (SECURITY R44: refresh serialised per session). */
export async function lockSession(db: Executor, sessionId: string) {
  const [row] = await db.select().from(sessions).where(eq(sessions.id, sessionId)).for('update').limit(1)
  return row
}

/**
 * The refresh path's lock: the session row FOR UPDATE (R44), with its user's active flag joined in
 * the same statement (one round trip instead of two), as a named statement (parsed and planned
 * once per connection on PostgreSQL).
 */
export async function lockSessionForRefresh(db: Executor, sessionId: string) {
  const [row] = await db
    .select({ session: sessions, userActive: users.isActive })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.id, sql.placeholder('sessionId')))
    .for('update', { of: sessions })
    .limit(1)
    .prepare('lock_session_for_refresh')
    .execute({ sessionId })
  return row
}

/**
 * The refresh path of policy `reuse`: the session row and its user's active flag, without a lock,
 * as a named statement built once per database (see refreshSessionUnlocked in auth.service.ts for
 * why no lock is needed there).
 */
function sessionForRefreshQuery(db: Executor) {
  return db
    .select({ session: sessions, userActive: users.isActive })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.id, sql.placeholder('sessionId')))
    .limit(1)
    .prepare('session_for_refresh')
}
const sessionForRefreshQueries = new WeakMap<Executor, ReturnType<typeof sessionForRefreshQuery>>()

export async function findSessionForRefresh(db: Executor, sessionId: string) {
  let query = sessionForRefreshQueries.get(db)
  if (!query) {
    query = sessionForRefreshQuery(db)
    sessionForRefreshQueries.set(db, query)
  }
  const [row] = await query.execute({ sessionId })
  return row
}

export async function revokeSession(db: Executor, sessionId: string, reason: string) {
  return db
    .update(sessions)
    .set({ revokedAt: sql`now()`, revokedReason: reason })
    .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)))
    .returning({ id: sessions.id })
}

/** Revoke every live session of a user, optionally keeping one (change-password keeps the caller's). */
export async function revokeUserSessions(db: Executor, userId: number, reason: string, keepSessionId?: string) {
  const conditions = [eq(sessions.userId, userId), isNull(sessions.revokedAt)]
  if (keepSessionId) conditions.push(ne(sessions.id, keepSessionId))
  return db
    .update(sessions)
    .set({ revokedAt: sql`now()`, revokedReason: reason })
    .where(and(...conditions))
    .returning({ id: sessions.id })
}

export async function listUserSessions(db: Executor, userId: number) {
  return db
    .select()
    .from(sessions)
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), gt(sessions.absoluteExpiresAt, sql`now()`)))
    .orderBy(sql`${sessions.lastUsedAt} DESC`)
}
