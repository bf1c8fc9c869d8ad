/** How one deposit reads, the same in the queue and on its detail page: the receipt large, then its facts. */
import type { Transaction } from './api/types'
import { isPdf } from './deposits'
import { dateTime } from './format'
import { useT } from './i18n'
import { Money } from './ui'

export function ReceiptLarge(props: { deposit: Transaction }) {
  const t = useT()
  const { id, bukti_transfer_url: url } = props.deposit
  return (
    <div class="receipt-large">
      {url && !isPdf(url) ? (
        <a href={url} target="_blank" rel="noreferrer" title={t('openReceipt')}>
          <img key={id} src={url} alt={`${t('receipt')} #${id}`} decoding="async" />
        </a>
      ) : url ? (
        <a href={url} target="_blank" rel="noreferrer">
          {t('openReceipt')} (PDF)
        </a>
      ) : (
        <p class="muted">{t('noReceipt')}</p>
      )}
    </div>
  )
}

export function DepositFacts(props: { deposit: Transaction }) {
  const t = useT()
  const d = props.deposit
  return (
    <>
      {d.is_duplicate_receipt && (
        <p class="flag" role="note">
          {t('duplicate', { id: d.duplicate_of_id ?? '?' })}
        </p>
      )}
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
    </>
  )
}
