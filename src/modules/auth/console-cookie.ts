/**
 * The console's refresh token travels in a cookie instead of the page's memory or storage, so a
 * script injected into the page cannot read it (HttpOnly) and other sites cannot use it:
 *
 * - `HttpOnly; Secure; SameSite=Strict; Path=/auth`: sent only to /auth/* of this origin, and only
 *   by requests the console itself starts (SameSite=Strict drops it on cross-site requests).
 * - CSRF defence: the cookie is read only when the request also carries `X-Talangraga-Client: console`.
 *   A custom header cannot be attached by a cross-site form or link, and a cross-origin `fetch` with
 *   it needs a CORS preflight that this server never grants with credentials (cors credentials:false).
 *   A request with the cookie but without the header is refused with 403, not silently ignored.
 * - The mobile app's flow is untouched: without the header nothing about cookies happens, and a
 *   refresh token as Bearer or in the body still wins.
 *
 * `Secure` cookies are accepted by browsers from https origins and from http://localhost and
 * http://127.0.0.1 (both are "potentially trustworthy" origins), which is how development and the
 * browser tests run; any other host must serve the console over HTTPS.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { refused } from '../../lib/errors.js'

export const CONSOLE_HEADER = 'x-talangraga-client'
export const CONSOLE_HEADER_VALUE = 'console'
export const REFRESH_COOKIE = 'tg_refresh'
const COOKIE_PATH = '/auth'

/** True when the console (not the mobile app) asks: the header is the CSRF defence. */
export function isConsoleRequest(request: FastifyRequest): boolean {
  return request.headers[CONSOLE_HEADER] === CONSOLE_HEADER_VALUE
}

/**
 * The refresh token from the console cookie, or undefined when the request does not use the cookie.
 * A cookie without the console header is a cross-site attempt or a misbehaving client: 403.
 */
export function refreshTokenFromCookie(request: FastifyRequest): string | undefined {
  const token = request.cookies?.[REFRESH_COOKIE]
  if (!token) return undefined
  if (!isConsoleRequest(request)) {
    throw refused(`The refresh cookie is only accepted with the header X-Talangraga-Client: console`)
  }
  return token
}

export function setRefreshCookie(reply: FastifyReply, token: string, maxAgeSeconds: number): void {
  reply.setCookie(REFRESH_COOKIE, token, {
    httpOnly: true,
    secure: true,
    sameSite: 'strict',
    path: COOKIE_PATH,
    maxAge: Math.max(1, Math.floor(maxAgeSeconds)),
  })
}

export function clearRefreshCookie(reply: FastifyReply): void {
  reply.clearCookie(REFRESH_COOKIE, { httpOnly: true, secure: true, sameSite: 'strict', path: COOKIE_PATH })
}
