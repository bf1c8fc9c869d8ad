/** The signed-in treasurer's own inbox (GET /notifications): newest first, unread marked, read one or all. */
import { useState } from 'preact/hooks'
import { api, unwrap, unwrapList } from '../api/client'
import type { Notification } from '../api/types'
import { dateTime, money } from '../format'
import { useT } from '../i18n'
import { useLoad } from '../load'
import { Link } from '../router'
import { useCanWrite } from '../session'
import { ErrorBox, Loading, Notice, Pager, PageTitle } from '../ui'

const PER_PAGE = 50

/** A link to what the notification is about, when it names a deposit. */
function subject(n: Notification): number | undefined {
  const id = n.data.transaction_id
  return typeof id === 'number' ? id : undefined
}

export default function Notifications() {
  const t = useT()
  const canWrite = useCanWrite()
  const [page, setPage] = useState(1)
  const inbox = useLoad(
    async () => unwrapList(await api.GET('/notifications', { params: { query: { page, per_page: PER_PAGE } } })),
    [page],
  )
  const [error, setError] = useState<unknown>()
  const [notice, setNotice] = useState<string>()

  async function run(call: () => Promise<{ data?: unknown; error?: unknown; response: Response }>) {
    setError(undefined)
    setNotice(undefined)
    try {
      const res = await call()
      unwrap(res as never)
      setNotice((res.data as { message: string }).message)
      inbox.reload()
    } catch (err) {
      setError(err)
    }
  }

  if (inbox.loading && !inbox.data) return <Loading />
  if (!inbox.data) return <ErrorBox error={inbox.error} />
  const { data: items, meta } = inbox.data
  return (
    <div>
      <PageTitle
        actions={
          canWrite &&
          meta.unread > 0 && (
            <button type="button" class="secondary" onClick={() => void run(() => api.POST('/notifications/read-all'))}>
              {t('markAllRead')}
            </button>
          )
        }
      >
        {t('notifications')}
      </PageTitle>
      <p class="muted">{t('unreadCount', { n: meta.unread, total: meta.total })}</p>
      {notice && <Notice>{notice}</Notice>}
      <ErrorBox error={error} />
      {items.length === 0 ? (
        <Notice kind="info">{t('inboxEmpty')}</Notice>
      ) : (
        <ul class="inbox">
          {items.map((n) => {
            const tx = subject(n)
            const amount = n.data.amount
            return (
              <li key={n.id} class={n.read_at ? 'read' : 'unread'}>
                <div class="inbox-head">
                  <strong>
                    {!n.read_at && <span class="badge badge-sent">{t('unread')}</span>} {n.title}
                  </strong>
                  <span class="muted">{dateTime(n.created_at, t.lang)}</span>
                </div>
                <p>{n.body}</p>
                <div class="inbox-actions">
                  {tx !== undefined && <Link to={`/deposits/${tx}`}>{t('depositNo', { id: tx })}</Link>}
                  {typeof amount === 'number' && <span>{money(amount)}</span>}
                  {canWrite && !n.read_at && (
                    <button
                      type="button"
                      class="link"
                      aria-label={`${t('markRead')}: ${n.title}`}
                      onClick={() => void run(() => api.POST('/notifications/{id}/read', { params: { path: { id: n.id } } }))}
                    >
                      {t('markRead')}
                    </button>
                  )}
                </div>
              </li>
            )
          })}
        </ul>
      )}
      <Pager page={page} total={meta.total} perPage={PER_PAGE} onPage={setPage} />
    </div>
  )
}
