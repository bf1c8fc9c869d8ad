/**
 * What a cash deposit and a batch deposit share: the date, periode, payment method and receipt
 * fields, the options behind them, and the submission (JSON, or multipart with the receipt) under
 * an Idempotency-Key that stays the same until a deposit is recorded.
 */
import { useState } from 'preact/hooks'
import { api, unwrap } from './api/client'
import type { Payment, Periode } from './api/types'
import { localInputToInstant, nowLocalInput } from './format'
import { useT } from './i18n'
import { loadMembers, loadPayments, loadPeriodes } from './options'
import { Field, fieldError, Input, Select } from './ui'

export const loadDepositOptions = () => Promise.all([loadMembers(), loadPeriodes(), loadPayments()])

export function currentPeriodeId(periodes: { id: number; start_date: string; end_date: string }[]): string {
  const today = new Date().toISOString().slice(0, 10)
  return String(periodes.find((p) => p.start_date <= today && today <= p.end_date)?.id ?? '')
}

export function useDepositCommon() {
  const [date, setDate] = useState(nowLocalInput())
  const [periodeId, setPeriodeId] = useState<string>()
  const [paymentId, setPaymentId] = useState('')
  const [file, setFile] = useState<File>()
  const [key, setKey] = useState(() => crypto.randomUUID())
  return {
    date,
    setDate,
    periodeId,
    setPeriodeId,
    paymentId,
    setPaymentId,
    file,
    setFile,
    key,
    /** After a deposit is recorded: the next one is a new submission with its own key. */
    recorded() {
      setKey(crypto.randomUUID())
      setFile(undefined)
    },
  }
}
export type DepositCommon = ReturnType<typeof useDepositCommon>

/** The fields of the API request shared by both forms. */
export function commonBody(c: DepositCommon, periodes: Periode[]) {
  const periode = c.periodeId ?? currentPeriodeId(periodes)
  return {
    transaction_date: localInputToInstant(c.date),
    periode_id: periode ? Number(periode) : null,
    payment_id: c.paymentId ? Number(c.paymentId) : null,
  }
}

/** POSTs a deposit: JSON, or multipart with the receipt (objects and arrays as JSON text). */
export async function postDeposit(path: '/transactions' | '/transactions/batch', body: Record<string, unknown>, c: DepositCommon) {
  // Both paths take the same two encodings; the pages cast the answer to their own shape.
  const post = api.POST as unknown as (
    path: string,
    init: object,
  ) => Promise<{ data?: { data: unknown }; error?: unknown; response: Response }>
  const headers = { 'Idempotency-Key': c.key }
  if (!c.file) return unwrap(await post(path, { body, headers })) as unknown
  const form = new FormData()
  for (const [k, v] of Object.entries(body)) if (v !== null) form.set(k, typeof v === 'object' ? JSON.stringify(v) : String(v))
  form.set('file', c.file)
  return unwrap(await post(path, { body: form, bodySerializer: (b: FormData) => b, headers })) as unknown
}

export function DepositCommonFields(props: { c: DepositCommon; periodes: Periode[]; payments: Payment[]; error: unknown }) {
  const t = useT()
  const { c, error } = props
  return (
    <>
      <Input
        label={t('depositDate')}
        name="transaction_date"
        type="datetime-local"
        required
        value={c.date}
        error={fieldError(error, 'transaction_date')}
        onInput={(e) => c.setDate(e.currentTarget.value)}
      />
      <Select
        label={t('periode')}
        name="periode_id"
        value={c.periodeId ?? currentPeriodeId(props.periodes)}
        error={fieldError(error, 'periode_id')}
        onChange={c.setPeriodeId}
        options={[{ value: '', label: t('none') }, ...props.periodes.map((p) => ({ value: String(p.id), label: p.periode_name }))]}
      />
      <Select
        label={t('payment')}
        name="payment_id"
        value={c.paymentId}
        error={fieldError(error, 'payment_id')}
        onChange={c.setPaymentId}
        options={[{ value: '', label: t('none') }, ...props.payments.map((p) => ({ value: String(p.id), label: p.payment_name }))]}
      />
      <Field label={t('file')} error={fieldError(error, 'file')}>
        {(id, describedBy) => (
          <input
            id={id}
            aria-describedby={describedBy}
            type="file"
            accept="image/jpeg,image/png,image/webp,application/pdf"
            onChange={(e) => c.setFile(e.currentTarget.files?.[0])}
          />
        )}
      </Field>
    </>
  )
}

export function memberOptions(members: { id: number; fullname: string; username: string }[], first: string) {
  return [{ value: '', label: first }, ...members.map((m) => ({ value: String(m.id), label: `${m.fullname} (@${m.username})` }))]
}
