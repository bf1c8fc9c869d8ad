/**
 * The dashboard: totals by status, the waiting queue, arrears (who owes most), amounts per periode
 * and per payment method.
 */
import { lazy, Suspense } from 'preact/compat'
import { api, unwrap } from '../api/client'
import type { Summary } from '../api/types'
import { loadArrears, sumAmounts } from '../arrears'
import { money } from '../format'
import { useT } from '../i18n'
import { useLoad } from '../load'
import { Link } from '../router'
import { ErrorBox, Loading, NumTh, PageTitle } from '../ui'

const BarChart = lazy(() => import('./BarChart'))

export default function Dashboard() {
  const t = useT()
  const summary = useLoad(async () => unwrap(await api.GET('/reports/summary', { params: { query: {} } })) as Summary, [])
  const arrears = useLoad(loadArrears, [])
  if (summary.loading && !summary.data) return <Loading />
  if (!summary.data) return <ErrorBox error={summary.error} />
  const s = summary.data
  const periodes = s.by_periode.filter((p) => p.periode_id !== null)
  return (
    <div>
      <PageTitle>{t('dashboard')}</PageTitle>
      <div class="cards">
        <Link to="/queue" class="card card-link">
          <span class="card-label">{t('queue')}</span>
          <strong class="card-value">{s.totals.pending_count}</strong>
          <span>{money(s.totals.pending_amount)}</span>
        </Link>
        <div class="card">
          <span class="card-label">{t('completedTotal')}</span>
          <strong class="card-value">{money(s.totals.completed_amount)}</strong>
          <span>{t('depositsCount', { n: s.totals.completed_count })}</span>
        </div>
        <div class="card">
          <span class="card-label">{t('rejectedTotal')}</span>
          <strong class="card-value">{money(s.totals.rejected_amount)}</strong>
          <span>{t('depositsCount', { n: s.totals.rejected_count })}</span>
        </div>
        <div class="card">
          <span class="card-label">{t('members')}</span>
          <strong class="card-value">{s.totals.member_count}</strong>
        </div>
        {arrears.data && (
          <Link to="/board" class="card card-link">
            <span class="card-label">{t('arrears')}</span>
            <strong class="card-value">{money(sumAmounts(arrears.data.map((a) => a.amount)))}</strong>
            <span>{t('membersInArrears', { n: arrears.data.length })}</span>
          </Link>
        )}
      </div>
      <ErrorBox error={arrears.error} />
      {arrears.data && arrears.data.length > 0 && (
        <section>
          <h2>{t('arrearsTop')}</h2>
          <table class="arrears">
            <thead>
              <tr>
                <th scope="col">{t('owner')}</th>
                <th scope="col">{t('periodes')}</th>
                <NumTh>{t('arrears')}</NumTh>
              </tr>
            </thead>
            <tbody>
              {arrears.data.slice(0, 5).map((a) => (
                <tr key={a.user.id}>
                  <td>
                    <Link to={`/members/${a.user.id}`}>{a.user.fullname}</Link> <span class="muted">@{a.user.username}</span>
                  </td>
                  <td>{a.periodes.map((p) => p.periode_name).join(', ')}</td>
                  <td class="num">{money(a.amount)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      {periodes.length > 0 && (
        <section>
          <h2>{t('byPeriode')}</h2>
          <Suspense fallback={<Loading />}>
            <BarChart
              title={t('completedTotal')}
              labels={periodes.map((p) => p.periode_name ?? '')}
              values={periodes.map((p) => p.completed_amount)}
            />
          </Suspense>
        </section>
      )}
      <section>
        <h2>{t('byPayment')}</h2>
        <table>
          <thead>
            <tr>
              <th scope="col">{t('payment')}</th>
              <NumTh>{t('completed')}</NumTh>
              <NumTh>{t('pending')}</NumTh>
              <NumTh>{t('count')}</NumTh>
            </tr>
          </thead>
          <tbody>
            {s.by_payment.map((p) => (
              <tr key={p.payment_id ?? 'none'}>
                <td>{p.payment_name ?? t('none')}</td>
                <td class="num">{money(p.completed_amount)}</td>
                <td class="num">{money(p.pending_amount)}</td>
                <td class="num">{p.transaction_count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  )
}
