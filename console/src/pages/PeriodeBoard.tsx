/**
 * The periode board: every active member with what they paid in the periode, who has not paid,
 * progress to the periode's target, what each still owes of it (arrears), the periode's CSV, and
 * reminders: send them to every member in arrears now, and see the ones sent.
 */
import { useState } from 'preact/hooks'
import { api, unwrap } from '../api/client'
import type { PeriodeReport } from '../api/types'
import { loadArrears, loadReminders, missingIn, sendReminders, sumAmounts } from '../arrears'
import { currentPeriodeId } from '../DepositFields'
import { downloadCsv } from '../download'
import { dateOnly, dateTime, money } from '../format'
import { useT } from '../i18n'
import { useLoad } from '../load'
import { loadPeriodes } from '../options'
import { Link, navigate } from '../router'
import type { PageProps } from '../routes'
import { useCanWrite } from '../session'
import { ErrorBox, Loading, Notice, NumTh, PageTitle, Select } from '../ui'

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
  const arrears = useLoad(loadArrears, [])
  const reminders = useLoad(() => (chosen ? loadReminders(Number(chosen)) : Promise.resolve([])), [chosen])
  const canWrite = useCanWrite()
  const [sending, setSending] = useState(false)
  const [sent, setSent] = useState<string>()
  const [sendError, setSendError] = useState<unknown>()
  const owed = arrears.data && chosen ? missingIn(arrears.data, Number(chosen)) : undefined

  async function remind() {
    setSending(true)
    setSent(undefined)
    setSendError(undefined)
    try {
      setSent(await sendReminders(Number(chosen)))
      reminders.reload()
    } catch (err) {
      setSendError(err)
    } finally {
      setSending(false)
    }
  }

  if (periodes.loading && !periodes.data) return <Loading />
  const r = report.data
  const target = r?.periode.target_amount ?? null
  // "Paid" means a treasurer verified a deposit; members with only unverified ones are counted apart.
  const verified = r?.members.filter((m) => m.completed_count > 0).length ?? 0
  const awaiting = r?.members.filter((m) => m.has_paid && m.completed_count === 0).length ?? 0
  return (
    <div>
      <PageTitle
        actions={
          chosen && (
            <>
              {canWrite && (
                <button type="button" disabled={sending || !owed?.size} onClick={() => void remind()}>
                  {sending ? t('sending') : t('sendReminders', { n: owed?.size ?? 0 })}
                </button>
              )}
              <button type="button" class="secondary" onClick={() => downloadCsv({ periode_id: chosen }).catch(setCsvError)}>
                {t('exportCsv')}
              </button>
            </>
          )
        }
      >
        {t('board')}
        {r ? `: ${r.periode.periode_name}` : ''}
      </PageTitle>
      <ErrorBox error={csvError ?? sendError ?? periodes.error ?? report.error ?? arrears.error} />
      {sent && <Notice>{sent}</Notice>}
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
                {verified} / {r.totals.member_count}
              </dd>
            </div>
            {awaiting > 0 && (
              <div>
                <dt>{t('paidAwaitingVerification')}</dt>
                <dd>{awaiting}</dd>
              </div>
            )}
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
            {owed && (
              <div>
                <dt>{t('arrears')}</dt>
                <dd>
                  {money(sumAmounts([...owed.values()]))} · {t('membersCount', { n: owed.size })}
                </dd>
              </div>
            )}
          </dl>
          <table class="board">
            <thead>
              <tr>
                <th scope="col">{t('owner')}</th>
                <NumTh>{t('completed')}</NumTh>
                <NumTh>{t('pending')}</NumTh>
                <NumTh>{t('arrears')}</NumTh>
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
                    <td class="num">{owed?.has(m.user_id) ? money(owed.get(m.user_id)) : '–'}</td>
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
                      ) : m.completed_count > 0 ? (
                        <span class="badge badge-on_process">{t('paid')}</span>
                      ) : m.has_paid ? (
                        // Only deposits nobody has verified yet: not "paid" until a treasurer says so.
                        <span class="badge badge-sent">{t('paidAwaitingVerification')}</span>
                      ) : (
                        <span class="badge badge-rejected">{t('unpaid')}</span>
                      )}
                    </td>
                  </tr>
                )
              })}
            </tbody>
          </table>
          <h2>{t('remindersSent')}</h2>
          {reminders.data && reminders.data.length > 0 ? (
            <table class="reminders">
              <thead>
                <tr>
                  <th scope="col">{t('date')}</th>
                  <th scope="col">{t('owner')}</th>
                  <th scope="col">{t('channel')}</th>
                  <th scope="col">{t('status')}</th>
                  <NumTh>{t('arrears')}</NumTh>
                </tr>
              </thead>
              <tbody>
                {reminders.data.map((x) => (
                  <tr key={x.id}>
                    <td>{dateTime(x.created_at, t.lang)}</td>
                    <td>{x.user.fullname}</td>
                    <td>{x.channel === 'email' ? t('email') : t('inbox')}</td>
                    <td>
                      {x.status === 'delivered' ? t('delivered') : x.status === 'failed' ? t('failed') : t('pending')}
                      {x.error && <span class="muted"> · {x.error}</span>}
                    </td>
                    <td class="num">{money(x.amount)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p class="muted">{reminders.loading ? t('loading') : t('noReminders')}</p>
          )}
        </>
      )}
    </div>
  )
}
