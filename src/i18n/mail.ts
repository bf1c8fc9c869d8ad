/** E-mails written from the catalogue, in the reader's language. */
import { type Locale, t } from './index.js'

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
