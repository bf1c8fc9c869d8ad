/**
 * Money is exact: NUMERIC in the database, decimal strings in between, and a JSON number only at
 * the edge. Amounts are parsed from text without float arithmetic and checked against the limits
 * of the spec (> 0, at most 2 decimals, at most 1,000,000,000,000).
 */
export const MAX_AMOUNT = '1000000000000'

/** Parse a client amount into a canonical decimal string ("1500.5" -> "1500.50"), or undefined. */
export function parseAmount(input: number | string): string | undefined {
  const text = typeof input === 'number' ? (Number.isFinite(input) ? String(input) : '') : input.trim()
  const m = /^(\d{1,13})(?:\.(\d{1,2}))?$/.exec(text)
  if (!m) return undefined
  const whole = m[1]!.replace(/^0+(?=\d)/, '')
  const cents = (m[2] ?? '').padEnd(2, '0')
  if (/^0+$/.test(whole) && /^0+$/.test(cents)) return undefined
  if (whole.length > 13 || (whole.length === 13 && `${whole}.${cents}` !== `${MAX_AMOUNT}.00`)) return undefined
  return `${whole}.${cents}`
}

/** NUMERIC text from the database to a JSON number (exact for amounts below 2^53 cents). */
export function toMoney(value: string | null | undefined): number | null {
  if (value === null || value === undefined) return null
  return Number(value)
}
