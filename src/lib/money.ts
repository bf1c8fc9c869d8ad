/**
 * Money is exact: NUMERIC in the database, decimal strings in between, and a JSON number only at
 * the edge. Amounts are parsed from text without float arithmetic and checked against the limits
 * of the spec (> 0, at most 2 decimals, at most 1,000,000,000,000).
 */
export const MAX_AMOUNT = '1000000000000'
const MAX_WHOLE_DIGITS = MAX_AMOUNT.length

/**
 * Plain or scientific decimal notation: the mobile app writes amounts with Kotlin's
 * Double.toString(), which switches to "1.0E7" / "1.25E7" from ten million up, and JavaScript's
 * String(number) writes "1e+21". No sign: zero and negatives are refused anyway.
 */
const DECIMAL = /^(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,4}))?$/

/**
 * Parse a client amount into a canonical decimal string ("1500.5" -> "1500.50", "1.25E7" ->
 * "12500000.00"), or undefined when it is not an amount we accept. The exponent only moves the
 * decimal point over the digit string, so the value is exact: "1.005E2" is 100.5 (accepted),
 * "1.00501E2" is 100.501 (refused: 3 decimals). Trailing zeros are not decimals: "1.500" is 1.5.
 */
export function parseAmount(input: number | string): string | undefined {
  // String(number) is the shortest text that reads back as the same double: what the JSON said.
  const text = typeof input === 'number' ? (Number.isFinite(input) ? String(input) : '') : input.trim()
  if (text.length > 40) return undefined
  const m = DECIMAL.exec(text)
  if (!m) return undefined
  const intDigits = m[1] ?? ''
  const fracDigits = m[2] ?? ''
  if (intDigits === '' && fracDigits === '') return undefined
  const exponent = m[3] === undefined ? 0 : Number(m[3])
  // All the digits with the decimal point after `point` of them.
  let digits = intDigits + fracDigits
  let point = intDigits.length + exponent
  if (point < 0) {
    digits = '0'.repeat(-point) + digits
    point = 0
  }
  if (point > digits.length) digits += '0'.repeat(point - digits.length)
  const whole = digits.slice(0, point).replace(/^0+/, '') || '0'
  const fraction = digits.slice(point).replace(/0+$/, '')
  if (fraction.length > 2) return undefined
  const cents = fraction.padEnd(2, '0')
  if (whole === '0' && cents === '00') return undefined
  if (whole.length > MAX_WHOLE_DIGITS || (whole.length === MAX_WHOLE_DIGITS && `${whole}.${cents}` > `${MAX_AMOUNT}.00`)) return undefined
  return `${whole}.${cents}`
}

/** NUMERIC text from the database to a JSON number (exact for amounts below 2^53 cents). */
export function toMoney(value: string | null | undefined): number | null {
  if (value === null || value === undefined) return null
  return Number(value)
}
