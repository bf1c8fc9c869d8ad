/**
 * Signed, expiring file URLs: `/files/<key>?exp=<unix seconds>&sig=<HMAC-SHA256(key, exp)>`.
 * Proof images are private; a URL is a short-lived capability freshly minted in every response.
 * Expiries are rounded up to a 5-minute boundary so that a client sees the same URL for a while
 * and its image cache keeps working.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'

const BUCKET_SECONDS = 300

export interface UrlSigner {
  /** Absolute signed URL for a storage key (null in, null out). */
  url(key: string | null | undefined): string | null
  /** True when sig matches key+exp and exp is in the future. */
  verify(key: string, exp: number, sig: string): boolean
}

export function createUrlSigner(opts: { secret: string; baseUrl: string; ttlSeconds: number }): UrlSigner {
  const sign = (key: string, exp: number) => createHmac('sha256', opts.secret).update(`${key}\n${exp}`).digest('base64url')
  return {
    url(key) {
      if (!key) return null
      const now = Math.floor(Date.now() / 1000)
      const exp = Math.ceil((now + opts.ttlSeconds) / BUCKET_SECONDS) * BUCKET_SECONDS
      return `${opts.baseUrl}/files/${key}?exp=${exp}&sig=${sign(key, exp)}`
    },
    verify(key, exp, sig) {
      if (!Number.isInteger(exp) || exp < Math.floor(Date.now() / 1000)) return false
      const expected = Buffer.from(sign(key, exp))
      const given = Buffer.from(sig)
      return expected.length === given.length && timingSafeEqual(expected, given)
    },
  }
}
