/**
 * Declarative access control. Each route says `config: { auth: 'public' | 'user' | 'admin' }`
 * (default: 'user'); one onRequest hook enforces it. For 'user' and 'admin' the access token is
 * verified and then user + session are checked in one indexed query, so logout, password change,
 * deactivation, deletion and demotion take effect at once on every instance.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { forbidden, invalidToken, missingToken } from '../lib/errors.js'
import type { AuthContext } from '../modules/auth/auth.types.js'
import { findActiveSession } from '../modules/auth/sessions.queries.js'

export type AccessLevel = 'public' | 'user' | 'admin'

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: AccessLevel
  }
  interface FastifyRequest {
    auth: AuthContext
  }
}

/** The raw bearer token from the Authorization header, or undefined when there is none. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (!header) return undefined
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
  if (!match) throw invalidToken('Malformed Authorization header')
  return match[1]
}

async function authGuard(app: FastifyInstance) {
  app.decorateRequest('auth', null as unknown as AuthContext)

  app.addHook('onRequest', async (request) => {
    // Unknown routes answer 404 whoever asks; every known route is 'user' unless it says otherwise.
    if (request.is404) return
    const level = request.routeOptions.config.auth ?? 'user'
    if (level === 'public') return
    const token = bearerToken(request)
    if (!token) throw missingToken()
    const claims = app.tokens.verifyAccess(token)
    const found = await findActiveSession(app.database.db, claims.sessionId, claims.userId)
    if (!found) throw invalidToken('Session revoked or user inactive, please log in again')
    const { user, ledgerVersion } = found
    request.auth = { userId: user.id, role: user.userType, sessionId: claims.sessionId, user, ledgerVersion }
    if (level === 'admin' && user.userType !== 'admin') {
      request.log.warn({ userId: user.id, route: request.routeOptions.url }, 'authorization failure: admin route')
      throw forbidden()
    }
  })
}

export default fp(authGuard, { name: 'auth-guard', dependencies: ['error-envelope'] })
