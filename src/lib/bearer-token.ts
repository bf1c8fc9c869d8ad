import type { FastifyRequest } from 'fastify'
import { invalidToken } from './errors.js'

/**
 * The raw bearer token from the Authorization header, or undefined when there is none. Another
 * scheme (Basic, ...) carries no bearer credentials: that is "no authentication", whose 401 has no
 * error code (RFC 6750 §3.1); only a malformed Bearer header is an invalid_token.
 */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (!header) return undefined
  if (!/^Bearer(\s|$)/i.test(header.trimStart())) return undefined
  const match = /^\s*Bearer\s+(\S+)\s*$/i.exec(header)
  if (!match) throw invalidToken('Malformed Authorization header')
  return match[1]
}
