/**
 * Declarative access control. Each route says `config: { auth: 'public' | 'user' | 'admin' }`
 * (default: 'user'); one onRequest hook enforces it. For 'user' and 'admin' the access token is
 * verified and then user + session are checked in one indexed query, or reused from an earlier
 * check while nothing that could change it was written (sessionChecker), so logout, password
 * change, deactivation, deletion and demotion take effect at once: on the next request on this
 * instance, and on others as soon as PostgreSQL announces the commit.
 *
 * Auditors (user_type `auditor`, SPEC §8) are one rule here: a GET or HEAD acts as an admin (so
 * every admin read, list and report is theirs, and services need no third role), any other method
 * is 403, except on routes marked `ownAccount` (the caller's own password and sessions).
 */
import type { FastifyContextConfig, FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { AuthContext } from '../lib/auth-context.js'
import { bearerToken } from '../lib/bearer-token.js'
import { forbidden, invalidToken, missingToken } from '../lib/errors.js'
import { type ActiveSession, findActiveSession } from '../modules/users/sessions.queries.js'

export type AccessLevel = 'public' | 'user' | 'admin'

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: AccessLevel
    /**
     * A write that touches only the caller's own credentials or sessions (change password, revoke
     * a session): allowed to read-only accounts too, who must be able to secure their own login.
     */
    ownAccount?: boolean
  }
  interface FastifyRequest {
    auth: AuthContext
  }
}

const READ_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD'])

/** Sessions remembered at most (all of them are dropped at the next write anyway). */
const MEMO_MAX = 10_000
/**
 * A remembered session is read again after this long whatever the counter says: the bound on a
 * revocation missed because another instance's announcement was lost on a connection that died
 * without a word (keepalive finds that out only after minutes). One read per session per 10 s.
 */
const MEMO_MAX_AGE_MS = 10_000

/**
 * The session check of every request. A session read is reused until the database's change
 * counter moves (Database.writeEpoch), so a revocation still takes effect at once:
 * - PGlite: any write moves it (this process is the database's only writer);
 * - PostgreSQL: this process's writes move it, and other instances' changes to sessions or users
 *   as soon as PostgreSQL announces their commit. While those cannot be heard (the listening
 *   connection is down) the counter is undefined and every request reads.
 * The absolute expiry is checked against the clock on every use.
 */
function sessionChecker(app: FastifyInstance) {
  const { db, writeEpoch } = app.database
  const memo = new Map<string, { found: ActiveSession; at: number }>()
  let memoEpoch = writeEpoch()
  return async (sessionId: string, userId: number): Promise<ActiveSession | undefined> => {
    const epoch = writeEpoch()
    if (epoch !== memoEpoch || memo.size >= MEMO_MAX) {
      memo.clear()
      memoEpoch = epoch
    }
    const key = `${sessionId}:${userId}`
    const now = Date.now()
    const known = epoch === undefined ? undefined : memo.get(key)
    if (known && known.found.sessionExpiresAt.getTime() > now && now - known.at < MEMO_MAX_AGE_MS) return known.found
    const found = await findActiveSession(db, sessionId, userId)
    // Remembered only if nothing was written while it was read.
    if (found && epoch !== undefined && writeEpoch() === epoch && epoch === memoEpoch) {
      Object.freeze(found.user) // shared by the requests that reuse it: nothing may change it
      memo.set(key, { found: Object.freeze(found), at: now })
    }
    return found
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The caller behind an access token (verified, session live, user active), or a 401. */
    authenticate(token: string): Promise<AuthContext>
    /**
     * The live session `sessionId` of `userId` (not revoked, before its absolute expiry, its user
     * active), or undefined: the auth guard's check, remembered as sessionChecker says.
     */
    activeSession(sessionId: string, userId: number): Promise<ActiveSession | undefined>
  }
}

async function authGuard(app: FastifyInstance) {
  app.decorateRequest('auth', null as unknown as AuthContext)
  const activeSession = sessionChecker(app)
  app.decorate('activeSession', activeSession)
  app.decorate('authenticate', async (token: string): Promise<AuthContext> => {
    const claims = app.tokens.verifyAccess(token)
    const found = await activeSession(claims.sessionId, claims.userId)
    if (!found) throw invalidToken('Session revoked or user inactive, please log in again')
    const { user } = found
    // An auditor starts as the least privileged role; the onRequest hook lifts reads to admin.
    if (user.userType === 'auditor') return { userId: user.id, role: 'member', readOnly: true, sessionId: claims.sessionId, user }
    return { userId: user.id, role: user.userType, sessionId: claims.sessionId, user }
  })

  /** The caller of a 'user' or 'admin' route, allowed to do what the request asks, or an error. */
  async function authorise(request: FastifyRequest, config: FastifyContextConfig, level: AccessLevel) {
    const token = bearerToken(request)
    if (!token) throw missingToken()
    request.auth = await app.authenticate(token)
    if (request.auth.readOnly) {
      if (READ_METHODS.has(request.method)) request.auth = { ...request.auth, role: 'admin' }
      else if (!config.ownAccount) {
        request.log.warn(
          { userId: request.auth.userId, route: request.routeOptions.url },
          'authorization failure: read-only account writing',
        )
        throw forbidden('Auditors can read everything but change nothing')
      }
    }
    if (level === 'admin' && request.auth.role !== 'admin') {
      request.log.warn({ userId: request.auth.userId, route: request.routeOptions.url }, 'authorization failure: admin route')
      throw forbidden()
    }
  }

  // A callback hook: public routes and 404s pass without a promise of their own.
  app.addHook('onRequest', (request, _reply, done) => {
    // Unknown routes answer 404 whoever asks; every known route is 'user' unless it says otherwise.
    if (request.is404) return done()
    const { config } = request.routeOptions
    const level = config.auth ?? 'user'
    if (level === 'public') return done()
    authorise(request, config, level).then(() => done(), done)
  })
}

export default fp(authGuard, { name: 'auth-guard', dependencies: ['error-envelope'] })
