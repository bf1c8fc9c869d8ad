/** One deposit with its receipt, its history, and the status actions. */
import { useRef, useState } from 'preact/hooks'
import { changeStatus, getDeposit, handledElsewhere, isPdf } from '../deposits'
import { downloadReceipt } from '../download'
import { dateTime } from '../format'
import { type MessageKey, useT } from '../i18n'
import { useLoad } from '../load'
import type { PageProps } from '../routes'
import { type Decision, ready, StatusActions, useDecision } from '../StatusActions'
import { useCanWrite } from '../session'
import { DownloadButton, ErrorBox, Loading, Money, Notice, PageTitle, StatusBadge } from '../ui'

export default function DepositDetail(props: PageProps) {
  const t = useT()
  const id = Number(props.params.id)
  const deposit = useLoad(() => getDeposit(id), [id])
  const decision = useDecision()
  const noteRef = useRef<HTMLInputElement>(null)
  const canWrite = useCanWrite()
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>()
  const [notice, setNotice] = useState<string>()

  async function act(status: Decision) {
    if (busy || !ready(decision, status, noteRef)) return
    setBusy(true)
    setError(undefined)
    setNotice(undefined)
    try {
      const note = status === 'needs_correction' || status === 'rejected' ? decision.note.trim() : undefined
      const { detail, message } = await changeStatus(id, status, note)
      deposit.setData(detail)
      decision.setNote('')
      setNotice(message)
    } catch (err) {
      // Someone else decided it first: show it as it is now (not an error); otherwise the API's
      // message, and the typed reason stays.
      const current = await handledElsewhere(id, err)
      if (current && current !== 'gone') {
        deposit.setData(current)
        setNotice(
          t('alreadyHandled', {
            status: t(`st_${current.status}` as MessageKey),
            by: current.confirmed_by ? t('handledBy', { name: current.confirmed_by.fullname }) : '',
          }),
        )
      } else setError(err)
    } finally {
      setBusy(false)
    }
  }

  if (deposit.loading && !deposit.data) return <Loading />
  if (!deposit.data) return <ErrorBox error={deposit.error} />
  const d = deposit.data
  const open = d.status === 'sent' || d.status === 'on_process'
  return (
    <div>
      <PageTitle
        actions={
          d.status === 'completed' && (
            <DownloadButton class="ok" label={t('receiptPdf', { number: d.receipt_number ?? '' })} download={() => downloadReceipt(d.id)} />
          )
        }
      >
        {t('depositNo', { id: d.id })} <StatusBadge status={d.status} />
      </PageTitle>
      {notice && <Notice>{notice}</Notice>}
      <div class="detail-grid">
        <div class="receipt-large">
          {d.bukti_transfer_url && !isPdf(d.bukti_transfer_url) ? (
            <a href={d.bukti_transfer_url} target="_blank" rel="noreferrer" title={t('openReceipt')}>
              <img src={d.bukti_transfer_url} alt={`${t('receipt')} #${d.id}`} />
            </a>
          ) : d.bukti_transfer_url ? (
            <a href={d.bukti_transfer_url} target="_blank" rel="noreferrer">
              {t('openReceipt')} (PDF)
            </a>
          ) : (
            <p class="muted">{t('noReceipt')}</p>
          )}
        </div>
        <div>
          {d.is_duplicate_receipt && <p class="flag">{t('duplicate', { id: d.duplicate_of_id ?? '?' })}</p>}
          <dl class="facts">
            <dt>{t('owner')}</dt>
            <dd>
              {d.user.fullname} <span class="muted">@{d.user.username}</span>
            </dd>
            <dt>{t('amount')}</dt>
            <dd class="big">
              <Money amount={d.amount} />
            </dd>
            <dt>{t('depositDate')}</dt>
            <dd>{dateTime(d.transaction_date, t.lang)}</dd>
            <dt>{t('periode')}</dt>
            <dd>{d.periode?.periode_name ?? t('none')}</dd>
            <dt>{t('payment')}</dt>
            <dd>{d.payment?.payment_name ?? t('none')}</dd>
            <dt>{t('reportedBy')}</dt>
            <dd>
              {d.reported_by.fullname} · {dateTime(d.reported_date, t.lang)}
            </dd>
            {d.status_note && (
              <>
                <dt>{t('statusNote')}</dt>
                <dd>{d.status_note}</dd>
              </>
            )}
            {d.confirmed_by && (
              <>
                <dt>{t('confirmedBy')}</dt>
                <dd>
                  {d.confirmed_by.fullname} · {dateTime(d.confirmed_at, t.lang)}
                </dd>
              </>
            )}
          </dl>
          <ErrorBox error={error} />
          {open && (
            <StatusActions
              id="detail-note"
              status={d.status}
              state={decision}
              busy={busy}
              readOnly={!canWrite}
              noteRef={noteRef}
              onAct={(x) => void act(x)}
            />
          )}
          <h2>{t('history')}</h2>
          <ol class="history">
            {d.history.map((h) => (
              <li key={h.created_at + h.to_status}>
                <span class="muted">{dateTime(h.created_at, t.lang)}</span> ·{' '}
                {h.from_status ? `${t(`st_${h.from_status}` as MessageKey)} → ` : ''}
                <strong>{t(`st_${h.to_status}` as MessageKey)}</strong>
                {h.changed_by && ` · ${h.changed_by.fullname}`}
                {h.note && <blockquote>{h.note}</blockquote>}
              </li>
            ))}
          </ol>
        </div>
      </div>
    </div>
  )
}
