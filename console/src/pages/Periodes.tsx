/** Periodes: the saving periods with their target per member; create, edit, delete; open a board. */
import { api } from '../api/client'
import type { Periode } from '../api/types'
import { CrudPage } from '../CrudPage'
import { dateOnly, money } from '../format'
import { useT } from '../i18n'
import { parseRupiah } from '../money-input'
import { loadPeriodes } from '../options'
import { Link } from '../router'
import { fieldError, Input, NumTh } from '../ui'

interface Form {
  periode_name: string
  start_date: string
  end_date: string
  target_amount: string
}

/** The target as the API takes it: an exact decimal string, what was typed when unreadable (the API says why), or none. */
function body(form: Form) {
  return { ...form, target_amount: form.target_amount ? (parseRupiah(form.target_amount) ?? form.target_amount) : null }
}

export default function Periodes() {
  const t = useT()
  return (
    <CrudPage<Periode, Form>
      title="periodes"
      newLabel="newPeriode"
      load={() => loadPeriodes(true)}
      empty={{ periode_name: '', start_date: '', end_date: '', target_amount: '' }}
      toForm={(p) => ({
        periode_name: p.periode_name,
        start_date: p.start_date,
        end_date: p.end_date,
        target_amount: p.target_amount === null ? '' : money(p.target_amount).replace('Rp ', ''),
      })}
      nameOf={(p) => p.periode_name}
      create={(form) => api.POST('/periodes', { body: body(form) })}
      update={(id, form) => api.PUT('/periodes/{id}', { params: { path: { id } }, body: body(form) })}
      remove={(id) => api.DELETE('/periodes/{id}', { params: { path: { id } } })}
      fields={(form, set, error) => {
        const target = parseRupiah(form.target_amount)
        return (
          <>
            <Input
              label={t('periodeName')}
              name="periode_name"
              required
              value={form.periode_name}
              error={fieldError(error, 'periode_name')}
              onInput={(e) => set({ periode_name: e.currentTarget.value })}
            />
            <Input
              label={t('startDate')}
              name="start_date"
              type="date"
              required
              value={form.start_date}
              error={fieldError(error, 'start_date')}
              onInput={(e) => set({ start_date: e.currentTarget.value })}
            />
            <Input
              label={t('endDate')}
              name="end_date"
              type="date"
              required
              value={form.end_date}
              error={fieldError(error, 'end_date')}
              onInput={(e) => set({ end_date: e.currentTarget.value })}
            />
            <Input
              label={t('target')}
              name="target_amount"
              inputMode="decimal"
              value={form.target_amount}
              hint={target ? money(target) : undefined}
              error={fieldError(error, 'target_amount') ?? (form.target_amount && !target ? t('amountFormat') : undefined)}
              onInput={(e) => set({ target_amount: e.currentTarget.value })}
            />
          </>
        )
      }}
      columns={
        <>
          <th scope="col">{t('periodeName')}</th>
          <th scope="col">{t('startDate')}</th>
          <th scope="col">{t('endDate')}</th>
          <NumTh>{t('target')}</NumTh>
        </>
      }
      cells={(p) => (
        <>
          <td>
            <Link to={`/periodes/${p.id}/board`}>{p.periode_name}</Link>
          </td>
          <td>{dateOnly(p.start_date, t.lang)}</td>
          <td>{dateOnly(p.end_date, t.lang)}</td>
          <td class="num">{money(p.target_amount)}</td>
        </>
      )}
    />
  )
}
