/** Periodes: the saving periods with their target per member; create, edit, delete; open a board. */
import { useState } from 'preact/hooks'
import { api, unwrap } from '../api/client'
import type { Periode } from '../api/types'
import { dateOnly, money } from '../format'
import { useT } from '../i18n'
import { useLoad } from '../load'
import { parseRupiah } from '../money-input'
import { loadPeriodes } from '../options'
import { Link } from '../router'
import { ErrorBox, fieldError, Input, Loading, Notice, PageTitle } from '../ui'

interface Form {
  periode_name: string
  start_date: string
  end_date: string
  target_amount: string
}
const EMPTY: Form = { periode_name: '', start_date: '', end_date: '', target_amount: '' }

export default function Periodes() {
  const t = useT()
  const list = useLoad(() => loadPeriodes(true), [])
  const [editing, setEditing] = useState<number | 'new'>()
  const [form, setForm] = useState<Form>(EMPTY)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>()
  const [notice, setNotice] = useState<string>()
  const target = parseRupiah(form.target_amount)

  function edit(p?: Periode) {
    setError(undefined)
    setNotice(undefined)
    setEditing(p ? p.id : 'new')
    setForm(
      p
        ? {
            periode_name: p.periode_name,
            start_date: p.start_date,
            end_date: p.end_date,
            target_amount: p.target_amount === null ? '' : money(p.target_amount).replace('Rp ', ''),
          }
        : EMPTY,
    )
  }

  async function save(e: Event) {
    e.preventDefault()
    setBusy(true)
    setError(undefined)
    try {
      const body = { ...form, target_amount: form.target_amount ? (target ?? form.target_amount) : null }
      const res =
        editing === 'new'
          ? await api.POST('/periodes', { body })
          : await api.PUT('/periodes/{id}', { params: { path: { id: editing as number } }, body })
      unwrap(res)
      setNotice(`${form.periode_name}: ${(res.data as { message: string }).message}`)
      setEditing(undefined)
      list.reload()
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }

  async function remove(p: Periode) {
    if (!window.confirm(t('confirmDelete', { name: p.periode_name }))) return
    setError(undefined)
    setNotice(undefined)
    try {
      const res = await api.DELETE('/periodes/{id}', { params: { path: { id: p.id } } })
      unwrap(res)
      setNotice(`${p.periode_name}: ${(res.data as { message: string }).message}`)
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
            {t('newPeriode')}
          </button>
        }
      >
        {t('periodes')}
      </PageTitle>
      {notice && <Notice>{notice}</Notice>}
      <ErrorBox error={error} />
      {editing !== undefined && (
        <form class="form card" onSubmit={save} aria-label={editing === 'new' ? t('newPeriode') : t('edit')}>
          <Input
            label={t('periodeName')}
            name="periode_name"
            required
            value={form.periode_name}
            error={fieldError(error, 'periode_name')}
            onInput={(e) => setForm({ ...form, periode_name: e.currentTarget.value })}
          />
          <Input
            label={t('startDate')}
            name="start_date"
            type="date"
            required
            value={form.start_date}
            error={fieldError(error, 'start_date')}
            onInput={(e) => setForm({ ...form, start_date: e.currentTarget.value })}
          />
          <Input
            label={t('endDate')}
            name="end_date"
            type="date"
            required
            value={form.end_date}
            error={fieldError(error, 'end_date')}
            onInput={(e) => setForm({ ...form, end_date: e.currentTarget.value })}
          />
          <Input
            label={t('target')}
            name="target_amount"
            inputMode="decimal"
            value={form.target_amount}
            hint={target ? money(target) : undefined}
            error={fieldError(error, 'target_amount') ?? (form.target_amount && !target ? t('amountFormat') : undefined)}
            onInput={(e) => setForm({ ...form, target_amount: e.currentTarget.value })}
          />
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
              <th scope="col">{t('periodeName')}</th>
              <th scope="col">{t('startDate')}</th>
              <th scope="col">{t('endDate')}</th>
              <th scope="col" class="num">
                {t('target')}
              </th>
              <th scope="col">{t('actions')}</th>
            </tr>
          </thead>
          <tbody>
            {list.data?.map((p) => (
              <tr key={p.id}>
                <td>
                  <Link to={`/periodes/${p.id}/board`}>{p.periode_name}</Link>
                </td>
                <td>{dateOnly(p.start_date, t.lang)}</td>
                <td>{dateOnly(p.end_date, t.lang)}</td>
                <td class="num">{money(p.target_amount)}</td>
                <td class="row-actions">
                  <button type="button" class="secondary small" aria-label={`${t('edit')} ${p.periode_name}`} onClick={() => edit(p)}>
                    {t('edit')}
                  </button>
                  <button
                    type="button"
                    class="secondary small"
                    aria-label={`${t('delete')} ${p.periode_name}`}
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
