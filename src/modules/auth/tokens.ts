/**
 * JWT issuing and verification. One algorithm (HS256) pinned on both sides; access and refresh
 * tokens differ in secret, `typ` header and audience, so neither can stand in for the other.
 * The signature is verified before any claim is read (fast-jwt does both in one call).
 */
import { createHmac, createSecretKey, randomUUID } from 'node:crypto'
import { createVerifier, TokenError } from 'fast-jwt'
import { EXPIRED_TOKEN_MESSAGE, invalidToken } from '../../lib/errors.js'

const ISSUER = 'talangraga'
const ACCESS = { typ: 'at+jwt', aud: 'talangraga:access' } as const
const REFRESH = { typ: 'rt+jwt', aud: 'talangraga:refresh' } as const
/**
 * Clock skew tolerated on exp/nbf between our own instances, in milliseconds (SECURITY R23: at
 * most 60 s). Never more than a quarter of the token's lifetime: a fixed 5 s on a token configured
 * to live 1 s would more than quintuple its life.
 */
const MAX_CLOCK_TOLERANCE_MS = 5_000
const toleranceFor = (ttlSeconds: number) => Math.min(MAX_CLOCK_TOLERANCE_MS, Math.floor((ttlSeconds * 1000) / 4))
/** JWT `exp` has whole seconds; a lifetime that rounds to 0 would make fast-jwt omit `exp` entirely. */
const wholeSeconds = (ttlSeconds: number) => Math.max(1, Math.round(ttlSeconds))
/** Access tokens remembered as verified, at most (the oldest is dropped first). */
const VERIFIED_MAX = 20_000

export interface AccessClaims {
  userId: number
  sessionId: string
}
export interface RefreshClaims extends AccessClaims {
  /** Generation of this refresh token within its session (used by the `rotate` policy). */
  generation: number
}

export interface TokenServiceOptions {
  accessSecret: string
  refreshSecret: string
  accessTtlSeconds: number
  refreshTtlSeconds: number
}

export type TokenService = ReturnType<typeof createTokenService>

/**
 * An HS256 signer for one kind of token: the compact JWS of RFC 7515 with a fixed header
 * (`{"alg":"HS256","typ":...}`, encoded once) over the claims as given. Signing needs nothing but
 * this; what a token must be to be accepted is decided by the verifiers below (fast-jwt). A
 * refresh mints two tokens, and fast-jwt's general-purpose signer cost three times the HMAC
 * itself for each (docs/decisions.md, "Per-request work").
 */
function hs256Signer(secret: string, typ: string) {
  const key = createSecretKey(Buffer.from(secret, 'utf8'))
  const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ })).toString('base64url')
  return (claims: Record<string, string | number>): string => {
    const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`
    return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`
  }
}

export function createTokenService(opts: TokenServiceOptions) {
  const accessTtl = wholeSeconds(opts.accessTtlSeconds)
  const refreshTtl = wholeSeconds(opts.refreshTtlSeconds)
  const signAccess = hs256Signer(opts.accessSecret, ACCESS.typ)
  const signRefresh = hs256Signer(opts.refreshSecret, REFRESH.typ)
  const common = {
    algorithms: ['HS256' as const],
    allowedIss: ISSUER,
    requiredClaims: ['exp', 'iat', 'sub', 'sid', 'aud', 'iss'],
    cache: false,
  }
  const accessTolerance = toleranceFor(accessTtl)
  const verifyAccessJwt = createVerifier({
    ...common,
    key: opts.accessSecret,
    clockTolerance: accessTolerance,
    allowedAud: ACCESS.aud,
    checkTyp: ACCESS.typ,
  })
  const verifyRefreshJwt = createVerifier({
    ...common,
    key: opts.refreshSecret,
    clockTolerance: toleranceFor(refreshTtl),
    allowedAud: REFRESH.aud,
    checkTyp: REFRESH.typ,
  })

  const verified = new Map<string, { claims: AccessClaims; until: number }>()

  return {
    accessTtlSeconds: accessTtl,
    refreshTtlSeconds: refreshTtl,

    issueAccess(c: AccessClaims): string {
      const iat = Math.floor(Date.now() / 1000)
      return signAccess({
        sub: String(c.userId),
        sid: c.sessionId,
        jti: randomUUID(),
        aud: ACCESS.aud,
        iss: ISSUER,
        iat,
        exp: iat + accessTtl,
      })
    },

    /** A refresh token for `ttlSeconds` (never longer than the configured lifetime, never under 1 s). */
    issueRefresh(c: RefreshClaims, ttlSeconds: number = refreshTtl): string {
      const iat = Math.floor(Date.now() / 1000)
      // Never outlive the session's absolute lifetime (the caller passes what is left of it).
      const exp = iat + Math.max(1, Math.min(refreshTtl, Math.floor(ttlSeconds)))
      return signRefresh({
        sub: String(c.userId),
        sid: c.sessionId,
        gen: c.generation,
        jti: randomUUID(),
        aud: REFRESH.aud,
        iss: ISSUER,
        iat,
        exp,
      })
    },

    /**
     * A client sends the same access token with every request for its whole lifetime, so a token
     * verified once is remembered by its exact text with the last instant its `exp` allows (the
     * same bound, tolerance included, as the full check). Only the clock can change the outcome for
     * identical bytes, and it is checked on every use: an expired token gets the full check again,
     * and its answer. Refused tokens are never remembered. The session behind the token is not
     * part of this: the auth guard checks it on every request.
     */
    verifyAccess(token: string): AccessClaims {
      const known = verified.get(token)
      if (known) {
        if (Date.now() <= known.until) return known.claims
        verified.delete(token)
      }
      const p = verify(verifyAccessJwt, token, EXPIRED_TOKEN_MESSAGE)
      const c = Object.freeze(claims(p))
      if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value as string)
      verified.set(token, { claims: c, until: (p.exp as number) * 1000 + accessTolerance })
      return c
    },

    verifyRefresh(token: string): RefreshClaims {
      const p = verify(verifyRefreshJwt, token, 'Refresh token expired, please log in again')
      const generation = p.gen
      if (typeof generation !== 'number' || !Number.isInteger(generation) || generation < 0) {
        throw invalidToken('Invalid refresh token')
      }
      const { userId, sessionId } = claims(p)
      return { userId, sessionId, generation }
    },
  }
}

type Payload = Record<string, unknown>
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

function verify(verifier: (t: string) => Payload, token: string, expiredMessage: string): Payload {
  let p: Payload
  try {
    p = verifier(token)
  } catch (err) {
    if (err instanceof TokenError && err.code === TokenError.codes.expired) throw invalidToken(expiredMessage)
    throw invalidToken('Invalid or malformed token')
  }
  // fast-jwt checks iat only against a maxAge; a token issued in the future (beyond the clock
  // tolerance) was not minted by this server's clock and is refused.
  if (typeof p.iat !== 'number' || p.iat * 1000 > Date.now() + MAX_CLOCK_TOLERANCE_MS) throw invalidToken('Invalid or malformed token')
  return p
}

function claims(p: Payload): AccessClaims {
  const userId = Number(p.sub)
  if (!Number.isInteger(userId) || userId <= 0 || typeof p.sid !== 'string' || !UUID.test(p.sid)) {
    throw invalidToken('Invalid or malformed token')
  }
  return { userId, sessionId: p.sid }
}
