/**
 * Verification links printed on a kuitansi as a QR code: `APP_URL/verify/receipts/{number}?sig=…`,
 * the number URL-encoded (it contains slashes) and `sig` an HMAC-SHA256 of the number under a key
 * derived from the server's file-link secret (a separate purpose, so neither signature can stand
 * in for the other). The link never expires: a printed receipt must stay checkable.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'

/** 24 bytes of the MAC (192 bits): forging stays out of reach and the QR code stays small. */
const SIG_BYTES = 24

export interface ReceiptLinks {
  url(number: string): string
  verify(number: string, sig: string): boolean
}

export function createReceiptLinks(opts: { secret: string; appUrl: string }): ReceiptLinks {
  const key = createHmac('sha256', opts.secret).update('talangraga:receipt-verification').digest()
  const sign = (number: string) => createHmac('sha256', key).update(number).digest().subarray(0, SIG_BYTES)
  return {
    url(number) {
      return `${opts.appUrl}/verify/receipts/${encodeURIComponent(number)}?sig=${sign(number).toString('base64url')}`
    },
    verify(number, sig) {
      if (!/^[A-Za-z0-9_-]{32}$/.test(sig)) return false
      return timingSafeEqual(Buffer.from(sig, 'base64url'), sign(number))
    },
  }
}
