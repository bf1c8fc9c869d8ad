/**
 * Webhooks (/webhooks): the registered receivers, a new one (its signing secret is shown once,
 * right after creation), delete, and each one's deliveries with a retry for those that failed.
 */
import { useState } from 'preact/hooks'
import { api, unwrap, unwrapList } from '../api/client'
import type { Webhook, WebhookDelivery } from '../api/types'
import { dateTime } from '../format'
import { type MessageKey, useT } from '../i18n'
import { useLoad } from '../load'
import { useCanWrite } from '../session'
import { ErrorBox, fieldError, Input, Loading, Notice, NumTh, PageTitle } from '../ui'

const EVENTS = ['deposit.submitted', 'deposit.status_changed', 'reminder.due', 'member.created', 'member.target_reached'] as const
type EventType = (typeof EVENTS)[number]

const message = (res: { data?: unknown }) => (res.data as { message: string }).message

function NewWebhook(props: { onCreated: (secret: string, message: string) => void; onCancel: () => void }) {
  const t = useT()
  const [url, setUrl] = useState('')
  const [events, setEvents] = useState<Set<EventType>>(new Set(['deposit.status_changed']))
  const [description, setDescription] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>()

  async function submit(e: Event) {
    e.preventDefault()
    setBusy(true)
    setError(undefined)
    try {
      const res = await api.POST('/webhooks', { body: { url, events: [...events], description: description || undefined } })
      const created = unwrap(res)
      props.onCreated(created.secret, message(res))
    } catch (err) {
      // The form keeps what was typed; the API's message says what to fix.
      setError(err)
    } finally {
      setBusy(false)
    }
  }

  return (
    <form class="form card" onSubmit={submit}>
      <h2>{t('newWebhook')}</h2>
      <ErrorBox error={error} />
      <Input
        label={t('webhookUrl')}
        type="url"
        required
        value={url}
        error={fieldError(error, 'url')}
        onInput={(e) => setUrl(e.currentTarget.value)}
      />
      <fieldset>
        <legend>{t('webhookEvents')}</legend>
        {EVENTS.map((ev) => (
          <label key={ev} class="check">
            <input
              type="checkbox"
              checked={events.has(ev)}
              onChange={(e) => {
                const next = new Set(events)
                if (e.currentTarget.checked) next.add(ev)
                else next.delete(ev)
                setEvents(next)
              }}
            />{' '}
            <code>{ev}</code> {t(`ev_${ev.replace('.', '_')}` as MessageKey)}
          </label>
        ))}
        {fieldError(error, 'events') && <small class="error-text">{fieldError(error, 'events')}</small>}
      </fieldset>
      <Input label={t('description')} maxLength={500} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
      <div class="buttons">
        <button type="submit" disabled={busy}>
          {busy ? t('saving') : t('save')}
        </button>
        <button type="button" class="secondary" onClick={props.onCancel}>
          {t('cancel')}
        </button>
      </div>
    </form>
  )
}

function Deliveries(props: { webhook: Webhook; canWrite: boolean }) {
  const t = useT()
  const list = useLoad(
    async () =>
      unwrapList(
        await api.GET('/webhooks/{id}/deliveries', { params: { path: { id: props.webhook.id }, query: { page: 1, per_page: 20 } } }),
      ).data as WebhookDelivery[],
    [props.webhook.id],
  )
  const [error, setError] = useState<unknown>()
  const [notice, setNotice] = useState<string>()

  async function retry(d: WebhookDelivery) {
    setError(undefined)
    try {
      const res = await api.POST('/webhooks/{id}/deliveries/{delivery_id}/retry', {
        params: { path: { id: props.webhook.id, delivery_id: d.id } },
      })
      unwrap(res)
      setNotice(`#${d.id}: ${message(res)}`)
      list.reload()
    } catch (err) {
      setError(err)
    }
  }

  if (list.loading && !list.data) return <Loading />
  return (
    <div class="deliveries">
      {notice && <Notice>{notice}</Notice>}
      <ErrorBox error={error ?? list.error} />
      {list.data && list.data.length === 0 ? (
        <p class="muted">{t('noDeliveries')}</p>
      ) : (
        <table>
          <caption>{t('deliveriesOf', { url: props.webhook.url })}</caption>
          <thead>
            <tr>
              <th scope="col">{t('date')}</th>
              <th scope="col">{t('webhookEvent')}</th>
              <th scope="col">{t('status')}</th>
              <NumTh>{t('attempts')}</NumTh>
              <th scope="col">{t('lastResult')}</th>
              {props.canWrite && <th scope="col">{t('actions')}</th>}
            </tr>
          </thead>
          <tbody>
            {list.data?.map((d) => (
              <tr key={d.id}>
                <td>{dateTime(d.created_at, t.lang)}</td>
                <td>
                  <code>{d.event_type}</code>
                </td>
                <td>{t(`dl_${d.status}` as MessageKey)}</td>
                <td class="num">{d.attempts}</td>
                <td>
                  {d.last_status_code ?? ''} {d.last_error ?? ''}
                  {d.next_attempt_at && <span class="muted"> · {t('nextAttempt', { at: dateTime(d.next_attempt_at, t.lang) })}</span>}
                </td>
                {props.canWrite && (
                  <td>
                    {d.status !== 'succeeded' && (
                      <button type="button" class="link" aria-label={`${t('retry')} #${d.id}`} onClick={() => void retry(d)}>
                        {t('retry')}
                      </button>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  )
}

export default function Webhooks() {
  const t = useT()
  const canWrite = useCanWrite()
  const hooks = useLoad(async () => (unwrap(await api.GET('/webhooks')) ?? []) as Webhook[], [])
  const [adding, setAdding] = useState(false)
  const [secret, setSecret] = useState<string>()
  const [notice, setNotice] = useState<string>()
  const [error, setError] = useState<unknown>()
  const [open, setOpen] = useState<number>()

  async function remove(h: Webhook) {
    if (!confirm(t('confirmDelete', { name: h.url }))) return
    setError(undefined)
    setSecret(undefined)
    try {
      const res = await api.DELETE('/webhooks/{id}', { params: { path: { id: h.id } } })
      unwrap(res)
      setNotice(message(res))
      hooks.reload()
    } catch (err) {
      setError(err)
    }
  }

  if (hooks.loading && !hooks.data) return <Loading />
  return (
    <div>
      <PageTitle
        actions={
          canWrite &&
          !adding && (
            <button type="button" onClick={() => setAdding(true)}>
              {t('newWebhook')}
            </button>
          )
        }
      >
        {t('webhooks')}
      </PageTitle>
      <p class="muted">{t('webhooksHelp')}</p>
      {notice && <Notice>{notice}</Notice>}
      {secret && (
        <div class="alert alert-info" role="status">
          <p>{t('secretOnce')}</p>
          <code class="secret">{secret}</code>
        </div>
      )}
      <ErrorBox error={error ?? hooks.error} />
      {adding && (
        <NewWebhook
          onCancel={() => setAdding(false)}
          onCreated={(s, m) => {
            setAdding(false)
            setSecret(s)
            setNotice(m)
            hooks.reload()
          }}
        />
      )}
      {hooks.data && hooks.data.length === 0 ? (
        <p class="muted">{t('noWebhooks')}</p>
      ) : (
        <table class="webhooks">
          <thead>
            <tr>
              <th scope="col">URL</th>
              <th scope="col">{t('webhookEvents')}</th>
              <th scope="col">{t('status')}</th>
              <th scope="col">{t('actions')}</th>
            </tr>
          </thead>
          <tbody>
            {hooks.data?.map((h) => (
              <tr key={h.id}>
                <td>
                  <code>{h.url}</code>
                  {h.description && <div class="muted">{h.description}</div>}
                </td>
                <td>{h.events.join(', ')}</td>
                <td>{h.is_active ? t('active') : t('inactive')}</td>
                <td class="row-actions">
                  <button
                    type="button"
                    class="link"
                    aria-expanded={open === h.id}
                    onClick={() => setOpen(open === h.id ? undefined : h.id)}
                  >
                    {t('deliveries')}
                  </button>
                  {canWrite && (
                    <button type="button" class="link danger" aria-label={`${t('delete')} ${h.url}`} onClick={() => void remove(h)}>
                      {t('delete')}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {open !== undefined && hooks.data?.some((h) => h.id === open) && (
        <Deliveries webhook={hooks.data.find((h) => h.id === open)!} canWrite={canWrite} />
      )}
    </div>
  )
}
