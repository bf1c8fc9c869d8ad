/** Payment methods (bank accounts, cash, e-wallets): create, edit, deactivate, delete. */
import { api, unwrap } from '../api/client'
import type { Payment } from '../api/types'
import { CrudPage } from '../CrudPage'
import { useT } from '../i18n'
import { fieldError, Input } from '../ui'

interface Form {
  payment_name: string
  payment_type: string
  account_number: string
  account_holder: string
  is_active: boolean
}

const body = (form: Form) => ({ ...form, account_number: form.account_number || null, account_holder: form.account_holder || null })

export default function Payments() {
  const t = useT()
  return (
    <CrudPage<Payment, Form>
      title="payments"
      newLabel="newPayment"
      load={async () => unwrap(await api.GET('/payments', { params: { query: {} } })) as Payment[]}
      empty={{ payment_name: '', payment_type: 'bank_transfer', account_number: '', account_holder: '', is_active: true }}
      toForm={(p) => ({
        payment_name: p.payment_name,
        payment_type: p.payment_type,
        account_number: p.account_number ?? '',
        account_holder: p.account_holder ?? '',
        is_active: p.is_active,
      })}
      nameOf={(p) => p.payment_name}
      create={(form) => api.POST('/payments', { body: body(form) })}
      update={(id, form) => api.PUT('/payments/{id}', { params: { path: { id } }, body: body(form) })}
      remove={(id) => api.DELETE('/payments/{id}', { params: { path: { id } } })}
      fields={(form, set, error) => (
        <>
          <Input
            label={t('paymentName')}
            name="payment_name"
            required
            value={form.payment_name}
            error={fieldError(error, 'payment_name')}
            onInput={(e) => set({ payment_name: e.currentTarget.value })}
          />
          <Input
            label={t('paymentType')}
            name="payment_type"
            required
            list="payment-types"
            value={form.payment_type}
            error={fieldError(error, 'payment_type')}
            onInput={(e) => set({ payment_type: e.currentTarget.value })}
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
            onInput={(e) => set({ account_number: e.currentTarget.value })}
          />
          <Input
            label={t('accountHolder')}
            name="account_holder"
            value={form.account_holder}
            error={fieldError(error, 'account_holder')}
            onInput={(e) => set({ account_holder: e.currentTarget.value })}
          />
          <label class="check">
            <input type="checkbox" checked={form.is_active} onChange={(e) => set({ is_active: e.currentTarget.checked })} /> {t('active')}
          </label>
        </>
      )}
      columns={
        <>
          <th scope="col">{t('paymentName')}</th>
          <th scope="col">{t('paymentType')}</th>
          <th scope="col">{t('accountNumber')}</th>
          <th scope="col">{t('accountHolder')}</th>
          <th scope="col">{t('status')}</th>
        </>
      }
      rowClass={(p) => (p.is_active ? '' : 'inactive')}
      cells={(p) => (
        <>
          <td>{p.payment_name}</td>
          <td>{p.payment_type}</td>
          <td>{p.account_number ?? '–'}</td>
          <td>{p.account_holder ?? '–'}</td>
          <td>{p.is_active ? t('active') : t('inactive')}</td>
        </>
      )}
    />
  )
}
