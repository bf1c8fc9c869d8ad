/**
 * Money and dates as treasurers read them: `Rp 12.500.000` and `25 Nov 2026 09.30 WIB`, in the
 * server's APP_TIMEZONE (given to the page in a meta tag by the server, not the laptop's clock zone).
 */
export const TIMEZONE =
  document.querySelector<HTMLMetaElement>('meta[name="tg-timezone"]')?.content.replace(/^__.*__$/, '') || 'Asia/Jakarta'

const ZONE_NAMES: Record<string, string> = {
  'Asia/Jakarta': 'WIB',
  'Asia/Pontianak': 'WIB',
  'Asia/Makassar': 'WITA',
  'Asia/Jayapura': 'WIT',
}

/**
 * API amounts are JSON numbers computed exactly in SQL (at most 2 decimals); they are only shown
 * here, never added up. Rupiah has no minor unit in practice: cents appear only when present.
 */
export function money(amount: number | string | null | undefined): string {
  if (amount === null || amount === undefined || amount === '') return '–'
  const text = typeof amount === 'number' ? amount.toFixed(2) : String(amount)
  const negative = text.startsWith('-')
  const [whole = '0', cents = '00'] = text.replace(/^-/, '').split('.')
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, '.')
  const fraction = /^0*$/.test(cents) ? '' : `,${cents.padEnd(2, '0').slice(0, 2)}`
  return `${negative ? '-' : ''}Rp ${grouped}${fraction}`
}

const dateParts = new Intl.DateTimeFormat('en-GB', {
  timeZone: TIMEZONE,
  day: '2-digit',
  month: '2-digit',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
})
const MONTHS_ID = ['Jan', 'Feb', 'Mar', 'Apr', 'Mei', 'Jun', 'Jul', 'Agu', 'Sep', 'Okt', 'Nov', 'Des']
const MONTHS_EN = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

function zoneName(): string {
  const known = ZONE_NAMES[TIMEZONE]
  if (known) return known
  const part = new Intl.DateTimeFormat('en-US', { timeZone: TIMEZONE, timeZoneName: 'short' })
    .formatToParts(new Date())
    .find((p) => p.type === 'timeZoneName')
  return part?.value ?? TIMEZONE
}
const ZONE = zoneName()

function parts(iso: string) {
  const out: Record<string, string> = {}
  for (const p of dateParts.formatToParts(new Date(iso))) out[p.type] = p.value
  return out
}

/** `25 Nov 2026 09.30 WIB` */
export function dateTime(iso: string | null | undefined, lang: 'id' | 'en' = 'id'): string {
  if (!iso) return '–'
  const p = parts(iso)
  const month = (lang === 'id' ? MONTHS_ID : MONTHS_EN)[Number(p.month) - 1] ?? p.month
  return `${p.day} ${month} ${p.year} ${p.hour}.${p.minute} ${ZONE}`
}

/** `25 Nov 2026` for a date-only value (YYYY-MM-DD, not shifted by any zone). */
export function dateOnly(value: string | null | undefined, lang: 'id' | 'en' = 'id'): string {
  if (!value) return '–'
  const [y, m, d] = value.slice(0, 10).split('-')
  const names = lang === 'id' ? MONTHS_ID : MONTHS_EN
  return `${d} ${names[Number(m) - 1] ?? m} ${y}`
}

/** `2026-11` -> `Nov 2026` */
export function monthLabel(month: string, lang: 'id' | 'en' = 'id'): string {
  const [y, m] = month.split('-')
  return `${(lang === 'id' ? MONTHS_ID : MONTHS_EN)[Number(m) - 1] ?? m} ${y}`
}

/** Now, as the value of an <input type="datetime-local"> in APP_TIMEZONE. */
export function nowLocalInput(): string {
  const p = parts(new Date().toISOString())
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`
}

/** Minutes east of UTC of APP_TIMEZONE at a given instant (Asia/Jakarta: 420). */
function offsetMinutes(at: Date): number {
  const p = parts(at.toISOString())
  const asUtc = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute))
  return Math.round((asUtc - Math.floor(at.getTime() / 60000) * 60000) / 60000)
}

/** `2026-11-25T09:30` typed in APP_TIMEZONE -> `2026-11-25T09:30:00+07:00` for the API. */
export function localInputToInstant(value: string): string {
  const guess = new Date(`${value}:00Z`)
  const offset = offsetMinutes(guess)
  const sign = offset >= 0 ? '+' : '-'
  const abs = Math.abs(offset)
  return `${value}:00${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`
}
