/**
 * Messages in Bahasa Indonesia and English (i18next holds the catalogues and interpolates).
 *
 * The code speaks English: services throw `conflict('This periode has transactions…')`, routes
 * answer `ok(data, 'Periode created')`. Those texts are translated in one place, on the way out
 * (plugins/i18n.ts, the error envelope): `translate()` finds the catalogue entry whose English
 * template matches the text (`{{name}}` matches any value), then renders that key in the
 * request's language with the captured values. So a module never imports this file, and a new
 * English message without a catalogue entry still goes out, in English (test/lib/i18n.test.ts
 * scans the sources so that does not happen unnoticed).
 *
 * What is never translated: field names (`errors[].field`), status codes, header values
 * (WWW-Authenticate keeps its English error_description), enum values and user data.
 */
import i18next from 'i18next'
import { en, type MessageKey } from './en.js'
import { id } from './id.js'

export const LOCALES = ['id', 'en'] as const
export type Locale = (typeof LOCALES)[number]
export type { MessageKey }

export function isLocale(value: unknown): value is Locale {
  return value === 'id' || value === 'en'
}

const i18n = i18next.createInstance()
void i18n.init({
  resources: { en: { translation: en }, id: { translation: id } },
  lng: 'id',
  fallbackLng: 'en',
  supportedLngs: [...LOCALES],
  // Keys are flat ids with dots ("auth.badCredentials"), never nested paths.
  keySeparator: false,
  nsSeparator: false,
  // Messages are JSON text and plain-text mail, never HTML.
  interpolation: { escapeValue: false },
  initAsync: false,
  returnNull: false,
})

/** A catalogue message in a language. */
export function t(locale: Locale, key: MessageKey, params: Record<string, string | number> = {}): string {
  return i18n.t(key, { lng: locale, ...params })
}

/**
 * The first language of an Accept-Language header that we speak (RFC 9110 §12.5.4: ranges in
 * order of q, then of appearance; `id-ID` and the legacy `in` are Indonesian), or undefined.
 */
export function fromAcceptLanguage(header: string | string[] | undefined): Locale | undefined {
  const value = Array.isArray(header) ? header.join(',') : header
  if (!value) return undefined
  let best: Locale | undefined
  let bestQ = 0
  for (const part of value.split(',').slice(0, 20)) {
    const [range = '', ...params] = part.trim().split(';')
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
    const q = qParam ? Number(qParam.slice(2)) : 1
    if (!(q > bestQ) || q > 1) continue
    const primary = range.trim().toLowerCase().split('-')[0]
    const locale = primary === 'in' ? 'id' : primary
    if (isLocale(locale)) {
      best = locale
      bestQ = q
    }
  }
  return best
}

// ---- English text -> catalogue entry --------------------------------------------------------

const exact = new Map<string, MessageKey>()
const patterns: { key: MessageKey; re: RegExp; names: string[] }[] = []
for (const [key, template] of Object.entries(en) as [MessageKey, string][]) {
  if (!template.includes('{{')) {
    if (!exact.has(template)) exact.set(template, key)
    continue
  }
  const names: string[] = []
  const source = template
    .split(/(\{\{\w+\}\})/)
    .map((piece) => {
      const m = /^\{\{(\w+)\}\}$/.exec(piece)
      if (!m) return piece.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
      names.push(m[1] as string)
      return '(.+?)'
    })
    .join('')
  patterns.push({ key, re: new RegExp(`^${source}$`, 's'), names })
}
// The most specific template first: the one with the most literal text.
patterns.sort((a, b) => b.re.source.length - a.re.source.length)

/** The catalogue key and values of an English message, or undefined when it is not catalogued. */
export function keyOf(message: string): { key: MessageKey; params: Record<string, string> } | undefined {
  const key = exact.get(message)
  if (key) return { key, params: {} }
  for (const p of patterns) {
    const m = p.re.exec(message)
    if (m) return { key: p.key, params: Object.fromEntries(p.names.map((n, i) => [n, m[i + 1] as string])) }
  }
  return undefined
}

/** Values that are words of ours ("Periode" in "{{what}} not found", "a whole number or null"). */
const WORD_PARAMS = new Set(['what', 'a', 'b', 'label'])

/** Translations already made, per language: most answers repeat a handful of messages. */
const translated: Record<Locale, Map<string, string>> = { id: new Map(), en: new Map() }
/** Entries kept per language at most (messages with values in them are many); then it starts over. */
const TRANSLATED_MAX = 2000
/** Longer messages (values quoted in them) are translated every time, not kept. */
const TRANSLATED_MAX_LENGTH = 200

/** An English message in `locale`; unknown text is returned unchanged. */
export function translate(locale: Locale, message: string): string {
  if (locale === 'en') return message
  // Not kept: long texts, and no locale at all (a framework error raised before routing has none).
  const memo = message.length > TRANSLATED_MAX_LENGTH ? undefined : translated[locale]
  if (!memo) return translateNow(locale, message)
  let text = memo.get(message)
  if (text === undefined) {
    text = translateNow(locale, message)
    if (memo.size >= TRANSLATED_MAX) memo.clear()
    memo.set(message, text)
  }
  return text
}

function translateNow(locale: Locale, message: string): string {
  const found = keyOf(message)
  if (!found) return message
  const params: Record<string, string> = {}
  for (const [name, value] of Object.entries(found.params)) params[name] = WORD_PARAMS.has(name) ? translate(locale, value) : value
  return t(locale, found.key, params)
}

/** How a field is named in a sentence: `phone_number` -> "Phone number". */
export function labelOf(field: string, locale: Locale = 'en'): string {
  const catalogued = `label.${field}` as MessageKey
  if (locale !== 'en' && catalogued in en) return t(locale, catalogued)
  if (field === 'body' || field === 'querystring' || field === 'params') return t(locale, catalogued)
  const item = /^(\w+)\[(\d+)\]\.(\w+)$/.exec(field)
  if (item) {
    const list = locale === 'en' ? (item[1] as string).replace(/_/g, ' ') : labelOf(item[1] as string, locale).toLowerCase()
    return t(locale, 'label.item', { label: labelOf(item[3] as string, locale), n: Number(item[2]) + 1, list })
  }
  if (locale !== 'en') return field
  const words = field.replace(/_/g, ' ').replace(/([a-z])([A-Z])(?=[a-z])/g, (_, a: string, b: string) => `${a} ${b.toLowerCase()}`)
  return words.charAt(0).toUpperCase() + words.slice(1)
}
