/**
 * Instants typed by people: ISO 8601 with or without an offset, or `YYYY-MM-DD HH:mm[:ss]`.
 * Without an offset the wall-clock time is read in the configured IANA zone (APP_TIMEZONE). The
 * zone's offset comes from Intl (the runtime's tz database), so any zone works, DST included —
 * never a hard-coded +07:00.
 */

const PATTERN = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?)?$/

const formatters = new Map<string, Intl.DateTimeFormat>()
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
    formatters.set(timeZone, f)
  }
  return f
}

/** The wall-clock fields of an instant in a zone. */
function wallClock(epochMs: number, timeZone: string) {
  const parts: Record<string, number> = {}
  for (const p of formatter(timeZone).formatToParts(new Date(epochMs))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value)
  }
  return parts as { year: number; month: number; day: number; hour: number; minute: number; second: number }
}

/** Offset of the zone from UTC at an instant, in milliseconds (Jakarta: +7 h). */
export function zoneOffsetMs(epochMs: number, timeZone: string): number {
  const w = wallClock(epochMs, timeZone)
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second)
  return asUtc - (epochMs - (((epochMs % 1000) + 1000) % 1000))
}

/**
 * The instant at which the zone's clocks show the given wall time. Two passes settle DST edges:
 * a time skipped by a spring-forward still maps to a real instant, an ambiguous one takes the first.
 */
export function zonedToEpoch(
  w: { year: number; month: number; day: number; hour: number; minute: number; second: number; ms: number },
  timeZone: string,
): number {
  const wallAsUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second, w.ms)
  const first = zoneOffsetMs(wallAsUtc, timeZone)
  let epoch = wallAsUtc - first
  const second = zoneOffsetMs(epoch, timeZone)
  if (second !== first) epoch = wallAsUtc - second
  return epoch
}

const daysInMonth = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate()

export interface ParsedInstant {
  date: Date
  /** True when only a date was given (no time of day). */
  dateOnly: boolean
}

/** Parse an input instant; undefined when it is not one of the accepted forms or not a real time. */
export function parseInstant(text: string, timeZone: string): ParsedInstant | undefined {
  const m = PATTERN.exec(text.trim())
  if (!m) return undefined
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])]
  const hour = m[4] === undefined ? 0 : Number(m[4])
  const minute = m[5] === undefined ? 0 : Number(m[5])
  const second = m[6] === undefined ? 0 : Number(m[6])
  const ms = m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000)
  // Sane calendar values only: no 2025-02-30, no 24:00, no year 0001 or 9999.
  if (year < 1900 || year > 2200 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined
  if (hour > 23 || minute > 59 || second > 59) return undefined
  const zone = m[8]
  let epoch: number
  if (zone === undefined) {
    epoch = zonedToEpoch({ year, month, day, hour, minute, second, ms }, timeZone)
  } else {
    let offsetMin = 0
    if (zone !== 'Z' && zone !== 'z') {
      const digits = zone.slice(1).replace(':', '')
      const oh = Number(digits.slice(0, 2))
      const om = digits.length > 2 ? Number(digits.slice(2, 4)) : 0
      if (oh > 18 || om > 59) return undefined
      offsetMin = (zone.startsWith('-') ? -1 : 1) * (oh * 60 + om)
    }
    epoch = Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMin * 60_000
  }
  return { date: new Date(epoch), dateOnly: m[4] === undefined }
}

/** The calendar date (YYYY-MM-DD) of an instant in a zone: which periode a deposit falls in. */
export function localDate(date: Date, timeZone: string): string {
  const w = wallClock(date.getTime(), timeZone)
  return `${String(w.year).padStart(4, '0')}-${String(w.month).padStart(2, '0')}-${String(w.day).padStart(2, '0')}`
}

/** `YYYY-MM-DD HH:MM:SS` of an instant in a zone (the CSV export's local times). */
export function localDateTime(date: Date, timeZone: string): string {
  const w = wallClock(date.getTime(), timeZone)
  const two = (n: number) => String(n).padStart(2, '0')
  return `${String(w.year).padStart(4, '0')}-${two(w.month)}-${two(w.day)} ${two(w.hour)}:${two(w.minute)}:${two(w.second)}`
}

/** Midnight at the start of the day after `d` (a date-only upper bound is inclusive of that whole day). */
export function startOfNextDay(date: Date, timeZone: string): Date {
  const w = wallClock(date.getTime(), timeZone)
  const next = new Date(Date.UTC(w.year, w.month - 1, w.day + 1))
  return new Date(
    zonedToEpoch(
      { year: next.getUTCFullYear(), month: next.getUTCMonth() + 1, day: next.getUTCDate(), hour: 0, minute: 0, second: 0, ms: 0 },
      timeZone,
    ),
  )
}
