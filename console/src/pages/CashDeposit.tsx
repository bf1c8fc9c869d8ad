/**
 * Record a deposit a treasurer received in person (cash, or a transfer shown on a phone). The
 * amount is read the Indonesian way and shown back in words of money before saving; a retried
 * submit carries the same Idempotency-Key, so a double click or a lost answer never records twice.
 */
import { useState } from 'preact/hooks'
import { api, unwrap } from '../api/client'
import type { Transaction } from '../api/types'
import { localInputToInstant, money, nowLocalInput } from '../format'
import { useT } from '../i18n'
import { useLoad } from '../load'
import { parseRupiah } from '../money-input'
import { loadMembers, loadPayments, loadPeriodes } from '../options'
import { Link } from '../router'
import { ErrorBox, Field, fieldError, Input, Loading, Notice, PageTitle, Select } from '../ui'

export function currentPeriodeId(periodes: { id: number; start_date: string; end_date: string }[]): string {
  const today = new Date().toISOString().slice(0, 10)
  return String(periodes.find((p) => p.start_date <= today && today <= p.end_date)?.id ?? '')
}

export default function CashDeposit() {
  const t = useT()
  const options = useLoad(() => Promise.all([loadMembers(), loadPeriodes(), loadPayments()]), [])
  const [userId, setUserId] = useState('')
  const [amount, setAmount] = useState('')
  const [date, setDate] = useState(nowLocalInput())
  const [periodeId, setPeriodeId] = useState<string>()
  const [paymentId, setPaymentId] = useState('')
  const [file, setFile] = useState<File>()
  const [key, setKey] = useState(() => crypto.randomUUID())
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>()
  const [done, setDone] = useState<Transaction>()

  if (options.loading && !options.data) return <Loading />
  if (!options.data) return <ErrorBox error={options.error} />
  const [members, periodes, payments] = options.data
  const periode = periodeId ?? currentPeriodeId(periodes)
  const parsed = parseRupiah(amount)

  async function submit(e: Event) {
    e.preventDefault()
    setBusy(true)
    setError(undefined)
    setDone(undefined)
    try {
      const fields = {
        user_id: Number(userId),
        amount: parsed ?? amount,
        transaction_date: localInputToInstant(date),
        periode_id: periode ? Number(periode) : null,
        payment_id: paymentId ? Number(paymentId) : null,
      }
      const headers = { 'Idempotency-Key': key }
      let result: Transaction
      if (file) {
        const form = new FormData()
        for (const [k, v] of Object.entries(fields)) if (v !== null) form.set(k, String(v))
        form.set('file', file)
        result = unwrap(await api.POST('/transactions', { body: form as never, bodySerializer: (b) => b as unknown as FormData, headers }))
      } else {
        result = unwrap(await api.POST('/transactions', { body: fields, headers }))
      }
      setDone(result)
      // A new deposit from here on: a fresh key and an empty amount; member and periode stay for the next one.
      setKey(crypto.randomUUID())
      setAmount('')
      setFile(undefined)
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }

  return (
    <div>
      <PageTitle actions={<Link to="/deposits/batch">{t('batchDeposit')}</Link>}>{t('cashDeposit')}</PageTitle>
      <p class="muted">{t('recordCashHelp')}</p>
      {done && (
        <Notice>
          <Link to={`/deposits/${done.id}`}>{t('recorded', { id: done.id })}</Link> · {done.user.fullname} · {money(done.amount)}
        </Notice>
      )}
      <ErrorBox error={error} />
      <form class="form" onSubmit={submit}>
        <Select
          label={t('owner')}
          name="user_id"
          required
          value={userId}
          error={fieldError(error, 'user_id')}
          onChange={setUserId}
          options={[
            { value: '', label: t('chooseMember') },
            ...members.map((m) => ({ value: String(m.id), label: `${m.fullname} (@${m.username})` })),
          ]}
        />
        <Input
          label={t('amount')}
          name="amount"
          inputMode="decimal"
          required
          placeholder="Rp 500.000"
          value={amount}
          hint={parsed ? money(parsed) : undefined}
          error={fieldError(error, 'amount') ?? (amount && !parsed ? t('amountFormat') : undefined)}
          onInput={(e) => setAmount(e.currentTarget.value)}
        />
        <Input
          label={t('depositDate')}
          name="transaction_date"
          type="datetime-local"
          required
          value={date}
          error={fieldError(error, 'transaction_date')}
          onInput={(e) => setDate(e.currentTarget.value)}
        />
        <Select
          label={t('periode')}
          name="periode_id"
          value={periode}
          error={fieldError(error, 'periode_id')}
          onChange={setPeriodeId}
          options={[{ value: '', label: t('none') }, ...periodes.map((p) => ({ value: String(p.id), label: p.periode_name }))]}
        />
        <Select
          label={t('payment')}
          name="payment_id"
          value={paymentId}
          error={fieldError(error, 'payment_id')}
          onChange={setPaymentId}
          options={[{ value: '', label: t('none') }, ...payments.map((p) => ({ value: String(p.id), label: p.payment_name }))]}
        />
        <Field label={t('file')} error={fieldError(error, 'file')}>
          {(id, describedBy) => (
            <input
              id={id}
              aria-describedby={describedBy}
              type="file"
              accept="image/jpeg,image/png,image/webp,application/pdf"
              onChange={(e) => setFile(e.currentTarget.files?.[0])}
            />
          )}
        </Field>
        <button type="submit" disabled={busy || !parsed || !userId}>
          {busy ? t('saving') : t('save')}
        </button>
      </form>
    </div>
  )
}
