/**
 * Terbilang: an amount of rupiah in Indonesian words, as written on a kuitansi
 * ("dua belas juta lima ratus ribu rupiah").
 *
 * Decisions:
 * - Input is the exact decimal text (NUMERIC from the database, or what lib/money.ts parseAmount
 *   gives), never a float: the integer part is read with BigInt, so 999 triliun is still exact.
 * - The "se-" forms are used where Indonesian uses them: sepuluh, sebelas, seratus, seribu (also
 *   seratus ribu), but "satu juta", "satu miliar", "satu triliun".
 * - Cents (at most 2 decimals, the API's limit) are written as sen after the rupiah:
 *   "1500,50" -> "seribu lima ratus rupiah lima puluh sen". "Koma" is how numbers are read aloud,
 *   but on receipts the sen form names the unit and cannot be misread as "lima" vs "lima puluh".
 *   Zero sen is left out. An amount below one rupiah is "nol rupiah lima puluh sen".
 */

const DIGITS = ['nol', 'satu', 'dua', 'tiga', 'empat', 'lima', 'enam', 'tujuh', 'delapan', 'sembilan']
/** Scales of a thousand; the index is the group's position from the right. */
const SCALES = ['', 'ribu', 'juta', 'miliar', 'triliun']

/** 1..999 in words. */
function belowThousand(n: number): string {
  const words: string[] = []
  const hundreds = Math.floor(n / 100)
  const rest = n % 100
  if (hundreds === 1) words.push('seratus')
  else if (hundreds > 1) words.push(`${DIGITS[hundreds]} ratus`)
  if (rest === 10) words.push('sepuluh')
  else if (rest === 11) words.push('sebelas')
  else if (rest > 11 && rest < 20) words.push(`${DIGITS[rest - 10]} belas`)
  else if (rest >= 20) {
    words.push(`${DIGITS[Math.floor(rest / 10)]} puluh`)
    if (rest % 10) words.push(DIGITS[rest % 10] as string)
  } else if (rest > 0) words.push(DIGITS[rest] as string)
  return words.join(' ')
}

/** A non-negative whole number in words ("nol" for zero), up to 999,999,999,999,999. */
export function numberWords(value: bigint): string {
  if (value < 0n) throw new RangeError('terbilang: negative amount')
  if (value === 0n) return 'nol'
  const groups: number[] = []
  for (let v = value; v > 0n; v /= 1000n) groups.push(Number(v % 1000n))
  if (groups.length > SCALES.length) throw new RangeError('terbilang: amount too large')
  const words: string[] = []
  for (let i = groups.length - 1; i >= 0; i--) {
    const g = groups[i] as number
    if (g === 0) continue
    // "seribu", not "satu ribu"; every larger scale keeps "satu" (satu juta, satu miliar).
    if (g === 1 && i === 1) words.push('seribu')
    else words.push(i === 0 ? belowThousand(g) : `${belowThousand(g)} ${SCALES[i]}`)
  }
  return words.join(' ')
}

/** "12500000", "12500000.5", "12500000.50" -> words with "rupiah" (and "sen" when not zero). */
export function terbilang(amount: string): string {
  const match = /^(\d+)(?:\.(\d{1,2}))?$/.exec(amount.trim())
  if (!match) throw new RangeError(`terbilang: not a decimal amount with at most 2 decimals: ${amount}`)
  const rupiah = BigInt(match[1] as string)
  const sen = Number((match[2] ?? '').padEnd(2, '0') || '0')
  const text = `${numberWords(rupiah)} rupiah`
  return sen ? `${text} ${numberWords(BigInt(sen))} sen` : text
}
