/** Every deposit with filters (status, periode, member), exact totals from the API, and the CSV export. */
import { useState } from 'preact/hooks'
import { api, unwrapList } from '../api/client'
import type { Transaction, TransactionListMeta, TransactionStatus } from '../api/types'
import { downloadCsv } from '../download'
import { dateTime } from '../format'
import { type MessageKey, useT } from '../i18n'
import { useLoad } from '../load'
import { loadMembers, loadPeriodes } from '../options'
import { Link, navigate } from '../router'
import type { PageProps } from '../routes'
import { useCanWrite } from '../session'
import { ErrorBox, Loading, Money, NumTh, Pager, PageTitle, Select, StatusBadge } from '../ui'

const PER_PAGE = 100
const STATUSES = ['sent', 'on_process', 'needs_correction', 'completed', 'rejected'] as const

export default function Deposits(props: PageProps) {
  const t = useT()
  const status = props.query.get('status') ?? ''
  const periode = props.query.get('periode_id') ?? ''
  const member = props.query.get('user_id') ?? ''
  const page = Number(props.query.get('page') ?? '1') || 1
  const options = useLoad(() => Promise.all([loadPeriodes(), loadMembers()]), [])
  const list = useLoad(
    async () =>
      unwrapList(
        await api.GET('/transactions', {
          params: {
            query: {
              status: (status || undefined) as TransactionStatus | undefined,
              periode_id: periode ? Number(periode) : undefined,
              user_id: member ? Number(member) : undefined,
              page,
              per_page: PER_PAGE,
            },
          },
        }),
      ) as { data: Transaction[]; meta: TransactionListMeta },
    [status, periode, member, page],
  )
  const [csvError, setCsvError] = useState<unknown>()
  const canWrite = useCanWrite()

  function setFilter(name: string, value: string) {
    const q = new URLSearchParams(props.query)
    if (value) q.set(name, value)
    else q.delete(name)
    q.delete('page')
    navigate(`/deposits${q.size ? `?${q}` : ''}`, true)
  }

  const [periodes = [], members = []] = options.data ?? []
  const meta = list.data?.meta
  return (
    <div>
      <PageTitle
        actions={
          <>
            {canWrite && (
              <Link to="/deposits/new" class="button">
                {t('cashDeposit')}
              </Link>
            )}
            <button
              type="button"
              class="secondary"
              onClick={() => {
                setCsvError(undefined)
                downloadCsv({ status, periode_id: periode, user_id: member }).catch(setCsvError)
              }}
            >
              {t('exportCsv')}
            </button>
          </>
        }
      >
        {t('deposits')}
      </PageTitle>
      <ErrorBox error={csvError} />
      <div class="filters">
        <Select
          label={t('status')}
          value={status}
          onChange={(v) => setFilter('status', v)}
          options={[{ value: '', label: t('allStatuses') }, ...STATUSES.map((s) => ({ value: s, label: t(`st_${s}` as MessageKey) }))]}
        />
        <Select
          label={t('periode')}
          value={periode}
          onChange={(v) => setFilter('periode_id', v)}
          options={[{ value: '', label: t('allPeriodes') }, ...periodes.map((p) => ({ value: String(p.id), label: p.periode_name }))]}
        />
        <Select
          label={t('owner')}
          value={member}
          onChange={(v) => setFilter('user_id', v)}
          options={[{ value: '', label: t('allMembers') }, ...members.map((m) => ({ value: String(m.id), label: m.fullname }))]}
        />
      </div>
      {meta && (
        <dl class="totals">
          <div>
            <dt>{t('total')}</dt>
            <dd>
              <Money amount={meta.total_amount} /> <span class="muted">({meta.total})</span>
            </dd>
          </div>
          <div>
            <dt>{t('completedTotal')}</dt>
            <dd>
              <Money amount={meta.completed_amount} />
            </dd>
          </div>
          <div>
            <dt>{t('pendingTotal')}</dt>
            <dd>
              <Money amount={meta.pending_amount} />
            </dd>
          </div>
        </dl>
      )}
      <ErrorBox error={list.error} />
      {list.loading && !list.data ? (
        <Loading />
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">{t('owner')}</th>
              <NumTh>{t('amount')}</NumTh>
              <th scope="col">{t('depositDate')}</th>
              <th scope="col">{t('periode')}</th>
              <th scope="col">{t('status')}</th>
            </tr>
          </thead>
          <tbody>
            {list.data?.data.map((d) => (
              <tr key={d.id}>
                <td>
                  <Link to={`/deposits/${d.id}`}>#{d.id}</Link>
                </td>
                <td>{d.user.fullname}</td>
                <td class="num">
                  <Money amount={d.amount} />
                </td>
                <td>{dateTime(d.transaction_date, t.lang)}</td>
                <td>{d.periode?.periode_name ?? '–'}</td>
                <td>
                  <StatusBadge status={d.status} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager page={page} total={meta?.total ?? 0} perPage={PER_PAGE} onPage={setPage} />
    </div>
  )

  function setPage(n: number) {
    const q = new URLSearchParams(props.query)
    q.set('page', String(n))
    navigate(`/deposits?${q}`, true)
  }
}
