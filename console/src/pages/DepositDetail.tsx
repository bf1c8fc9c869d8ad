/** One deposit with its receipt, its history, and the status actions. */
import { useRef, useState } from 'preact/hooks'
import { DepositFacts, ReceiptLarge } from '../DepositView'
import { changeStatus, getDeposit, handledElsewhere } from '../deposits'
import { downloadReceipt } from '../download'
import { dateTime } from '../format'
import { type MessageKey, useT } from '../i18n'
import { useLoad } from '../load'
import type { PageProps } from '../routes'
import { type Decision, ready, StatusActions, useDecision } from '../StatusActions'
import { useCanWrite } from '../session'
import { DownloadButton, ErrorBox, Loading, Notice, PageTitle, StatusBadge } from '../ui'

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
        <ReceiptLarge deposit={d} />
        <div>
          <DepositFacts deposit={d} />
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
