/**
 * /auth/*: each handler validates (schema), rate-limits, authorises, calls the service and
 * returns the envelope. Token-bearing responses are `Cache-Control: no-store` (set globally).
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Static } from 'typebox'
import type { AuthContext, ClientInfo } from '../../lib/auth-context.js'
import { bearerToken } from '../../lib/bearer-token.js'
import { invalidRequest, unauthorized, validation } from '../../lib/errors.js'
import { classifyIdentifier, identifierKey } from '../../lib/identity.js'
import { Envelope, errorResponses, MessageOnly, ok, Type } from '../../lib/schemas.js'
import type { LimitRule } from '../../plugins/rate-limit.js'
import { toUserJson } from '../users/users.schemas.js'
import {
  ChangePasswordBody,
  ForgotBody,
  LoginBody,
  LoginResponse,
  LogoutQuery,
  RefreshBody,
  RefreshResponse,
  RegisterBody,
  RegisterForm,
  ResetBody,
  SessionIdParam,
  SessionOut,
  UserResponse,
} from './auth.schemas.js'
import { clearRefreshCookie, isConsoleRequest, refreshTokenFromCookie, setRefreshCookie } from './console-cookie.js'

const tags = ['auth']
const FORGOT_MESSAGE = 'If an account with that email exists, a password reset code has been sent to it'

export default async function authRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const service = app.services.auth
  const perMinute = app.config.authRateLimit
  /**
   * Budgets (docs/decisions.md, "Rate limits"). Per address they are sized for a congregation
   * behind one shared address, and where an attempt can succeed only with a secret (login, reset,
   * refresh) they count failures: successes are refunded.
   */
  const budget = {
    loginIp: (ip: string): LimitRule => ({ name: 'login:ip', key: ip, max: perMinute * 10 }),
    loginId: (identifier: string): LimitRule => ({
      name: 'login:id',
      key: identifierKey(classifyIdentifier(identifier).value),
      max: perMinute,
    }),
    loginAccount: (userId: number): LimitRule => ({ name: 'login:account', key: String(userId), max: perMinute }),
    register: (ip: string): LimitRule => ({ name: 'register:ip', key: ip, max: perMinute * 6 }),
    refresh: (ip: string): LimitRule => ({ name: 'refresh:ip', key: ip, max: perMinute * 6 }),
    forgot: (ip: string): LimitRule => ({ name: 'forgot:ip', key: ip, max: perMinute * 3 }),
    reset: (ip: string): LimitRule => ({ name: 'reset:ip', key: ip, max: perMinute }),
    changePassword: (userId: number): LimitRule => ({ name: 'change-password:user', key: String(userId), max: perMinute }),
  }
  /** Every failure budget that names this account: its id and each identifier it can log in with. */
  const accountBudgets = (user: { id: number; email: string | null; username: string; phoneNumber: string | null }) => [
    budget.loginAccount(user.id),
    budget.changePassword(user.id),
    ...[user.email, user.username, user.phoneNumber].filter((v): v is string => !!v).map(budget.loginId),
  ]
  const client = (r: FastifyRequest): ClientInfo => ({ ip: r.ip, userAgent: r.headers['user-agent'] })

  /** The caller of an optionally-authenticated route: none without a header, 401 for a bad token. */
  async function optionalAuth(request: FastifyRequest): Promise<AuthContext | undefined> {
    const token = bearerToken(request)
    return token ? app.authenticate(token) : undefined
  }

  /**
   * The mobile client posts to /auth/refresh and /auth/logout with only a Bearer header and no body;
   * Ajv would judge the missing body against the object schema and answer 422, so an absent body is
   * read as an empty one before validation.
   */
  const emptyBodyIsObject = async (request: FastifyRequest) => {
    if (request.body === undefined || request.body === null) request.body = {}
  }

  /**
   * Refresh token from `Authorization: Bearer` or the body, never both (RFC 6750 §2); the console
   * sends neither and uses its cookie instead (console-cookie.ts).
   */
  function refreshTokenOf(request: FastifyRequest, body: { refresh_token?: string | undefined } | undefined): string {
    const header = bearerToken(request)
    const inBody = body?.refresh_token
    if (header && inBody) {
      throw invalidRequest('Send the refresh token either as Bearer or in the body, not both')
    }
    const token = header ?? inBody ?? refreshTokenFromCookie(request)
    if (!token) throw unauthorized('Refresh token required')
    return token
  }

  app.post(
    '/auth/register',
    {
      config: { auth: 'public' },
      // Counted before the body is read, so an upload aborted half-way still spends the budget.
      onRequest: async (request) => app.limits.check(request, [budget.register(request.ip)]),
      schema: {
        tags,
        summary: 'Create an account (always a member, unless an admin token asks for an admin)',
        body: {
          content: {
            'application/json': { schema: RegisterBody },
            'multipart/form-data': { schema: RegisterForm },
          },
        },
        response: { 201: UserResponse, ...errorResponses(401, 409, 413, 415, 422, 429) },
      },
    },
    async (request, reply) => {
      const actor = await optionalAuth(request)
      const body = request.body as Static<typeof RegisterBody>
      const user = await service.register(body, actor, request.uploads?.image_profile)
      return reply.code(201).send(ok(toUserJson(user, app.signer), 'User registered', 201))
    },
  )

  app.post(
    '/auth/login',
    {
      config: { auth: 'public' },
      schema: {
        tags,
        summary: 'Log in with email, username or phone number',
        body: LoginBody,
        response: { 200: LoginResponse, ...errorResponses(401, 422, 429) },
      },
    },
    async (request, reply) => {
      const { identifier, password } = request.body
      // Keyed by the normalised identifier: 0812…, +62812… and 62812… are one account, one budget.
      const before = [budget.loginIp(request.ip), budget.loginId(identifier)]
      await app.limits.check(request, before)
      const result = await service.login(identifier, password, client(request), (userId) =>
        app.limits.check(request, [budget.loginAccount(userId)]),
      )
      // A correct login costs nothing: the address gets its attempt back, the account starts afresh.
      await app.limits.refund([before[0] as LimitRule])
      await app.limits.clear([...before.slice(1), ...accountBudgets(result.user)])
      const user = toUserJson(result.user, app.signer)
      if (isConsoleRequest(request)) {
        // The console keeps the refresh token out of reach of page scripts: cookie only.
        setRefreshCookie(reply, result.refresh_token, app.config.refreshTokenTtlSeconds)
        return ok({ ...result, refresh_token: '', user }, 'Login successful')
      }
      return ok({ ...result, user }, 'Login successful')
    },
  )

  app.get(
    '/auth/profile',
    { schema: { tags, summary: 'The caller', response: { 200: UserResponse, ...errorResponses(401) } } },
    async (request) => ok(toUserJson(await service.profile(request.auth), app.signer)),
  )

  /** The refresh answer: the envelope, and the four token fields again at the top level (SPEC §2). */
  const refreshed = (t: { access_token: string; refresh_token: string; token_type: 'bearer'; expires_in: number }) => ({
    code: 200,
    message: 'Token refreshed',
    data: t,
    access_token: t.access_token,
    refresh_token: t.refresh_token,
    token_type: t.token_type,
    expires_in: t.expires_in,
  })

  app.post(
    '/auth/refresh',
    {
      config: { auth: 'public' },
      preValidation: emptyBodyIsObject,
      schema: {
        tags,
        summary: 'New tokens for a refresh token (as Bearer or in the body)',
        security: [{ bearerAuth: [] }],
        body: RefreshBody,
        response: { 200: RefreshResponse, ...errorResponses(400, 401, 422, 429, 503) },
      },
    },
    async (request, reply) => {
      const rules = [budget.refresh(request.ip)]
      await app.limits.check(request, rules)
      const token = refreshTokenOf(request, request.body)
      const tokens = await service.refresh(token)
      await app.limits.refund(rules)
      if (isConsoleRequest(request) && !bearerToken(request) && !request.body?.refresh_token) {
        // The console keeps the refresh token out of reach of page scripts: cookie only.
        setRefreshCookie(reply, tokens.refresh_token, app.config.refreshTokenTtlSeconds)
        return refreshed({ ...tokens, refresh_token: '' })
      }
      return refreshed(tokens)
    },
  )

  app.post(
    '/auth/logout',
    {
      config: { auth: 'public' },
      preValidation: emptyBodyIsObject,
      schema: {
        tags,
        summary: "Revoke the refresh token's session (scope=global: all sessions; others: all but this one)",
        security: [{ bearerAuth: [] }],
        querystring: LogoutQuery,
        body: RefreshBody,
        response: { 200: MessageOnly, ...errorResponses(400, 401, 422) },
      },
    },
    async (request, reply) => {
      const token = refreshTokenOf(request, request.body)
      // The console's cookie goes whatever happens next: a revoked or expired token is useless anyway.
      if (isConsoleRequest(request)) clearRefreshCookie(reply)
      await service.logout(token, request.query.scope)
      return ok(null, 'Logged out')
    },
  )

  app.get(
    '/auth/sessions',
    {
      schema: {
        tags,
        summary: "The caller's active sessions",
        response: { 200: Envelope(Type.Array(SessionOut)), ...errorResponses(401) },
      },
    },
    async (request) => ok(await service.sessions(request.auth)),
  )

  app.delete(
    '/auth/sessions/:id',
    {
      config: { ownAccount: true },
      schema: {
        tags,
        summary: "Revoke one of the caller's sessions",
        params: SessionIdParam,
        response: { 200: MessageOnly, ...errorResponses(401, 404, 422) },
      },
    },
    async (request) => {
      await service.revokeOwnSession(request.auth, request.params.id)
      return ok(null, 'Session revoked')
    },
  )

  app.post(
    '/auth/forgot-password',
    {
      config: { auth: 'public' },
      schema: {
        tags,
        summary: 'Email a single-use reset code (same answer whether or not the account exists)',
        body: ForgotBody,
        response: { 200: MessageOnly, ...errorResponses(422, 429) },
      },
    },
    async (request) => {
      await app.limits.check(request, [budget.forgot(request.ip)])
      service.requestPasswordReset(request.body.email, request.log, request.requestedLocale)
      return ok(null, FORGOT_MESSAGE)
    },
  )

  app.post(
    '/auth/reset-password',
    {
      config: { auth: 'public' },
      schema: {
        tags,
        summary: 'Set a new password with a reset code; every session is revoked',
        body: ResetBody,
        response: { 200: MessageOnly, ...errorResponses(400, 422, 429) },
      },
    },
    async (request) => {
      const rules = [budget.reset(request.ip)]
      await app.limits.check(request, rules)
      const { reset_token, new_password, confirm_new_password } = request.body
      if (new_password !== confirm_new_password) throw validation('does not match the new password', 'confirm_new_password')
      const user = await service.resetPassword(reset_token, new_password)
      // Whoever locked the account with wrong passwords, its owner can log in at once now.
      await app.limits.refund(rules)
      await app.limits.clear(accountBudgets(user))
      return ok(null, 'Password has been reset; please log in')
    },
  )

  for (const url of ['/auth/change-password', '/users/me/change-password']) {
    app.post(
      url,
      {
        config: { ownAccount: true },
        schema: {
          tags,
          summary: "Change the caller's password; other sessions are revoked",
          body: ChangePasswordBody,
          response: { 200: MessageOnly, ...errorResponses(401, 422, 429) },
        },
      },
      async (request) => {
        await app.limits.check(request, [budget.changePassword(request.auth.userId)])
        const { current_password, new_password, confirm_new_password } = request.body
        if (new_password !== confirm_new_password) throw validation('does not match the new password', 'confirm_new_password')
        await service.changePassword(request.auth, current_password, new_password)
        return ok(null, 'Password changed')
      },
    )
  }
}
