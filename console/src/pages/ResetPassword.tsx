/** The public page the password-reset email opens (APP_URL/reset-password?token=... redirects here). */
import { useState } from 'preact/hooks'
import { checked, messageOf, useAction } from '../action'
import { api } from '../api/client'
import { useT } from '../i18n'
import { PublicCard } from '../Layout'
import { navigate } from '../router'
import type { PageProps } from '../routes'
import { ErrorBox, fieldError, Input, Notice } from '../ui'

export default function ResetPassword(props: PageProps) {
  const t = useT()
  const [token, setToken] = useState(props.query.get('token') ?? '')
  const [password, setPassword] = useState('')
  const [confirm, setConfirm] = useState('')
  const { busy, error, run } = useAction()
  const [done, setDone] = useState<string>()

  async function submit(e: Event) {
    e.preventDefault()
    const res = await run(() =>
      checked(api.POST('/auth/reset-password', { body: { reset_token: token, new_password: password, confirm_new_password: confirm } })),
    )
    if (res) setDone(messageOf(res))
  }

  return (
    <PublicCard title={t('forgotTitle')}>
      {done ? (
        <>
          <Notice>{done}</Notice>
          <button type="button" onClick={() => navigate('/', true)}>
            {t('signIn')}
          </button>
        </>
      ) : (
        <form onSubmit={submit}>
          <ErrorBox error={error} />
          {!props.query.get('token') && (
            <Input
              label={t('resetCode')}
              name="reset_token"
              required
              value={token}
              error={fieldError(error, 'reset_token')}
              onInput={(e) => setToken(e.currentTarget.value)}
            />
          )}
          <Input
            label={t('newPassword')}
            name="new_password"
            type="password"
            autoComplete="new-password"
            required
            value={password}
            error={fieldError(error, 'new_password')}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
          <Input
            label={t('confirmPassword')}
            name="confirm_new_password"
            type="password"
            autoComplete="new-password"
            required
            value={confirm}
            error={fieldError(error, 'confirm_new_password')}
            onInput={(e) => setConfirm(e.currentTarget.value)}
          />
          <button type="submit" disabled={busy}>
            {busy ? t('saving') : t('setPassword')}
          </button>
        </form>
      )}
    </PublicCard>
  )
}
