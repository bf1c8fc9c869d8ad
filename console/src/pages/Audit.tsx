/**
 * The audit log (GET /audit): who changed what, newest first, filtered by what was changed, its
 * id, who changed it and when; the same filters download as CSV (GET /audit.csv).
 */
import { api, unwrapList } from '../api/client'
import type { AuditEntry, User } from '../api/types'
import { downloadAuditCsv } from '../download'
import { dateTime } from '../format'
import { type MessageKey, useT } from '../i18n'
import { useLoad } from '../load'
import { Link, navigate } from '../router'
import type { PageProps } from '../routes'
import { DownloadButton, ErrorBox, Input, Loading, Pager, PageTitle, Select } from '../ui'

const PER_PAGE = 50
const ENTITIES = ['transaction', 'user', 'periode', 'payment', 'settings', 'webhook'] as const
type Entity = (typeof ENTITIES)[number]

/** Where the changed thing lives in the console, when it has a page. */
function entityLink(e: AuditEntry): string | undefined {
  if (!e.entity_id) return undefined
  if (e.entity === 'transaction') return `/deposits/${e.entity_id}`
  if (e.entity === 'user') return `/members/${e.entity_id}`
  return undefined
}

/** The state before or after, compact: `status: sent` lines for an object, JSON otherwise. */
function state(value: unknown): string {
  if (value === null || value === undefined) return '–'
  if (typeof value !== 'object' || Array.isArray(value)) return JSON.stringify(value)
  return Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join('\n')
}

async function loadStaff(): Promise<User[]> {
  const lists = await Promise.all(
    (['admin', 'auditor'] as const).map(
      async (user_type) => unwrapList(await api.GET('/users', { params: { query: { user_type, per_page: 200, page: 1 } } })).data as User[],
    ),
  )
  return lists.flat()
}

export default function Audit(props: PageProps) {
  const t = useT()
  const q = props.query
  const filters = {
    entity: q.get('entity') ?? '',
    entity_id: q.get('entity_id') ?? '',
    actor_id: q.get('actor_id') ?? '',
    from: q.get('from') ?? '',
    to: q.get('to') ?? '',
  }
  const page = Number(q.get('page') ?? '1') || 1
  // Dates are whole days in APP_TIMEZONE, the end day included (the API reads them so).
  const apiFilters = {
    entity: (filters.entity || undefined) as Entity | undefined,
    entity_id: filters.entity_id ? Number(filters.entity_id) : undefined,
    actor_id: filters.actor_id ? Number(filters.actor_id) : undefined,
    from: filters.from || undefined,
    to: filters.to || undefined,
  }
  const staff = useLoad(loadStaff, [])
  const log = useLoad(
    async () => unwrapList(await api.GET('/audit', { params: { query: { ...apiFilters, page, per_page: PER_PAGE } } })),
    [q.toString()],
  )

  function setFilter(name: string, value: string) {
    const next = new URLSearchParams(q)
    if (value) next.set(name, value)
    else next.delete(name)
    next.delete('page')
    navigate(`/audit${next.size ? `?${next}` : ''}`, true)
  }
  function setPage(n: number) {
    const next = new URLSearchParams(q)
    next.set('page', String(n))
    navigate(`/audit?${next}`, true)
  }

  return (
    <div>
      <PageTitle actions={<DownloadButton label={t('exportCsv')} download={() => downloadAuditCsv(apiFilters)} />}>{t('audit')}</PageTitle>
      <div class="filters">
        <Select
          label={t('auditEntity')}
          value={filters.entity}
          onChange={(v) => setFilter('entity', v)}
          options={[{ value: '', label: t('auditAll') }, ...ENTITIES.map((e) => ({ value: e, label: t(`ent_${e}` as MessageKey) }))]}
        />
        {/* Not bound to the address while typed in: a re-render (the list arriving after another
            filter changed) would put the address's value back over the digits being typed. It
            takes the address's value when that changes (key), and gives it back on change. */}
        <Input
          key={`entity_id:${filters.entity_id}`}
          label={t('auditEntityId')}
          inputMode="numeric"
          defaultValue={filters.entity_id}
          onChange={(e) => setFilter('entity_id', e.currentTarget.value.replace(/\D/g, ''))}
        />
        <Select
          label={t('auditActor')}
          value={filters.actor_id}
          onChange={(v) => setFilter('actor_id', v)}
          options={[{ value: '', label: t('auditAnyone') }, ...(staff.data ?? []).map((u) => ({ value: String(u.id), label: u.fullname }))]}
        />
        <Input label={t('fromDate')} type="date" value={filters.from} onChange={(e) => setFilter('from', e.currentTarget.value)} />
        <Input label={t('toDate')} type="date" value={filters.to} onChange={(e) => setFilter('to', e.currentTarget.value)} />
      </div>
      <ErrorBox error={log.error ?? staff.error} />
      {log.loading && !log.data ? (
        <Loading />
      ) : log.data ? (
        <>
          <p class="muted">{t('entriesCount', { n: log.data.meta.total })}</p>
          <table class="audit">
            <thead>
              <tr>
                <th scope="col">{t('date')}</th>
                <th scope="col">{t('auditActor')}</th>
                <th scope="col">{t('auditAction')}</th>
                <th scope="col">{t('auditEntity')}</th>
                <th scope="col">{t('before')}</th>
                <th scope="col">{t('after')}</th>
              </tr>
            </thead>
            <tbody>
              {log.data.data.map((e) => {
                const to = entityLink(e)
                const label = `${t(`ent_${e.entity}` as MessageKey)}${e.entity_id ? ` #${e.entity_id}` : ''}`
                return (
                  <tr key={e.id}>
                    <td>{dateTime(e.created_at, t.lang)}</td>
                    <td>{e.actor?.fullname ?? t('system')}</td>
                    <td>
                      <code>{e.action}</code>
                    </td>
                    <td>{to ? <Link to={to}>{label}</Link> : label}</td>
                    <td>
                      <pre class="state">{state(e.before)}</pre>
                    </td>
                    <td>
                      <pre class="state">{state(e.after)}</pre>
                    </td>
                  </tr>
                )
              })}
            </tbody>
          </table>
          <Pager page={page} total={log.data.meta.total} perPage={PER_PAGE} onPage={setPage} />
        </>
      ) : null}
    </div>
  )
}
