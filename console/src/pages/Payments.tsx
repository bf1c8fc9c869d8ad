/** Payment methods (bank accounts, cash, e-wallets): create, edit, deactivate, delete. */
import { useState } from 'preact/hooks'
import { api, unwrap } from '../api/client'
import type { Payment } from '../api/types'
import { useT } from '../i18n'
import { useLoad } from '../load'
import { ErrorBox, fieldError, Input, Loading, Notice, PageTitle } from '../ui'

interface Form {
  payment_name: string
  payment_type: string
  account_number: string
  account_holder: string
  is_active: boolean
}
const EMPTY: Form = { payment_name: '', payment_type: 'bank_transfer', account_number: '', account_holder: '', is_active: true }

export default function Payments() {
  const t = useT()
  const list = useLoad(async () => unwrap(await api.GET('/payments', { params: { query: {} } })) as Payment[], [])
  const [editing, setEditing] = useState<number | 'new'>()
  const [form, setForm] = useState<Form>(EMPTY)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>()
  const [notice, setNotice] = useState<string>()

  function edit(p?: Payment) {
    setError(undefined)
    setNotice(undefined)
    setEditing(p ? p.id : 'new')
    setForm(
      p
        ? {
            payment_name: p.payment_name,
            payment_type: p.payment_type,
            account_number: p.account_number ?? '',
            account_holder: p.account_holder ?? '',
            is_active: p.is_active,
          }
        : EMPTY,
    )
  }

  async function save(e: Event) {
    e.preventDefault()
    setBusy(true)
    setError(undefined)
    try {
      const body = { ...form, account_number: form.account_number || null, account_holder: form.account_holder || null }
      const res =
        editing === 'new'
          ? await api.POST('/payments', { body })
          : await api.PUT('/payments/{id}', { params: { path: { id: editing as number } }, body })
      unwrap(res)
      setNotice(`${form.payment_name}: ${(res.data as { message: string }).message}`)
      setEditing(undefined)
      list.reload()
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }

  async function remove(p: Payment) {
    if (!window.confirm(t('confirmDelete', { name: p.payment_name }))) return
    setError(undefined)
    try {
      const res = await api.DELETE('/payments/{id}', { params: { path: { id: p.id } } })
      unwrap(res)
      setNotice(`${p.payment_name}: ${(res.data as { message: string }).message}`)
      list.reload()
    } catch (err) {
      setError(err)
    }
  }

  return (
    <div>
      <PageTitle
        actions={
          <button type="button" onClick={() => edit()}>
            {t('newPayment')}
          </button>
        }
      >
        {t('payments')}
      </PageTitle>
      {notice && <Notice>{notice}</Notice>}
      <ErrorBox error={error} />
      {editing !== undefined && (
        <form class="form card" onSubmit={save} aria-label={editing === 'new' ? t('newPayment') : t('edit')}>
          <Input
            label={t('paymentName')}
            name="payment_name"
            required
            value={form.payment_name}
            error={fieldError(error, 'payment_name')}
            onInput={(e) => setForm({ ...form, payment_name: e.currentTarget.value })}
          />
          <Input
            label={t('paymentType')}
            name="payment_type"
            required
            list="payment-types"
            value={form.payment_type}
            error={fieldError(error, 'payment_type')}
            onInput={(e) => setForm({ ...form, payment_type: e.currentTarget.value })}
          />
          <datalist id="payment-types">
            <option value="bank_transfer" />
            <option value="cash" />
            <option value="e_wallet" />
          </datalist>
          <Input
            label={t('accountNumber')}
            name="account_number"
            value={form.account_number}
            error={fieldError(error, 'account_number')}
            onInput={(e) => setForm({ ...form, account_number: e.currentTarget.value })}
          />
          <Input
            label={t('accountHolder')}
            name="account_holder"
            value={form.account_holder}
            error={fieldError(error, 'account_holder')}
            onInput={(e) => setForm({ ...form, account_holder: e.currentTarget.value })}
          />
          <label class="check">
            <input type="checkbox" checked={form.is_active} onChange={(e) => setForm({ ...form, is_active: e.currentTarget.checked })} />{' '}
            {t('active')}
          </label>
          <div class="buttons">
            <button type="submit" disabled={busy}>
              {busy ? t('saving') : t('save')}
            </button>
            <button type="button" class="secondary" onClick={() => setEditing(undefined)}>
              {t('cancel')}
            </button>
          </div>
        </form>
      )}
      {list.loading && !list.data ? (
        <Loading />
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('paymentName')}</th>
              <th scope="col">{t('paymentType')}</th>
              <th scope="col">{t('accountNumber')}</th>
              <th scope="col">{t('accountHolder')}</th>
              <th scope="col">{t('status')}</th>
              <th scope="col">{t('actions')}</th>
            </tr>
          </thead>
          <tbody>
            {list.data?.map((p) => (
              <tr key={p.id} class={p.is_active ? '' : 'inactive'}>
                <td>{p.payment_name}</td>
                <td>{p.payment_type}</td>
                <td>{p.account_number ?? '–'}</td>
                <td>{p.account_holder ?? '–'}</td>
                <td>{p.is_active ? t('active') : t('inactive')}</td>
                <td class="row-actions">
                  <button type="button" class="secondary small" aria-label={`${t('edit')} ${p.payment_name}`} onClick={() => edit(p)}>
                    {t('edit')}
                  </button>
                  <button
                    type="button"
                    class="secondary small"
                    aria-label={`${t('delete')} ${p.payment_name}`}
                    onClick={() => void remove(p)}
                  >
                    {t('delete')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  )
}
