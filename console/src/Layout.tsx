/** The frame of every signed-in page: navigation, language switch, who is signed in, sign out. */
import type { ComponentChildren } from 'preact'
import { type Lang, setLanguage, useT } from './i18n'
import { Link, match, useLocation } from './router'
import { routes } from './routes'
import { type Profile, signOut, useCanWrite } from './session'

export function LanguageSwitch() {
  const t = useT()
  return (
    <label class="lang">
      <span>{t('language')}</span>
      <select value={t.lang} onChange={(e) => setLanguage((e.target as HTMLSelectElement).value as Lang)}>
        <option value="id">Bahasa Indonesia</option>
        <option value="en">English</option>
      </select>
    </label>
  )
}

/** The frame of the pages before signing in (sign in, reset password): a card with the language switch. */
export function PublicCard(props: { title: string; children: ComponentChildren }) {
  return (
    <main class="signin" id="main">
      <div class="signin-card">
        <h1>{props.title}</h1>
        {props.children}
        <LanguageSwitch />
      </div>
    </main>
  )
}

export function Layout(props: { user: Profile; children: ComponentChildren }) {
  const t = useT()
  const { path } = useLocation()
  const canWrite = useCanWrite()
  return (
    <div class="shell">
      <a class="skip" href="#main">
        {t('skipToContent')}
      </a>
      <header class="topbar">
        <span class="brand">Talangraga · {t('appName')}</span>
        <span class="spacer" />
        <LanguageSwitch />
        <span class="who">
          {props.user.fullname}
          {!canWrite && <span class="badge badge-readonly">{t('readOnly')}</span>}
        </span>
        <button type="button" class="secondary" onClick={() => void signOut()}>
          {t('signOut')}
        </button>
      </header>
      <nav class="sidebar" aria-label={t('nav')}>
        <ul>
          {routes
            .filter((r) => r.nav && (canWrite || !r.write))
            .map((r) => {
              const current = r.path === '/' ? path === '/' : match(r.path, path) !== undefined
              return (
                <li key={r.path}>
                  <Link to={r.path} aria-current={current ? 'page' : undefined}>
                    {t(r.nav!)}
                  </Link>
                </li>
              )
            })}
        </ul>
      </nav>
      <main id="main" class="content">
        {props.children}
      </main>
    </div>
  )
}
