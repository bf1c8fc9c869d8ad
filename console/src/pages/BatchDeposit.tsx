/** One receipt for several members (POST /transactions/batch): all allocations are recorded, or none. */
import { useState } from 'preact/hooks'
import { api, unwrap } from '../api/client'
import type { Transaction } from '../api/types'
import { localInputToInstant, money, nowLocalInput } from '../format'
import { useT } from '../i18n'
import { useLoad } from '../load'
import { parseRupiah, sumRupiah } from '../money-input'
import { loadMembers, loadPayments, loadPeriodes } from '../options'
import { Link } from '../router'
import { ErrorBox, Field, fieldError, Input, Loading, Notice, PageTitle, Select } from '../ui'
import { currentPeriodeId } from './CashDeposit'

interface Row {
  key: number
  userId: string
  amount: string
}
let rowSeq = 0
const newRow = (): Row => ({ key: ++rowSeq, userId: '', amount: '' })

export default function BatchDeposit() {
  const t = useT()
  const options = useLoad(() => Promise.all([loadMembers(), loadPeriodes(), loadPayments()]), [])
  const [rows, setRows] = useState<Row[]>(() => [newRow(), newRow()])
  const [date, setDate] = useState(nowLocalInput())
  const [periodeId, setPeriodeId] = useState<string>()
  const [paymentId, setPaymentId] = useState('')
  const [file, setFile] = useState<File>()
  const [key, setKey] = useState(() => crypto.randomUUID())
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>()
  const [done, setDone] = useState<Transaction[]>()

  if (options.loading && !options.data) return <Loading />
  if (!options.data) return <ErrorBox error={options.error} />
  const [members, periodes, payments] = options.data
  const periode = periodeId ?? currentPeriodeId(periodes)
  const parsed = rows.map((r) => parseRupiah(r.amount))
  const ready = rows.length > 0 && rows.every((r, i) => r.userId && parsed[i])
  const update = (k: number, patch: Partial<Row>) => setRows((list) => list.map((r) => (r.key === k ? { ...r, ...patch } : r)))

  async function submit(e: Event) {
    e.preventDefault()
    setBusy(true)
    setError(undefined)
    setDone(undefined)
    try {
      const allocations = rows.map((r, i) => ({ user_id: Number(r.userId), amount: parsed[i] ?? r.amount }))
      const common = {
        transaction_date: localInputToInstant(date),
        periode_id: periode ? Number(periode) : null,
        payment_id: paymentId ? Number(paymentId) : null,
      }
      const headers = { 'Idempotency-Key': key }
      let result: Transaction[]
      if (file) {
        const form = new FormData()
        form.set('allocations', JSON.stringify(allocations))
        for (const [k, v] of Object.entries(common)) if (v !== null) form.set(k, String(v))
        form.set('file', file)
        result = unwrap(
          await api.POST('/transactions/batch', { body: form as never, bodySerializer: (b) => b as unknown as FormData, headers }),
        )
      } else {
        result = unwrap(await api.POST('/transactions/batch', { body: { allocations, ...common }, headers }))
      }
      setDone(result)
      setKey(crypto.randomUUID())
      setRows([newRow(), newRow()])
      setFile(undefined)
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }

  return (
    <div>
      <PageTitle>{t('batchDeposit')}</PageTitle>
      <p class="muted">{t('batchHelp')}</p>
      {done && (
        <Notice>
          {t('recordedBatch', { n: done.length })}:{' '}
          {done.map((d) => (
            <Link key={d.id} to={`/deposits/${d.id}`}>
              #{d.id}{' '}
            </Link>
          ))}
        </Notice>
      )}
      <ErrorBox error={error} />
      <form class="form" onSubmit={submit}>
        <fieldset>
          <legend>{t('allocations')}</legend>
          {rows.map((r, i) => (
            <div class="allocation" key={r.key}>
              <Select
                label={`${t('owner')} ${i + 1}`}
                required
                value={r.userId}
                error={fieldError(error, `allocations[${i}].user_id`)}
                onChange={(v) => update(r.key, { userId: v })}
                options={[
                  { value: '', label: t('chooseMember') },
                  ...members.map((m) => ({ value: String(m.id), label: `${m.fullname} (@${m.username})` })),
                ]}
              />
              <Input
                label={`${t('amount')} ${i + 1}`}
                inputMode="decimal"
                required
                value={r.amount}
                hint={parsed[i] ? money(parsed[i]) : undefined}
                error={fieldError(error, `allocations[${i}].amount`) ?? (r.amount && !parsed[i] ? t('amountFormat') : undefined)}
                onInput={(e) => update(r.key, { amount: e.currentTarget.value })}
              />
              <button
                type="button"
                class="secondary"
                disabled={rows.length <= 1}
                onClick={() => setRows((l) => l.filter((x) => x.key !== r.key))}
              >
                {t('removeRow')}
              </button>
            </div>
          ))}
          <button type="button" class="secondary" onClick={() => setRows((l) => [...l, newRow()])}>
            {t('addRow')}
          </button>
          <p>
            {t('batchTotal')}: <strong>{money(sumRupiah(parsed.filter((p): p is string => !!p)))}</strong>
          </p>
        </fieldset>
        <Input label={t('depositDate')} type="datetime-local" required value={date} onInput={(e) => setDate(e.currentTarget.value)} />
        <Select
          label={t('periode')}
          value={periode}
          onChange={setPeriodeId}
          options={[{ value: '', label: t('none') }, ...periodes.map((p) => ({ value: String(p.id), label: p.periode_name }))]}
        />
        <Select
          label={t('payment')}
          value={paymentId}
          onChange={setPaymentId}
          options={[{ value: '', label: t('none') }, ...payments.map((p) => ({ value: String(p.id), label: p.payment_name }))]}
        />
        <Field label={t('file')}>
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
        <button type="submit" disabled={busy || !ready}>
          {busy ? t('saving') : t('save')}
        </button>
      </form>
    </div>
  )
}
