/**
 * Signed, expiring file URLs: `/files/<key>?exp=<unix seconds>&sig=<HMAC-SHA256(key, exp)>`.
 * Proof images are private; a URL is a capability minted in every response. The app stores these
 * URLs in its local database and loads them later, so they live 7 days by default
 * (SIGNED_URL_TTL_SECONDS). Expiries are rounded up to a day boundary (00:00 UTC; a 5-minute one
 * when the lifetime is shorter than a day) so a file's URL is the same all day and image caches
 * keep working. A link is no authorisation on its own: downloads.service.ts also refuses files of
 * revoked users and of deleted deposits, whatever the URL says.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'

const DAY_SECONDS = 86_400
const SHORT_BUCKET_SECONDS = 300
/**
 * Signed URLs remembered per (key, expiry bucket). Within a bucket the URL of a key never changes,
 * so an admin list of 500 rows (two or three files each) repeated many times a second would
 * otherwise recompute the same HMACs. Entries of past buckets are simply never hit again and age
 * out of the LRU; ~300 bytes each, so the cap bounds the memo at a few MB.
 */
const MEMO_MAX = 8192

export interface UrlSigner {
  /** Absolute signed URL for a storage key (null in, null out). */
  url(key: string | null | undefined): string | null
  /** The expiry (unix seconds) url() puts in the URLs it mints now; it moves once a day (or every 5 minutes). */
  expiry(): number
  /** True when sig matches key+exp and exp is in the future. */
  verify(key: string, exp: number, sig: string): boolean
  /**
   * A copy of a stored JSON response with every signed URL of ours minted afresh (a replayed
   * response must not hand out links that expired since it was first sent).
   */
  refreshUrls<T>(body: T): T
}

export function createUrlSigner(opts: { secret: string; baseUrl: string; ttlSeconds: number }): UrlSigner {
  const sign = (key: string, exp: number) => createHmac('sha256', opts.secret).update(`${key}\n${exp}`).digest('base64url')
  const memo = new Map<string, string>()
  const bucket = opts.ttlSeconds >= DAY_SECONDS ? DAY_SECONDS : SHORT_BUCKET_SECONDS
  const expiry = () => Math.ceil((Math.floor(Date.now() / 1000) + opts.ttlSeconds) / bucket) * bucket
  return {
    expiry,
    url(key) {
      if (!key) return null
      const exp = expiry()
      const memoKey = `${exp}\n${key}`
      let url = memo.get(memoKey)
      if (url !== undefined) {
        // Most recently used last: Map iteration order is insertion order.
        memo.delete(memoKey)
        memo.set(memoKey, url)
        return url
      }
      url = `${opts.baseUrl}/files/${key}?exp=${exp}&sig=${sign(key, exp)}`
      if (memo.size >= MEMO_MAX) memo.delete(memo.keys().next().value as string)
      memo.set(memoKey, url)
      return url
    },
    refreshUrls(body) {
      const prefix = `${opts.baseUrl}/files/`
      const walk = (v: unknown): unknown => {
        if (typeof v === 'string') {
          if (!v.startsWith(prefix)) return v
          const key = v.slice(prefix.length).split('?')[0]
          return key ? this.url(key) : v
        }
        if (Array.isArray(v)) return v.map(walk)
        if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]))
        return v
      }
      return walk(body) as typeof body
    },
    verify(key, exp, sig) {
      if (!Number.isInteger(exp) || exp < Math.floor(Date.now() / 1000)) return false
      const expected = Buffer.from(sign(key, exp))
      const given = Buffer.from(sig)
      return expected.length === given.length && timingSafeEqual(expected, given)
    },
  }
}
