/**
 * What a notification says (texts in src/i18n, keys notify.*): a short title and body for the
 * inbox in the reader's language, and the e-mail: plain, friendly text in the reader's saved
 * language, or in APP_LOCALE's language with the other one below it when they saved none.
 * Each says which deposit, how much, the reason, and what to do next.
 */
import { isLocale, type Locale, t } from '../../i18n/index.js'
import { mailLanguages } from '../../i18n/mail.js'

export type NotificationType =
  | 'deposit.completed'
  | 'deposit.rejected'
  | 'deposit.needs_correction'
  | 'reminder.due'
  | 'member.target_reached'

export interface Rendered {
  title: string
  body: string
  mail: { subject: string; text: string }
}

/** `1500000.5` -> `Rp 1.500.000,50`, from the exact decimal text (no float rounding). */
export function rupiah(amount: string | number): string {
  const [whole = '0', cents] = String(amount).split('.')
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, '.')
  const frac = cents && Number(cents) !== 0 ? `,${cents.padEnd(2, '0').slice(0, 2)}` : ''
  return `Rp ${grouped}${frac}`
}

export interface DepositFacts {
  id: number
  amount: string
  /** Local date of the deposit, e.g. `10-02-2025`. */
  date: string
  periode: string | null
  reason: string | null
}

/** Who a notification is for: the name in the greeting and their saved language (null: none). */
export interface Reader {
  name: string
  locale: string | null
}

function rendered(
  who: Reader,
  fallback: Locale,
  kind: 'completed' | 'rejected' | 'correction' | 'reminder' | 'target',
  params: (l: Locale) => Record<string, string>,
  subjectSuffix = '',
): Rendered {
  const inbox = isLocale(who.locale) ? who.locale : fallback
  const languages = mailLanguages(who.locale, fallback)
  const at = (l: Locale) => params(l)
  return {
    title: t(inbox, `notify.${kind}.title`),
    body: t(inbox, `notify.${kind}.body`, at(inbox)),
    mail: {
      subject: languages.map((l) => t(l, `notify.${kind}.title`)).join(' / ') + subjectSuffix,
      text: languages
        .map(
          (l, i) =>
            `${i ? `${t(l, 'notify.otherLanguage')}\n\n` : ''}${t(l, 'notify.greeting', { name: who.name })}\n\n${t(l, `notify.${kind}.mail`, at(l))}\n\n${t(l, 'notify.signoff')}\n`,
        )
        .join('\n'),
    },
  }
}

const KIND = { 'deposit.completed': 'completed', 'deposit.rejected': 'rejected', 'deposit.needs_correction': 'correction' } as const

/**
 * A decided deposit: the inbox item in the reader's saved language (else APP_LOCALE), the e-mail
 * in that language only, or in both when the reader saved none (i18n/mail.ts).
 */
export function renderDeposit(
  type: 'deposit.completed' | 'deposit.rejected' | 'deposit.needs_correction',
  who: Reader,
  d: DepositFacts,
  fallback: Locale = 'id',
): Rendered {
  const params = (l: Locale) => {
    const facts = { id: String(d.id), amount: rupiah(d.amount), date: d.date, periode: d.periode ?? '' }
    return { deposit: t(l, d.periode ? 'notify.depositInPeriode' : 'notify.deposit', facts), reason: d.reason ?? '-' }
  }
  return rendered(who, fallback, KIND[type], params, `: ${rupiah(d.amount)}`)
}

export function renderReminder(who: Reader, periode: string, missing: string, fallback: Locale = 'id'): Rendered {
  return rendered(who, fallback, 'reminder', () => ({ periode, missing: rupiah(missing) }), `: periode ${periode}`)
}

export function renderTargetReached(who: Reader, target: string, saved: string, fallback: Locale = 'id'): Rendered {
  return rendered(who, fallback, 'target', () => ({ target: rupiah(target), saved: rupiah(saved) }))
}
