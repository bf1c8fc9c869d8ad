/** SQL for sessions. Every function takes an executor so services can compose them in a transaction. */
import { and, eq, getTableColumns, gt, isNull, ne, sql } from 'drizzle-orm'
import type { Executor } from '../../db/client.js'
import { prepared } from '../../db/prepared.js'
import type { CallerRow } from '../../db/rows.js'
import { sessions, users } from '../../db/schema.js'

/** The columns of CallerRow (db/rows.ts): the users row without the hash and the bookkeeping. */
const { passwordHash: _hash, emailNotifications: _mail, anonymisedAt: _anonymised, ...callerColumns } = getTableColumns(users)

/** CallerRow as JSON: the same keys, money as text, times as ISO text. */
type CallerJson = Omit<CallerRow, 'createdAt' | 'updatedAt'> & { createdAt: string; updatedAt: string }

/**
 * The caller's row as one JSON value built by PostgreSQL (keys as in CallerRow; numeric as text,
 * never a float): the driver describes and parses one column instead of fourteen, and it does so
 * on every execution, prepared statement or not. Both drivers hand over `json` parsed; the two
 * times become Dates here, to the millisecond as Drizzle reads a timestamp column.
 */
const callerRow = sql<CallerJson>`json_build_object(${sql.join(
  Object.entries(callerColumns).map(([key, column]) => {
    if (!/^[a-zA-Z]+$/.test(key)) throw new Error(`unexpected column key ${key}`)
    return sql`${sql.raw(`'${key}'`)}, ${column.columnType === 'PgNumeric' ? sql`${column}::text` : column}`
  }),
  sql`, `,
)})`.mapWith((value: CallerJson | string): CallerRow => {
  const json: CallerJson = typeof value === 'string' ? JSON.parse(value) : value
  return { ...json, createdAt: new Date(json.createdAt), updatedAt: new Date(json.updatedAt) }
})

/**
 * The per-request check: one primary-key lookup joined to its user, as a named prepared statement
 * (src/db/prepared.ts). It returns the caller's row (CallerRow), kept on request.auth, so handlers
 * about the caller (/auth/profile) need no second round trip.
 */
const activeSessionQuery = prepared((db) =>
  db
    .select({
      user: callerRow,
      sessionExpiresAt: sessions.absoluteExpiresAt,
      refreshExpiresAt: sessions.refreshExpiresAt,
      refreshGeneration: sessions.refreshGeneration,
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
    .prepare('find_active_session_user'),
)

/** A live session as the per-request check reads it. */
export interface ActiveSession {
  user: CallerRow
  /** Absolute expiry. */
  sessionExpiresAt: Date
  /** Idle expiry of the refresh token and its generation, for a refresh under policy `reuse`. */
  refreshExpiresAt: Date
  refreshGeneration: number
}

/** The caller's user row and the session's expiries, or undefined when the session is not live. */
export async function findActiveSession(db: Executor, sessionId: string, userId: number): Promise<ActiveSession | undefined> {
  const [row] = await activeSessionQuery(db).execute({ sessionId, userId })
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

/** Lock the session row (logout: serialised with a refresh of the same session, SECURITY R44). */
export async function lockSession(db: Executor, sessionId: string) {
  const [row] = await db.select().from(sessions).where(eq(sessions.id, sessionId)).for('update').limit(1)
  return row
}

/** What a refresh decides on: the session's state and expiries, and its user's active flag. */
const refreshColumns = {
  id: sessions.id,
  userId: sessions.userId,
  refreshExpiresAt: sessions.refreshExpiresAt,
  absoluteExpiresAt: sessions.absoluteExpiresAt,
  refreshGeneration: sessions.refreshGeneration,
  rotatedAt: sessions.rotatedAt,
  revokedAt: sessions.revokedAt,
}

/** A session with its user's active flag, as read for a refresh. */
const sessionForRefresh = (db: Executor) =>
  db
    .select({ session: refreshColumns, userActive: users.isActive })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.id, sql.placeholder('sessionId')))

/**
 * The refresh path of policy `rotate`: the session row FOR UPDATE (R44), with its user's active
 * flag joined in the same statement (one round trip instead of two).
 */
const lockSessionForRefreshQuery = prepared((db) =>
  sessionForRefresh(db).for('update', { of: sessions }).limit(1).prepare('lock_session_for_refresh'),
)

/** The refresh path of policy `reuse`: the same read without a lock (see refresh() in auth.service.ts). */
const sessionForRefreshQuery = prepared((db) => sessionForRefresh(db).limit(1).prepare('session_for_refresh'))

/** The session for a refresh, locked (`rotate`) or not (`reuse`). */
export async function findSessionForRefresh(db: Executor, sessionId: string, lock: boolean) {
  const [row] = await (lock ? lockSessionForRefreshQuery(db) : sessionForRefreshQuery(db)).execute({ sessionId })
  return row
}

/**
 * A refresh's write: the idle expiry moves (never past the absolute one) and, when the refresh
 * token rotated, the generation with it. A revoked session is left alone.
 */
export async function touchSession(db: Executor, sessionId: string, refreshTtlSeconds: number, rotatedTo?: number) {
  await db
    .update(sessions)
    .set({
      ...(rotatedTo === undefined ? {} : { refreshGeneration: rotatedTo, rotatedAt: sql`now()` }),
      lastUsedAt: sql`now()`,
      refreshExpiresAt: sql`least(now() + make_interval(secs => ${refreshTtlSeconds}), ${sessions.absoluteExpiresAt})`,
    })
    .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)))
}

/** Revoke one live session; with `ofUserId`, only when it belongs to that user. */
export async function revokeSession(db: Executor, sessionId: string, reason: string, ofUserId?: number) {
  const conditions = [eq(sessions.id, sessionId), isNull(sessions.revokedAt)]
  if (ofUserId !== undefined) conditions.push(eq(sessions.userId, ofUserId))
  return db
    .update(sessions)
    .set({ revokedAt: sql`now()`, revokedReason: reason })
    .where(and(...conditions))
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
