/**
 * Declarative access control. Each route says `config: { auth: 'public' | 'user' | 'admin' }`
 * (default: 'user'); one onRequest hook enforces it. For 'user' and 'admin' the access token is
 * verified and then user + session are checked in one indexed query, so logout, password change,
 * deactivation, deletion and demotion take effect at once on every instance.
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
import { findActiveSession } from '../modules/users/sessions.queries.js'

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

type ActiveSession = NonNullable<Awaited<ReturnType<typeof findActiveSession>>>

/** Sessions remembered at most (all of them are dropped at the next write anyway). */
const MEMO_MAX = 10_000

/**
 * The session check of every request. On the embedded PGlite database, whose only writer is this
 * process, a session read is reused until anything is written (Database.writeEpoch): a logout, a
 * password change, a deactivation or any other write makes the next request read it again, so a
 * revocation still takes effect at once. The absolute expiry is checked against the clock on
 * every use. On PostgreSQL other instances write too: every request reads.
 */
function sessionChecker(app: FastifyInstance) {
  const { db, writeEpoch } = app.database
  if (!writeEpoch) return (sessionId: string, userId: number) => findActiveSession(db, sessionId, userId)
  const memo = new Map<string, ActiveSession>()
  let memoEpoch = writeEpoch()
  return async (sessionId: string, userId: number): Promise<ActiveSession | undefined> => {
    const epoch = writeEpoch()
    if (epoch !== memoEpoch || memo.size >= MEMO_MAX) {
      memo.clear()
      memoEpoch = epoch
    }
    const key = `${sessionId}:${userId}`
    const known = memo.get(key)
    if (known && known.sessionExpiresAt.getTime() > Date.now()) return known
    const found = await findActiveSession(db, sessionId, userId)
    // Remembered only if nothing was written while it was read.
    if (found && writeEpoch() === epoch && epoch === memoEpoch) {
      Object.freeze(found.user) // shared by the requests that reuse it: nothing may change it
      memo.set(key, Object.freeze(found))
    }
    return found
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The caller behind an access token (verified, session live, user active), or a 401. */
    authenticate(token: string): Promise<AuthContext>
  }
}

async function authGuard(app: FastifyInstance) {
  app.decorateRequest('auth', null as unknown as AuthContext)
  const activeSession = sessionChecker(app)
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
