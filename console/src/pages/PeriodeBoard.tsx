/**
 * The periode board: every active member with what they paid in the periode, who has not paid,
 * progress to the periode's target, and the periode's CSV. (Arrears and "send reminders" join
 * this page when GET /reports/arrears and POST /reminders exist, SPEC §7.)
 */
import { useState } from 'preact/hooks'
import { api, unwrap } from '../api/client'
import type { PeriodeReport } from '../api/types'
import { downloadCsv } from '../csv'
import { dateOnly, money } from '../format'
import { useT } from '../i18n'
import { useLoad } from '../load'
import { loadPeriodes } from '../options'
import { Link, navigate } from '../router'
import type { PageProps } from '../routes'
import { ErrorBox, Loading, PageTitle, Select } from '../ui'
import { currentPeriodeId } from './CashDeposit'

/** Percent of the target reached, for the bar only (the amounts themselves are shown exactly). */
function percent(paid: number, target: number | null): number | undefined {
  if (!target) return undefined
  return Math.max(0, Math.min(100, Math.floor((paid / target) * 100)))
}

export default function PeriodeBoard(props: PageProps) {
  const t = useT()
  const periodes = useLoad(() => loadPeriodes(), [])
  const chosen = props.params.id ?? (periodes.data ? currentPeriodeId(periodes.data) || String(periodes.data.at(-1)?.id ?? '') : '')
  const [unpaidFirst, setUnpaidFirst] = useState(true)
  const [sort, setSort] = useState<'name' | 'amount'>('name')
  const report = useLoad(
    async () =>
      chosen
        ? (unwrap(
            await api.GET('/reports/periodes/{id}', {
              params: {
                path: { id: Number(chosen) },
                query: { sort, order: sort === 'amount' ? 'desc' : 'asc', unpaid_first: unpaidFirst },
              },
            }),
          ) as PeriodeReport)
        : undefined,
    [chosen, sort, unpaidFirst],
  )
  const [csvError, setCsvError] = useState<unknown>()

  if (periodes.loading && !periodes.data) return <Loading />
  const r = report.data
  const target = r?.periode.target_amount ?? null
  return (
    <div>
      <PageTitle
        actions={
          chosen && (
            <button type="button" class="secondary" onClick={() => downloadCsv({ periode_id: chosen }).catch(setCsvError)}>
              {t('exportCsv')}
            </button>
          )
        }
      >
        {t('board')}
        {r ? `: ${r.periode.periode_name}` : ''}
      </PageTitle>
      <ErrorBox error={csvError ?? periodes.error ?? report.error} />
      <div class="filters">
        <Select
          label={t('periode')}
          value={chosen}
          onChange={(v) => navigate(v ? `/periodes/${v}/board` : '/board')}
          options={[
            { value: '', label: t('choosePeriode') },
            ...(periodes.data ?? []).map((p) => ({ value: String(p.id), label: p.periode_name })),
          ]}
        />
        <Select
          label={t('sortBy')}
          value={sort}
          onChange={(v) => setSort(v as 'name' | 'amount')}
          options={[
            { value: 'name', label: t('name') },
            { value: 'amount', label: t('completed') },
          ]}
        />
        <label class="check">
          <input type="checkbox" checked={unpaidFirst} onChange={(e) => setUnpaidFirst(e.currentTarget.checked)} /> {t('unpaidFirst')}
        </label>
      </div>
      {!r ? (
        report.loading ? (
          <Loading />
        ) : null
      ) : (
        <>
          <p class="muted">
            {dateOnly(r.periode.start_date, t.lang)} – {dateOnly(r.periode.end_date, t.lang)} · {t('target')}: {money(target)}
          </p>
          <dl class="totals">
            <div>
              <dt>{t('paid')}</dt>
              <dd>
                {r.totals.members_paid} / {r.totals.member_count}
              </dd>
            </div>
            <div>
              <dt>{t('unpaid')}</dt>
              <dd>{r.totals.members_unpaid}</dd>
            </div>
            {r.totals.members_reached_target !== null && (
              <div>
                <dt>{t('reachedTarget')}</dt>
                <dd>{r.totals.members_reached_target}</dd>
              </div>
            )}
            <div>
              <dt>{t('completedTotal')}</dt>
              <dd>{money(r.totals.completed_amount)}</dd>
            </div>
            <div>
              <dt>{t('pendingTotal')}</dt>
              <dd>{money(r.totals.pending_amount)}</dd>
            </div>
          </dl>
          <table class="board">
            <thead>
              <tr>
                <th scope="col">{t('owner')}</th>
                <th scope="col" class="num">
                  {t('completed')}
                </th>
                <th scope="col" class="num">
                  {t('pending')}
                </th>
                <th scope="col">{t('progress')}</th>
                <th scope="col">{t('status')}</th>
              </tr>
            </thead>
            <tbody>
              {r.members.map((m) => {
                const p = percent(m.completed_amount, target)
                return (
                  <tr key={m.user_id} class={m.has_paid ? '' : 'unpaid'}>
                    <td>
                      <Link to={`/members/${m.user_id}`}>{m.fullname}</Link> <span class="muted">@{m.username}</span>
                    </td>
                    <td class="num">{money(m.completed_amount)}</td>
                    <td class="num">{m.pending_count ? `${money(m.pending_amount)} (${m.pending_count})` : '–'}</td>
                    <td>
                      {p !== undefined ? (
                        <span class="progress">
                          <progress max={100} value={p} aria-label={`${t('progress')} ${m.fullname}`} /> {p}%
                        </span>
                      ) : (
                        '–'
                      )}
                    </td>
                    <td>
                      {m.reached_target ? (
                        <span class="badge badge-completed">{t('reachedTarget')}</span>
                      ) : m.has_paid ? (
                        <span class="badge badge-on_process">{t('paid')}</span>
                      ) : (
                        <span class="badge badge-rejected">{t('unpaid')}</span>
                      )}
                    </td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        </>
      )}
    </div>
  )
}
