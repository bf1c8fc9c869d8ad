/**
 * E-mails written from the catalogue. A reader who saved a language gets that language only;
 * one who did not gets APP_LOCALE's language first and the other one below it (a member without a
 * preference may read either).
 */
import { isLocale, type Locale, type MessageKey, t } from './index.js'

type Params = Record<string, string | number>

/** The languages of a mail to someone whose saved locale is `saved`. */
export function mailLanguages(saved: string | null | undefined, fallback: Locale): Locale[] {
  if (isLocale(saved)) return [saved]
  return fallback === 'id' ? ['id', 'en'] : ['en', 'id']
}

/** Subject and text: a greeting, the body and the signature, once per language. */
export function letter(
  languages: Locale[],
  name: string,
  subject: { key: MessageKey; params?: Params; suffix?: string },
  body: { key: MessageKey; params?: Params },
) {
  const sections = languages.map(
    (l, i) =>
      `${i ? `${t(l, 'notify.otherLanguage')}\n\n` : ''}${t(l, 'notify.greeting', { name })}\n\n${t(l, body.key, body.params)}\n\n${t(l, 'notify.signoff')}\n`,
  )
  return {
    subject: languages.map((l) => t(l, subject.key, subject.params)).join(' / ') + (subject.suffix ?? ''),
    text: sections.join('\n'),
  }
}

/** The password-reset e-mail: the code, the console's reset page, and what to do if it was not you. */
export function resetPasswordMail(locale: Locale, v: { name: string; token: string; link: string }) {
  return {
    subject: t(locale, 'mail.reset.subject'),
    text: [
      t(locale, 'mail.reset.greeting', { name: v.name }),
      '',
      t(locale, 'mail.reset.intro'),
      t(locale, 'mail.reset.code', { token: v.token }),
      t(locale, 'mail.reset.link', { link: v.link }),
      '',
      t(locale, 'mail.reset.ignore'),
    ].join('\n'),
  }
}

const capitalised = (s: string) => s.charAt(0).toUpperCase() + s.slice(1)

/** SECURITY R9: "your password / email address / phone number was changed". */
export function changedMail(languages: Locale[], name: string, what: 'password' | 'email' | 'phone') {
  const whatKey = `mail.what.${what}` as const
  const subjects = languages.map((l) => capitalised(t(l, 'mail.changed.contactSubject', { what: t(l, whatKey) })))
  const bodies = languages.map((l) => capitalised(t(l, 'mail.changed.contact', { what: t(l, whatKey) })))
  const sections = languages.map(
    (l, i) =>
      `${i ? `${t(l, 'notify.otherLanguage')}\n\n` : ''}${t(l, 'notify.greeting', { name })}\n\n${bodies[i]}\n\n${t(l, 'notify.signoff')}\n`,
  )
  return { subject: subjects.join(' / '), text: sections.join('\n') }
}
