/**
 * Rupiah and dates as printed on Indonesian documents: `Rp 12.500.000` (dot for thousands, comma
 * for cents, cents only when not zero) and `28 November 2026`. Amounts come as exact decimal text,
 * never as floats.
 */

export function formatRupiah(amount: string): string {
  const match = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(amount.trim())
  if (!match) throw new RangeError(`not a decimal amount: ${amount}`)
  const [, sign, whole = '0', cents = ''] = match
  const grouped = whole.replace(/^0+(?=\d)/, '').replace(/\B(?=(\d{3})+(?!\d))/g, '.')
  const sen = cents.padEnd(2, '0')
  return `${sign}Rp ${grouped}${sen !== '00' && cents ? `,${sen}` : ''}`
}

const MONTHS = ['Januari', 'Februari', 'Maret', 'April', 'Mei', 'Juni', 'Juli', 'Agustus', 'September', 'Oktober', 'November', 'Desember']

/** An instant's calendar date in `timeZone`, in Indonesian: `28 November 2026`. */
export function formatTanggal(instant: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: 'numeric', day: 'numeric' }).formatToParts(instant)
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value)
  return `${get('day')} ${MONTHS[get('month') - 1]} ${get('year')}`
}
