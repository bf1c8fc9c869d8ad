/**
 * Organisation settings (GET/PUT /settings): the name, address and contact printed on kuitansi,
 * statements and mail, and the logo. Text goes as JSON; a new logo as multipart with the fields.
 */
import { useEffect, useState } from 'preact/hooks'
import { api, unwrap } from '../api/client'
import type { Settings as SettingsData } from '../api/types'
import { dateTime } from '../format'
import { useT } from '../i18n'
import { useLoad } from '../load'
import { useCanWrite } from '../session'
import { ErrorBox, fieldError, Input, Loading, Notice, PageTitle } from '../ui'

interface Form {
  organisation_name: string
  address: string
  contact: string
}

export default function Settings() {
  const t = useT()
  const canWrite = useCanWrite()
  const current = useLoad(async () => unwrap(await api.GET('/settings')) as SettingsData, [])
  const [form, setForm] = useState<Form>({ organisation_name: '', address: '', contact: '' })
  const [logo, setLogo] = useState<File>()
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>()
  const [notice, setNotice] = useState<string>()

  useEffect(() => {
    const d = current.data
    if (d) setForm({ organisation_name: d.organisation_name, address: d.address ?? '', contact: d.contact ?? '' })
  }, [current.data])

  async function submit(e: Event, removeLogo = false) {
    e.preventDefault()
    setBusy(true)
    setError(undefined)
    setNotice(undefined)
    try {
      const send = () => {
        if (logo && !removeLogo) {
          const body = new FormData()
          body.set('organisation_name', form.organisation_name)
          if (form.address) body.set('address', form.address)
          if (form.contact) body.set('contact', form.contact)
          body.set('logo', logo)
          return api.PUT('/settings', { body: body as never, bodySerializer: (b) => b as unknown as FormData })
        }
        return api.PUT('/settings', {
          body: {
            organisation_name: form.organisation_name,
            address: form.address || null,
            contact: form.contact || null,
            ...(removeLogo ? { remove_logo: true } : {}),
          },
        })
      }
      const res = await send()
      current.setData(unwrap(res) as unknown as SettingsData)
      setLogo(undefined)
      setNotice((res.data as { message: string }).message)
    } catch (err) {
      // What was typed stays; the API's message says what to fix.
      setError(err)
    } finally {
      setBusy(false)
    }
  }

  if (current.loading && !current.data) return <Loading />
  if (!current.data) return <ErrorBox error={current.error} />
  const d = current.data
  const set = (patch: Partial<Form>) => setForm((f) => ({ ...f, ...patch }))
  return (
    <div>
      <PageTitle>{t('settings')}</PageTitle>
      <p class="muted">
        {t('settingsHelp')} {d.updated_at && `· ${t('updatedAt', { at: dateTime(d.updated_at, t.lang) })}`}
      </p>
      {notice && <Notice>{notice}</Notice>}
      <ErrorBox error={error} />
      <form class="form" onSubmit={(e) => void submit(e)}>
        <fieldset class="plain" disabled={!canWrite || busy}>
          <Input
            label={t('organisationName')}
            required
            maxLength={200}
            value={form.organisation_name}
            error={fieldError(error, 'organisation_name')}
            onInput={(e) => set({ organisation_name: e.currentTarget.value })}
          />
          <Input
            label={t('address')}
            maxLength={500}
            value={form.address}
            error={fieldError(error, 'address')}
            onInput={(e) => set({ address: e.currentTarget.value })}
          />
          <Input
            label={t('contact')}
            maxLength={200}
            value={form.contact}
            error={fieldError(error, 'contact')}
            onInput={(e) => set({ contact: e.currentTarget.value })}
          />
          <div class="logo-row">
            {d.logo_url && <img src={d.logo_url} alt={t('logo')} class="logo" />}
            <Input
              label={t('logoFile')}
              type="file"
              accept="image/jpeg,image/png,image/webp"
              error={fieldError(error, 'logo')}
              onChange={(e) => setLogo(e.currentTarget.files?.[0])}
            />
          </div>
          {canWrite && (
            <div class="buttons">
              <button type="submit">{busy ? t('saving') : t('save')}</button>
              {d.logo_url && (
                <button type="button" class="secondary" onClick={(e) => void submit(e, true)}>
                  {t('removeLogo')}
                </button>
              )}
            </div>
          )}
        </fieldset>
      </form>
    </div>
  )
}
