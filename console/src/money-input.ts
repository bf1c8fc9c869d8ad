/**
 * What a treasurer types as an amount, read the Indonesian way: dots group thousands, a comma
 * starts the cents ("12.500.000" or "12500000,50"; "Rp" and spaces are ignored). The result is an
 * exact decimal string for the API (never a float), or undefined when it is not an amount.
 */
export function parseRupiah(text: string): string | undefined {
  const cleaned = text.replace(/rp/i, '').replace(/\s+/g, '')
  if (!cleaned) return undefined
  const match = /^(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d{1,2}))?$/.exec(cleaned)
  if (!match) return undefined
  const whole = (match[1] as string).replace(/\./g, '').replace(/^0+(?=\d)/, '')
  const cents = match[2]
  return cents ? `${whole}.${cents.padEnd(2, '0')}` : whole
}

/** Exact sum of decimal strings (as parseRupiah returns them), in cents with BigInt: no float rounding. */
export function sumRupiah(amounts: string[]): string {
  let cents = 0n
  for (const a of amounts) {
    const [whole = '0', frac = ''] = a.split('.')
    cents += BigInt(whole) * 100n + BigInt((frac + '00').slice(0, 2))
  }
  const c = (cents % 100n).toString().padStart(2, '0')
  return `${cents / 100n}${c === '00' ? '' : `.${c}`}`
}
