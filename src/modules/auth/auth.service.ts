/**
 * Authentication rules: registration, login, sessions and their tokens, password flows.
 * Routes call these with validated input and an AuthContext; nothing here reads a request.
 */
import { createHash, randomBytes } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { Config } from '../../config.js'
import type { Db, Executor } from '../../db/client.js'
import { isLocale, type Locale } from '../../i18n/index.js'
import { letter, mailLanguages, resetPasswordMail } from '../../i18n/mail.js'
import type { AuthContext, ClientInfo, UserType } from '../../lib/auth-context.js'
import { badRequest, invalidToken, notFound, unauthorized, validation } from '../../lib/errors.js'
import { classifyIdentifier, normaliseEmail } from '../../lib/identity.js'
import type { Mailer } from '../../lib/mailer.js'
import type { UploadedFile } from '../../plugins/uploads.js'
import { passwordProblem } from '../users/password-policy.js'
import { hashPassword, verifyPassword } from '../users/passwords.js'
import { countRecentResetTokens, insertResetToken, lockResetToken, useUpResetTokens } from '../users/reset-tokens.queries.js'
import {
  type ActiveSession,
  createSession,
  findSessionForRefresh,
  listUserSessions,
  lockSession,
  revokeSession,
  revokeUserSessions,
  touchSession,
} from '../users/sessions.queries.js'
import type { RegisterInput } from '../users/users.accounts.js'
import { findUserByEmail, findUserById, findUserByIdentifier, lockUser, updateUser } from '../users/users.queries.js'
import { roleOf } from '../users/users.schemas.js'
import type { UsersService } from '../users/users.service.js'
import type { TokenService } from './tokens.js'

export interface AuthDeps {
  db: Db
  config: Pick<Config, 'appUrl' | 'locale' | 'refreshPolicy' | 'refreshGraceSeconds' | 'refreshTokenTtlSeconds' | 'sessionMaxSeconds'>
  tokens: TokenService
  mailer: Mailer
  log: FastifyBaseLogger
  /** Accounts are created by the users module, which auth sits on. */
  users: Pick<UsersService, 'createAccount'>
  /**
   * The auth guard's session check (app.activeSession), remembered while nothing that could change
   * it was written: a refresh under policy `reuse` that needs no write answers from it.
   */
  activeSession?: (sessionId: string, userId: number) => Promise<ActiveSession | undefined>
}

const RESET_TTL_SECONDS = 30 * 60
/** At most this many reset emails per account per hour; more are dropped silently (R10). */
const RESET_MAILS_PER_HOUR = 3

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex')

export function createAuthService(deps: AuthDeps) {
  const { db, config, tokens, log } = deps
  /** Password-reset requests still being processed after their answer; settle() awaits them. */
  const pendingResets = new Set<Promise<unknown>>()

  async function issueTokens(userId: number, sessionId: string, generation: number, absoluteExpiresAt: Date) {
    const remaining = (absoluteExpiresAt.getTime() - Date.now()) / 1000
    return {
      access_token: tokens.issueAccess({ userId, sessionId }),
      refresh_token: tokens.issueRefresh({ userId, sessionId, generation }, Math.min(tokens.refreshTtlSeconds, remaining)),
      token_type: 'bearer' as const,
      expires_in: tokens.accessTtlSeconds,
    }
  }

  /** The session a refresh token names, if it may still be used; 401 otherwise. */
  function refreshable(found: Awaited<ReturnType<typeof findSessionForRefresh>>, userId: number, now: number) {
    const session = found?.session
    if (
      !session ||
      session.userId !== userId ||
      session.revokedAt ||
      session.absoluteExpiresAt.getTime() <= now ||
      session.refreshExpiresAt.getTime() <= now ||
      !found.userActive
    ) {
      throw invalidToken('Session expired or revoked, please log in again')
    }
    return session
  }

  /**
   * Whether the idle expiry should move. Moving it by less than 1% of its TTL is not worth a row
   * write on every refresh (most of them, for an app refreshing often): it is then at most 1% of
   * the TTL earlier than it could be, and last_used_at as stale. Rotations are always written.
   */
  function idleExpiryLags(refreshExpiresAt: Date, absoluteExpiresAt: Date, now: number) {
    const ttlMs = config.refreshTokenTtlSeconds * 1000
    const wanted = Math.min(now + ttlMs, absoluteExpiresAt.getTime())
    return refreshExpiresAt.getTime() < wanted - ttlMs / 100
  }

  /**
   * Policy `reuse` without a read of its own: the session as the auth guard last checked it, when
   * that check is live and the idle expiry needs no write. Undefined sends the refresh down the
   * full path (refreshOn), which reads the row: a remembered idle expiry can be older than the
   * row's (another instance's refresh moved it unannounced), so "expired" or "lags" is only
   * believed after a read.
   */
  async function refreshFromCheck(claims: { userId: number; sessionId: string }) {
    const found = await deps.activeSession?.(claims.sessionId, claims.userId)
    // Not live (revoked, expired, user inactive or another user's): the full path says 401.
    if (!found) return undefined
    const now = Date.now()
    if (found.refreshExpiresAt.getTime() <= now || idleExpiryLags(found.refreshExpiresAt, found.sessionExpiresAt, now)) return undefined
    return issueTokens(claims.userId, claims.sessionId, found.refreshGeneration, found.sessionExpiresAt)
  }

  /** One refresh on `ex`: a transaction holding the session row under `rotate`, the database under `reuse`. */
  async function refreshOn(ex: Executor, claims: { userId: number; sessionId: string; generation: number }) {
    const rotate = config.refreshPolicy === 'rotate'
    const now = Date.now()
    const session = refreshable(await findSessionForRefresh(ex, claims.sessionId, rotate), claims.userId, now)
    let generation = session.refreshGeneration
    if (rotate) {
      const current = session.refreshGeneration
      const inGrace =
        claims.generation === current - 1 &&
        session.rotatedAt !== null &&
        now - session.rotatedAt.getTime() <= config.refreshGraceSeconds * 1000
      if (claims.generation === current) {
        generation = current + 1
      } else if (!inGrace) {
        // Returned, not thrown: throwing here would roll the revocation back with the transaction.
        await revokeSession(ex, session.id, 'refresh_token_reuse')
        return { reused: true as const, userId: session.userId, sessionId: session.id }
      }
    }
    const rotated = generation !== session.refreshGeneration
    if (rotated || idleExpiryLags(session.refreshExpiresAt, session.absoluteExpiresAt, now)) {
      await touchSession(ex, session.id, config.refreshTokenTtlSeconds, rotated ? generation : undefined)
    }
    return { reused: false as const, tokens: await issueTokens(session.userId, session.id, generation, session.absoluteExpiresAt) }
  }

  function requireNewPassword(password: string, context: string[], field = 'password') {
    const problem = passwordProblem(password, context)
    if (problem) throw validation(problem, field)
  }

  return {
    /**
     * Create an account. Public callers always get a member whatever `user_type` says; only an
     * admin caller may create an admin or an auditor.
     */
    async register(input: RegisterInput, actor: AuthContext | undefined, image: UploadedFile | undefined) {
      const wanted = roleOf(input.user_type)
      const elevated = actor?.role === 'admin' && !actor.readOnly && (wanted === 'admin' || wanted === 'auditor')
      const userType: UserType = elevated && wanted ? wanted : 'member'
      const user = await deps.users.createAccount(input, { userType }, image)
      log.info({ event: 'auth.register', userId: user.id, userType, by: actor?.userId }, 'user registered')
      return user
    },

    /** Same 401 (status, body, timing) for an unknown identifier, a wrong password, or an inactive account. */
    async login(identifier: string, password: string, client: ClientInfo, throttleAccount?: (userId: number) => Promise<void>) {
      const { kind, value } = classifyIdentifier(identifier)
      const user = await findUserByIdentifier(db, kind, value)
      // One budget per account whichever identifier form names it (email, username, phone).
      if (user && throttleAccount) await throttleAccount(user.id)
      const usable = user?.isActive && !user.anonymisedAt
      const result = await verifyPassword(usable ? user.passwordHash : null, password)
      if (!usable || !result.ok) {
        log.warn({ event: 'auth.login_failed', kind, userId: user?.id, ip: client.ip }, 'login failed')
        throw unauthorized('Incorrect identifier or password')
      }
      if (result.needsRehash) {
        await updateUser(db, user.id, { passwordHash: await hashPassword(password) })
        log.info({ event: 'auth.rehash', userId: user.id }, 'password hash upgraded to argon2id')
      }
      const session = await createSession(db, {
        userId: user.id,
        refreshTtlSeconds: config.refreshTokenTtlSeconds,
        maxSeconds: config.sessionMaxSeconds,
        ip: client.ip,
        userAgent: client.userAgent,
      })
      log.info({ event: 'auth.login', userId: user.id, sessionId: session.id, ip: client.ip }, 'login succeeded')
      return { ...(await issueTokens(user.id, session.id, 0, session.absoluteExpiresAt)), user }
    },

    /**
     * Exchange a refresh token for new tokens.
     * Policy `reuse`: the same refresh token keeps working until it expires or the session ends.
     * Policy `rotate`: each refresh token works once; its immediate parent is tolerated within the
     * grace interval (concurrent refreshes); any other reuse revokes the whole session. Under
     * `rotate` the session row is locked for the duration (SECURITY R44): two refreshes racing on
     * the generation counter are serialised, and a refresh racing a logout or password change
     * cannot mint a live token after the revocation.
     *
     * Policy `reuse` takes no lock and no transaction: the auth guard's session check (remembered
     * until a change to the session or its user is written here or announced by another instance,
     * src/plugins/auth-guard.ts), or one read of the session and its user, and a write only when
     * the idle expiry has to move. There is no generation counter to race on, and
     * the tokens it mints carry no state of their own: every use of them (the auth guard for the
     * access token, this function for the refresh token) re-checks the session row. So if a logout
     * or password change revokes the session between our read and our answer, the tokens we hand out
     * are dead on first use: no live token survives the revocation, which is what R44 protects. The
     * idle-expiry UPDATE never touches revoked_at and is conditioned on it being null, so it cannot
     * undo a revocation either.
     */
    async refresh(refreshToken: string) {
      const claims = tokens.verifyRefresh(refreshToken)
      if (config.refreshPolicy === 'reuse') {
        const fromCheck = await refreshFromCheck(claims)
        if (fromCheck) return fromCheck
      }
      const outcome = config.refreshPolicy === 'rotate' ? await db.transaction((tx) => refreshOn(tx, claims)) : await refreshOn(db, claims)
      if (outcome.reused) {
        log.warn(
          { event: 'auth.refresh_reuse', userId: outcome.userId, sessionId: outcome.sessionId },
          'refresh token reuse detected; session revoked',
        )
        throw invalidToken('Refresh token already used; session revoked, please log in again')
      }
      return outcome.tokens
    },

    /** Revoke the refresh token's session, or with scope `global` every session of its user, or with `others` all but it. */
    async logout(refreshToken: string, scope: 'local' | 'global' | 'others') {
      const claims = tokens.verifyRefresh(refreshToken)
      await db.transaction(async (tx) => {
        // The user's row first, then sessions: two global logouts of one account queue here instead
        // of each holding its own session and waiting for the other's (a deadlock, 1 s, then 409).
        await lockUser(tx, claims.userId)
        const session = await lockSession(tx, claims.sessionId)
        // A global logout that another global logout has just done is done: same answer.
        const justNow = session?.revokedAt && Date.now() - session.revokedAt.getTime() < 60_000
        if (scope === 'global' && session?.userId === claims.userId && session.revokedReason === 'logout_global' && justNow) return
        if (!session || session.userId !== claims.userId || session.revokedAt) {
          throw invalidToken('Session expired or revoked, please log in again')
        }
        if (scope === 'global') await revokeUserSessions(tx, claims.userId, 'logout_global')
        else if (scope === 'others') await revokeUserSessions(tx, claims.userId, 'logout_others', session.id)
        else await revokeSession(tx, session.id, 'logout')
      })
      log.info({ event: 'auth.logout', userId: claims.userId, sessionId: claims.sessionId, scope }, 'logout')
    },

    async profile(auth: AuthContext) {
      // The guard's session check already read the row in this request.
      const user = auth.user ?? (await findUserById(db, auth.userId))
      if (!user) throw notFound('User')
      return user
    },

    async sessions(auth: AuthContext) {
      const rows = await listUserSessions(db, auth.userId)
      return rows.map((s) => ({
        id: s.id,
        created_at: s.createdAt.toISOString(),
        last_used_at: s.lastUsedAt.toISOString(),
        expires_at: s.absoluteExpiresAt.toISOString(),
        ip_address: s.ipAddress,
        user_agent: s.userAgent,
        current: s.id === auth.sessionId,
      }))
    },

    async revokeOwnSession(auth: AuthContext, sessionId: string) {
      const [row] = await revokeSession(db, sessionId, 'revoked_by_user', auth.userId)
      if (!row) throw notFound('Session')
      log.info({ event: 'auth.session_revoked', userId: auth.userId, sessionId }, 'session revoked by its user')
    },

    /**
     * POST /auth/forgot-password: the lookup, token and mail happen after the answer, so neither the
     * response nor its timing depends on whether the account exists (R10); per-account throttling
     * inside is silent too. A failure is only logged. `requested` is the request's Accept-Language,
     * if it named one of ours: the mail's language before the account's saved one.
     */
    requestPasswordReset(email: string, requestLog: FastifyBaseLogger, requested?: Locale) {
      const job = this.forgotPassword(email, requested).catch((err) => requestLog.error({ err }, 'password reset request failed'))
      pendingResets.add(job)
      void job.finally(() => pendingResets.delete(job))
    },

    /** Wait for the password-reset requests still in flight (on close). */
    async settle() {
      await Promise.all([...pendingResets])
    },

    /**
     * Always resolves the same way. When the account exists (and is not throttled) a single-use
     * token is stored hashed and mailed; the token itself is never returned.
     */
    async forgotPassword(emailInput: string, requested?: Locale) {
      const email = normaliseEmail(emailInput)
      const user = await findUserByEmail(db, email)
      if (!user?.isActive || !user.email) return
      const token = randomBytes(32).toString('base64url')
      // Count and insert under a lock on the user's row: parallel requests for one account queue
      // here, so the third token of the hour is the last one whatever the concurrency.
      const issued = await db.transaction(async (tx) => {
        await lockUser(tx, user.id)
        if ((await countRecentResetTokens(tx, user.id)) >= RESET_MAILS_PER_HOUR) return false
        await insertResetToken(tx, { userId: user.id, tokenHash: sha256(token), ttlSeconds: RESET_TTL_SECONDS })
        return true
      })
      if (!issued) {
        log.warn({ event: 'auth.reset_throttled', userId: user.id }, 'password reset request dropped (per-account throttle)')
        return
      }
      const link = `${config.appUrl}/reset-password?token=${token}`
      // Accept-Language of the request, else the account's saved language, else APP_LOCALE.
      const locale = requested ?? (isLocale(user.locale) ? user.locale : config.locale)
      deps.mailer.send({ to: user.email, ...resetPasswordMail(locale, { name: user.fullname, token, link }) })
      log.info({ event: 'auth.reset_requested', userId: user.id }, 'password reset requested')
    },

    /** Set a new password with a reset token; the token dies, and so does every session. Returns the account. */
    async resetPassword(token: string, newPassword: string) {
      const user = await db.transaction(async (tx) => {
        const row = await lockResetToken(tx, sha256(token))
        if (!row || row.usedAt || row.expiresAt.getTime() <= Date.now()) {
          throw badRequest('Invalid or expired reset token')
        }
        const user = await findUserById(tx, row.userId)
        if (!user?.isActive) throw badRequest('Invalid or expired reset token')
        requireNewPassword(newPassword, [user.username, user.email ?? ''], 'new_password')
        await updateUser(tx, user.id, { passwordHash: await hashPassword(newPassword) })
        // Every outstanding reset token of this user dies with the password change (R11).
        await useUpResetTokens(tx, user.id)
        await revokeUserSessions(tx, user.id, 'password_reset')
        return user
      })
      await this.notifyPasswordChanged(user.id)
      log.info({ event: 'auth.password_reset', userId: user.id }, 'password reset; all sessions revoked')
      return user
    },

    /** Change password with the current one; other sessions are revoked, the caller's survives. */
    async changePassword(auth: AuthContext, current: string, next: string) {
      const user = await findUserById(db, auth.userId)
      if (!user) throw notFound('User')
      const check = await verifyPassword(user.passwordHash, current)
      if (!check.ok) throw validation('The current password is incorrect', 'current_password')
      if (current === next) throw validation('must differ from the current password', 'new_password')
      requireNewPassword(next, [user.username, user.email ?? ''], 'new_password')
      const hash = await hashPassword(next)
      await db.transaction(async (tx) => {
        await updateUser(tx, user.id, { passwordHash: hash })
        await revokeUserSessions(tx, user.id, 'password_changed', auth.sessionId)
        await useUpResetTokens(tx, user.id)
      })
      await this.notifyPasswordChanged(user.id)
      log.info({ event: 'auth.password_changed', userId: user.id }, 'password changed; other sessions revoked')
    },

    /** R9: tell the owner their password changed. */
    async notifyPasswordChanged(userId: number) {
      const user = await findUserById(db, userId)
      if (!user?.email) return
      const languages = mailLanguages(user.locale, config.locale)
      const mail = letter(languages, user.fullname, { key: 'mail.changed.passwordSubject' }, { key: 'mail.changed.password' })
      deps.mailer.send({ to: user.email, ...mail })
    },
  }
}

export type AuthService = ReturnType<typeof createAuthService>
