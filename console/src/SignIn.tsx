/** Sign in (part of the first bundle: it is the first screen of a cold visit). */
import { useState } from 'preact/hooks'
import { checked, messageOf, useAction } from './action'
import { api } from './api/client'
import { type MessageKey, useT } from './i18n'
import { PublicCard } from './Layout'
import { signIn } from './session'
import { ErrorBox, Input, Notice } from './ui'

export default function SignIn(props: { notice?: string | undefined }) {
  const t = useT()
  const [identifier, setIdentifier] = useState('')
  const [password, setPassword] = useState('')
  const { busy, error, setError, run } = useAction()
  const [forgot, setForgot] = useState(false)
  const [sent, setSent] = useState<string>()

  async function submit(e: Event) {
    e.preventDefault()
    if ((await run(() => signIn(identifier, password))) === 'not-admin') setError(new Error(t('adminsOnly')))
  }

  async function requestReset(e: Event) {
    e.preventDefault()
    const res = await run(() => checked(api.POST('/auth/forgot-password', { body: { email: identifier } })))
    if (res) setSent(messageOf(res))
  }

  return (
    <PublicCard title={t('appName')}>
      <p class="muted">Talangraga Umroh</p>
      {props.notice && <Notice kind="info">{t(props.notice as MessageKey)}</Notice>}
      {sent && <Notice>{sent}</Notice>}
      <ErrorBox error={error} />
      {forgot ? (
        <form onSubmit={requestReset}>
          <h2>{t('forgotTitle')}</h2>
          <Input
            label={t('email')}
            type="email"
            name="email"
            autoComplete="email"
            required
            value={identifier}
            onInput={(e) => setIdentifier(e.currentTarget.value)}
          />
          <button type="submit" disabled={busy}>
            {t('sendCode')}
          </button>
          <button type="button" class="link" onClick={() => setForgot(false)}>
            {t('backToSignIn')}
          </button>
        </form>
      ) : (
        <form onSubmit={submit}>
          <Input
            label={t('identifier')}
            name="identifier"
            autoComplete="username"
            required
            value={identifier}
            onInput={(e) => setIdentifier(e.currentTarget.value)}
          />
          <Input
            label={t('password')}
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
          <button type="submit" disabled={busy}>
            {busy ? t('signingIn') : t('signIn')}
          </button>
          <button type="button" class="link" onClick={() => setForgot(true)}>
            {t('forgot')}
          </button>
        </form>
      )}
    </PublicCard>
  )
}
